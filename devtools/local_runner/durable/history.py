"""History events in the shape the Durable extension sends to out-of-process orchestrators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.durable_functions.models.history.HistoryEventType import HistoryEventType as H
from dateutil.parser import parse as dt_parse

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_ts(text: str) -> datetime:
    """Parse an extension/SDK timestamp; naive values are UTC."""
    moment = dt_parse(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event(etype: H, at: datetime, *, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    """One history event: `EventType`, `EventId`, `IsPlayed`, `Timestamp` plus type-specific fields."""
    return {"EventType": int(etype), "EventId": event_id, "IsPlayed": False, "Timestamp": format_ts(at), **fields}
