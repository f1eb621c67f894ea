"""Tariff queries: choose the schedule in force for a tariff class on a date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from shared.domain.tariffs.schema import TariffClass, TariffSchedule


class NoScheduleInForce(LookupError):
    """No schedule of the class covers the date."""


class OverlappingSchedules(LookupError):
    """More than one schedule of the class covers the date: the tariff data must be corrected."""


def select_schedule(
    *, schedules: Iterable[TariffSchedule], tariff_class: TariffClass | str, on: date
) -> TariffSchedule:
    """Return the one schedule of `tariff_class` whose [effective_from, effective_to) contains `on`."""
    wanted = TariffClass(tariff_class)
    matches = [s for s in schedules if s.tariff_class is wanted and s.in_force(on)]
    if not matches:
        raise NoScheduleInForce(f"no '{wanted.value}' tariff schedule is in force on {on.isoformat()}")
    if len(matches) > 1:
        names = ", ".join(sorted(f"'{s.name}' (from {s.effective_from.isoformat()})" for s in matches))
        raise OverlappingSchedules(
            f"{len(matches)} '{wanted.value}' schedules are in force on {on.isoformat()}: {names}"
        )
    return matches[0]
