"""Sector water balance per month, in the terms of the IWA/AWWA standard water balance where the data allows.

    system input (supplied, from macro meters)
      = billed metered + billed estimated             (billed authorised consumption = revenue water)
      + unbilled authorised (tenant categories)       (→ authorised consumption)
      + water losses
    water losses = apparent losses (customer-meter under-registration + unauthorised use) + real losses

`nrw_m3` is the issue's definition, supplied − billed − unbilled authorised (the IWA "water losses");
`iwa_nrw_m3` is the IWA non-revenue water, supplied − billed (it includes the unbilled authorised volume).
Apparent losses are estimates from the tenant's settings; real losses are the remainder (negative when the
estimates exceed the losses, flagged in `warnings`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shared.domain.money import ZERO, decimal_str
from shared.domain.revenue.macro_reads import MacroInterval
from shared.domain.revenue.months import add_months
from shared.domain.revenue.settings import RevenueSettings

M3 = Decimal("0.001")
PCT = Decimal("0.01")


def m3(value: Decimal) -> Decimal:
    return value.quantize(M3, rounding=ROUND_HALF_UP)


def monthly_supply(*, intervals: Iterable[MacroInterval], months: Sequence[date]) -> dict[tuple[str, date], Decimal]:
    """Volume per (sector, month): each interval's volume split over the months it covers in proportion to days
    (rounded to litres cumulatively, so an interval's pieces add up to it and none is negative)."""
    wanted = set(months)
    out: dict[tuple[str, date], Decimal] = {}
    for r in intervals:
        days = (r.read_to - r.read_from).days
        month = r.read_from.replace(day=1)
        pieces: list[tuple[date, Decimal]] = []
        elapsed, allotted = 0, ZERO
        while month < r.read_to:
            nxt = add_months(month, 1)
            overlap = (min(nxt, r.read_to) - max(month, r.read_from)).days
            if overlap > 0:
                elapsed += overlap
                # cumulative rounding: each month gets round(V·elapsed/D) − what earlier months got, so the pieces
                # are never negative and add up to the interval exactly
                upto = r.volume_m3 if elapsed == days else m3(r.volume_m3 * elapsed / days)
                pieces.append((month, upto - allotted))
                allotted = upto
            month = nxt
        for month, volume in pieces:
            if month in wanted:
                key = (r.sector_code, month)
                out[key] = out.get(key, ZERO) + volume
    return out


@dataclass(frozen=True)
class SectorMonthInputs:
    sector: str
    period: date
    supplied_m3: Decimal
    billed_metered_m3: Decimal
    billed_estimated_m3: Decimal
    unbilled_authorised_m3: Decimal
    has_macro_reads: bool


@dataclass(frozen=True)
class SectorMonthBalance:
    sector: str
    period: date
    has_macro_reads: bool
    supplied_m3: Decimal
    billed_metered_m3: Decimal
    billed_estimated_m3: Decimal
    billed_authorised_m3: Decimal
    unbilled_authorised_m3: Decimal
    authorised_consumption_m3: Decimal
    nrw_m3: Decimal
    nrw_pct: Decimal | None
    iwa_nrw_m3: Decimal
    iwa_nrw_pct: Decimal | None
    apparent_losses_m3: Decimal
    meter_under_registration_m3: Decimal
    unauthorised_use_m3: Decimal
    real_losses_m3: Decimal
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, Decimal):
                out[key] = decimal_str(value)
            elif isinstance(value, date):
                out[key] = value.isoformat()[:7]
            elif isinstance(value, tuple):
                out[key] = list(value)
            else:
                out[key] = value
        return out


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole <= 0 else (part * 100 / whole).quantize(PCT, rounding=ROUND_HALF_UP)


