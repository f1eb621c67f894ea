"""Housekeeping that keeps the database ready for the months ahead."""

from __future__ import annotations

from datetime import date

from shared.data import db

PARTITIONED_TABLES = ("meter_readings", "domain_events")


def ensure_partitions_ahead(*, today: date, months_ahead: int = 3) -> int:
    """Create monthly partitions from this month through `months_ahead` months later. Returns how many were new."""
    first = today.replace(day=1)
    month_index = first.year * 12 + first.month - 1 + months_ahead + 1
    until = date(month_index // 12, month_index % 12 + 1, 1)
    created = 0
    with db.connection() as conn, conn.transaction():
        for table in PARTITIONED_TABLES:
            row = conn.execute("SELECT ensure_month_partitions(%s::regclass, %s, %s)", (table, first, until)).fetchone()
            created += int(row[0]) if row else 0
    return created
