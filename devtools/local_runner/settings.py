"""host.json and app-setting helpers: .NET TimeSpan parsing, `%SETTING%` resolution, queue/durable options."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<h>\d{1,2}):(?P<m>\d{1,2}):(?P<s>\d{1,2}(?:\.\d+)?)$")
_SETTING_REF = re.compile(r"%([A-Za-z0-9_.:-]+)%")


class InvalidTimeSpan(ValueError):
    """A host.json duration is not in .NET TimeSpan format ([d.]hh:mm:ss[.fff])."""


class MissingSetting(KeyError):
    """A `%NAME%` reference names an app setting that is not defined."""


def parse_timespan(text: str) -> timedelta:
    """Parse a .NET TimeSpan string such as `00:00:30`, `1.00:00:00` or `00:00:00.250`."""
    match = _TIMESPAN.match(text.strip())
    if not match:
        raise InvalidTimeSpan(text)
    return timedelta(
        days=int(match["days"] or 0), hours=int(match["h"]), minutes=int(match["m"]), seconds=float(match["s"])
    )


def resolve_setting_refs(value: str, env: Mapping[str, str] | None = None) -> str:
    """Replace every `%NAME%` in `value` by the app setting NAME (the Functions host's binding expression rule)."""
    source = os.environ if env is None else env

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in source:
            raise MissingSetting(name)
        return source[name]

    return _SETTING_REF.sub(repl, value)


@dataclass(frozen=True)
class QueueOptions:
    """`extensions.queues` of host.json, with the Functions host defaults."""

    batch_size: int = 16
    new_batch_threshold: int | None = None
    max_dequeue_count: int = 5
    visibility_timeout: timedelta = timedelta(0)
    max_polling_interval: timedelta = timedelta(minutes=1)
    message_encoding: str = "base64"


@dataclass(frozen=True)
class DurableOptions:
    """The parts of `extensions.durableTask` the local engine honours."""

    hub_name: str = "TestHubName"
    default_version: str = ""
    max_concurrent_activities: int = 8
    max_concurrent_orchestrators: int = 8


@dataclass(frozen=True)
class HostConfig:
    """The subset of host.json the local runner understands."""

    route_prefix: str = "api"
    queues: QueueOptions = QueueOptions()
    durable: DurableOptions = DurableOptions()

    @classmethod
    def load(cls, path: str | Path | None, env: Mapping[str, str] | None = None) -> HostConfig:
        """Read host.json (a missing path gives the defaults)."""
        if path is None or not Path(path).exists():
            return cls()
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")), env)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], env: Mapping[str, str] | None = None) -> HostConfig:
        ext = data.get("extensions", {}) or {}
        http = ext.get("http", {}) or {}
        q = ext.get("queues", {}) or {}
        d = ext.get("durableTask", {}) or {}
        queues = QueueOptions(
            batch_size=int(q.get("batchSize", 16)),
            new_batch_threshold=int(q["newBatchThreshold"]) if "newBatchThreshold" in q else None,
            max_dequeue_count=int(q.get("maxDequeueCount", 5)),
            visibility_timeout=parse_timespan(q.get("visibilityTimeout", "00:00:00")),
            max_polling_interval=parse_timespan(q.get("maxPollingInterval", "00:01:00")),
            message_encoding=str(q.get("messageEncoding", "base64")).lower(),
        )
        hub = str(d.get("hubName", "TestHubName"))
        try:
            hub = resolve_setting_refs(hub, env)
        except MissingSetting:
            hub = "TestHubName"
        durable = DurableOptions(
            hub_name=hub,
            default_version=str(d.get("defaultVersion", "")),
            max_concurrent_activities=int(d.get("maxConcurrentActivityFunctions", 8)),
            max_concurrent_orchestrators=int(d.get("maxConcurrentOrchestratorFunctions", 8)),
        )
        return cls(route_prefix=str(http.get("routePrefix", "api")).strip("/"), queues=queues, durable=durable)
