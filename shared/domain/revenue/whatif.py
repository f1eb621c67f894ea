"""Tariff what-if: a draft schedule set (validated like real schedules) replayed over a span's invoices, and the
report's statistics — revenue by class and sector against the tariff in force, the distribution of bill changes
(deciles, shares above +10 % and +25 %), affordability by decile and the Art. 74 restricted population.

Replay of one invoice: what-if total = real total − the real tariff part + the draft's quote of the same billed m³
(the tariff part is every line the tariff quote produced; true-up credits and late fees stay as billed). Classes the
draft does not name keep the schedule in force, so a draft equal to the tariff in force reproduces the invoices.

Affordability ranks the domestic accounts by their real monthly bill into ten equal deciles, each set against the
tenant's household income of that decile (a proxy: bills as the income ranking, documented in docs/revenue.md)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shared.domain.errors import Invalid
from shared.domain.money import ZERO, decimal_str
from shared.domain.tariffs.schema import InvalidTariffSchedule, TariffSchedule, parse_schedule

NON_TARIFF_CODES = ("credito_estimacion", "recargo")
AFFORDABILITY_LIMIT = Decimal("0.03")
"""A water bill above 3 % of household income is counted as unaffordable."""
PCT = Decimal("0.01")
RATIO = Decimal("0.0001")


class InvalidDraft(Invalid):
    default_code = "invalid_draft_tariff"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(None, "La tarifa propuesta no es válida: " + "; ".join(self.problems[:5]))


def parse_draft(raw: str | bytes) -> dict[str, TariffSchedule]:
    """A draft: one schedule, a list of them, or {"schedules": [...]}; each validated as a real schedule, at most one
    per class. Returns class → schedule."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidDraft([f"JSON inválido: {error}"]) from error
    items = data.get("schedules") if isinstance(data, dict) and "schedules" in data else data
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        raise InvalidDraft(["se espera una tarifa, una lista de tarifas o {'schedules': [...]}"])
    problems: list[str] = []
    out: dict[str, TariffSchedule] = {}
    for i, item in enumerate(items):
        try:
            schedule = parse_schedule(json.dumps(item))
        except InvalidTariffSchedule as error:
            problems.extend(f"schedules[{i}].{p}" for p in error.problems)
            continue
        cls = schedule.tariff_class.value
        if cls in out:
            problems.append(f"schedules[{i}]: la clase '{cls}' aparece más de una vez")
        out[cls] = schedule
    if problems:
        raise InvalidDraft(problems)
    return out


