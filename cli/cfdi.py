"""`manage.py cfdi ...`: stamp a billing run, cancel, SAT status, a sample PDF; plus the helpers `make demo` and
`manage.py bench billing --cfdi` call (`demo_cfdi`, `bench_cfdi_local`) and a tuned local PAC simulator.

Without CSD secrets in the environment, `stamp` and the demo use a throwaway test CSD for the tenant's RFC (made in
memory, never written) and the local PAC simulator; with CSD_CERTIFICATE / CSD_PRIVATE_KEY / CSD_PASSWORD and
PAC_URL set they use those.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets as pysecrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from cli.runtime import stack
from shared.adapters.csd import CfdiSigner, generate_test_csd, load_signer
from shared.adapters.pac import FinkokClient
from shared.adapters.pdf import render_bill_pdf
from shared.application.cfdi import corrections
from shared.application.cfdi.bench import BenchCsd, bench_cfdi
from shared.application.cfdi.bill import bill_data
from shared.application.cfdi.services import CfdiServices, use_services
from shared.application.cfdi.stamping import load_config, stamp_run_inline
from shared.data import cfdi as cfdi_data
from shared.data import db

cfdi_app = typer.Typer(help="CFDI 4.0: timbrado, cancelación, estado ante el SAT y recibo PDF.", no_args_is_help=True)
TenantOpt = Annotated[str, typer.Option("--tenant", help="Tenant slug")]


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _tenant(slug: str) -> UUID:
    found = db.resolve_tenant(slug)
    if found is None:
        _fail(f"tenant {slug!r} not found", 2)
    assert found is not None
    return found


# --------------------------------------------------------------------------------------------- local PAC
def throwaway_csd(rfc: str, name: str) -> BenchCsd:
    password = pysecrets.token_urlsafe(12)
    csd = generate_test_csd(rfc=rfc, name=name, password=password,
                            valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    return BenchCsd(csd.certificate_der, csd.key_der, password)


SIMULATOR_PIDS: list[int] = []


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def local_simulator(*, full_check_every: int = 1) -> Iterator[str]:
    """Start the PAC simulator in its own process; yields its URL (its pid is in SIMULATOR_PIDS meanwhile)."""
    command = [sys.executable, "-m", "cli.cfdi", "simulator", "--full-check-every", str(full_check_every)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,  # noqa: S603
                            cwd=Path(__file__).resolve().parents[1])
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


def _services_for(tenant_id: UUID, pac_url: str | None) -> CfdiServices | None:
    """Local services (throwaway CSD + simulator URL) unless real CSD secrets are configured."""
    if os.environ.get("CSD_CERTIFICATE") or pac_url is None:
        return None
    config = load_config(tenant_id)
    csd = throwaway_csd(config.issuer.rfc, config.issuer.name)
    signer = CfdiSigner(load_signer(certificate=csd.certificate_der, key=csd.key_der, password=csd.password))
    services = CfdiServices(signer=signer, pac=FinkokClient(base_url=pac_url, username="demo", password="demo"))  # noqa: S106 - simulator
    use_services(str(tenant_id), services)
    return services


# --------------------------------------------------------------------------------------------- commands
@cfdi_app.command("stamp")
def stamp(run_id: Annotated[int, typer.Option("--run")], tenant: TenantOpt = "cea-queretaro",
          publish: Annotated[bool, typer.Option("--publish/--no-publish")] = True) -> None:
    """Stamp (and publish) the issued invoices of a billing run, in this process. Safe to run again."""
    with stack():
        tenant_id = _tenant(tenant)
        if os.environ.get("CSD_CERTIFICATE"):
            typer.echo(json.dumps(stamp_run_inline(tenant_id, run_id, publish=publish), default=str, indent=2))
            return
        with local_simulator() as url:
            services = _services_for(tenant_id, url)
            typer.echo(json.dumps(stamp_run_inline(tenant_id, run_id, services=services, publish=publish),
                                  default=str, indent=2))


@cfdi_app.command("cancel")
def cancel(invoice_id: Annotated[int, typer.Option("--invoice")],
           motivo: Annotated[str, typer.Option("--motivo", help="01, 02, 03 o 04")],
           substitute: Annotated[str | None, typer.Option("--substitute", help="UUID sustituto (motivo 01)")] = None,
           tenant: TenantOpt = "cea-queretaro") -> None:
    """Request the cancellation of the invoice's Ingreso CFDI (uses the configured PAC and CSD)."""
    with stack():
        tenant_id = _tenant(tenant)
        from shared.application.cfdi.bill import live_ingreso

        with db.tenant_transaction(tenant_id) as conn:
            doc = live_ingreso(conn, invoice_id)
        if doc is None or doc["uuid"] is None:
            _fail(f"la factura {invoice_id} no tiene un CFDI timbrado", 2)
        assert doc is not None
        try:
            result = corrections.cancel(tenant_id=tenant_id, uuid=str(doc["uuid"]), motivo=motivo,
                                        substitute_uuid=substitute)
        except corrections.CorrectionError as exc:
            _fail(str(exc), 2)
        typer.echo(json.dumps(result, default=str, indent=2))


