"""`manage.py readings import`: load a CSV or JSON file of meter reads (handheld/AMR exports)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.runtime import stack
from shared.application.billing import runs
from shared.application.readings.ingest import BatchTooLarge, ingest_reads

readings_app = typer.Typer(help="Lecturas de medidores: carga por lotes con validación (VEE).", no_args_is_help=True)
COLUMNS = ("meter_serial", "read_at", "value", "source", "source_id")


def _rows(path: Path) -> list[Any]:
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return data["reads"] if isinstance(data, dict) else data
    with path.open(newline="", encoding="utf-8") as f:
        return [
            {k: v for k, v in row.items() if k in (*COLUMNS, "photo_base64") and v != ""} for row in csv.DictReader(f)
        ]


@readings_app.command("import")
def import_reads(
    file: Annotated[Path, typer.Option("--file", exists=True, dir_okay=False)],
    tenant: Annotated[str, typer.Option("--tenant")] = "cea-queretaro",
) -> None:
    """Validate and store a batch; prints the per-row report. Exit 1 when any row was rejected."""
    try:
        rows = _rows(file)
    except (json.JSONDecodeError, KeyError, UnicodeDecodeError, csv.Error) as exc:
        typer.echo(f"error: cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    with stack():
        try:
            report = ingest_reads(tenant_id=runs.tenant_id_for(tenant), rows=rows, now=datetime.now(UTC))
        except (BatchTooLarge, runs.TenantNotFound) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    if report.rejected:
        raise typer.Exit(1)
