"""`manage.py revenue ...`: sector water balance (macro-meter reads, authorised unbilled volumes, report with CSV
and one PNG per sector), inspection candidates and their work orders."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.runtime import database
from shared.application import revenue
from shared.application.revenue import whatif
from shared.application.revenue.access import operator_principal
from shared.domain.errors import SupraError

revenue_app = typer.Typer(
    help="Protección de ingresos: balance hídrico por sector, candidatos a inspección.", no_args_is_help=True
)
Tenant = Annotated[str, typer.Option("--tenant")]
MACRO_CSV = "CSV: sector,meter,read_from,read_to,start_read,end_read"
UNBILLED_CSV = "CSV: sector,period,category,volume_m3"


def _csv_rows(path: Path) -> list[dict[str, str | None]]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            return [dict(r) for r in csv.DictReader(f)]
    except (UnicodeDecodeError, csv.Error) as exc:
        typer.echo(f"error: cannot read {path}: {exc}", err=True)
        raise typer.Exit(2) from exc


def fail(error: SupraError) -> typer.Exit:
    typer.echo(f"error [{error.code}]: {error.detail_es}", err=True)
    for problem in getattr(error, "problems", ()):
        typer.echo(f"  fila {problem.row}: [{problem.code}] {problem.message_es}", err=True)
    return typer.Exit(1)


def echo(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@revenue_app.command("macro-reads")
def import_macro_reads(
    file: Annotated[Path, typer.Option("--file", exists=True, dir_okay=False, help=MACRO_CSV)],
    tenant: Tenant = "cea-queretaro",
) -> None:
    """Import macro-meter reads: the whole file or nothing (exit 1 with every bad row)."""
    rows = _csv_rows(file)
    with database():
        try:
            p = operator_principal(tenant_slug=tenant)
            echo(revenue.import_macro_reads(principal=p, rows=rows, batch=file.name, now=datetime.now(UTC)))
        except SupraError as error:
            raise fail(error) from error


@revenue_app.command("unbilled")
def import_unbilled(
    file: Annotated[Path, typer.Option("--file", exists=True, dir_okay=False, help=UNBILLED_CSV)],
    tenant: Tenant = "cea-queretaro",
) -> None:
    """Record authorised unbilled volumes (tenant categories); the whole file or nothing."""
    rows = _csv_rows(file)
    with database():
        try:
            p = operator_principal(tenant_slug=tenant)
            echo(revenue.record_unbilled(principal=p, rows=rows, now=datetime.now(UTC)))
        except SupraError as error:
            raise fail(error) from error


@revenue_app.command("water-balance")
def water_balance(
    period: Annotated[str, typer.Option("--period", help="AAAA-MM")],
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for JSON, CSV and PNGs")] = Path(
        "water-balance"
    ),
    tenant: Tenant = "cea-queretaro",
) -> None:
    """Balance per sector and month (12 months to PERIOD), the ranking; writes JSON, CSV and one PNG per sector."""
    with database():
        try:
            p = operator_principal(tenant_slug=tenant)
            report = revenue.water_balance(principal=p, period=revenue.parse_period(period))
        except SupraError as error:
            raise fail(error) from error
    out.mkdir(parents=True, exist_ok=True)
    (out / f"water-balance-{period}.json").write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    (out / f"water-balance-{period}.csv").write_text(revenue.balance_csv(report), encoding="utf-8")
    for rank in report.ranking:
        (out / f"water-balance-{period}-{rank.sector}.png").write_bytes(revenue.balance_png(report, sector=rank.sector))
    echo({"out": str(out), "ranking": [r.to_dict() for r in report.ranking]})


@revenue_app.command("candidates")
def candidates(
    period: Annotated[str, typer.Option("--period", help="AAAA-MM")],
    sector: Annotated[str | None, typer.Option("--sector")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    tenant: Tenant = "cea-queretaro",
) -> None:
    """Ranked inspection candidates with their signals and evidence (12 months of reads to PERIOD)."""
    with database():
        try:
            p = operator_principal(tenant_slug=tenant)
            found = revenue.inspection_candidates(principal=p, period=revenue.parse_period(period), sector=sector)
        except SupraError as error:
            raise fail(error) from error
    echo(found.to_dict(limit=limit))


@revenue_app.command("inspect")
def inspect(
    period: Annotated[str, typer.Option("--period", help="AAAA-MM")],
    top: Annotated[int | None, typer.Option("--top", help="The first N candidates")] = None,
    account: Annotated[list[int] | None, typer.Option("--account", help="A candidate account (repeatable)")] = None,
    tenant: Tenant = "cea-queretaro",
) -> None:
    """Create inspection work orders from the candidate list (one per account and period)."""
    with database():
        try:
            p = operator_principal(tenant_slug=tenant)
            echo(
                revenue.create_inspection_orders(
                    principal=p,
                    period=revenue.parse_period(period),
                    account_ids=account,
                    top=top,
                    now=datetime.now(UTC),
                )
            )
        except SupraError as error:
            raise fail(error) from error


def _months(text: str) -> list[tuple[Any, Any]]:

    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        month, _, m3 = part.partition("=")
        try:
            out.append((revenue.parse_period(month), Decimal(m3)))
        except (InvalidOperation, SupraError) as exc:
            typer.echo(f"error: '{part}' is not YYYY-MM=m3", err=True)
            raise typer.Exit(2) from exc
    return out


@revenue_app.command("outcome")
def outcome(
    work_order: Annotated[int, typer.Option("--work-order")],
    result: Annotated[str, typer.Option("--outcome", help="fraud_confirmed | meter_fault | no_finding")],
    months: Annotated[str, typer.Option("--months", help="Assessed m³ per month: 2026-08=20,2026-09=20")] = "",
    notes: Annotated[str, typer.Option("--notes")] = "",
    tenant: Tenant = "cea-queretaro",
) -> None:
    """Record an inspection's outcome: fraud case, back-bill or credits priced month by month."""
    assessed = _months(months)
    with database():
        try:
            p = operator_principal(tenant_slug=tenant)
            echo(
                revenue.record_inspection_outcome(
                    principal=p,
                    work_order_id=work_order,
                    outcome=result,
                    assessed=assessed,
                    notes=notes,
                    now=datetime.now(UTC),
                )
            )
        except SupraError as error:
            raise fail(error) from error


