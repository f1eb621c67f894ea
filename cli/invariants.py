"""`manage.py invariants check`: every ledger and monthly-cycle invariant (account-period billed once, gapless
folios, one live UUID per invoice, signed bytes kept until stamped, ledger rules) per tenant; exit 1 on a violation."""

from __future__ import annotations

import json

import typer

from cli import runtime
from shared.application import invariants

invariants_app = typer.Typer(help="Invariantes del ciclo mensual y del libro mayor.", no_args_is_help=True)


@invariants_app.command("check")
def check_command(
    tenant: str = typer.Option("", help="Tenant id (UUID); all tenants when empty."),
    limit: int = typer.Option(20, min=1, help="Violating rows shown per invariant."),
) -> None:
    """Check every invariant; prints one JSON report per tenant and exits 1 when one is violated."""
    with runtime.database():
        reports = (
            [invariants.check_tenant(tenant_id=tenant, limit=limit)] if tenant else invariants.check_all(limit=limit)
        )
    for report in reports:
        typer.echo(
            json.dumps(
                {
                    "tenant_id": str(report.tenant_id),
                    "ok": report.ok,
                    "checked": report.checked,
                    "failed": report.failed(),
                    "violations": {k: v for k, v in report.violations.items() if v},
                },
                default=str,
            )
        )
    if not reports:
        typer.echo("no tenants", err=True)
        raise typer.Exit(1)
    if not all(r.ok for r in reports):
        raise typer.Exit(1)
