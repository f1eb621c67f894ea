"""Business figures the monitoring timer samples for the KPI workbooks (one tenant per transaction, RLS applies)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from shared.data.sql import Conn, fetch_typed


class ChannelAmount(NamedTuple):
    channel: str
    amount: Decimal


def revenue_since(conn: Conn, *, since: datetime) -> list[ChannelAmount]:
    """Applied payments paid at or after `since`, summed by channel."""
    return fetch_typed(
        conn,
        ChannelAmount,
        "SELECT channel, sum(amount) AS amount FROM payments"
        " WHERE status = 'applied' AND paid_at >= %s GROUP BY channel",
        (since,),
    )


def average_issued_invoice(conn: Conn) -> Decimal | None:
    """Average total of the invoices issued for the latest period that has issued invoices."""
    row = conn.execute(
        "SELECT avg(total) FROM invoices WHERE status = 'issued'"
        " AND period = (SELECT max(period) FROM invoices WHERE status = 'issued')"
    ).fetchone()
    return None if row is None or row[0] is None else Decimal(row[0])
