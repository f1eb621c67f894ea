"""The local PAC: a throwaway test CSD, the PAC simulator in its own process, and the CFDI steps `make demo` and
`manage.py bench billing --cfdi` run against it. Developer tooling, never deployed.

The simulator process is `python -m devtools.fakes.pac_simulator --full-check-every N` (it prints its URL).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets as pysecrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from cli.cfdi import write_sample
from devtools.bench.cfdi import BenchCsd, bench_cfdi
from shared.adapters.csd import CfdiSigner, generate_test_csd, load_signer
from shared.adapters.pac import FinkokClient
from shared.application.cfdi.services import CfdiServices, use_services
from shared.application.cfdi.stamping import load_config, stamp_run_inline


# --------------------------------------------------------------------------------------------- local PAC
def throwaway_csd(rfc: str, name: str) -> BenchCsd:
    password = pysecrets.token_urlsafe(12)
    csd = generate_test_csd(
        rfc=rfc, name=name, password=password, valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    )
    return BenchCsd(csd.certificate_der, csd.key_der, password)


SIMULATOR_PIDS: list[int] = []


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def services_for(tenant_id: UUID, pac_url: str | None) -> CfdiServices | None:
    """Local services (throwaway CSD + simulator URL) unless real CSD secrets are configured."""
    if os.environ.get("CSD_CERTIFICATE") or pac_url is None:
        return None
    config = load_config(tenant_id)
    csd = throwaway_csd(config.issuer.rfc, config.issuer.name)
    signer = CfdiSigner(load_signer(certificate=csd.certificate_der, key=csd.key_der, password=csd.password))
    services = CfdiServices(signer=signer, pac=FinkokClient(base_url=pac_url, username="demo", password="demo"))  # noqa: S106 - simulator
    use_services(str(tenant_id), services)
    return services


# --------------------------------------------------------------------------------------------- for demo / bench
def demo_cfdi(tenant_id: UUID, run_id: int, out: Path) -> dict[str, Any]:
    """`make demo`: stamp the demo run against the local simulator and write one sample PDF and XML to `out`."""
    with local_simulator() as url:
        services = services_for(tenant_id, url)
        summary = stamp_run_inline(tenant_id=tenant_id, run_id=run_id, now=dt.datetime.now(dt.UTC), services=services)
    sample = write_sample(tenant_id, out)
    return {"stamping": summary, "sample": sample, "folder": str(out)}


def bench_cfdi_local(
    tenant_id: UUID, run_id: int, *, processes: int = 2, pac_workers: int = 8, full_check_every: int = 1
) -> dict[str, Any]:
    """`manage.py bench billing --cfdi`: build, sign and stamp the run against the local simulator (own process)."""
    config = load_config(tenant_id)
    csd = throwaway_csd(config.issuer.rfc, config.issuer.name)
    with local_simulator(full_check_every=full_check_every) as url:
        pid = SIMULATOR_PIDS[-1]
        before = process_cpu_seconds(pid)
        result = bench_cfdi(tenant_id, run_id, csd=csd, pac_url=url, processes=processes, pac_workers=pac_workers)
        simulator_cpu = process_cpu_seconds(pid) - before
    seconds = result.get("seconds") or 0
    return {
        **result,
        "simulator_full_check_every": full_check_every,
        "simulator_cpu_seconds": round(simulator_cpu, 2),
        "simulator_share_of_2_cores": round(simulator_cpu / (2 * seconds), 3) if seconds else None,
    }
