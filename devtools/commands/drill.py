"""`manage.py drill restore`: the local point-in-time recovery drill (devtools/drill/restore.py), the same steps
scripts/restore_drill.sh runs against Azure; prints the measured RTO/RPO and the invariants as JSON."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from devtools.drill.restore import DrillFailed, run_drill

drill_app = typer.Typer(help="Simulacros de recuperación (local).", no_args_is_help=True)


@drill_app.command("restore")
def restore_command(
    accounts: Annotated[int, typer.Option("--accounts", min=10, help="Synthetic accounts to bill.")] = 300,
    sectors: Annotated[int, typer.Option("--sectors", min=1, help="Hydraulic sectors.")] = 2,
) -> None:
    """PITR drill on private clusters: bill two months, restore point, incident, SIGKILL, recover, invariants."""
    with tempfile.TemporaryDirectory(prefix="supra-drill-") as scratch:
        try:
            result = run_drill(root=Path(scratch), accounts=accounts, sectors=sectors)
        except DrillFailed as exc:
            typer.echo(f"drill failed: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(result.as_json())
    if not result.invariants_ok or result.rows_lost:
        raise typer.Exit(1)