def draft_hash(draft: dict[str, TariffSchedule]) -> str:
    canonical = json.dumps({k: v.model_dump(mode="json") for k, v in sorted(draft.items())}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def as_in_force(schedule: TariffSchedule, *, start: date) -> TariffSchedule:
    """The draft priced as if in force from `start` (its own dates are the proposal's, not the replay's)."""
    return schedule.model_copy(update={"effective_from": start, "effective_to": None})


@dataclass(frozen=True)
class AccountOutcome:
    account_id: int
    tariff_class: str
    sector: str
    restricted: bool
    invoices: int
    consumption_m3: Decimal
    real_total: Decimal
    whatif_total: Decimal

    @property
    def change(self) -> Decimal:
        return self.whatif_total - self.real_total

    @property
    def change_ratio(self) -> Decimal | None:
        return None if self.real_total <= 0 else self.change / self.real_total


def _pct(part: Decimal, whole: Decimal) -> str | None:
    return None if whole == 0 else decimal_str((part * 100 / whole).quantize(PCT, rounding=ROUND_HALF_UP))


def _totals(rows: Sequence[AccountOutcome]) -> dict[str, Any]:
    real = sum((r.real_total for r in rows), ZERO)
    new = sum((r.whatif_total for r in rows), ZERO)
    return {
        "accounts": len(rows),
        "invoices": sum(r.invoices for r in rows),
        "consumption_m3": decimal_str(sum((r.consumption_m3 for r in rows), ZERO)),
        "real_revenue": decimal_str(real),
        "whatif_revenue": decimal_str(new),
        "change": decimal_str(new - real),
        "change_pct": _pct(new - real, real),
    }


def _grouped(rows: Sequence[AccountOutcome], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[AccountOutcome]] = defaultdict(list)
    for r in rows:
        groups[getattr(r, key)].append(r)
    return {k: _totals(v) for k, v in sorted(groups.items())}


def _quantile(ordered: Sequence[Decimal], q: int) -> Decimal:
    """Nearest-rank q-th percentile of a sorted list."""
    rank = max(1, -(-q * len(ordered) // 100))
    return ordered[rank - 1]


def change_distribution(rows: Sequence[AccountOutcome]) -> dict[str, Any]:
    ratios = sorted(r.change_ratio for r in rows if r.change_ratio is not None)
    if not ratios:
        return {"accounts": 0, "deciles_pct": {}, "share_above_10pct": None, "share_above_25pct": None}

    def pct(v: Decimal) -> str:
        return decimal_str((v * 100).quantize(PCT, rounding=ROUND_HALF_UP))

    n = Decimal(len(ratios))
    return {
        "accounts": len(ratios),
        "without_real_bill": len(rows) - len(ratios),
        "min_pct": pct(ratios[0]),
        "deciles_pct": {f"p{q}": pct(_quantile(ratios, q)) for q in range(10, 100, 10)},
        "max_pct": pct(ratios[-1]),
        "share_above_10pct": decimal_str((sum(1 for v in ratios if v > Decimal("0.10")) / n).quantize(RATIO)),
        "share_above_25pct": decimal_str((sum(1 for v in ratios if v > Decimal("0.25")) / n).quantize(RATIO)),
        "share_lower": decimal_str((sum(1 for v in ratios if v < 0) / n).quantize(RATIO)),
    }


def affordability(
    rows: Sequence[AccountOutcome], *, months: int, incomes: Sequence[Decimal], tariff_class: str = "domestico"
) -> list[dict[str, Any]]:
    homes = sorted((r for r in rows if r.tariff_class == tariff_class), key=lambda r: (r.real_total, r.account_id))
    out = []
    for d in range(10):
        part = homes[len(homes) * d // 10 : len(homes) * (d + 1) // 10]
        income = incomes[d]
        if not part:
            out.append({"decile": d + 1, "accounts": 0, "household_income": decimal_str(income)})
            continue
        real = sum((r.real_total for r in part), ZERO) / (len(part) * months)
        new = sum((r.whatif_total for r in part), ZERO) / (len(part) * months)
        limit = income * AFFORDABILITY_LIMIT * months
        out.append(
            {
                "decile": d + 1,
                "accounts": len(part),
                "household_income": decimal_str(income),
                "real_monthly_bill": decimal_str(real.quantize(PCT, rounding=ROUND_HALF_UP)),
                "whatif_monthly_bill": decimal_str(new.quantize(PCT, rounding=ROUND_HALF_UP)),
                "real_share_of_income_pct": _pct(real, income),
                "whatif_share_of_income_pct": _pct(new, income),
                "share_above_3pct_real": decimal_str(
                    (Decimal(sum(1 for r in part if r.real_total > limit)) / len(part)).quantize(RATIO)
                ),
                "share_above_3pct_whatif": decimal_str(
                    (Decimal(sum(1 for r in part if r.whatif_total > limit)) / len(part)).quantize(RATIO)
                ),
            }
        )
    return out


def whatif_report(*, rows: Sequence[AccountOutcome], months: int, incomes: Sequence[Decimal]) -> dict[str, Any]:
    restricted = [r for r in rows if r.restricted]
    return {
        "totals": _totals(rows),
        "by_class": _grouped(rows, "tariff_class"),
        "by_sector": _grouped(rows, "sector"),
        "bill_changes": change_distribution(rows),
        "affordability": affordability(rows, months=months, incomes=incomes),
        "art74_restricted": {**_totals(restricted), "bill_changes": change_distribution(restricted)},
    }
