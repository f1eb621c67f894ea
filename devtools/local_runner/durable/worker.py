"""Activity execution, shared by the process-pool workers and the in-process runner.

Input and output go through the real `azure.functions.durable_functions.ActivityTriggerConverter` (df_loads /
df_dumps), as the Python worker does. A worker process imports the app by dotted path and indexes it once.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import traceback
from typing import Any

from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from devtools.local_runner.index import ACTIVITY, FunctionIndex, IndexedFunction, load_app
from devtools.local_runner.invoke import build_kwargs

# (ok, payload): ok=True -> payload is the serialized result; ok=False -> payload is (reason, details).
ActivityOutcome = tuple[bool, Any]

_worker_index: FunctionIndex | None = None
_worker_loop: asyncio.AbstractEventLoop | None = None


def decode_input(input_json: str | None) -> Any:
    if input_json is None:
        return None
    return ActivityTriggerConverter.decode(meta.Datum(type="json", value=input_json), trigger_metadata=None)


def encode_output(value: Any) -> str:
    return str(ActivityTriggerConverter.encode(value, expected_type=None).value)


def failure(name: str, exc: BaseException) -> ActivityOutcome:
    reason = f"Activity function '{name}' failed: {type(exc).__name__}: {exc}"
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=8))
    return False, (reason, details)


def prepare_call(function: IndexedFunction, input_json: str | None) -> tuple[Any, dict[str, Any]]:
    value = decode_input(input_json)
    fn = function.user_function
    return fn, build_kwargs(fn, function.name, {function.trigger_arg: value})


# ---- process-pool side ---------------------------------------------------------------------------------------


def init_worker(app_ref: str) -> None:
    """Pool initializer: import the app module and index it once for this process."""
    global _worker_index, _worker_loop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the host shuts the pool down
    _worker_index = FunctionIndex.of(load_app(app_ref))
    _worker_loop = asyncio.new_event_loop()


def run_in_worker(name: str, input_json: str | None) -> ActivityOutcome:
    """Run one activity in this worker process (sync, or async on the worker's own loop)."""
    if _worker_index is None or _worker_loop is None:
        raise RuntimeError("activity worker not initialised")
    try:
        fn, kwargs = prepare_call(_worker_index.get(name, ACTIVITY), input_json)
        result = fn(**kwargs)
        if inspect.isawaitable(result):
            result = _worker_loop.run_until_complete(_as_coro(result))
        return True, encode_output(result)
    except Exception as exc:
        return failure(name, exc)


def worker_pid() -> int:
    return os.getpid()


async def _as_coro(awaitable: Any) -> Any:
    return await awaitable
