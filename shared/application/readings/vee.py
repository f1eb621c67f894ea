"""VEE for one read arriving on its own (customer self-read): the same rules as the batch ingestion."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from shared.application.billing.periods import local_date
from shared.application.readings.ingest import consumption_history
from shared.data import readings as sql
from shared.domain.readings.model import Meter, MeterRead, ValidationPolicy
from shared.domain.readings.queries import validate_read


def exception_codes(conn: psycopg.Connection[Any], *, meter_id: int, read_at: datetime, value: Decimal,
                    now: datetime, policy: ValidationPolicy | None = None) -> list[str]:
    """Validation exception codes of a new read of `meter_id` (empty: the read may be billed)."""
    meter_row = sql.meter_by_id(conn, meter_id)
    if meter_row is None:
        raise LookupError(f"meter {meter_id} not found")
    day = local_date(read_at)
    history = sql.recent_actual_reads(conn, [meter_id], since=read_at - timedelta(days=400)).get(meter_id, [])
    before = [(d, v) for d, v in history if d < day]
    dials = int(meter_row["dials"])
    meter = Meter(serial=meter_row["serial"], dials=dials,
                  installed_on=local_date(meter_row["installed_at"]) if meter_row["installed_at"] else day,
                  removed_on=local_date(meter_row["removed_at"]) if meter_row["removed_at"] else None,
                  initial_read=meter_row["initial_read"] if meter_row["initial_read"] is not None else Decimal(0))
    codes = validate_read(read=MeterRead(value=value, read_on=day),
                          previous=MeterRead(value=before[-1][1], read_on=before[-1][0]) if before else None,
                          history=consumption_history(before[-13:], dials), meter=meter,
                          policy=policy or ValidationPolicy(), now=local_date(now))
    return [c.value for c in codes]
