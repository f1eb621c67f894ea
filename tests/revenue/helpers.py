"""Small helpers for the revenue tests: a principal per role and invoices written as a billing run would leave them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from shared.application.access.principal import Principal, permissions_for


def principal(tenant_id: uuid.UUID, slug: str, *roles: str) -> Principal:
    roles = roles or ("billing_admin",)
    return Principal(
        tenant_id=tenant_id,
        tenant_slug=slug,
        subject=f"user:{'-'.join(roles)}",
        roles=frozenset(roles),
        permissions=permissions_for(roles),
    )


def issued_invoice(db, tenant_id, *, account_id: int, period: date, m3: str, estimated: bool = False, total="0"):
    """An issued invoice row with the given billed volume (folio from the account and period)."""
    with db.owner() as conn:
        folio = account_id * 10_000 + period.year * 12 + period.month
        return conn.execute(
            """INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, consumption_m3, estimated,
                                     subtotal, total, issued_at)
               VALUES (%s, %s, %s, 'issued', 'A', %s, %s, %s, %s, %s, %s) RETURNING id""",
            (
                tenant_id,
                account_id,
                period,
                folio,
                Decimal(m3),
                estimated,
                Decimal(total),
                Decimal(total),
                datetime(period.year, period.month, 28, tzinfo=UTC),
            ),
        ).fetchone()[0]
