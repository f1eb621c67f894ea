"""Work orders: the status workflow and the SLA due time per kind and priority."""

from __future__ import annotations

from datetime import datetime, timedelta

KINDS = ("leak_report", "meter_exchange", "inspection", "restriction", "suspension", "reconnection", "reading_check")
STATUSES = ("open", "assigned", "in_progress", "done", "cancelled")
PRIORITIES = ("low", "normal", "high", "urgent")

# Hours to complete, by kind, at normal priority. Reconnection within 24 h of payment; a leak is fixed within 2 days.
_SLA_HOURS = {
    "leak_report": 48,
    "meter_exchange": 240,
    "inspection": 120,
    "restriction": 72,
    "suspension": 72,
    "reconnection": 24,
    "reading_check": 120,
}
_PRIORITY_FACTOR = {"low": 2.0, "normal": 1.0, "high": 0.5, "urgent": 0.125}

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"assigned", "cancelled"}),
    "assigned": frozenset({"open", "in_progress", "cancelled"}),
    "in_progress": frozenset({"done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}


class InvalidTransition(ValueError):
    """The requested status does not follow from the current one."""

    def __init__(self, *, current: str, target: str) -> None:
        super().__init__(f"{current} -> {target}")
        self.current, self.target = current, target


class AssigneeRequired(ValueError):
    """Assigning a work order needs someone to assign it to."""


def due_at(*, kind: str, priority: str, created_at: datetime) -> datetime:
    """When the work order must be done: the kind's SLA scaled by priority (urgent = 1/8 of normal)."""
    return created_at + timedelta(hours=_SLA_HOURS[kind] * _PRIORITY_FACTOR[priority])


def transition(*, current: str, target: str, assigned_to: str | None, now: datetime) -> dict[str, object]:
    """The column changes for moving a work order from `current` to `target` (SLA timestamps included)."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(current=current, target=target)
    changes: dict[str, object] = {"status": target}
    if target == "assigned":
        if not assigned_to:
            raise AssigneeRequired("assigned_to is required to assign a work order")
        changes["assigned_to"] = assigned_to
    elif target == "open":
        changes["assigned_to"] = None
    elif target == "in_progress":
        changes["started_at"] = now
    elif target in ("done", "cancelled"):
        changes["completed_at"] = now
    return changes
