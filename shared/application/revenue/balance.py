"""Sector water balance use cases: import macro-meter reads and authorised unbilled volumes (whole batch or
nothing), the balance per sector and month over a 12-month window, the sector ranking, CSV and PNG."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.adapters import charts
from shared.application.access.principal import ALL_DATA, READINGS_WRITE, Principal
from shared.data import revenue as sql
from shared.data.db import use_case_transaction
from shared.domain.errors import Invalid, NotFound
from shared.domain.money import ZERO
from shared.domain.revenue.balance import (
    SectorMonthBalance,
    SectorRank,
    balance_of,
    build_inputs,
    monthly_supply,
    rank_sectors,
)
from shared.domain.revenue.macro_reads import validate_batch, validate_unbilled
from shared.domain.revenue.months import add_months, window
from shared.domain.revenue.settings import parse_settings

TREND_MONTHS = 12


class NoMacroReads(Invalid):
    default_code = "no_macro_reads"

    def __init__(self, period: date) -> None:
        month = period.isoformat()[:7]
        super().__init__(None, f"No hay lecturas de macromedidor que cubran {month}; importe las lecturas primero.")


class UnknownSector(NotFound):
    default_code = "unknown_sector"

    def __init__(self, code: str) -> None:
        super().__init__(None, f"No existe el sector hidráulico '{code}'.")


def import_macro_reads(
    *, principal: Principal, rows: Sequence[Mapping[str, str | None]], batch: str, now: datetime
) -> dict[str, int]:
    """Validate the whole batch against itself and the stored reads, then write it in one COPY; any bad row
    rejects the batch (MacroReadsRejected with every row's problem). Rows already stored as they are are skipped."""
    principal.require(READINGS_WRITE)
    principal.require(ALL_DATA)
    with use_case_transaction(principal.tenant_id) as conn:
        sql.lock_macro_reads(conn, tenant_id=principal.tenant_id)
        sectors = sql.sector_ids(conn)
        meters = sorted({str(r.get("meter") or "").strip() for r in rows})
        fresh = validate_batch(rows=rows, sectors=sectors, stored=sql.stored_intervals(conn, meters=meters))
        written = sql.insert_intervals(
            conn, tenant_id=principal.tenant_id, intervals=fresh, sectors=sectors, batch=batch, at=now
        )
    return {"rows": len(rows), "written": written, "already_stored": len(rows) - written}


def record_unbilled(*, principal: Principal, rows: Sequence[Mapping[str, str | None]], now: datetime) -> dict[str, int]:
    """Authorised unbilled volumes per sector, month and tenant category (a correction replaces the value)."""
    principal.require(READINGS_WRITE)
    principal.require(ALL_DATA)
    with use_case_transaction(principal.tenant_id) as conn:
        settings = parse_settings(sql.tenant_config(conn))
        sectors = sql.sector_ids(conn)
        entries = validate_unbilled(rows=rows, sectors=sectors, categories=settings.unbilled_categories)
        changed = sql.upsert_unbilled(
            conn,
            tenant_id=principal.tenant_id,
            rows=[sql.UnbilledVolume(e.sector, e.period, e.category, e.volume_m3) for e in entries],
            sectors=sectors,
            at=now,
        )
    return {"rows": len(rows), "changed": changed}


@dataclass(frozen=True)
class WaterBalance:
    period: date
    months: tuple[date, ...]
    balances: tuple[SectorMonthBalance, ...]
    ranking: tuple[SectorRank, ...]

    def of_sector(self, sector: str) -> list[SectorMonthBalance]:
        return [b for b in self.balances if b.sector == sector]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.isoformat()[:7],
            "months": [m.isoformat()[:7] for m in self.months],
            "ranking": [r.to_dict() for r in self.ranking],
            "balances": [b.to_dict() for b in self.balances],
        }


def water_balance(
    *, principal: Principal, period: date, months: int = TREND_MONTHS, sector: str | None = None
) -> WaterBalance:
    """The balance of every sector (or one) for the `months` months ending with `period`, and the ranking."""
    principal.require(ALL_DATA)
    span = window(last=period, months=months)
    start, end = span[0], add_months(span[-1], 1)
    with use_case_transaction(principal.tenant_id) as conn:
        settings = parse_settings(sql.tenant_config(conn))
        sectors = sorted(sql.sector_ids(conn))
        intervals = sql.intervals_between(conn, start=start, end=end)
        billed_rows = sql.billed_by_sector(conn, start=start, end=end)
        unbilled_rows = sql.unbilled_between(conn, start=start, end=end)
    if sector is not None:
        if sector not in sectors:
            raise UnknownSector(sector)
        sectors = [sector]
    supplied = monthly_supply(intervals=intervals, months=span)
    if not any((s, period) in supplied for s in sectors):
        raise NoMacroReads(period)
    billed = {(b.sector, b.period): (b.metered_m3, b.estimated_m3) for b in billed_rows}
    unbilled: dict[tuple[str, date], Decimal] = {}
    for u in unbilled_rows:
        unbilled[(u.sector, u.period)] = unbilled.get((u.sector, u.period), ZERO) + u.volume_m3
    inputs = build_inputs(sectors=sectors, months=span, supplied=supplied, billed=billed, unbilled=unbilled)
    balances = tuple(balance_of(inputs=i, settings=settings) for i in inputs)
    return WaterBalance(
        period=period,
        months=tuple(span),
        balances=balances,
        ranking=tuple(rank_sectors(balances=balances, period=period)),
    )


CSV_COLUMNS = (
    "sector",
    "period",
    "supplied_m3",
    "billed_metered_m3",
    "billed_estimated_m3",
    "unbilled_authorised_m3",
    "nrw_m3",
    "nrw_pct",
    "iwa_nrw_m3",
    "iwa_nrw_pct",
    "meter_under_registration_m3",
    "unauthorised_use_m3",
    "apparent_losses_m3",
    "real_losses_m3",
    "warnings",
)


def balance_csv(report: WaterBalance) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for b in report.balances:
        d = b.to_dict()
        writer.writerow(["|".join(d[c]) if c == "warnings" else ("" if d[c] is None else d[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def balance_png(report: WaterBalance, *, sector: str) -> bytes:
    rows = report.of_sector(sector)
    if not rows:
        raise UnknownSector(sector)
    return charts.water_balance_png(
        title=f"Balance hídrico sector {sector} — {report.period.isoformat()[:7]}",
        months=[b.period.isoformat()[:7] for b in rows],
        supplied=[b.supplied_m3 for b in rows],
        billed=[b.billed_authorised_m3 for b in rows],
        unbilled=[b.unbilled_authorised_m3 for b in rows],
        nrw_pct=[b.nrw_pct for b in rows],
    )
