"""Thread-safe in-memory instance store: runtime status, input, output, custom status, times, history."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from devtools.local_runner.durable.history import format_ts, utcnow


class RuntimeStatus(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    TERMINATED = "Terminated"

    @property
    def is_terminal(self) -> bool:
        return self in (RuntimeStatus.COMPLETED, RuntimeStatus.FAILED, RuntimeStatus.TERMINATED)


class InstanceNotFound(KeyError):
    """No orchestration instance with that id."""


@dataclass
class InstanceRecord:
    """What the status API reports about one orchestration instance."""

    instance_id: str
    name: str
    input: str | None  # serialized JSON, as the extension stores it
    version: str
    status: RuntimeStatus = RuntimeStatus.PENDING
    output: Any = None  # JSON value
    custom_status: Any = None
    created: datetime = field(default_factory=utcnow)
    updated: datetime = field(default_factory=utcnow)
    parent_instance_id: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    continued_as_new: int = 0

    def to_status_json(self, *, show_input: bool = True, show_history: bool = False) -> dict[str, Any]:
        """The JSON the extension's `instances/{id}` endpoint returns (camelCase)."""
        from azure.durable_functions.models.utils.df_serialization import df_loads

        body: dict[str, Any] = {
            "name": self.name,
            "instanceId": self.instance_id,
            "runtimeStatus": self.status.value,
            "input": None,
            "customStatus": self.custom_status,
            "output": self.output,
            "createdTime": format_ts(self.created),
            "lastUpdatedTime": format_ts(self.updated),
        }
        if show_input and self.input is not None:
            try:
                body["input"] = df_loads(self.input)
            except ValueError:
                body["input"] = self.input
        if show_history:
            body["historyEvents"] = list(self.history)
        return body


class InstanceStore:
    """Instances by id. `changed` is notified on every status change (used by `wait_for`)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)
        self._records: dict[str, InstanceRecord] = {}

    def get(self, instance_id: str) -> InstanceRecord | None:
        with self._lock:
            return self._records.get(instance_id)

    def require(self, instance_id: str) -> InstanceRecord:
        record = self.get(instance_id)
        if record is None:
            raise InstanceNotFound(instance_id)
        return record

    def put(self, record: InstanceRecord) -> None:
        with self._lock:
            self._records[record.instance_id] = record
            self.changed.notify_all()

    def update(self, instance_id: str, **changes: Any) -> InstanceRecord:
        with self._lock:
            record = self.require(instance_id)
            for key, value in changes.items():
                setattr(record, key, value)
            record.updated = utcnow()
            self.changed.notify_all()
            return record

    def delete(self, instance_id: str) -> bool:
        with self._lock:
            return self._records.pop(instance_id, None) is not None

    def all(self) -> list[InstanceRecord]:
        with self._lock:
            return list(self._records.values())

    def wait(self, instance_id: str, timeout: float, statuses: set[RuntimeStatus] | None = None) -> InstanceRecord:
        """Block until the instance reaches a terminal status (or one of `statuses`); TimeoutError otherwise."""
        import time

        wanted = statuses or {s for s in RuntimeStatus if s.is_terminal}
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                record = self._records.get(instance_id)
                if record is not None and record.status in wanted:
                    return record
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    state = record.status.value if record else "absent"
                    raise TimeoutError(f"instance {instance_id} still {state} after {timeout}s")
                self.changed.wait(remaining)
