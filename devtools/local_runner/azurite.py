"""Start and stop an Azurite process (blob/queue/table) on 127.0.0.1 with free ports.

Azurite 3.35 rejects the current storage SDK's API version, so it is always started with `--skipApiVersionCheck`.
The process is stopped by its PID (never by name).
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from devtools.devstack.processes import die_with_parent

ACCOUNT_NAME = "devstoreaccount1"
# The publicly documented Azurite / storage-emulator development key (not a secret).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEFAULT_BINARY = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "azurite"


class AzuriteError(RuntimeError):
    """Azurite could not be started or did not answer in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a currently free TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def connection_string(host: str, blob_port: int, queue_port: int, table_port: int) -> str:
    """The development-account connection string with explicit endpoints."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint=http://{host}:{blob_port}/{ACCOUNT_NAME};"
        f"QueueEndpoint=http://{host}:{queue_port}/{ACCOUNT_NAME};"
        f"TableEndpoint=http://{host}:{table_port}/{ACCOUNT_NAME};"
    )


@dataclass
class Azurite:
    """A running Azurite process. Use `stop()` (or a `with` block) to end it."""

    process: subprocess.Popen[bytes]
    host: str
    blob_port: int
    queue_port: int
    table_port: int
    location: str | None
    _log: object = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def connection_string(self) -> str:
        return connection_string(self.host, self.blob_port, self.queue_port, self.table_port)

    def is_running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the process by PID: SIGTERM, then SIGKILL if it does not exit in `timeout` seconds."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        atexit.unregister(self.stop)
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None

    def __enter__(self) -> Azurite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_listening(host: str, ports: list[int], process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending:
        if process.poll() is not None:
            raise AzuriteError(f"azurite exited with code {process.returncode}")
        port = pending[0]
        try:
            with socket.create_connection((host, port), timeout=0.2):
                pending.pop(0)
                continue
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AzuriteError(f"azurite did not listen on {host}:{port} within {timeout}s")
        time.sleep(0.05)


def start_azurite(
    *,
    binary: str | Path | None = None,
    host: str = "127.0.0.1",
    location: str | Path | None = None,
    timeout: float = 20.0,
    log_path: str | Path | None = None,
) -> Azurite:
    """Start Azurite on free ports; in memory unless `location` (a directory to persist into) is given."""
    exe = Path(binary) if binary else DEFAULT_BINARY
    if not exe.exists():
        raise AzuriteError(f"azurite not found at {exe} (run `npm ci`)")
    blob, queue, table = free_port(host), free_port(host), free_port(host)
    while len({blob, queue, table}) < 3:
        queue, table = free_port(host), free_port(host)
    args = [
        str(exe),
        "--blobHost",
        host,
        "--queueHost",
        host,
        "--tableHost",
        host,
        "--blobPort",
        str(blob),
        "--queuePort",
        str(queue),
        "--tablePort",
        str(table),
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--silent",
        "--loose",
    ]
    if location is None:
        args.append("--inMemoryPersistence")
    else:
        Path(location).mkdir(parents=True, exist_ok=True)
        args += ["--location", str(location)]
    log = open(log_path, "ab") if log_path else tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
    process = subprocess.Popen(
        args,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=die_with_parent,  # noqa: PLW1509 - only a prctl call resolved before the fork
    )
    azurite = Azurite(process, host, blob, queue, table, str(location) if location else None, log)
    atexit.register(azurite.stop)  # never leak the process if the caller forgets stop()
    try:
        _wait_listening(host, [blob, queue, table], process, timeout)
    except BaseException:
        azurite.stop()
        raise
    return azurite
