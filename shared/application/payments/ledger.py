"""`ledger check`: run the ledger invariants (shared/data/ledger.py) for one tenant or all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.data import db, ledger


@dataclass
class LedgerReport:
    tenant_id: UUID
    violations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    suspense_count: int = 0
    suspense_amount: Decimal = Decimal("0.00")

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())


def check_tenant(*, tenant_id: UUID | str, limit: int = 20) -> LedgerReport:
    found = ledger.snapshot(tenant_id=tenant_id, limit=limit)
    return LedgerReport(UUID(str(tenant_id)), found.violations, found.suspense.payments, Decimal(found.suspense.amount))


def all_tenants() -> list[UUID]:
    return db.tenant_ids()


def check_all(*, limit: int = 20) -> list[LedgerReport]:
    return [check_tenant(tenant_id=t, limit=limit) for t in all_tenants()]
