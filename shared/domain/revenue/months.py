"""Calendar months as first-of-month dates: parsing `YYYY-MM`, stepping, windows."""

from __future__ import annotations

import re
from datetime import date

from shared.domain.errors import Invalid

_PERIOD = re.compile(r"^([12][0-9]{3})-(0[1-9]|1[0-2])$")  # years 1000-2999: a window stepped back stays in range


class InvalidPeriod(Invalid):
    default_code = "invalid_period"

    def __init__(self, text: str) -> None:
        super().__init__(None, f"El periodo '{text}' no es válido; use AAAA-MM (por ejemplo 2026-10).")


def parse_period(text: str) -> date:
    """`YYYY-MM` → the first day of that month."""
    found = _PERIOD.match(text.strip())
    if found is None:
        raise InvalidPeriod(text)
    return date(int(found.group(1)), int(found.group(2)), 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def window(*, last: date, months: int) -> list[date]:
    """The `months` months ending with `last` (oldest first)."""
    first = add_months(last.replace(day=1), -(months - 1))
    return [add_months(first, i) for i in range(months)]
