"""NCRONTAB schedules as the Functions timer trigger reads them: `{second} {minute} {hour} {day} {month} {dow}`.

Fields accept `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month names (JAN..DEC) and day
names (SUN..SAT; 0 and 7 are Sunday). A five-field expression (no seconds) is read with seconds = 0. Day-of-month
and day-of-week must both match (NCrontab semantics, unlike Vixie cron's "either"). Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_MONTHS = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_BOUNDS = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
_SEARCH_DAYS = 366 * 5


class InvalidSchedule(ValueError):
    """Not a valid NCRONTAB expression."""


def _value(token: str, index: int) -> int:
    upper = token.upper()
    if index == 4 and upper in _MONTHS:
        return _MONTHS[upper]
    if index == 5 and upper in _DAYS:
        return _DAYS[upper]
    if not token.isdigit():
        raise InvalidSchedule(f"bad value {token!r}")
    return int(token)


def _field(text: str, index: int) -> frozenset[int]:
    low, high = _BOUNDS[index]
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise InvalidSchedule(f"bad step in {part!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _value(a, index), _value(b, index)
        else:
            start = _value(base, index)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise InvalidSchedule(f"{part!r} out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    if index == 5 and 7 in values:
        values = (values - {7}) | {0}
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        fields = expression.split()
        if len(fields) == 5:
            fields = ["0", *fields]
        if len(fields) != 6:
            raise InvalidSchedule(f"expected 6 fields, got {len(fields)}: {expression!r}")
        return cls(*(_field(text, i) for i, text in enumerate(fields)))

    def matches(self, moment: datetime) -> bool:
        return (
            moment.second in self.seconds
            and moment.minute in self.minutes
            and moment.hour in self.hours
            and self._day_matches(moment)
        )

    def _day_matches(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7  # Python Monday=0 -> cron Sunday=0
        return moment.month in self.months and moment.day in self.days and weekday in self.weekdays

    def next_after(self, after: datetime) -> datetime:
        """The first occurrence strictly after `after` (UTC; naive values are taken as UTC)."""
        if after.tzinfo is None:
            after = after.replace(tzinfo=UTC)
        start = after.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        day = start.replace(hour=0, minute=0, second=0)
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        for second in sorted(self.seconds):
                            candidate = day.replace(hour=hour, minute=minute, second=second)
                            if candidate >= start:
                                return candidate
            day += timedelta(days=1)
        raise InvalidSchedule("schedule never fires")
