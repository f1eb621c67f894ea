"""Local Durable Functions engine: plays the Durable extension for orchestrators registered on a DFApp.

Orchestrators run through the SDK's own replay engine (the callable DFApp registers); this package appends the
history events the extension would append, runs activities (process pool or in-process), sub-orchestrations,
timers, retries and external events, keeps an in-memory instance store and serves the extension's HTTP API.
"""

from devtools.local_runner.durable.engine import DurableEngine, NonDeterminismError
from devtools.local_runner.durable.store import InstanceNotFound, InstanceRecord, RuntimeStatus

__all__ = ["DurableEngine", "InstanceNotFound", "InstanceRecord", "NonDeterminismError", "RuntimeStatus"]
