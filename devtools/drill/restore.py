"""Local point-in-time recovery drill: the same steps scripts/restore_drill.sh takes against Azure, on private
clusters, with the product's own schema, data and invariants.

1. A source cluster archives its WAL (archive_mode=on); the product data is created by the real commands
   (`manage.py seed`, `manage.py bill --issue`, which bill, issue and stamp through the durable orchestrations).
2. A base backup is taken; more work happens (a second billed month); a named restore point marks "before the
   incident" and the fingerprint of the money tables is recorded; then the incident: an operator's DELETE wipes
   ledger rows, the WAL is archived and the source postmaster is SIGKILLed.
3. Recovery: a new cluster from the base backup replays the archive up to the restore point and is promoted;
   the clock for RTO starts at the kill and stops when `manage.py invariants check` passes on the restored
   database. RPO is measured as the rows and the commit time lost between the restore point and the restored
   state (0 rows and 0 s when the recovery is exact).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg

from devtools.devstack.postgres import Cluster, find_bindir, free_port, start_cluster
from devtools.manage_run import run_manage

REPO = Path(__file__).resolve().parents[2]
FINGERPRINT_TABLES = ("invoices", "invoice_lines", "account_movements", "cfdi_documents", "domain_events")
RESTORE_POINT = "before-incident"


class DrillFailed(RuntimeError):
    """A step of the drill did not do what it must (the message says which)."""


@dataclass(frozen=True)
class DrillResult:
    accounts: int
    invoices_at_restore_point: int
    rows_lost: int
    rpo_seconds: float
    rto_seconds: float
    recovery_seconds: float
    invariants_ok: bool
    invariants_checked: int
    wal_segments_archived: int

    def as_json(self) -> str:
        return json.dumps(asdict(self))


def _as_server(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    cmd = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args
    result = subprocess.run(cmd, text=True, capture_output=True, check=False, **kw)
    if result.returncode != 0:
        raise DrillFailed(f"{' '.join(args[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def _manage(args: list[str], env: dict[str, str], timeout: float) -> str:
    result = run_manage(args, env=env, timeout=timeout)
    if result.returncode != 0:
        raise DrillFailed(
            f"manage.py {' '.join(args)} exited {result.returncode}: {result.stdout[-1500:]} {result.stderr[-1500:]}"
        )
    return result.stdout


def _sql(url: str, statement: str) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement)
        row = cur.fetchone() if cur.description else None
        return row[0] if row else None


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Row count and content digest of each money table (owner/superuser URL: sees every tenant)."""
    out = {}
    with psycopg.connect(url) as conn:
        for table in FINGERPRINT_TABLES:
            row = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
            ).fetchone()
            assert row is not None
            out[table] = (int(row[0]), str(row[1]))
    return out


def _enable_archiving(cluster: Cluster, root: Path, archive: Path) -> Cluster:
    _as_server(["mkdir", "-p", str(archive)])
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET wal_level = 'replica'")
        conn.execute("ALTER SYSTEM SET archive_mode = 'on'")
        conn.execute(f"ALTER SYSTEM SET archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'")
    cluster.stop()
    return start_cluster(root, port=cluster.port)


def _wait_archived(url: str, timeout: float = 60.0) -> None:
    """Switch WAL and wait until the segment holding everything so far is in the archive."""
    segment = _sql(url, "SELECT pg_walfile_name(pg_switch_wal())")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = _sql(url, "SELECT last_archived_wal FROM pg_stat_archiver")
        if last is not None and last >= segment:
            return
        time.sleep(0.2)
    raise DrillFailed(f"WAL segment {segment} was not archived within {timeout:.0f} s")


def _postmaster_pid(datadir: Path) -> int:
    return int(_as_server(["cat", str(datadir / "postmaster.pid")]).stdout.splitlines()[0])


