"""Housekeeping that keeps the database ready for the months ahead."""

from __future__ import annotations

from datetime import date

from shared.data import db
from shared.data.records import platform as q

PARTITIONED_TABLES = ("meter_readings", "domain_events")


def ensure_partitions_ahead(*, today: date, months_ahead: int = 3) -> int:
    """Create monthly partitions from this month through `months_ahead` months later. Returns how many were new."""
    first = today.replace(day=1)
    month_index = first.year * 12 + first.month - 1 + months_ahead + 1
    until = date(month_index // 12, month_index % 12 + 1, 1)
    with db.connection() as conn, conn.transaction():
        return sum(
            q.ensure_month_partitions(conn, table=table, first=first, until=until) for table in PARTITIONED_TABLES
        )
