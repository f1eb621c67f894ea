"""Development commands: migrate, serve, demo, seed, bench (registered on the operator CLI by `manage.py`)."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
from contextlib import ExitStack
from typing import Annotated

import typer

from cli.runtime import function_host, local_settings, stack
from devtools.commands import bench, chaos, demo, drill, seed, soak
from devtools.commands.cfdi_local import local_simulator, throwaway_csd
from devtools.seeding.reference import TENANT, seed_reference
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


def _local_cfdi_env(scope: ExitStack) -> dict[str, str]:
    """What `make demo` provisions, for `serve` too: a throwaway test CSD for the reference tenant's RFC and the PAC
    simulator (its own process), unless a CSD is configured (environment or local.settings.json). Without it
    every payment.applied of a stamped PPD invoice has no signer."""
    if os.environ.get("CSD_CERTIFICATE") or local_settings().get("CSD_CERTIFICATE"):
        return {}
    csd = throwaway_csd(str(TENANT["rfc"]), str(TENANT["fiscal_name"]).upper())
    pac_url = scope.enter_context(local_simulator())
    typer.echo(f"local CFDI: test CSD for {TENANT['rfc']} and the PAC simulator at {pac_url}", err=True)
    return {
        "CSD_CERTIFICATE": base64.b64encode(csd.certificate_der).decode(),
        "CSD_PRIVATE_KEY": base64.b64encode(csd.key_der).decode(),
        "CSD_PASSWORD": csd.password,
        "PAC_PROVIDER": "simulator",
        "PAC_URL": pac_url,
    }


def serve_command(port: Annotated[int, typer.Option("--port")] = 7071) -> None:
    """Serve the API and run queue and timer triggers against the local stack until Ctrl-C (with a local test CSD
    and the PAC simulator, as `make demo`, unless a CSD is configured)."""
    with ExitStack() as scope:
        s = scope.enter_context(stack())
        host = scope.enter_context(function_host(s, http_port=port, extra_env=_local_cfdi_env(scope)))
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
    app.add_typer(soak.soak_app, name="soak")
    app.add_typer(drill.drill_app, name="drill")
    app.add_typer(chaos.chaos_app, name="chaos")
