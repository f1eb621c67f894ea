"""`manage.py bill` and `manage.py billing ...`: run, follow, review and issue a billing run."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from cli.runtime import function_host, stack
from shared.application.billing import periods, runs

billing_app = typer.Typer(
    help="Corridas de facturación: estado, excepciones, revisión y emisión.", no_args_is_help=True
)
TenantOpt = Annotated[str, typer.Option("--tenant", help="Tenant slug")]


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _bar(done: int, total: int, width: int = 40) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def follow(host: Any, started: runs.StartedRun, *, quiet: bool = False, timeout: float = 3600) -> dict[str, Any]:
    """Wait for the orchestration, drawing the run's progress bar from the database."""
    deadline = time.monotonic() + timeout
    while True:
        record = host.get_status(started.instance_id)
        progress = runs.progress(tenant_id=started.tenant_id, run_id=started.run_id)
        if not quiet:
            typer.echo(f"\r{_bar(progress['accounts_done'], progress['accounts_total'])}", nl=False, err=True)
        if record is not None and record.status.name in ("COMPLETED", "FAILED", "TERMINATED"):
            if not quiet:
                typer.echo("", err=True)
            return {"status": record.status.name, "output": record.output, "progress": progress}
        if time.monotonic() > deadline:
            _fail(f"timed out waiting for {started.instance_id}")
        time.sleep(0.25)


def run_billing(host: Any, *, tenant: str, period: str, sector: str | None, quiet: bool = False) -> dict[str, Any]:
    started = runs.start_run(tenant_slug=tenant, period=periods.parse_period(period), sector=sector, started_by="cli")
    host.start_orchestration("billing_run_orchestrator", started.orchestration_input(), started.instance_id)
    return {"run_id": started.run_id, "tenant_id": str(started.tenant_id), **follow(host, started, quiet=quiet)}


def bill_command(
    period: Annotated[str, typer.Option("--period", help="Periodo AAAA-MM")],
    sector: Annotated[str | None, typer.Option("--sector", help="Solo este sector hidráulico")] = None,
    tenant: TenantOpt = "cea-queretaro",
    issue: Annotated[bool, typer.Option("--issue", help="Emitir los borradores al terminar")] = False,
) -> None:
    """Run the billing for a period through the durable orchestration, with a progress bar."""
    try:
        with stack() as s, function_host(s) as host:
            result = run_billing(host, tenant=tenant, period=period, sector=sector)
            if issue and result["status"] == "COMPLETED":
                result["issue"] = runs.issue_run(
                    tenant_id=result["tenant_id"], run_id=result["run_id"], now=datetime.now(UTC), reviewer="cli"
                )
    except (periods.InvalidPeriod, runs.NoTariffInForce, runs.TenantNotFound) as exc:
        _fail(str(exc), 2)
    typer.echo(json.dumps(result, indent=2, default=str))
    if result["status"] != "COMPLETED":
        raise typer.Exit(1)


def _tenant_id(tenant: str) -> Any:
    try:
        return runs.tenant_id_for(tenant)
    except runs.TenantNotFound as exc:
        _fail(str(exc), 2)


@billing_app.command("status")
def status(run_id: Annotated[int, typer.Option("--run")], tenant: TenantOpt = "cea-queretaro") -> None:
    """Progress and counters of a run (per sector)."""
    with stack():
        typer.echo(json.dumps(runs.progress(tenant_id=_tenant_id(tenant), run_id=run_id), indent=2))


@billing_app.command("exceptions")
def exceptions(run_id: Annotated[int, typer.Option("--run")], tenant: TenantOpt = "cea-queretaro") -> None:
    """Invoices held for review, with their reasons."""
    with stack():
        typer.echo(json.dumps(runs.exceptions(tenant_id=_tenant_id(tenant), run_id=run_id), indent=2, default=str))


@billing_app.command("approve")
def approve(
    run_id: Annotated[int, typer.Option("--run")],
    tenant: TenantOpt = "cea-queretaro",
    reviewer: Annotated[str, typer.Option("--by")] = "cli",
) -> None:
    """Issue every draft of a completed run (gapless folios); held invoices wait for review."""
    with stack():
        try:
            result = runs.issue_run(
                tenant_id=_tenant_id(tenant), run_id=run_id, now=datetime.now(UTC), reviewer=reviewer
            )
        except (runs.RunNotFound, runs.RunNotReady) as exc:
            _fail(str(exc), 2)
        typer.echo(json.dumps(result, indent=2))


@billing_app.command("review")
def review(
    invoice_id: Annotated[int, typer.Option("--invoice")],
    action: Annotated[str, typer.Option("--action", help="release | hold")],
    tenant: TenantOpt = "cea-queretaro",
    reviewer: Annotated[str, typer.Option("--by")] = "cli",
) -> None:
    """Release a held invoice for issue, or hold a draft."""
    with stack():
        try:
            runs.review_invoice(tenant_id=_tenant_id(tenant), invoice_id=invoice_id, action=action, reviewer=reviewer)
        except (ValueError, runs.InvoiceNotInState) as exc:
            _fail(str(exc), 2)
        typer.echo(f"invoice {invoice_id}: {action} ok")
