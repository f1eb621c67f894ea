"""`python manage.py events skipped|rerun`: the domain-event consumers skipped with a reason retrying does not fix
(a tenant without CSD, say), and running them again once the cause is fixed. Output is JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from cli.runtime import database
from shared.application import consumers, outbox

events_app = typer.Typer(help="Eventos de dominio: consumidores omitidos y su reproceso.", no_args_is_help=True)
ConsumerOpt = Annotated[str | None, typer.Option("--consumer", help="Only this consumer (e.g. cfdi-pagos)")]


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


@events_app.command("skipped")
def skipped(consumer: ConsumerOpt = None) -> None:
    """List the consumers skipped and not rerun yet, with their reason, per tenant."""
    with database():
        _echo(
            [
                {"tenant_id": t, **{k: v for k, v in s.__dict__.items() if k != "envelope"}}
                for t in outbox.tenant_ids()
                for s in outbox.skipped(tenant_id=t, consumer=consumer)
            ]
        )


@events_app.command("rerun")
def rerun(consumer: ConsumerOpt = None) -> None:
    """Run the skipped consumers again (after installing the CSD, say); exit 1 when any still fails or skips."""
    consumers.install()
    with database():
        out = [
            {"tenant_id": t, **r.__dict__}
            for t in outbox.tenant_ids()
            for r in outbox.rerun_skipped(tenant_id=t, now=datetime.now(UTC), consumer=consumer)
        ]
    _echo(out)
    if any(r["outcome"] != "ran" for r in out):
        raise typer.Exit(1)
