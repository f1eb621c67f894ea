"""`invariants check`: the ledger and monthly-cycle invariants of one tenant or all of them, read in one snapshot
per tenant. Used by the CLI, the restore drill (scripts/restore_drill.py) and the crash soak."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.data import cycle_invariants, db


@dataclass(frozen=True)
class InvariantReport:
    tenant_id: UUID
    violations: dict[str, list[dict[str, Any]]]

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())

    @property
    def checked(self) -> int:
        return len(self.violations)

    def failed(self) -> list[str]:
        return sorted(name for name, rows in self.violations.items() if rows)


def check_tenant(*, tenant_id: UUID | str, limit: int = 20) -> InvariantReport:
    found = cycle_invariants.snapshot(tenant_id=tenant_id, limit=limit)
    return InvariantReport(UUID(str(tenant_id)), {**found.ledger, **found.cycle})


def check_all(*, limit: int = 20) -> list[InvariantReport]:
    return [check_tenant(tenant_id=t, limit=limit) for t in db.tenant_ids()]
