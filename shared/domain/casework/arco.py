"""ARCO requests (LGPDPPSO): the legal clock in business days, and retention of blocked data.

The answer is due within 20 business days counted from the day after receipt; the term may be extended once, by up
to 10 business days, with a justification notified to the titular before it ends (LGPDPPSO art. 51). Business days
exclude Saturdays, Sundays, the mandatory rest days of the Ley Federal del Trabajo (art. 74) and any day the
responsible body declares non-working (`extra_holidays`). Blocked data are kept while fiscal records must be kept
(CFF art. 30: 5 years) and erased afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

RIGHTS = ("access", "rectification", "cancellation", "opposition")
STATUSES = ("received", "identity_verified", "granted", "denied", "completed")
ANSWER_BUSINESS_DAYS = 20
EXTENSION_BUSINESS_DAYS = 10
FISCAL_RETENTION_YEARS = 5
PURPOSES = ("whatsapp_notices", "email_notices", "sms_notices", "surveys", "marketing")
# Fields a rectification may change (identity and contact data; never keys or fiscal history).
RECTIFIABLE = (
    "first_name",
    "paternal_surname",
    "maternal_surname",
    "legal_name",
    "rfc",
    "curp",
    "email",
    "phone",
    "regimen_fiscal",
    "uso_cfdi",
    "fiscal_postal_code",
)


class InvalidArcoStep(ValueError):
    def __init__(self, *, current: str, target: str) -> None:
        super().__init__(f"{current} -> {target}")
        self.current, self.target = current, target


_NEXT = {
    "received": frozenset({"identity_verified", "denied"}),
    "identity_verified": frozenset({"granted", "denied"}),
    "granted": frozenset({"completed"}),
    "denied": frozenset(),
    "completed": frozenset(),
}


def check_step(*, current: str, target: str) -> None:
    if target not in _NEXT.get(current, frozenset()):
        raise InvalidArcoStep(current=current, target=target)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def mexican_rest_days(*, year: int) -> frozenset[date]:
    """LFT art. 74: Jan 1, 1st Monday of Feb, 3rd Monday of Mar, May 1, Sep 16, 3rd Monday of Nov, Dec 25, and
    Oct 1 of the years a federal executive takes office (2024, 2030, ...)."""
    days = {
        date(year, 1, 1),
        _nth_weekday(year, 2, 0, 1),
        _nth_weekday(year, 3, 0, 3),
        date(year, 5, 1),
        date(year, 9, 16),
        _nth_weekday(year, 11, 0, 3),
        date(year, 12, 25),
    }
    if year >= 2024 and (year - 2024) % 6 == 0:
        days.add(date(year, 10, 1))
    return frozenset(days)


def is_business_day(*, day: date, extra_holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in mexican_rest_days(year=day.year) and day not in set(extra_holidays)


def add_business_days(*, start: date, days: int, extra_holidays: Iterable[date] = ()) -> date:
    """The `days`-th business day after `start` (start itself is not counted)."""
    extra = frozenset(extra_holidays)
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if is_business_day(day=current, extra_holidays=extra):
            counted += 1
    return current


def answer_due(*, received_on: date, extra_holidays: Iterable[date] = ()) -> date:
    return add_business_days(start=received_on, days=ANSWER_BUSINESS_DAYS, extra_holidays=extra_holidays)


class ExtensionRefused(ValueError):
    """The answer term cannot be extended: `reason` is 'already_extended', 'closed' or 'term_ended'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def extended_due(
    *, status: str, due_on: date, already_extended: bool, today: date, extra_holidays: Iterable[date] = ()
) -> date:
    """The new answer date of a request whose term is extended today; raises ExtensionRefused when the request was
    extended before, is already answered, or its term has ended (the extension must be notified within it)."""
    if already_extended:
        raise ExtensionRefused("already_extended")
    if status not in ("received", "identity_verified"):
        raise ExtensionRefused("closed")
    if today > due_on:
        raise ExtensionRefused("term_ended")
    return add_business_days(start=due_on, days=EXTENSION_BUSINESS_DAYS, extra_holidays=extra_holidays)


def retain_until(*, blocked_on: date, last_fiscal_record: date | None) -> date:
    """Blocked data are erased after the later of the block date and the fiscal retention of the last record."""
    if last_fiscal_record is None:
        return blocked_on
    try:
        end = last_fiscal_record.replace(year=last_fiscal_record.year + FISCAL_RETENTION_YEARS)
    except ValueError:  # Feb 29 -> Mar 1
        end = date(last_fiscal_record.year + FISCAL_RETENTION_YEARS, 3, 1)
    return max(end, blocked_on)


class InvalidRectification(ValueError):
    """A rectification names a field that cannot be rectified, or changes nothing."""


def rectification_changes(*, current: dict[str, object], requested: dict[str, object]) -> dict[str, object]:
    """The fields that actually change; raises InvalidRectification for unknown fields or no change at all."""
    unknown = sorted(set(requested) - set(RECTIFIABLE))
    if unknown:
        raise InvalidRectification(f"fields cannot be rectified: {', '.join(unknown)}")
    changed = {k: v for k, v in requested.items() if current.get(k) != v}
    if not changed:
        raise InvalidRectification("the rectification changes nothing")
    return changed
