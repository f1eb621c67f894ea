"""`python manage.py webhooks ...`: the provider deliveries held because no tenant could be found for them
(`webhook_unrouted`), and their redrive into a tenant's inbox. Output is JSON; exit code 2 for usage errors."""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

import typer

from shared.application import payments, queues
from shared.platform.config import get_settings

USAGE_ERROR = 2
webhooks_app = typer.Typer(
    help="Webhooks de proveedores: notificaciones retenidas sin organismo y su reenvío.", no_args_is_help=True
)


@webhooks_app.callback()
def _webhooks() -> None:
    """Provider webhooks."""


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=USAGE_ERROR)


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def _enqueue(message: dict[str, Any]) -> None:
    queues.send(queue=get_settings().QUEUE_PAYMENTS, message=message)


@webhooks_app.command("unrouted")
def unrouted(
    include_redriven: Annotated[bool, typer.Option("--all", help="Include the ones already redriven")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
) -> None:
    """Verified deliveries no tenant was found for (held, oldest first), with the slug they came with."""
    rows = payments.unrouted_deliveries(include_redriven=include_redriven, limit=limit)
    _echo([{k: v for k, v in row._asdict().items() if k != "payload"} for row in rows])


@webhooks_app.command("redrive")
def redrive(
    unrouted_id: Annotated[int, typer.Option("--id", help="Held delivery id (see `webhooks unrouted`)", min=1)],
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug the delivery belongs to")],
    operator: Annotated[str, typer.Option("--by", help="Who redrives it (kept on the row)")] = "cli",
) -> None:
    """Move a held delivery into the tenant's inbox (queued for the ledger when it moves money); exactly once."""
    try:
        result = payments.redrive_unrouted(
            unrouted_id=unrouted_id, tenant_slug=tenant, operator=operator, enqueue=_enqueue
        )
    except (payments.TenantNotResolved, payments.UnroutedNotFound, payments.UnroutedEventElsewhere) as exc:
        _fail(str(exc))
    _echo(
        {
            "unrouted_id": unrouted_id,
            "tenant_id": result.tenant_id,
            "inbox_id": result.inbox_id,
            "outcome": result.outcome,
            "provider": result.provider,
            "event_id": result.event_id,
        }
    )
