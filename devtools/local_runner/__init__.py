"""Local runner: runs the Azure Functions app (v2 model + Durable Functions) on this machine without Core Tools.

The same registered handlers are driven by our own host: an ASGI server for HTTP triggers, a queue host against
Azurite, a timer scheduler, and a Durable engine that replays orchestrators through the SDK's real replay engine.
Entry points: `LocalHost` (devtools.local_runner.host), `start_azurite` (devtools.local_runner.azurite),
`python -m devtools.local_runner serve`.
Imports are lazy so activity worker processes only load what they use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Azurite", "LocalHost", "start_azurite"]


def __getattr__(name: str) -> Any:
    if name == "LocalHost":
        from devtools.local_runner.host import LocalHost

        return LocalHost
    if name in ("Azurite", "start_azurite"):
        from local_runner import azurite

        return getattr(azurite, name)
    raise AttributeError(name)
