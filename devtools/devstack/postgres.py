"""A private PostgreSQL cluster for development and tests, started with initdb/pg_ctl on a free loopback port.

PostgreSQL refuses to run as root, so when we are root (CI) every server command runs as the `postgres` user
through `runuser`, on a directory that user owns. Nothing depends on a system service being up.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

APP_ROLE = "supra_app"
OWNER_ROLE = "supra_owner"
DEFAULT_DB = "supra"

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "max_connections": "200",
    "shared_buffers": "'1GB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'256MB'",
    "default_toast_compression": "'lz4'",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'15min'",
    "log_min_messages": "warning",
    "timezone": "'UTC'",
}
# Durability off is only for throwaway clusters (tests, benchmarks): never for anything holding real data.
THROWAWAY_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresNotFound(RuntimeError):
    """No PostgreSQL server binaries (initdb, pg_ctl) on this machine."""


def find_bindir() -> Path:
    env = os.environ.get("PG_BINDIR")
    candidates = [Path(env)] if env else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for which in ("pg_ctl", "initdb"):
        found = shutil.which(which)
        if found:
            candidates.append(Path(found).resolve().parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise PostgresNotFound("initdb/pg_ctl not found: install PostgreSQL >= 15 (apt-get install postgresql)")


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _is_root() -> bool:
    return os.geteuid() == 0


class DevStackError(RuntimeError):
    """A local stack command failed; the message carries what the tool said (and the server log's tail)."""


def _run_as_server_user(args: list[str], *, log: Path | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    """Run a server command (as `postgres` when we are root); on failure raise DevStackError with its output and
    the tail of the server log, never a bare CalledProcessError whose message capture_output hid."""
    cmd = ["runuser", "-u", "postgres", "--", *args] if _is_root() else args
    done: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
        cmd, check=False, text=True, capture_output=True, **kw
    )
    if done.returncode != 0:
        said = "\n".join(part.strip() for part in (done.stderr, done.stdout) if part and part.strip())
        tail = _tail(log) if log is not None else ""
        raise DevStackError(
            f"{Path(args[0]).name} {' '.join(args[1:2] + args[-1:])} failed (exit {done.returncode}): "
            f"{said or 'no output'}" + (f"\n--- {log} (last lines) ---\n{tail}" if tail else "")
        )
    return done


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _server_user_can_use(path: Path) -> bool:
    if not _is_root():
        return True
    probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", str(path)], check=False)
    return probe.returncode == 0


def _prepare_dir(preferred: Path) -> Path:
    """Return a directory the server user owns: `preferred` when reachable, else one under /var/tmp."""
    preferred.mkdir(parents=True, exist_ok=True)
    if _is_root():
        shutil.chown(preferred, "postgres", "postgres")
        if not _server_user_can_use(preferred):
            digest = hashlib.sha256(str(preferred.resolve()).encode()).hexdigest()[:12]
            fallback = Path("/var/tmp/supra-water-pg") / digest  # noqa: S108 - the server user cannot reach the checkout
            fallback.mkdir(parents=True, exist_ok=True)
            os.chmod(fallback.parent, 0o755)  # noqa: S103 - postgres must traverse it
            shutil.chown(fallback, "postgres", "postgres")
            return fallback
    return preferred


@dataclass
class Cluster:
    """A running private cluster and the URLs the application and the migrations use."""

    root: Path
    port: int
    superuser_password: str
    app_password: str
    owner_password: str
    database: str = DEFAULT_DB
    reused: bool = False  # found running (left by another command or a crashed one), not started by us

    def url(self, role: str, database: str | None = None) -> str:
        password = {"postgres": self.superuser_password, APP_ROLE: self.app_password, OWNER_ROLE: self.owner_password}[
            role
        ]
        return f"postgresql://{role}:{password}@127.0.0.1:{self.port}/{database or self.database}"

    @property
    def app_url(self) -> str:
        return self.url(APP_ROLE)

    @property
    def owner_url(self) -> str:
        return self.url(OWNER_ROLE)

    @property
    def admin_url(self) -> str:
        return self.url("postgres", "postgres")

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def stop(self) -> None:
        bindir = find_bindir()
        with contextlib.suppress(DevStackError):
            _run_as_server_user([str(bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"])

    def postmaster_pid(self) -> int | None:
        running = running_postmaster(self.datadir)
        return running[0] if running else None

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.app_url, "MIGRATIONS_DATABASE_URL": self.owner_url}


def _secret(root: Path, name: str) -> str:
    path = root / f"{name}.pw"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(18))
        os.chmod(path, 0o600)
    return path.read_text().strip()


def start_cluster(root: Path, *, throwaway: bool = False, port: int | None = None) -> Cluster:
    """Create (first time) and start a cluster under `root`; bootstrap roles and the database."""
    bindir = find_bindir()
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    server_root = _prepare_dir(root / "server")
    datadir = server_root / "data"
    cluster = Cluster(
        root=server_root,
        port=port or free_port(),
        superuser_password=_secret(root, "postgres"),
        app_password=_secret(root, APP_ROLE),
        owner_password=_secret(root, OWNER_ROLE),
    )
    if not (datadir / "PG_VERSION").exists():
        pwfile = server_root / "initdb.pw"
        pwfile.write_text(cluster.superuser_password)
        if _is_root():
            shutil.chown(pwfile, "postgres", "postgres")
        _run_as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                "postgres",
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
        pwfile.unlink()
        settings = dict(SERVER_SETTINGS, **(THROWAWAY_SETTINGS if throwaway else {}))
        conf = "\n".join(f"{k} = {v}" for k, v in settings.items())
        _run_as_server_user(["sh", "-c", f"printf '%s\\n' \"$0\" >> {datadir}/postgresql.conf", conf])
    running = running_postmaster(datadir)
    if running is not None:  # a server already runs on this data directory: use it where it listens
        pid, found_port = running
        cluster.port, cluster.reused = found_port, True
        try:
            _wait_ready(cluster, timeout=15)
        except psycopg.OperationalError as error:
            raise DevStackError(
                f"PostgreSQL pid {pid} runs on {datadir} but does not answer on port {found_port} ({error}); "
                f"stop it with: pg_ctl -D {datadir} -m fast stop (or kill {pid})"
            ) from error
        bootstrap(cluster)
        return cluster
    _run_as_server_user(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-l",
            str(server_root / "server.log"),
            "-o",
            f"-p {cluster.port}",
            "-w",
            "-t",
            "60",
            "start",
        ],
        log=server_root / "server.log",
    )
    _wait_ready(cluster)
    bootstrap(cluster)
    return cluster


def running_postmaster(datadir: Path) -> tuple[int, int] | None:
    """(pid, port) of the postmaster running on `datadir` per its postmaster.pid, or None (no file, a stale file
    of a dead server, or a pid that is no longer a postgres process)."""
    try:
        lines = (datadir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, IndexError, ValueError):
        return None
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return (pid, port) if b"postgres" in command else None


def _wait_ready(cluster: Cluster, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(cluster.admin_url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def bootstrap(cluster: Cluster) -> None:
    """Roles and database, as the runbook does in Azure: an owner that runs migrations and an app role that is
    neither superuser nor owner, so row-level security applies to everything the application does."""
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        for role, password in ((OWNER_ROLE, cluster.owner_password), (APP_ROLE, cluster.app_password)):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = sql.SQL("ALTER" if exists else "CREATE")
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD {}").format(
                    verb, sql.Identifier(role), sql.Literal(password)
                )
            )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (cluster.database,)).fetchone():
            conn.execute(f"CREATE DATABASE {cluster.database} OWNER {OWNER_ROLE}")
    with psycopg.connect(cluster.url("postgres", cluster.database), autocommit=True) as conn:
        conn.execute(f"ALTER SCHEMA public OWNER TO {OWNER_ROLE}")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")


def clone_database(cluster: Cluster, *, template: str, name: str) -> None:
    """A fresh database from a migrated template (fast per-test isolation)."""
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template} OWNER {OWNER_ROLE}")


def drop_database(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