@dataclass
class _Drill:
    root: Path
    accounts: int
    sectors: int
    timeout: float
    source: Cluster | None = None
    restored: Cluster | None = None

    @property
    def workdir(self) -> Path:
        assert self.source is not None
        return self.source.root  # owned by the server user

    def populate(self) -> None:
        self.source = start_cluster(self.root / "source")
        self.source = _enable_archiving(self.source, self.root / "source", self.workdir / "wal-archive")
        env = self.source.env()
        _manage(["migrate"], env, self.timeout)
        seed = ["seed", "--accounts", str(self.accounts), "--sectors", str(self.sectors), "--until", "2026-11"]
        _manage(seed, env, self.timeout)
        _manage(["bill", "--period", "2026-09", "--issue"], env, self.timeout)
        _as_server(["mkdir", "-p", str(self.workdir / "restored")])
        _as_server(
            [
                str(find_bindir() / "pg_basebackup"),
                *("-d", self.source.admin_url, "-D", str(self.workdir / "restored" / "data"), "-X", "fetch"),
                *("-c", "fast"),
            ]
        )
        _manage(["bill", "--period", "2026-10", "--issue"], env, self.timeout)

    def incident(self) -> tuple[dict[str, tuple[int, str]], Any, int]:
        """Mark the restore point, then damage the ledger, archive the WAL and SIGKILL the postmaster."""
        assert self.source is not None
        db_url = self.source.url("postgres", self.source.database)
        _sql(db_url, f"SELECT pg_create_restore_point('{RESTORE_POINT}')")
        expected = fingerprint(db_url)
        last_event = _sql(db_url, "SELECT max(occurred_at) FROM domain_events")
        if expected["invoices"][0] == 0:
            raise DrillFailed("the source has no invoices: the drill would prove nothing")
        _sql(db_url, "DELETE FROM account_movements WHERE id % 3 = 0")
        if fingerprint(db_url) == expected:
            raise DrillFailed("the incident changed nothing")
        _wait_archived(db_url)
        archived = len(_as_server(["ls", str(self.workdir / "wal-archive")]).stdout.split())
        os.kill(_postmaster_pid(self.source.datadir), signal.SIGKILL)
        return expected, last_event, archived

    def recover(self) -> Cluster:
        """A new server from the base backup, replaying the archive to the restore point, then promoted."""
        assert self.source is not None
        data = self.workdir / "restored" / "data"
        conf = "\n".join(
            [
                f"restore_command = 'cp {self.workdir / 'wal-archive'}/%f %p'",
                f"recovery_target_name = '{RESTORE_POINT}'",
                "recovery_target_action = 'promote'",
                "archive_mode = 'off'",
            ]
        )
        _as_server(
            ["sh", "-c", f"printf '%s\\n' \"$0\" >> {data}/postgresql.auto.conf && touch {data}/recovery.signal", conf]
        )
        port = free_port()
        log = self.workdir / "restored" / "server.log"
        _as_server(
            [
                str(find_bindir() / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                f"-p {port}",
                "-w",
                "-t",
                "300",
                "start",
            ]
        )
        self.restored = Cluster(
            root=self.workdir / "restored",
            port=port,
            superuser_password=self.source.superuser_password,
            app_password=self.source.app_password,
            owner_password=self.source.owner_password,
        )
        deadline = time.monotonic() + self.timeout
        while _sql(self.restored.url("postgres", self.restored.database), "SELECT pg_is_in_recovery()"):
            if time.monotonic() > deadline:
                raise DrillFailed("recovery did not finish")
            time.sleep(0.2)
        return self.restored

    def close(self) -> None:
        if self.restored is not None:
            self.restored.stop()
        if self.source is not None:
            self.source.stop()  # already killed: pg_ctl finds no server, which is fine
            shutil.rmtree(self.workdir, ignore_errors=True)  # as root or as the owner: both may


def run_drill(*, root: Path, accounts: int = 300, sectors: int = 2, timeout: float = 900.0) -> DrillResult:
    """Run the whole drill under `root` (a scratch directory); raises DrillFailed when a step does not hold."""
    drill = _Drill(root=root.resolve(), accounts=accounts, sectors=sectors, timeout=timeout)
    try:
        drill.populate()
        expected, last_event, archived = drill.incident()
        killed_at = time.monotonic()
        restored = drill.recover()
        recovered_at = time.monotonic()
        restored_db = restored.url("postgres", restored.database)
        got = fingerprint(restored_db)
        mismatched = [t for t in FINGERPRINT_TABLES if got[t] != expected[t]]
        restored_last = _sql(restored_db, "SELECT max(occurred_at) FROM domain_events")
        report = _manage(["invariants", "check"], {"DATABASE_URL": restored.app_url}, timeout)
        done_at = time.monotonic()
        checks = [json.loads(line) for line in report.splitlines() if line.startswith("{")]
        if mismatched:
            raise DrillFailed(f"restored tables differ from the restore point: {mismatched}")
        return DrillResult(
            accounts=accounts,
            invoices_at_restore_point=expected["invoices"][0],
            rows_lost=sum(max(expected[t][0] - got[t][0], 0) for t in FINGERPRINT_TABLES),
            rpo_seconds=round((last_event - restored_last).total_seconds(), 3),
            rto_seconds=round(done_at - killed_at, 2),
            recovery_seconds=round(recovered_at - killed_at, 2),
            invariants_ok=bool(checks) and all(c["ok"] for c in checks),
            invariants_checked=sum(c["checked"] for c in checks),
            wal_segments_archived=archived,
        )
    finally:
        drill.close()
