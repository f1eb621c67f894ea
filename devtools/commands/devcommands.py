"""Development commands: migrate, serve, demo, seed, bench (registered on the operator CLI by `manage.py`)."""

from __future__ import annotations

import json
import os
import signal
import threading
from typing import Annotated

import typer

from cli.runtime import function_host, stack
from devtools.commands import bench, demo, seed
from devtools.seeding.reference import seed_reference
from shared.data.migrate import migrate as run_migrations


def migrate_command(
    database_url: Annotated[str | None, typer.Option("--database-url", help="Owner-role URL")] = None,
) -> None:
    """Apply pending SQL migrations (owner role: --database-url or MIGRATIONS_DATABASE_URL)."""
    url = database_url or os.environ.get("MIGRATIONS_DATABASE_URL")
    if not url:
        typer.echo("error: set MIGRATIONS_DATABASE_URL or pass --database-url", err=True)
        raise typer.Exit(2)
    applied = run_migrations(url)
    typer.echo(json.dumps({"applied": applied}))


def serve_command(port: Annotated[int, typer.Option("--port")] = 7071) -> None:
    """Serve the API and run queue and timer triggers against the local stack until Ctrl-C."""
    with stack() as s, function_host(s, http_port=port) as host:
        seed_reference(s.migrations_url)  # tenant cea-queretaro and its tariffs (idempotent)
        host.start_background_triggers()
        typer.echo(f"SUPRA Water listening on {host.base_url}/api (Ctrl-C to stop)")
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait()


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate_command)
    app.command("serve")(serve_command)
    app.command("demo")(demo.demo_command)
    app.command("seed")(seed.seed_command)
    app.add_typer(bench.bench_app, name="bench")
