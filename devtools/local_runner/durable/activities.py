"""Activity runners: a process pool (real parallelism, like separate worker processes) or in-process threads."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable
from typing import Protocol

from devtools.local_runner.durable.worker import (
    ActivityOutcome,
    encode_output,
    failure,
    init_worker,
    prepare_call,
    run_in_worker,
)
from devtools.local_runner.index import ACTIVITY, FunctionIndex, UnknownFunction
from devtools.local_runner.invoke import FunctionInvoker


class ActivityRunner(Protocol):
    def submit(self, name: str, input_json: str | None) -> concurrent.futures.Future[ActivityOutcome]: ...

    def close(self) -> None: ...


def _chain(
    source: concurrent.futures.Future[object], convert: Callable[[concurrent.futures.Future[object]], ActivityOutcome]
) -> concurrent.futures.Future[ActivityOutcome]:
    target: concurrent.futures.Future[ActivityOutcome] = concurrent.futures.Future()

    def done(f: concurrent.futures.Future[object]) -> None:
        try:
            target.set_result(convert(f))
        except BaseException as exc:
            target.set_exception(exc)

    source.add_done_callback(done)
    return target


class ProcessPoolActivityRunner:
    """Runs activities in `workers` spawned processes that import `app_ref` (e.g. "function_app:app")."""

    def __init__(self, app_ref: str, workers: int = 2) -> None:
        self.app_ref = app_ref
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(app_ref,),
        )

    def submit(self, name: str, input_json: str | None) -> concurrent.futures.Future[ActivityOutcome]:
        def convert(f: concurrent.futures.Future[object]) -> ActivityOutcome:
            exc = f.exception()
            if exc is not None:  # the worker process died or the pool is broken
                return failure(name, exc)
            return f.result()  # type: ignore[return-value]

        return _chain(self._pool.submit(run_in_worker, name, input_json), convert)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class InProcessActivityRunner:
    """Runs activities in this process through the shared invoker (fast; for unit tests)."""

    def __init__(self, index: FunctionIndex, invoker: FunctionInvoker) -> None:
        self.index = index
        self.invoker = invoker

    def submit(self, name: str, input_json: str | None) -> concurrent.futures.Future[ActivityOutcome]:
        try:
            fn, kwargs = prepare_call(self.index.get(name, ACTIVITY), input_json)
            source = self.invoker.submit(fn, kwargs)
        except (UnknownFunction, ValueError) as exc:
            done: concurrent.futures.Future[ActivityOutcome] = concurrent.futures.Future()
            done.set_result(failure(name, exc))
            return done

        def convert(f: concurrent.futures.Future[object]) -> ActivityOutcome:
            exc = f.exception()
            if exc is not None:
                return failure(name, exc)
            try:
                return True, encode_output(f.result())
            except ValueError as err:
                return failure(name, err)

        return _chain(source, convert)

    def close(self) -> None:
        """The invoker belongs to the host; nothing to close here."""