@cfdi_app.command("status")
def status(uuid: Annotated[str, typer.Option("--uuid")], tenant: TenantOpt = "cea-queretaro") -> None:
    """SAT status of a CFDI (through the PAC); confirms cancellations in progress."""
    with stack():
        try:
            result = corrections.poll_status(tenant_id=_tenant(tenant), uuid=uuid)
        except corrections.CorrectionError as exc:
            _fail(str(exc), 2)
        typer.echo(json.dumps(result, default=str, indent=2))


@cfdi_app.command("sample-pdf")
def sample_pdf(out: Annotated[Path, typer.Option("--out", help="Directorio de salida")],
               invoice_id: Annotated[int | None, typer.Option("--invoice")] = None,
               tenant: TenantOpt = "cea-queretaro") -> None:
    """Write the PDF bill (and stamped XML when there is one) of an invoice (default: the latest issued)."""
    with stack():
        tenant_id = _tenant(tenant)
        typer.echo(json.dumps(write_sample(tenant_id, out, invoice_id), indent=2))


def write_sample(tenant_id: UUID, out: Path, invoice_id: int | None = None) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    if invoice_id is None:
        with db.tenant_transaction(tenant_id) as conn:
            row = conn.execute(
                """SELECT i.id FROM invoices i LEFT JOIN cfdi_documents d ON d.invoice_id = i.id AND d.kind = 'I'
                                                                         AND d.status = 'stamped'
                   WHERE i.status = 'issued' ORDER BY (d.id IS NOT NULL) DESC, i.previous_balance > 0 DESC, i.id DESC
                   LIMIT 1""").fetchone()
        if row is None:
            raise LookupError("no issued invoice")
        invoice_id = int(row[0])
    bill, doc = bill_data(tenant_id, invoice_id)
    pdf_path = out / f"recibo-{invoice_id}.pdf"
    pdf_path.write_bytes(render_bill_pdf(bill))
    written: dict[str, Any] = {"invoice_id": invoice_id, "pdf": str(pdf_path)}
    if doc is not None and doc["uuid"] is not None:
        with db.tenant_transaction(tenant_id) as conn:
            xml = cfdi_data.stamped_xml(conn, int(doc["id"]))
        if xml:
            xml_path = out / f"{str(doc['uuid']).upper()}.xml"
            xml_path.write_bytes(xml)
            written["xml"] = str(xml_path)
    return written


@cfdi_app.command("simulator", hidden=True)
def simulator(port: Annotated[int, typer.Option("--port")] = 0,
              full_check_every: Annotated[int, typer.Option("--full-check-every", min=1)] = 1) -> None:
    """Run the local PAC simulator in this process; prints its URL. Every n-th document gets the full PAC check
    (XSD, cadena, Sello), the rest the structural checks (`--full-check-every`, for load tests only)."""
    from fakes.pac_simulator import PacSimulator
    from shared.platform.gc_tuning import tune_for_batch_work

    sim = PacSimulator(port=port, max_age_hours=72, full_check_every=full_check_every).start()
    tune_for_batch_work()
    print(sim.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


# --------------------------------------------------------------------------------------------- for demo / bench
def demo_cfdi(tenant_id: UUID, run_id: int, out: Path) -> dict[str, Any]:
    """`make demo`: stamp the demo run against the local simulator and write one sample PDF and XML to `out`."""
    with local_simulator() as url:
        services = _services_for(tenant_id, url)
        summary = stamp_run_inline(tenant_id, run_id, services=services)
    sample = write_sample(tenant_id, out)
    return {"stamping": summary, "sample": sample, "folder": str(out)}


def bench_cfdi_local(tenant_id: UUID, run_id: int, *, processes: int = 2, pac_workers: int = 8,
                     full_check_every: int = 1) -> dict[str, Any]:
    """`manage.py bench billing --cfdi`: build, sign and stamp the run against the local simulator (own process)."""
    config = load_config(tenant_id)
    csd = throwaway_csd(config.issuer.rfc, config.issuer.name)
    with local_simulator(full_check_every=full_check_every) as url:
        pid = SIMULATOR_PIDS[-1]
        before = process_cpu_seconds(pid)
        result = bench_cfdi(tenant_id, run_id, csd=csd, pac_url=url, processes=processes, pac_workers=pac_workers)
        simulator_cpu = process_cpu_seconds(pid) - before
    seconds = result.get("seconds") or 0
    return {**result, "simulator_full_check_every": full_check_every, "simulator_cpu_seconds": round(simulator_cpu, 2),
            "simulator_share_of_2_cores": round(simulator_cpu / (2 * seconds), 3) if seconds else None}


if __name__ == "__main__":
    cfdi_app()
