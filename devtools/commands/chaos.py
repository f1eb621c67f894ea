"""`manage.py chaos soak`: SIGKILL the function host and its activity workers at random points of billing, issuing
and stamping, restart, and check every invariant after each kill (devtools/chaos/soak.py). Bounded in kills and
time; prints the report as JSON."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from devtools.chaos.soak import SoakFailed, run_soak
from devtools.commands.seed import seed_command
from devtools.devstack.stack import local_stack

chaos_app = typer.Typer(help="Pruebas de caída (SIGKILL) del ciclo mensual.", no_args_is_help=True)


@chaos_app.command("soak")
def soak_command(
    accounts: Annotated[int, typer.Option("--accounts", min=10)] = 200,
    periods: Annotated[
        str, typer.Option("--periods", help="Comma-separated YYYY-MM, oldest first.")
    ] = "2026-10,2026-11",
    kills: Annotated[int, typer.Option("--kills-per-period", min=1)] = 10,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    max_delay: Annotated[
        float, typer.Option("--max-delay", help="Longest wait after the chosen phase starts (s).")
    ] = 4.0,
    max_seconds: Annotated[float, typer.Option("--max-seconds", help="Stop killing after this long.")] = 3600.0,
) -> None:
    """On a throwaway stack: seed, then for each period kill N attempts of `bill --issue`, close it, check."""
    chosen = [p.strip() for p in periods.split(",") if p.strip()]
    with (
        tempfile.TemporaryDirectory(prefix="supra-chaos-") as scratch,
        local_stack(throwaway=True, root=Path(scratch)) as s,
    ):
        seed_command(accounts=accounts, sectors=2, months=14, seed=seed, until="2026-12", database_url=s.migrations_url)
        try:
            report = run_soak(
                env=s.env(),
                periods=chosen,
                kills_per_period=kills,
                seed=seed,
                max_delay=max_delay,
                max_seconds=max_seconds,
            )
        except SoakFailed as exc:
            typer.echo(f"soak failed: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(report.as_json())
