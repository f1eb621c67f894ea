"""Invoking user functions the way the Python worker does.

Async functions run on one long-lived event loop thread (the worker has one loop; the Durable client's shared
aiohttp session is bound to it), sync functions on a thread pool (the worker's PYTHON_THREADPOOL_THREAD_COUNT).
`Out` is a concrete `func.Out[T]` for output bindings.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import azure.functions as func

T = TypeVar("T")
log = logging.getLogger("devtools.local_runner.invoke")


class Out(func.Out[T], Generic[T]):
    """A concrete output binding value holder."""

    def __init__(self) -> None:
        self._value: T | None = None
        self.was_set = False

    def set(self, val: T) -> None:
        self._value = val
        self.was_set = True

    def get(self) -> T:
        return self._value  # type: ignore[return-value]


class _Context(func.Context):
    """A minimal `func.Context` for functions that declare a `context` parameter."""

    def __init__(self, function_name: str, function_directory: str = "") -> None:
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function_name
        self._function_directory = function_directory

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None

    @property
    def thread_local_storage(self) -> Any:
        return threading.local()


def build_kwargs(fn: Callable[..., Any], function_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for `fn`: the given binding values plus `context` when the function declares it."""
    kwargs = dict(values)
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return kwargs
    if "context" in params and "context" not in kwargs:
        kwargs["context"] = _Context(function_name)
    return kwargs


class FunctionInvoker:
    """Runs user functions: coroutines on a dedicated event loop thread, sync code on a thread pool."""

    def __init__(self, threads: int = 8, name: str = "local-runner") -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"{name}-fn")
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name=f"{name}-loop", daemon=True)
        self._thread.start()
        self._closed = False

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> concurrent.futures.Future[Any]:
        """Start `fn(**kwargs)`; the future resolves to its (awaited) result."""
        if inspect.iscoroutinefunction(fn):
            return asyncio.run_coroutine_threadsafe(fn(**kwargs), self.loop)

        def run_sync() -> Any:
            result = fn(**kwargs)
            if inspect.isawaitable(result):
                return asyncio.run_coroutine_threadsafe(_await(result), self.loop).result()
            return result

        return self._pool.submit(run_sync)

    def call(self, fn: Callable[..., Any], kwargs: Mapping[str, Any], timeout: float | None = None) -> Any:
        """Run `fn(**kwargs)` and wait for the result (never call from the invoker's own loop)."""
        return self.submit(fn, kwargs).result(timeout)

    async def acall(self, fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> Any:
        """Await `fn(**kwargs)` from another event loop (e.g. the HTTP server's)."""
        return await asyncio.wrap_future(self.submit(fn, kwargs))

    def run_coroutine(self, coro: Any, timeout: float | None = None) -> Any:
        return asyncio.run_coroutine_threadsafe(_await(coro), self.loop).result(timeout)

    def close(self) -> None:
        """Close the Durable client's shared HTTP session (bound to this loop), then stop the loop and pool."""
        if self._closed:
            return
        self._closed = True
        try:
            from azure.durable_functions.models.utils import http_utils

            # The SDK keeps one module-global aiohttp session; it belongs to this loop, so close and forget it
            # here, and give the module a fresh lock, so a later host (new loop) starts clean.
            self.run_coroutine(http_utils._close_session(), timeout=5)
            http_utils._session_lock = asyncio.Lock()
        except Exception:  # best effort at shutdown: report and carry on stopping
            log.warning("could not close the Durable client HTTP session", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        if not self.loop.is_running():
            self.loop.close()


async def _await(awaitable: Any) -> Any:
    return await awaitable