def balance_of(*, inputs: SectorMonthInputs, settings: RevenueSettings) -> SectorMonthBalance:
    supplied = inputs.supplied_m3
    billed = inputs.billed_metered_m3 + inputs.billed_estimated_m3
    authorised = billed + inputs.unbilled_authorised_m3
    losses = supplied - authorised
    r = settings.meter_under_registration
    under = m3(inputs.billed_metered_m3 * r / (1 - r))
    unauthorised = m3(supplied * settings.unauthorised_use)
    apparent = under + unauthorised
    real = losses - apparent
    warnings: list[str] = []
    if not inputs.has_macro_reads:
        warnings.append("no_macro_reads")
    if losses < 0:
        warnings.append("billed_exceeds_supplied")
    elif real < 0:
        warnings.append("apparent_losses_exceed_losses")
    return SectorMonthBalance(
        sector=inputs.sector,
        period=inputs.period,
        has_macro_reads=inputs.has_macro_reads,
        supplied_m3=supplied,
        billed_metered_m3=inputs.billed_metered_m3,
        billed_estimated_m3=inputs.billed_estimated_m3,
        billed_authorised_m3=billed,
        unbilled_authorised_m3=inputs.unbilled_authorised_m3,
        authorised_consumption_m3=authorised,
        nrw_m3=losses,
        nrw_pct=_pct(losses, supplied),
        iwa_nrw_m3=supplied - billed,
        iwa_nrw_pct=_pct(supplied - billed, supplied),
        apparent_losses_m3=apparent,
        meter_under_registration_m3=under,
        unauthorised_use_m3=unauthorised,
        real_losses_m3=real,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class SectorRank:
    rank: int
    sector: str
    nrw_m3: Decimal
    nrw_pct: Decimal | None
    nrw_m3_window: Decimal
    nrw_pct_window: Decimal | None
    pct_change_points: Decimal | None
    """NRW % of the period minus the NRW % of the first month of the window with macro reads."""

    def to_dict(self) -> dict[str, Any]:
        return {k: (decimal_str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def rank_sectors(*, balances: Iterable[SectorMonthBalance], period: date) -> list[SectorRank]:
    """Sectors ranked by NRW % of `period` (then NRW m³ of the window), worst first; sectors without macro reads
    in the period go last."""
    per_sector: dict[str, list[SectorMonthBalance]] = {}
    for b in balances:
        per_sector.setdefault(b.sector, []).append(b)
    rows: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for sector, items in per_sector.items():
        items.sort(key=lambda b: b.period)
        current = next((b for b in items if b.period == period), None)
        measured = [b for b in items if b.has_macro_reads]
        supplied = sum((b.supplied_m3 for b in measured), ZERO)
        losses = sum((b.nrw_m3 for b in measured), ZERO)
        first = measured[0] if measured else None
        change = None
        if current is not None and current.nrw_pct is not None and first is not None and first.nrw_pct is not None:
            change = current.nrw_pct - first.nrw_pct
        now_pct = current.nrw_pct if current is not None else None
        fields = {
            "sector": sector,
            "nrw_m3": current.nrw_m3 if current is not None else ZERO,
            "nrw_pct": now_pct,
            "nrw_m3_window": losses,
            "nrw_pct_window": _pct(losses, supplied),
            "pct_change_points": change,
        }
        key = (now_pct is None, -(now_pct or ZERO), -losses, sector)
        rows.append((key, fields))
    rows.sort(key=lambda kv: kv[0])
    return [SectorRank(rank=i + 1, **fields) for i, (_, fields) in enumerate(rows)]


def build_inputs(
    *,
    sectors: Sequence[str],
    months: Sequence[date],
    supplied: Mapping[tuple[str, date], Decimal],
    billed: Mapping[tuple[str, date], tuple[Decimal, Decimal]],
    unbilled: Mapping[tuple[str, date], Decimal],
) -> list[SectorMonthInputs]:
    """One input per sector and month (zeros where nothing was billed or recorded)."""
    out = []
    for sector in sectors:
        for month in months:
            metered, estimated = billed.get((sector, month), (ZERO, ZERO))
            out.append(
                SectorMonthInputs(
                    sector=sector,
                    period=month,
                    supplied_m3=supplied.get((sector, month), ZERO),
                    billed_metered_m3=metered,
                    billed_estimated_m3=estimated,
                    unbilled_authorised_m3=unbilled.get((sector, month), ZERO),
                    has_macro_reads=(sector, month) in supplied,
                )
            )
    return out
