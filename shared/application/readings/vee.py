"""VEE for one read arriving on its own (customer self-read): the same rules as the batch ingestion."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from shared.application.billing.periods import local_date
from shared.application.readings.ingest import meter_from_row, read_exception_codes
from shared.data import readings as sql
from shared.data.sql import Conn
from shared.domain.readings.model import ValidationPolicy


def exception_codes(
    conn: Conn,
    *,
    meter_id: int,
    read_at: datetime,
    value: Decimal,
    now: datetime,
    policy: ValidationPolicy | None = None,
) -> list[str]:
    """Validation exception codes of a new read of `meter_id` (empty: the read may be billed)."""
    meter = sql.meter_by_id(conn, meter_id=meter_id)
    if meter is None:
        raise LookupError(f"meter {meter_id} not found")
    day = local_date(read_at)
    history = sql.recent_actual_reads(conn, meter_ids=[meter_id], since=read_at - timedelta(days=400)).get(meter_id, [])
    before = [(d, v) for d, v in history if d < day]
    return read_exception_codes(
        value=value,
        day=day,
        before=before,
        meter=meter_from_row(meter=meter, day=day),
        policy=policy or ValidationPolicy(),
        now=now,
    )
