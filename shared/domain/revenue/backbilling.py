"""Back-billing assessment of an inspection's outcome: month by month over the assessed period, the consumption the
inspection estimates against what was billed, each month priced with the tariff in force that month (the bill of the
estimate minus the bill of what was billed, so block progression and fixed charges are those of the month); a legal
surcharge on a confirmed fraud where the tenant configures one. Positive → a back-bill; negative → a credit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from shared.domain.errors import Invalid
from shared.domain.money import ZERO, decimal_str, round_cents, sum_amounts
from shared.domain.tariffs.breakdown import Quote

Outcome = str  # fraud_confirmed | meter_fault | no_finding
OUTCOMES = ("fraud_confirmed", "meter_fault", "no_finding")


class InvalidAssessment(Invalid):
    default_code = "invalid_assessment"


@dataclass(frozen=True)
class MonthToAssess:
    period: date
    billed_m3: Decimal
    assessed_m3: Decimal
    tariff_name: str


@dataclass(frozen=True)
class MonthAssessed:
    period: date
    tariff_name: str
    billed_m3: Decimal
    assessed_m3: Decimal
    billed_amount: Decimal
    assessed_amount: Decimal
    difference: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.isoformat()[:7],
            "tariff": self.tariff_name,
            "billed_m3": decimal_str(self.billed_m3),
            "assessed_m3": decimal_str(self.assessed_m3),
            "billed_amount": decimal_str(self.billed_amount),
            "assessed_amount": decimal_str(self.assessed_amount),
            "difference": decimal_str(self.difference),
        }


@dataclass(frozen=True)
class Assessment:
    outcome: Outcome
    months: tuple[MonthAssessed, ...]
    difference: Decimal
    surcharge: Decimal
    total: Decimal
    """Tax included: > 0 the customer owes it (back-bill), < 0 the customer is credited."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "months": [m.to_dict() for m in self.months],
            "difference": decimal_str(self.difference),
            "surcharge": decimal_str(self.surcharge),
            "total": decimal_str(self.total),
        }


def assess(
    *,
    outcome: Outcome,
    months: Sequence[MonthToAssess],
    price: Callable[[MonthToAssess, Decimal], Quote],
    surcharge_rate: Decimal,
    max_months: int,
) -> Assessment:
    """`price(month, m3)` quotes m3 with that month's schedule. A fraud is never credited (an assessed volume
    below the billed one counts as zero difference); no finding assesses nothing."""
    if outcome not in OUTCOMES:
        raise InvalidAssessment(None, f"El resultado '{outcome}' no es válido ({', '.join(OUTCOMES)}).")
    if outcome == "no_finding":
        return Assessment(outcome, (), ZERO, ZERO, ZERO)
    if not months:
        raise InvalidAssessment(None, "Indique los meses a evaluar y el consumo estimado de cada uno.")
    if len(months) > max_months:
        raise InvalidAssessment(None, f"El periodo evaluado excede el máximo de {max_months} meses.")
    periods = [m.period for m in months]
    if len(set(periods)) != len(periods):
        raise InvalidAssessment(None, "Un mes aparece más de una vez en la evaluación.")
    out = []
    for m in sorted(months, key=lambda m: m.period):
        if m.assessed_m3 < 0 or m.billed_m3 < 0:
            raise InvalidAssessment(None, f"El consumo de {m.period.isoformat()[:7]} no puede ser negativo.")
        billed = price(m, m.billed_m3).total
        assessed = price(m, m.assessed_m3).total
        difference = assessed - billed
        if outcome == "fraud_confirmed" and difference < 0:
            difference = ZERO
        out.append(MonthAssessed(m.period, m.tariff_name, m.billed_m3, m.assessed_m3, billed, assessed, difference))
    difference = sum_amounts([m.difference for m in out])
    surcharge = ZERO
    if outcome == "fraud_confirmed" and difference > 0 and surcharge_rate > 0:
        surcharge = round_cents(difference * surcharge_rate)
    return Assessment(outcome, tuple(out), difference, surcharge, difference + surcharge)
