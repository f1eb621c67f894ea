"""`manage.py bill` and `manage.py billing ...`: run, follow, review, approve and hold a billing run.

Everything goes through the durable orchestrations the deployed app runs (`billing_run_orchestrator`, then
`billing_close_orchestrator`: issue, stamp), driven by the local runner's function host; an approval is the
same use case the API calls, followed by the same wake-up of the orchestration.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from cli.runtime import function_host, stack
from functions.billing import APPROVAL_EVENT, CLOSE_ORCHESTRATOR, RUN_ORCHESTRATOR
from shared.application.billing import periods, runs
from shared.domain.errors import SupraError

billing_app = typer.Typer(
    help="Corridas de facturación: estado, excepciones, revisión, aprobación y retención.", no_args_is_help=True
)
TenantOpt = Annotated[str, typer.Option("--tenant", help="Tenant slug")]
TERMINAL = ("COMPLETED", "FAILED", "TERMINATED")


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _bar(done: int, total: int, width: int = 40) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def follow(
    host: Any,
    *,
    tenant_id: Any,
    run_id: int,
    instance_id: str,
    quiet: bool = False,
    timeout: float = 3600,
    until_waiting: bool = True,
) -> dict[str, Any]:
    """Wait for the orchestration (or, with `until_waiting`, for the run to wait for approval), drawing the run's
    progress bar from the database. Returns the orchestration's status name, or AWAITING_APPROVAL."""
    deadline = time.monotonic() + timeout
    tty, shown = sys.stderr.isatty(), None
    while True:
        record = host.get_status(instance_id)
        progress = runs.progress(tenant_id=tenant_id, run_id=run_id)
        counts = (progress["accounts_done"], progress["accounts_total"])
        if not quiet and counts[1] and counts != shown:  # only when there is progress to show, once per change
            typer.echo(f"\r{_bar(*counts)}" if tty else _bar(*counts), nl=not tty, err=True)
            shown = counts
        done = record is not None and record.status.name in TERMINAL
        waiting = until_waiting and progress["status"] == "awaiting_approval"
        if done or waiting:
            if not quiet and tty and shown:
                typer.echo("", err=True)
            status = record.status.name if done and record is not None else "AWAITING_APPROVAL"
            return {
                "status": status,
                "output": record.output if record is not None else None,
                "custom_status": record.custom_status if record is not None else None,
                "progress": progress,
            }
        if time.monotonic() > deadline:
            _fail(f"timed out waiting for {instance_id}")
        time.sleep(0.25)


