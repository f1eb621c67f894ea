"""`manage.py cfdi ...`: stamp a billing run, cancel, SAT status, a sample PDF.

`stamp` starts a round of the durable stamping orchestration in the local function host. With CSD_CERTIFICATE /
CSD_PRIVATE_KEY / CSD_PASSWORD and PAC_URL set, its activities use them; without CSD secrets (a developer machine)
a throwaway test CSD and the local PAC simulator from `devtools/commands/cfdi_local.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from cli.runtime import stack
from functions.cfdi import RUN_ORCHESTRATOR
from shared.application.billing.runs import TenantNotFound, tenant_id_for
from shared.application.cfdi import corrections, publishing, stamping
from shared.domain.errors import SupraError

cfdi_app = typer.Typer(help="CFDI 4.0: timbrado, cancelación, estado ante el SAT y recibo PDF.", no_args_is_help=True)
TenantOpt = Annotated[str, typer.Option("--tenant", help="Tenant slug")]


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _tenant(slug: str) -> UUID:
    try:
        return tenant_id_for(slug)
    except TenantNotFound:
        _fail(f"tenant {slug!r} not found", 2)
        raise


# --------------------------------------------------------------------------------------------- commands
@cfdi_app.command("stamp")
def stamp(
    run_id: Annotated[int, typer.Option("--run")],
    tenant: TenantOpt = "cea-queretaro",
    publish: Annotated[
        bool, typer.Option("--publish/--no-publish", help="Publicar XML y PDF al timbrar (por omisión: al descargar)")
    ] = False,
) -> None:
    """Start a stamping round of an issued run through `cfdi_stamp_run_orchestrator` (the API's path) and wait for
    it. Safe to run again: a round sends only what is still pending."""
    from cli.billing import cfdi_host  # the function host that can stamp (configured CSD/PAC or local ones)

    with stack() as s:
        tenant_id = _tenant(tenant)
        try:
            opened = stamping.start_stamping(tenant_id=tenant_id, run_id=run_id)
        except SupraError as exc:
            _fail(str(exc), 2)
        with cfdi_host(s, tenant_id=tenant_id) as host:
            host.start_orchestration(RUN_ORCHESTRATOR, {**opened["input"], "publish": publish}, opened["instance_id"])
            record = host.wait_for(opened["instance_id"], timeout=24 * 3600)
        typer.echo(json.dumps({"status": record.status.name, "result": record.output}, default=str, indent=2))
        if record.status.name != "COMPLETED":
            raise typer.Exit(1)


@cfdi_app.command("cancel")
def cancel(
    invoice_id: Annotated[int, typer.Option("--invoice")],
    motivo: Annotated[str, typer.Option("--motivo", help="01, 02, 03 o 04")],
    substitute: Annotated[str | None, typer.Option("--substitute", help="UUID sustituto (motivo 01)")] = None,
    tenant: TenantOpt = "cea-queretaro",
) -> None:
    """Request the cancellation of the invoice's Ingreso CFDI (uses the configured PAC and CSD)."""
    with stack():
        try:
            result = corrections.cancel_invoice(
                tenant_id=_tenant(tenant), invoice_id=invoice_id, motivo=motivo, substitute_uuid=substitute
            )
        except SupraError as exc:
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
def sample_pdf(
    out: Annotated[Path, typer.Option("--out", help="Directorio de salida")],
    invoice_id: Annotated[int | None, typer.Option("--invoice")] = None,
    tenant: TenantOpt = "cea-queretaro",
) -> None:
    """Write the PDF bill (and stamped XML when there is one) of an invoice (default: the latest issued)."""
    with stack():
        tenant_id = _tenant(tenant)
        typer.echo(json.dumps(write_sample(tenant_id, out, invoice_id), indent=2))


def write_sample(tenant_id: UUID, out: Path, invoice_id: int | None = None) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    sample = publishing.sample_bill(tenant_id=tenant_id, invoice_id=invoice_id)
    pdf_path = out / f"recibo-{sample.invoice_id}.pdf"
    pdf_path.write_bytes(sample.pdf)
    written: dict[str, Any] = {"invoice_id": sample.invoice_id, "pdf": str(pdf_path)}
    if sample.uuid is not None and sample.xml:
        xml_path = out / f"{sample.uuid.upper()}.xml"
        xml_path.write_bytes(sample.xml)
        written["xml"] = str(xml_path)
    return written
