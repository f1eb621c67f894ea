"""A domain event: a fact recorded with the change that causes it (the outbox), relayed and consumed later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class DomainEvent:
    """`key` is the natural key (e.g. "invoice.issued:123"); `occurred_at` is the business moment, so recording
    the same fact twice is a no-op."""

    tenant_id: UUID
    event_type: str
    key: str
    aggregate_type: str
    aggregate_id: str
    occurred_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
