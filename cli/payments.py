"""`python manage.py payments ...` (and `python manage.py ledger check`): ledger check, poison replay, daily
reconciliation, provider re-fetch, suspense queue. Output is JSON; exit code 1 when the ledger check finds
violations or a reconciliation does not balance, 2 for usage errors."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, NoReturn
from uuid import UUID

import typer

from shared.application.payments import ledger, poison, reconcile
from shared.data import db

USAGE_ERROR = 2
payments_app = typer.Typer(help="Pagos: verificación del ledger, reproceso de mensajes envenenados, conciliación.",
                           no_args_is_help=True)
ledger_app = typer.Typer(help="Ledger de cuentas: verificación de invariantes.", no_args_is_help=True)


@payments_app.callback()
def _payments() -> None:
    """Payments operations."""


@ledger_app.callback()
def _ledger() -> None:
    """Account ledger."""


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=USAGE_ERROR)


def _tenants(slug: str | None) -> list[UUID]:
    if slug is None:
        return ledger.all_tenants()
    tenant = db.resolve_tenant(slug)
    if tenant is None:
        _fail(f"unknown tenant {slug!r}")
    return [UUID(str(tenant))]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--date must be YYYY-MM-DD, got {text!r}")


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


TenantOpt = Annotated[str | None, typer.Option("--tenant", help="Tenant slug (default: every tenant)")]


def _ledger_check(tenant: str | None) -> None:
    reports = [ledger.check_tenant(t) for t in _tenants(tenant)]
    _echo([{"tenant_id": r.tenant_id, "ok": r.ok, "suspense_count": r.suspense_count,
            "suspense_amount": r.suspense_amount, "violations": {k: v for k, v in r.violations.items() if v}}
           for r in reports])
    if not all(r.ok for r in reports):
        raise typer.Exit(code=1)


@payments_app.command("ledger-check")
def ledger_check(tenant: TenantOpt = None) -> None:
    """Check the ledger invariants (balance = charges − payments ± adjustments, allocations within payments and
    invoices, no negative allocation, every movement has a source)."""
    _ledger_check(tenant)


@ledger_app.command("check")
def ledger_check_alias(tenant: TenantOpt = None) -> None:
    """Same as `payments ledger-check`."""
    _ledger_check(tenant)


@payments_app.command("replay-poison")
def replay_poison(tenant: TenantOpt = None,
                  inbox_id: Annotated[int | None, typer.Option("--inbox-id", help="Only this inbox row")] = None,
                  list_only: Annotated[bool, typer.Option("--list", help="List, do not replay")] = False) -> None:
    """Re-apply payments-queue messages that went to the poison queue (idempotent)."""
    out: list[Any] = []
    for t in _tenants(tenant):
        if list_only:
            out.extend({"tenant_id": t, **p} for p in poison.list_poison(t))
        else:
            out.extend({"tenant_id": o.tenant_id, "inbox_id": o.inbox_id, "result": o.result}
                       for o in poison.replay_poison(t, inbox_id=inbox_id))
    _echo(out)


@payments_app.command("reconcile")
def reconcile_day(date_: Annotated[str, typer.Option("--date", help="Day to reconcile, YYYY-MM-DD")],
                  tenant: TenantOpt = None) -> None:
    """Daily report per provider and channel: expected from provider events vs applied."""
    day = _day(date_)
    out = []
    for t in _tenants(tenant):
        for r in reconcile.reconcile_day(tenant_id=t, day=day):
            out.append({"tenant_id": t, "day": day, "provider": r.provider, "channel": r.channel,
                        "expected": {"count": r.expected_count, "amount": r.expected_amount},
                        "applied": {"count": r.applied_count, "amount": r.applied_amount},
                        "unmatched": {"count": r.unmatched_count, "amount": r.unmatched_amount},
                        "missing": r.missing, "balanced": r.balanced})
    _echo(out)
    if not all(o["balanced"] for o in out):
        raise typer.Exit(code=1)


@payments_app.command("refetch")
def refetch(provider: Annotated[str, typer.Option("--provider", help="conekta")],
            date_: Annotated[str, typer.Option("--date", help="Day to re-fetch, YYYY-MM-DD")],
            tenant: TenantOpt = None,
            base_url: Annotated[str, typer.Option("--base-url", help="Provider API URL")] = "https://api.conekta.io",
            ) -> None:
    """Fetch the provider's events of a day and apply the ones never received (idempotent)."""
    day = _day(date_)
    out = []
    for t in _tenants(tenant):
        try:
            result = reconcile.refetch_day(tenant_id=t, provider=provider, day=day, base_url=base_url)
        except ValueError as exc:
            _fail(str(exc))
        out.append({"tenant_id": t, "fetched": result.fetched, "stored": result.stored, "applied": result.applied})
    _echo(out)


@payments_app.command("suspense")
def suspense(tenant: TenantOpt = None) -> None:
    """Unmatched payments waiting for an operator."""
    from shared.data import payments as data

    out = []
    for t in _tenants(tenant):
        with db.tenant_transaction(t) as conn:
            out.extend({"tenant_id": t, **row} for row in data.unmatched_payments(conn))
    _echo(out)