def tariff_what_if(
    draft: Annotated[Path, typer.Option("--draft", exists=True, dir_okay=False, help="Draft tariff JSON")],
    period: Annotated[str, typer.Option("--period", help="Last month replayed, AAAA-MM")],
    months: Annotated[int, typer.Option("--months", min=1, help="Months replayed, ending with PERIOD")] = 1,
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for JSON, CSV and PNGs")] = Path(
        "tariff-what-if"
    ),
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=100)] = 5000,
    tenant: Tenant = "cea-queretaro",
) -> None:
    """Replay the span's invoices through a draft tariff (nothing real is touched): revenue by class and sector, bill
    changes, affordability, Art. 74; the same chunk steps as the durable orchestration, in this process."""
    text = draft.read_bytes()
    with database():
        try:
            p = operator_principal(tenant_slug=tenant)
            started = whatif.start_whatif(
                principal=p, draft_text=text, period=revenue.parse_period(period), months=months, now=datetime.now(UTC)
            )
            if started.status != "completed":
                whatif.run_inline(
                    tenant_id=p.tenant_id, run_id=started.run_id, now=datetime.now(UTC), chunk_size=chunk_size
                )
            found = whatif.get_whatif(principal=p, run_id=started.run_id)
        except SupraError as error:
            raise fail(error) from error
    out.mkdir(parents=True, exist_ok=True)
    stem = f"what-if-{started.run_id}"
    (out / f"{stem}.json").write_text(json.dumps(found["report"], indent=2, ensure_ascii=False), encoding="utf-8")
    (out / f"{stem}.csv").write_text(whatif.whatif_csv(found), encoding="utf-8")
    for chart in whatif.CHARTS:
        (out / f"{stem}-{chart}.png").write_bytes(whatif.whatif_png(found, chart=chart))
    echo({"run_id": started.run_id, "out": str(out), "totals": found["report"]["totals"]})
