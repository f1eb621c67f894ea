"""The local PAC: a throwaway test CSD, the PAC simulator in its own process, and the settings that make the function
host's activity workers stamp against them (CSD_* secrets as environment variables, PAC_URL). `make demo`,
`manage.py cfdi stamp`, `manage.py bill --issue` and `manage.py bench billing --cfdi` stamp through the durable
orchestrations with these. Developer tooling, never deployed.

The simulator process is `python -m devtools.fakes.pac_simulator --full-check-every N` (it prints its URL).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets as pysecrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from shared.adapters.csd import generate_test_csd
from shared.application.cfdi.setup import load_config


@dataclass(frozen=True)
class LocalCsd:
    certificate_der: bytes
    key_der: bytes
    password: str


# --------------------------------------------------------------------------------------------- local PAC
def throwaway_csd(rfc: str, name: str) -> LocalCsd:
    password = pysecrets.token_urlsafe(12)
    csd = generate_test_csd(
        rfc=rfc, name=name, password=password, valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    )
    return LocalCsd(csd.certificate_der, csd.key_der, password)


def csd_env(csd: LocalCsd) -> dict[str, str]:
    """The CSD as the secrets the app reads from the environment when no Key Vault is configured."""
    return {
        "CSD_CERTIFICATE": base64.b64encode(csd.certificate_der).decode(),
        "CSD_PRIVATE_KEY": base64.b64encode(csd.key_der).decode(),
        "CSD_PASSWORD": csd.password,
    }


SIMULATOR_PIDS: list[int] = []


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every live descendant process of `pid` (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_of(pids: list[int]) -> dict[int, float]:
    seconds = {}
    for pid in pids:
        try:
            seconds[pid] = process_cpu_seconds(pid)
        except OSError:
            continue
    return seconds


@contextmanager
def local_simulator(*, full_check_every: int = 1) -> Iterator[str]:
    """Start the PAC simulator in its own process; yields its URL (its pid is in SIMULATOR_PIDS meanwhile)."""
    command = [sys.executable, "-m", "devtools.fakes.pac_simulator", "--full-check-every", str(full_check_every)]
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    SIMULATOR_PIDS.append(proc.pid)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the PAC simulator did not start")
        yield url
    finally:
        SIMULATOR_PIDS.remove(proc.pid)
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def local_cfdi_env(tenant_id: UUID | str, *, full_check_every: int = 1) -> Iterator[dict[str, str]]:
    """Settings for a function host that stamps: none when real CSD secrets are configured (they are used), else a
    throwaway CSD for the tenant's RFC and the local PAC simulator (started for the duration)."""
    if os.environ.get("CSD_CERTIFICATE"):
        yield {}
        return
    issuer = load_config(tenant_id).issuer
    csd = throwaway_csd(issuer.rfc, issuer.name)
    with local_simulator(full_check_every=full_check_every) as url:
        yield {**csd_env(csd), "PAC_PROVIDER": "simulator", "PAC_URL": url}
