"""The local stack for `manage.py demo/serve/bill/bench`: a private PostgreSQL cluster under .local/pg (or
DATABASE_URL when set), migrated, and Azurite on loopback; their settings are exported to this process.

Crash-safe: what the stack starts is recorded in pid files under `<root>/run/` (with the pid and start time of the
command that owns it), and a watchdog process (`devtools.devstack.watchdog`) stops it if that command dies without
doing so (kill -9). The next start looks at the records: PostgreSQL still running on the data directory is used
where it listens (left by a crashed command: adopted and stopped at the end; owned by a running command such as
`serve`: shared and left running), Azurite left by a dead command is stopped. Each such decision is one line on
stderr."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devtools.devstack import processes
from devtools.devstack.postgres import Cluster, start_cluster
from devtools.devstack.watchdog import start_watchdog
from devtools.local_runner.azurite import Azurite, start_azurite
from shared.adapters import storage
from shared.data import db
from shared.data.migrate import migrate
from shared.platform.config import reset_settings_cache

REPO = Path(__file__).resolve().parents[2]
LOCAL = REPO / ".local"


@dataclass
class Stack:
    database_url: str
    migrations_url: str
    storage: str
    cluster: Cluster | None
    azurite: Azurite | None

    def env(self) -> dict[str, str]:
        env = {"DATABASE_URL": self.database_url, "MIGRATIONS_DATABASE_URL": self.migrations_url}
        if self.storage:
            env["AzureWebJobsStorage"] = self.storage
        return env


def _export(env: dict[str, str | None]) -> dict[str, str | None]:
    """Set (None: remove) these variables in this process; returns what they were, to restore at the end."""
    before = {key: os.environ.get(key) for key in env}
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_settings_cache()
    storage.reset_clients()
    db.close_pool()
    return before


@contextlib.contextmanager
def local_stack(
    *, throwaway: bool = False, root: Path | None = None, persist_storage: bool = False, storage: bool = True
) -> Iterator[Stack]:
    """Start (or reuse through DATABASE_URL) PostgreSQL, migrate it, start Azurite (unless `storage` is False);
    stop what we started."""
    root = (root or (LOCAL / "bench" if throwaway else LOCAL)).resolve()
    run = root / "run"
    cluster: Cluster | None = None
    owned_cluster = False
    azurite: Azurite | None = None
    azurite_record = run / f"azurite-{os.getpid()}.json"
    watchdog = None
    restore: dict[str, str | None] | None = None
    try:
        stop_leftover_azurite(run)
        if os.environ.get("DATABASE_URL") and os.environ.get("MIGRATIONS_DATABASE_URL"):
            app_url, owner_url = os.environ["DATABASE_URL"], os.environ["MIGRATIONS_DATABASE_URL"]
        else:
            cluster = start_cluster(root / "pg", throwaway=throwaway)
            owned_cluster = _claim_cluster(cluster, run / "postgres.json")
            app_url, owner_url = cluster.app_url, cluster.owner_url
        postmaster = cluster.postmaster_pid() if cluster is not None and owned_cluster else None
        watchdog = start_watchdog(postmasters=[postmaster] if postmaster else [])
        migrate(owner_url)
        if storage:
            root.mkdir(parents=True, exist_ok=True)
            azurite = start_azurite(
                location=root / "azurite" if persist_storage else None, log_path=root / "azurite.log"
            )
            processes.write_pid_file(azurite_record, pid=azurite.pid, what="Azurite")
        stack = Stack(
            database_url=app_url,
            migrations_url=owner_url,
            storage=azurite.connection_string if azurite is not None else os.environ.get("AzureWebJobsStorage", ""),  # noqa: SIM112 - the host setting name
            cluster=cluster,
            azurite=azurite,
        )
        restore = _export(dict(stack.env()))
        yield stack
    finally:
        db.close_pool()
        if restore is not None:
            _export(restore)  # the next stack in this process decides afresh (DATABASE_URL was not ours)
        if azurite is not None:
            azurite.stop()
            azurite_record.unlink(missing_ok=True)
        if cluster is not None and owned_cluster:
            cluster.stop()
            (run / "postgres.json").unlink(missing_ok=True)
        if watchdog is not None:
            watchdog.terminate()
            watchdog.wait(timeout=10)


def _say(message: str) -> None:
    print(f"local stack: {message}", file=sys.stderr)


def _claim_cluster(cluster: Cluster, record_path: Path) -> bool:
    """Record this command as the cluster's owner, unless another running command owns it. True when we own it
    (and stop it at the end)."""
    pid = cluster.postmaster_pid()
    if not cluster.reused or pid is None:
        if pid is not None:
            processes.write_pid_file(record_path, pid=pid, what="PostgreSQL")
        return True
    record = processes.read_pid_file(record_path)
    if record is not None and record.pid == pid and record.owner_running() and record.owner_pid != os.getpid():
        _say(f"PostgreSQL of running pid {record.owner_pid} found on port {cluster.port}; using it (it stays up)")
        return False
    owner = f" (its command, pid {record.owner_pid}, is gone)" if record is not None else ""
    _say(f"PostgreSQL pid {pid} left running{owner} found on port {cluster.port}; reusing it, stopped at exit")
    processes.write_pid_file(record_path, pid=pid, what="PostgreSQL")
    return True


def stop_leftover_azurite(run: Path) -> list[int]:
    """Stop the Azurite processes recorded by commands that are gone (a crashed `serve`); returns their pids."""
    stopped = []
    for path in sorted(run.glob("azurite-*.json")):
        record = processes.read_pid_file(path)
        if record is None or record.owner_running():
            continue
        if processes.stop(record.pid, record.started, timeout=5):
            _say(f"stopped Azurite pid {record.pid} left running by pid {record.owner_pid}, which is gone")
            stopped.append(record.pid)
        path.unlink(missing_ok=True)
    return stopped
