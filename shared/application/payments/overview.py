"""What an operator (or the payments demo) looks at: accounts with open debt and their ledger balances, and how
many webhook deliveries are still waiting to be applied."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from shared.data import db
from shared.data import payments as data
from shared.data import payments_operations as ops
from shared.data.payments_operations import AccountOpenDebt


def accounts_with_open_debt(*, tenant_id: UUID | str, limit: int) -> tuple[list[AccountOpenDebt], dict[int, Decimal]]:
    """Up to `limit` accounts with issued, open invoices (lowest id first) and each one's ledger balance."""
    with db.tenant_transaction(tenant_id) as conn:
        rows = ops.accounts_with_open_debt(conn, limit=limit)
        return rows, {r.id: data.account_balance(conn, account_id=r.id) for r in rows}


def account_balances(*, tenant_id: UUID | str, account_ids: Sequence[int]) -> dict[int, Decimal]:
    with db.tenant_transaction(tenant_id) as conn:
        return {a: data.account_balance(conn, account_id=a) for a in account_ids}


def pending_inbox_count(*, tenant_id: UUID | str) -> int:
    with db.tenant_transaction(tenant_id) as conn:
        return ops.pending_inbox_count(conn)
