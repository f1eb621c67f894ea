"""Billing periods are calendar months in the utility's local time: [first day, first day of next month)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from shared.domain.billing.errors import BillingError
from shared.domain.errors import Invalid
from shared.domain.timezone import UTILITY_TZ

_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})$")  # ASCII digits only: \d would accept Arabic-Indic ones


class InvalidPeriod(BillingError, Invalid, ValueError):
    """Not a YYYY-MM period."""

    default_code = "invalid_period"


def parse_period(text: str) -> date:
    match = _PERIOD.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2099:
        raise InvalidPeriod(f"periodo inválido {text!r}: use AAAA-MM, por ejemplo 2026-03")
    return date(int(match.group(1)), int(match.group(2)), 1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_end(period: date) -> date:
    return add_months(period, 1)


def local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTILITY_TZ).astimezone(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(UTILITY_TZ).date()


class PeriodNotEnded(BillingError, Invalid, ValueError):
    """The period has not ended yet in the utility's local time: billing it would bill estimates of the future."""

    default_code = "period_not_ended"


class BackBillingRequired(BillingError, Invalid, ValueError):
    """The period ended long ago: billing it needs the explicit back-billing flag."""

    default_code = "back_billing_required"


def check_billable(*, period: date, now: datetime, back_billing: bool, back_billing_months: int) -> None:
    """A run may bill `period` at `now` only once the period has ended in local time; a period that ended more than
    `back_billing_months` months before the current one needs `back_billing`."""
    today = local_date(now)
    if period_end(period) > today:
        raise PeriodNotEnded(
            f"el periodo {period:%Y-%m} no ha terminado (hoy es {today.isoformat()} en hora local): "
            "no se factura un periodo en curso ni futuro"
        )
    if not back_billing and add_months(period_end(period), back_billing_months) < today.replace(day=1):
        raise BackBillingRequired(
            f"el periodo {period:%Y-%m} terminó hace más de {back_billing_months} meses: "
            "indique back_billing para refacturar un periodo antiguo"
        )


def previous_period(today: date) -> date:
    """The month before `today`'s month (what a run on the 1st bills)."""
    return add_months(today.replace(day=1), -1)