def run_billing(
    host: Any,
    *,
    tenant: str,
    period: str,
    sector: str | None,
    now: datetime,
    back_billing: bool = False,
    quiet: bool = False,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Start the run's orchestration and follow it until billing is done and the run waits for approval (or the
    policy issued it, or it failed). `options` go to the orchestration input (publish, chunk_size...)."""
    started = runs.start_run(
        tenant_slug=tenant,
        period=periods.parse_period(period),
        sector=sector,
        started_by="cli",
        now=now,
        back_billing=back_billing,
    )
    job = {**started.orchestration_input(), **(options or {})}
    host.start_orchestration(RUN_ORCHESTRATOR, job, started.instance_id)
    followed = follow(
        host, tenant_id=started.tenant_id, run_id=started.run_id, instance_id=started.instance_id, quiet=quiet
    )
    return {"run_id": started.run_id, "tenant_id": str(started.tenant_id), "job": job, **followed}


def wake(host: Any, approved: dict[str, Any], job: dict[str, Any]) -> str:
    """As `functions.billing.wake_after_approval` does through the durable client: raise the approval event to
    the waiting run orchestration, or start the closing orchestration when none waits."""
    instance_id = str(approved["instance_id"])
    record = host.get_status(instance_id)
    if record is not None and record.status.name in ("RUNNING", "PENDING"):
        host.raise_event(instance_id, APPROVAL_EVENT, {"by": approved["approved_by"]})
        return instance_id
    close_id = f"{instance_id}:close:{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    host.start_orchestration(CLOSE_ORCHESTRATOR, job, close_id)
    return close_id


def approve_and_close(
    host: Any, *, tenant_id: Any, run_id: int, job: dict[str, Any], reviewer: str, quiet: bool = False
) -> dict[str, Any]:
    """Approve the run (the API's use case), wake its orchestration and wait until it has issued and stamped."""
    approved = runs.approve_run(tenant_id=tenant_id, run_id=run_id, reviewer=reviewer, now=datetime.now(UTC))
    instance_id = wake(host, approved, job)
    return follow(host, tenant_id=tenant_id, run_id=run_id, instance_id=instance_id, quiet=quiet, until_waiting=False)


@contextmanager
def cfdi_host(s: Any, *, tenant_id: Any, workers: int = 2, full_check_every: int = 1) -> Iterator[Any]:
    """A function host that can stamp: the configured CSD and PAC when set, else (developer machine) a throwaway
    test CSD and the local PAC simulator."""
    from devtools.commands.cfdi_local import local_cfdi_env  # developer machine only

    with (
        local_cfdi_env(tenant_id, full_check_every=full_check_every) as env,
        function_host(s, workers=workers, extra_env=env) as host,
    ):
        yield host


def bill_command(
    period: Annotated[str, typer.Option("--period", help="Periodo AAAA-MM")],
    sector: Annotated[str | None, typer.Option("--sector", help="Solo este sector hidráulico")] = None,
    tenant: TenantOpt = "cea-queretaro",
    issue: Annotated[
        bool, typer.Option("--issue", help="Aprobar al terminar: emitir y timbrar (salvo corrida retenida)")
    ] = False,
    back_billing: Annotated[
        bool, typer.Option("--back-billing", help="Permitir un periodo antiguo (refacturación)")
    ] = False,
) -> None:
    """Run the billing for a period through the durable orchestration, with a progress bar."""
    try:
        with stack() as s:
            tenant_id = runs.tenant_id_for(tenant)
            with cfdi_host(s, tenant_id=tenant_id) as host:
                result = run_billing(
                    host, tenant=tenant, period=period, sector=sector, now=datetime.now(UTC), back_billing=back_billing
                )
                if issue and result["status"] == "AWAITING_APPROVAL":
                    reason = result["progress"].get("review_reason")
                    if reason:
                        result["not_issued"] = f"corrida retenida: {reason} (apruebe con `billing approve`)"
                    else:
                        result.update(
                            approve_and_close(
                                host, tenant_id=tenant_id, run_id=result["run_id"], job=result["job"], reviewer="cli"
                            )
                        )
    except SupraError as exc:
        _fail(str(exc), 2)
    typer.echo(json.dumps(result, indent=2, default=str))
    if result["status"] not in ("COMPLETED", "AWAITING_APPROVAL"):
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
        try:
            typer.echo(json.dumps(runs.progress(tenant_id=_tenant_id(tenant), run_id=run_id), indent=2))
        except SupraError as exc:
            _fail(str(exc), 2)


@billing_app.command("exceptions")
def exceptions(run_id: Annotated[int, typer.Option("--run")], tenant: TenantOpt = "cea-queretaro") -> None:
    """Invoices held for review, with their reasons."""
    with stack():
        try:
            held = runs.exceptions(tenant_id=_tenant_id(tenant), run_id=run_id)
        except SupraError as exc:
            _fail(str(exc), 2)
        typer.echo(json.dumps(held, indent=2, default=str))


@billing_app.command("approve")
def approve(
    run_id: Annotated[int, typer.Option("--run")],
    tenant: TenantOpt = "cea-queretaro",
    reviewer: Annotated[str, typer.Option("--by")] = "cli",
) -> None:
    """Approve a run waiting for approval: the closing orchestration issues (gapless folios) and stamps it."""
    with stack() as s:
        tenant_id = _tenant_id(tenant)
        with cfdi_host(s, tenant_id=tenant_id) as host:
            try:
                result = approve_and_close(
                    host,
                    tenant_id=tenant_id,
                    run_id=run_id,
                    job={"tenant_id": str(tenant_id), "run_id": run_id},
                    reviewer=reviewer,
                )
            except SupraError as exc:
                _fail(str(exc), 2)
        typer.echo(json.dumps(result, indent=2, default=str))


@billing_app.command("hold")
def hold(
    run_id: Annotated[int, typer.Option("--run")],
    reason: Annotated[str, typer.Option("--reason")],
    tenant: TenantOpt = "cea-queretaro",
    reviewer: Annotated[str, typer.Option("--by")] = "cli",
) -> None:
    """Hold a billed run that is not approved yet, with the reason."""
    with stack():
        try:
            result = runs.hold_run(
                tenant_id=_tenant_id(tenant), run_id=run_id, reviewer=reviewer, reason=reason, now=datetime.now(UTC)
            )
        except SupraError as exc:
            _fail(str(exc), 2)
        typer.echo(json.dumps(result, indent=2, default=str))


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
            runs.review_invoice(
                tenant_id=_tenant_id(tenant),
                invoice_id=invoice_id,
                action=action,
                reviewer=reviewer,
                now=datetime.now(UTC),
            )
        except SupraError as exc:
            _fail(str(exc), 2)
        typer.echo(f"invoice {invoice_id}: {action} ok")
