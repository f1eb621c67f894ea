"""Minimal throw-away PostgreSQL cluster for the backup drill (self-contained until tests/fixtures/postgres.py exists).

initdb/pg_ctl refuse to run as root, so when the test runs as root the server commands run as the `postgres` OS user
(`runuser`) on a temporary directory owned by it. The server listens on 127.0.0.1 on a free port with trust auth.
`stop()` is safe to call more than once; use the cluster as a context manager so it stops even when a test fails.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


def pg_bin() -> Path | None:
    for candidate in PG_BIN_CANDIDATES:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PgCluster:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="supra-pg-drill-"))
        self.data = self.root / "data"
        self._as_postgres = os.geteuid() == 0
        self._started = False
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _server_cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_postgres else list(args)

    def tool(self, name: str, *args: str) -> list[str]:
        """A client command (psql, pg_dump, ...) pointed at this cluster."""
        return [str(self.bin / name), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *args]

    def start(self) -> PgCluster:
        subprocess.run(
            self._server_cmd(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} -c fsync=off"
        )
        subprocess.run(
            self._server_cmd(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.root / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )
        self._started = True
        return self

    def psql(self, database: str, sql: str) -> str:
        result = subprocess.run(
            self.tool("psql", "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql),
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout.strip()

    def stop(self) -> None:
        try:
            if self._started:
                subprocess.run(
                    self._server_cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                    check=False,
                    capture_output=True,
                    timeout=60,
                )
                self._started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
