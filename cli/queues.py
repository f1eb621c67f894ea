"""`python manage.py queues dead|replay`: the dead letters of every queue (messages that exhausted their retries,
kept with their last error by the poison triggers) and their replay once the cause is fixed. Output is JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from cli.runtime import database
from shared.application import consumers, dead_letters

queues_app = typer.Typer(help="Colas: mensajes muertos (poison) y su reproceso.", no_args_is_help=True)
QueueOpt = Annotated[str, typer.Option("--queue", help="Queue name (domain-events, payments-in, notifications)")]


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


@queues_app.command("dead")
def dead(
    queue: Annotated[str | None, typer.Option("--queue", help="Only this queue")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include the replayed ones")] = False,
) -> None:
    """List the dead letters not replayed yet (body omitted), oldest first."""
    with database():
        letters = dead_letters.list_letters(queue=queue, include_replayed=all_)
    _echo([{k: v for k, v in letter.__dict__.items() if k != "body"} for letter in letters])


@queues_app.command("replay")
def replay(
    queue: QueueOpt,
    ids: Annotated[list[int] | None, typer.Option("--id", help="Only these dead letters (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcomes as JSON (the default)")] = True,
) -> None:
    """Replay the open dead letters of a queue once each (a replayed letter is closed: replaying again is a no-op).
    Exit 1 when any replay failed (it stays open, with the error as its result)."""
    consumers.install()  # domain events are replayed in process through the installed consumers
    try:
        with database():
            outcomes = dead_letters.replay(queue=queue, ids=ids or None, now=datetime.now(UTC))
    except dead_letters.UnknownQueue as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    _echo([o.__dict__ for o in outcomes])
    if any(not o.succeeded for o in outcomes):
        raise typer.Exit(1)
