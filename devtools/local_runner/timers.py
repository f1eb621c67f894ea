"""Timer triggers: fire a timer function on demand, and a scheduler for serve mode (NCRONTAB, UTC)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from azure.functions.timer import TimerRequest

from devtools.local_runner.durable.history import format_ts, utcnow
from devtools.local_runner.index import TIMER, FunctionIndex
from devtools.local_runner.invoke import FunctionInvoker, build_kwargs
from devtools.local_runner.ncrontab import Schedule
from devtools.local_runner.settings import resolve_setting_refs

log = logging.getLogger("devtools.local_runner.timers")


class TimerHost:
    """Runs the app's timerTrigger functions."""

    def __init__(
        self,
        index: FunctionIndex,
        invoker: FunctionInvoker,
        *,
        client_binding: Callable[[], str] | None = None,
        outputs: Any = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.index = index
        self.invoker = invoker
        self.client_binding = client_binding
        self.outputs = outputs
        self.env = env
        self.last_fired: dict[str, datetime] = {}
        self.fired: list[tuple[str, datetime, bool]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def schedule_of(self, name: str) -> Schedule:
        function = self.index.get(name, TIMER)
        return Schedule.parse(resolve_setting_refs(str(function.trigger["schedule"]), self.env))

    def fire(self, name: str, past_due: bool = False, timeout: float | None = 60.0) -> Any:
        """Invoke timer function `name` now, as the host would at a scheduled occurrence."""
        function = self.index.get(name, TIMER)
        now = utcnow()
        try:
            next_fire = format_ts(self.schedule_of(name).next_after(now))
        except (ValueError, KeyError):
            next_fire = None
        last = self.last_fired.get(name)
        request = TimerRequest(
            past_due=past_due,
            schedule_status={
                "Last": format_ts(last) if last else None,
                "Next": next_fire,
                "LastUpdated": format_ts(now),
            },
            schedule={"AdjustForDST": True},
        )
        values: dict[str, Any] = {function.trigger_arg: request}
        if function.durable_client_arg:
            if self.client_binding is None:
                raise RuntimeError(f"timer {name} needs a durable client but no Durable host is running")
            values[function.durable_client_arg] = self.client_binding()
        outs = self.outputs.prepare(function) if self.outputs is not None and function.outputs else {}
        values.update(outs)
        result = self.invoker.call(function.user_function, build_kwargs(function.user_function, name, values), timeout)
        if outs:
            self.outputs.flush(function, outs)
        self.last_fired[name] = now
        self.fired.append((name, now, past_due))
        return result

    # ---- serve mode --------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None or not self.index.timers:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="timer-host", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        schedules: dict[str, Schedule] = {}
        for f in self.index.timers:
            try:
                schedules[f.name] = self.schedule_of(f.name)
            except (ValueError, KeyError) as exc:  # a bad/missing schedule disables that timer, loudly
                log.error("timer %s not scheduled: %r", f.name, exc)
        for name in schedules:
            if self.index.get(name).trigger.get("runOnStartup"):
                self._safe_fire(name)
        next_due = {name: s.next_after(utcnow()) for name, s in schedules.items()}
        while next_due and not self._stop.is_set():
            name, due = min(next_due.items(), key=lambda item: item[1])
            wait = (due - utcnow()).total_seconds()
            if wait > 0:
                self._stop.wait(min(wait, 1.0))
                continue
            self._safe_fire(name)
            next_due[name] = schedules[name].next_after(max(utcnow(), due))

    def _safe_fire(self, name: str) -> None:
        try:
            self.fire(name)
        except Exception:  # a failing timer run is logged and the schedule continues, like the host
            log.exception("timer function %s failed", name)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
