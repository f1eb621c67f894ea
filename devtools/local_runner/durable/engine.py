"""The local Durable engine: plays the Durable extension for out-of-process (Python) orchestrators.

Each orchestration instance advances in *episodes*. An episode drains the instance's inbox (new events), appends
`OrchestratorStarted` + those events to the history, calls the orchestrator's registered callable (the SDK's
replay engine: context JSON in, OrchestratorState JSON out), checks the replayed actions against the ones already
seen (non-determinism), schedules the new actions (activities, sub-orchestrations, timers) and appends their
`...Scheduled`/`...Created` events and `OrchestratorCompleted`. Completions come back as inbox events.

Task ids. The SDK numbers tasks with a sequence counter when they are yielded, and (for `*_with_retry`) when it
replays a failure (retry timer) and the timer firing (rescheduled attempt). The engine mirrors that counter. To keep
the two in step, an episode places the events that make the SDK allocate an id (retryable failures, retry-timer
firings with attempts left) before every other event, so all event-driven allocations precede the ids of the
tasks the orchestrator yields in that episode. External events consume no id (they are keyed by name).
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from azure.durable_functions.models.actions.ActionType import ActionType as A
from azure.durable_functions.models.history.HistoryEventType import HistoryEventType as H

from devtools.local_runner.durable.activities import ActivityRunner
from devtools.local_runner.durable.history import event, format_ts, parse_ts, utcnow
from devtools.local_runner.durable.store import InstanceNotFound, InstanceRecord, InstanceStore, RuntimeStatus
from devtools.local_runner.durable.timers import TimerService
from devtools.local_runner.durable.worker import ActivityOutcome
from devtools.local_runner.index import ORCHESTRATION, FunctionIndex

log = logging.getLogger("devtools.local_runner.durable")
OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:"
DUPLICATE_POLICIES = ("idempotent", "extension")


class NonDeterminismError(RuntimeError):
    """The orchestrator's replay produced actions that differ from its history."""


class DuplicateInstance(RuntimeError):
    """An instance with that id exists in a state that does not allow starting it again."""


class InstanceGone(RuntimeError):
    """The instance already completed, failed or was terminated."""


class UnsupportedAction(RuntimeError):
    """The orchestrator used a Durable feature the local engine does not implement (entities, call_http)."""


@dataclass
class _Retry:
    """A `*_with_retry` task the engine is retrying (the extension's job for out-of-process languages)."""

    kind: str  # "activity" | "suborchestration"
    name: str
    input: str | None
    max_attempts: int
    interval_ms: int
    child_id: str | None = None
    version: str | None = None
    attempt: int = 1


@dataclass
class _Step:
    """What one episode produces: its timestamp, the events to append, the work to start afterwards."""

    now: datetime
    scheduled: list[dict[str, Any]] = field(default_factory=list)
    dispatches: list[Callable[[], None]] = field(default_factory=list)


@dataclass(eq=False)
class _Runtime:
    """Engine-side state of one execution (a continue-as-new or restart makes a new one)."""

    instance_id: str
    name: str
    input: str | None
    version: str
    parent: tuple[_Runtime, int] | None = None
    parent_name: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    inbox: list[dict[str, Any]] = field(default_factory=list)
    busy: bool = False
    finished: bool = False
    seq: int = 0
    seen: list[tuple[int, str]] = field(default_factory=list)
    retries: dict[int, _Retry] = field(default_factory=dict)
    retry_timers: dict[int, _Retry] = field(default_factory=dict)
    clock_floor: datetime = field(default_factory=utcnow)
    execution_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def next_timestamp(self) -> datetime:
        now = max(utcnow(), self.clock_floor + timedelta(microseconds=1))
        self.clock_floor = now
        return now


def flatten_actions(actions: Any) -> list[dict[str, Any]]:
    """Atomic actions in task-id order, for replay schema V1 (list of lists) and V2+ (compound actions)."""
    if isinstance(actions, list):
        return [leaf for item in actions for leaf in flatten_actions(item)]
    if isinstance(actions, dict) and actions.get("compoundActions") is not None:
        return [leaf for item in actions["compoundActions"] for leaf in flatten_actions(item)]
    return [actions]


def _signature(action: dict[str, Any]) -> tuple[int, str]:
    return int(action["actionType"]), str(action.get("functionName") or action.get("externalEventName") or "")


def _split_orchestrator_error(exc: BaseException) -> tuple[str, dict[str, Any] | None]:
    text = str(exc)
    message, marker, state = text.partition(OUT_OF_PROC_MARKER)
    if not marker:
        return text, None
    try:
        return message, json.loads(state)
    except json.JSONDecodeError:
        return message, None


class DurableEngine:
    """Runs orchestrations of one app. Thread-safe; `close()` stops timers and pools."""

    def __init__(
        self,
        index: FunctionIndex,
        activities: ActivityRunner,
        *,
        orchestrator_threads: int = 4,
        replay_schema: int = 2,
        hub_name: str = "TestHubName",
        default_version: str = "",
        duplicate_start: str = "idempotent",
    ) -> None:
        if duplicate_start not in DUPLICATE_POLICIES:
            raise ValueError(f"duplicate_start must be one of {DUPLICATE_POLICIES}")
        self.index = index
        self.activities = activities
        self.replay_schema = replay_schema
        self.hub_name = hub_name
        self.default_version = default_version
        self.duplicate_start = duplicate_start
        self.store = InstanceStore()
        self.timers = TimerService()
        self._runtimes: dict[str, _Runtime] = {}
        self._lock = threading.RLock()
        self._pool = concurrent.futures.ThreadPoolExecutor(orchestrator_threads, thread_name_prefix="orchestrator")
        self._closed = False

    # ---- client operations -----------------------------------------------------------------------------------

    def start_new(
        self,
        name: str,
        input_json: str | None = None,
        instance_id: str | None = None,
        version: str | None = None,
    ) -> tuple[str, bool]:
        """Start an orchestration; returns (instance id, whether a new execution was started).

        Duplicate ids: with `duplicate_start="idempotent"` (default) an instance that is Pending, Running or
        Completed is left alone and its id returned; Failed/Terminated instances are replaced. With "extension"
        the Durable extension's default (`overridableExistingInstanceStates: NonRunningStates`) is mimicked:
        Pending/Running raise DuplicateInstance, any other state is replaced by a new execution.
        """
        return self._start(name, input_json, instance_id, version, parent=None)

    def raise_event(self, instance_id: str, event_name: str, data_json: str | None = None) -> None:
        record = self.store.require(instance_id)
        if record.status.is_terminal:
            raise InstanceGone(instance_id)
        with self._lock:
            rt = self._runtimes[instance_id]
        self._post(rt, event(H.EVENT_RAISED, utcnow(), Name=event_name, Input=data_json))

    def terminate(self, instance_id: str, reason: str = "") -> None:
        record = self.store.require(instance_id)
        if record.status.is_terminal:
            raise InstanceGone(instance_id)
        with self._lock:
            rt = self._runtimes[instance_id]
        with rt.lock:
            rt.finished = True
            rt.inbox.clear()
        self.timers.cancel(rt)
        record.history.append(event(H.EXECUTION_TERMINATED, utcnow(), Input=json.dumps(reason)))
        self.store.update(instance_id, status=RuntimeStatus.TERMINATED, output=reason)
        self._notify_parent(rt, ok=False, payload=f"Orchestration '{instance_id}' was terminated: {reason}")

    def purge(self, instance_id: str) -> int:
        """Delete a finished instance's record and history; returns how many instances were deleted (0 or 1)."""
        record = self.store.get(instance_id)
        if record is None or not record.status.is_terminal:
            return 0
        with self._lock:
            self._runtimes.pop(instance_id, None)
        return int(self.store.delete(instance_id))

    def get(self, instance_id: str) -> InstanceRecord | None:
        return self.store.get(instance_id)

    def wait_for(self, instance_id: str, timeout: float = 30.0) -> InstanceRecord:
        """Block until the instance is Completed, Failed or Terminated."""
        return self.store.wait(instance_id, timeout)

    def fast_forward_timers(self, instance_id: str | None = None) -> int:
        """Fire pending durable timers (of one instance, or all) now; returns how many."""
        if instance_id is None:
            return self.timers.fast_forward()
        with self._lock:
            rt = self._runtimes.get(instance_id)
        return 0 if rt is None else self.timers.fast_forward(rt)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._lock:
            for rt in self._runtimes.values():
                rt.finished = True
        self.timers.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.activities.close()

    # ---- starting executions ---------------------------------------------------------------------------------

    def _start(
        self,
        name: str,
        input_json: str | None,
        instance_id: str | None,
        version: str | None,
        parent: tuple[_Runtime, int] | None,
    ) -> tuple[str, bool]:
        if self._closed:
            raise RuntimeError("durable engine is closed")
        function = self.index.get(name, ORCHESTRATION)
        instance_id = instance_id or uuid.uuid4().hex
        version = self.default_version if version is None else version
        with self._lock:
            existing = self.store.get(instance_id)
            if existing is not None:
                running = existing.status in (RuntimeStatus.PENDING, RuntimeStatus.RUNNING)
                if (
                    parent is None
                    and self.duplicate_start == "idempotent"
                    and (running or existing.status is RuntimeStatus.COMPLETED)
                ):
                    return instance_id, False
                if running:
                    raise DuplicateInstance(
                        f"An Orchestration instance with the status {existing.status.value} already exists."
                    )
                old = self._runtimes.get(instance_id)
                if old is not None:
                    old.finished = True
                    self.timers.cancel(old)
            rt = _Runtime(instance_id, function.name, input_json, version, parent=parent)
            record = InstanceRecord(
                instance_id=instance_id,
                name=function.name,
                input=input_json,
                version=version,
                parent_instance_id=parent[0].instance_id if parent else None,
            )
            self._runtimes[instance_id] = rt
            self.store.put(record)
            self._post(rt, self._execution_started(rt))
        return instance_id, True

    def _execution_started(self, rt: _Runtime) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "Name": rt.name,
            "Input": rt.input,
            "Version": rt.version,
            "OrchestrationInstance": {"InstanceId": rt.instance_id, "ExecutionId": rt.execution_id},
        }
        if rt.parent is not None:
            parent_rt, task_id = rt.parent
            fields["ParentInstance"] = {
                "Name": parent_rt.name,
                "OrchestrationInstance": {"InstanceId": parent_rt.instance_id, "ExecutionId": parent_rt.execution_id},
                "TaskScheduleId": task_id,
            }
        return event(H.EXECUTION_STARTED, utcnow(), **fields)

    # ---- inbox and episodes ----------------------------------------------------------------------------------

    def _post(self, rt: _Runtime, new_event: dict[str, Any]) -> None:
        with rt.lock:
            if rt.finished:
                return
            rt.inbox.append(new_event)
        self._kick(rt)

    def _kick(self, rt: _Runtime) -> None:
        with rt.lock:
            if rt.busy or rt.finished or not rt.inbox or self._closed:
                return
            rt.busy = True
        try:
            self._pool.submit(self._episode_guarded, rt)
        except RuntimeError:  # pool shut down while closing
            with rt.lock:
                rt.busy = False

    def _episode_guarded(self, rt: _Runtime) -> None:
        try:
            self._episode(rt)
        except Exception as exc:  # an engine or orchestrator-protocol error fails the instance, visibly
            log.exception("orchestration %s failed in the local engine", rt.instance_id)
            self._finish(rt, RuntimeStatus.FAILED, f"Orchestrator function '{rt.name}' failed: {exc}")
        finally:
            with rt.lock:
                rt.busy = False
            self._kick(rt)

    def _allocates_id(self, rt: _Runtime, ev: dict[str, Any]) -> bool:
        etype = ev["EventType"]
        if etype in (H.TASK_FAILED, H.SUB_ORCHESTRATION_INSTANCE_FAILED):
            return ev["TaskScheduledId"] in rt.retries
        if etype == H.TIMER_FIRED:
            retry = rt.retry_timers.get(ev["TimerId"])
            return retry is not None and retry.attempt < retry.max_attempts
        return False

    def _episode(self, rt: _Runtime) -> None:
        with rt.lock:
            events, rt.inbox = rt.inbox, []
            if rt.finished:
                return
        events.sort(key=lambda e: 0 if e["EventType"] == H.EXECUTION_STARTED else 1 if self._allocates_id(rt, e) else 2)
        record = self.store.require(rt.instance_id)
        if record.status is RuntimeStatus.PENDING:
            self.store.update(rt.instance_id, status=RuntimeStatus.RUNNING)
        step = _Step(rt.next_timestamp())
        for old in record.history:
            old["IsPlayed"] = True
        record.history.append(event(H.ORCHESTRATOR_STARTED, step.now))
        for ev in events:
            record.history.append(ev)
            self._bookkeep(rt, ev, step)

        context = {
            "history": record.history,
            "instanceId": rt.instance_id,
            "isReplaying": len(record.history) > len(events) + 1,
            "parentInstanceId": rt.parent[0].instance_id if rt.parent else None,
            "input": rt.input,
            "upperSchemaVersion": self.replay_schema,
        }
        handle = self.index.get(rt.name, ORCHESTRATION).user_function
        try:
            state = json.loads(handle(json.dumps(context)))
        except Exception as exc:  # the orchestrator raised: the instance fails with its message
            message, partial = _split_orchestrator_error(exc)
            if partial and partial.get("customStatus") is not None:
                self.store.update(rt.instance_id, custom_status=partial["customStatus"])
            record.history.append(event(H.EXECUTION_FAILED, utcnow(), Reason=message))
            self._finish(rt, RuntimeStatus.FAILED, f"Orchestrator function '{rt.name}' failed: {message}")
            return

        actions = flatten_actions(state.get("actions", []))
        signatures = [_signature(a) for a in actions]
        if len(signatures) < len(rt.seen) or signatures[: len(rt.seen)] != rt.seen:
            first = next((i for i, (a, b) in enumerate(zip(signatures, rt.seen, strict=False)) if a != b), None)
            raise NonDeterminismError(
                "Non-Deterministic workflow detected: replay produced "
                f"{signatures[first] if first is not None else 'fewer actions'} where the history has "
                f"{rt.seen[first] if first is not None else rt.seen[len(signatures) :]} (action #{first})"
            )
        new_actions = actions[len(rt.seen) :]
        rt.seen = signatures
        for action in new_actions:
            self._schedule(rt, action, step)
        record.history.extend(step.scheduled)
        record.history.append(event(H.ORCHESTRATOR_COMPLETED, step.now))
        self.store.update(rt.instance_id, custom_status=state.get("customStatus"))

        if state.get("isDone"):
            continue_as_new = [a for a in new_actions if a["actionType"] == A.CONTINUE_AS_NEW]
            if continue_as_new:
                self._continue_as_new(rt, continue_as_new[-1].get("input"))
                return
            output = state.get("output")
            record.history.append(
                event(H.EXECUTION_COMPLETED, utcnow(), Result=json.dumps(output), OrchestrationStatus="Completed")
            )
            self._finish(rt, RuntimeStatus.COMPLETED, output)
            return
        for dispatch in step.dispatches:
            dispatch()

    def _bookkeep(self, rt: _Runtime, ev: dict[str, Any], step: _Step) -> None:
        """Retry handling for an incoming event, mirroring the SDK's RetryAbleTask id allocation."""
        etype = ev["EventType"]
        if etype in (H.TASK_FAILED, H.SUB_ORCHESTRATION_INSTANCE_FAILED):
            retry = rt.retries.pop(ev["TaskScheduledId"], None)
            if retry is not None:
                timer_id, rt.seq = rt.seq, rt.seq + 1
                fire_at = step.now + timedelta(milliseconds=retry.interval_ms)
                rt.retry_timers[timer_id] = retry
                step.scheduled.append(event(H.TIMER_CREATED, step.now, event_id=timer_id, FireAt=format_ts(fire_at)))
                step.dispatches.append(lambda: self._start_timer(rt, timer_id, fire_at))
        elif etype in (H.TASK_COMPLETED, H.SUB_ORCHESTRATION_INSTANCE_COMPLETED):
            rt.retries.pop(ev["TaskScheduledId"], None)
        elif etype == H.TIMER_FIRED:
            retry = rt.retry_timers.pop(ev["TimerId"], None)
            if retry is not None and retry.attempt < retry.max_attempts:
                task_id, rt.seq = rt.seq, rt.seq + 1
                retry.attempt += 1
                rt.retries[task_id] = retry
                if retry.kind == "activity":
                    self._activity(rt, step, task_id, retry.name, retry.input)
                else:
                    self._sub_orchestration(
                        rt, step, task_id, retry.name, retry.input, child_id=retry.child_id or "", version=retry.version
                    )

    def _schedule(self, rt: _Runtime, action: dict[str, Any], step: _Step) -> None:
        kind = int(action["actionType"])
        if kind == A.WAIT_FOR_EXTERNAL_EVENT:
            return  # keyed by event name; raised events are appended whenever they arrive
        task_id, rt.seq = rt.seq, rt.seq + 1
        name = str(action.get("functionName") or "")
        if kind in (A.CALL_ACTIVITY, A.CALL_ACTIVITY_WITH_RETRY):
            if kind == A.CALL_ACTIVITY_WITH_RETRY:
                options = action.get("retryOptions") or {}
                rt.retries[task_id] = _Retry(
                    "activity",
                    name,
                    action.get("input"),
                    int(options.get("maxNumberOfAttempts", 1)),
                    int(options.get("firstRetryIntervalInMilliseconds", 1000)),
                )
            self._activity(rt, step, task_id, name, action.get("input"))
        elif kind in (A.CALL_SUB_ORCHESTRATOR, A.CALL_SUB_ORCHESTRATOR_WITH_RETRY):
            child_id = action.get("instanceId") or f"{rt.instance_id}:{task_id}"
            if kind == A.CALL_SUB_ORCHESTRATOR_WITH_RETRY:
                options = action.get("retryOptions") or {}
                rt.retries[task_id] = _Retry(
                    "suborchestration",
                    name,
                    action.get("input"),
                    int(options.get("maxNumberOfAttempts", 1)),
                    int(options.get("firstRetryIntervalInMilliseconds", 1000)),
                    child_id=child_id,
                    version=action.get("version"),
                )
            self._sub_orchestration(
                rt, step, task_id, name, action.get("input"), child_id=child_id, version=action.get("version")
            )
        elif kind == A.CREATE_TIMER:
            fire_at = parse_ts(action["fireAt"])
            step.scheduled.append(event(H.TIMER_CREATED, step.now, event_id=task_id, FireAt=action["fireAt"]))
            step.dispatches.append(lambda: self._start_timer(rt, task_id, fire_at))
        elif kind == A.CONTINUE_AS_NEW:
            return
        else:
            raise UnsupportedAction(f"action {A(kind).name} is not supported by the local Durable engine")

    def _activity(self, rt: _Runtime, step: _Step, task_id: int, name: str, input_json: str | None) -> None:
        step.scheduled.append(event(H.TASK_SCHEDULED, step.now, event_id=task_id, Name=name, Input=input_json))

        def completed(future: concurrent.futures.Future[ActivityOutcome]) -> None:
            ok, payload = future.result()
            if ok:
                self._post(rt, event(H.TASK_COMPLETED, utcnow(), TaskScheduledId=task_id, Result=payload))
            else:
                reason, details = payload
                self._post(rt, event(H.TASK_FAILED, utcnow(), TaskScheduledId=task_id, Reason=reason, Details=details))

        step.dispatches.append(lambda: self.activities.submit(name, input_json).add_done_callback(completed))

    def _sub_orchestration(
        self,
        rt: _Runtime,
        step: _Step,
        task_id: int,
        name: str,
        input_json: str | None,
        *,
        child_id: str,
        version: str | None,
    ) -> None:
        step.scheduled.append(
            event(
                H.SUB_ORCHESTRATION_INSTANCE_CREATED,
                step.now,
                event_id=task_id,
                Name=name,
                InstanceId=child_id,
                Input=input_json,
            )
        )

        def start() -> None:
            try:
                self._start(name, input_json, child_id, version, parent=(rt, task_id))
            except (LookupError, DuplicateInstance) as exc:
                self._post(
                    rt,
                    event(
                        H.SUB_ORCHESTRATION_INSTANCE_FAILED,
                        utcnow(),
                        TaskScheduledId=task_id,
                        Reason=str(exc),
                        Details="",
                    ),
                )

        step.dispatches.append(start)

    def _start_timer(self, rt: _Runtime, timer_id: int, fire_at: datetime) -> None:
        def fire() -> None:
            with rt.lock:
                rt.clock_floor = max(rt.clock_floor, fire_at)
            self._post(rt, event(H.TIMER_FIRED, utcnow(), TimerId=timer_id, FireAt=format_ts(fire_at)))

        self.timers.schedule(fire_at, rt, fire)

    # ---- ending executions -----------------------------------------------------------------------------------

    def _continue_as_new(self, rt: _Runtime, input_json: Any) -> None:
        if input_json is not None and not isinstance(input_json, str):
            input_json = json.dumps(input_json)
        with rt.lock:
            rt.finished = True
            carried = [e for e in rt.inbox if e["EventType"] == H.EVENT_RAISED]  # events survive continue-as-new
        self.timers.cancel(rt)
        new_rt = _Runtime(rt.instance_id, rt.name, input_json, rt.version, parent=rt.parent)
        with self._lock:
            self._runtimes[rt.instance_id] = new_rt
            record = self.store.require(rt.instance_id)
            self.store.update(
                rt.instance_id, history=[], input=input_json, continued_as_new=record.continued_as_new + 1
            )
        self._post(new_rt, self._execution_started(new_rt))
        for carried_event in carried:
            self._post(new_rt, carried_event)

    def _finish(self, rt: _Runtime, status: RuntimeStatus, output: Any) -> None:
        with rt.lock:
            if rt.finished:
                return
            rt.finished = True
            rt.inbox.clear()
        self.timers.cancel(rt)
        self.store.update(rt.instance_id, status=status, output=output)
        self._notify_parent(rt, ok=status is RuntimeStatus.COMPLETED, payload=output)

    def _notify_parent(self, rt: _Runtime, *, ok: bool, payload: Any) -> None:
        if rt.parent is None:
            return
        parent_rt, task_id = rt.parent
        if ok:
            ev = event(
                H.SUB_ORCHESTRATION_INSTANCE_COMPLETED, utcnow(), TaskScheduledId=task_id, Result=json.dumps(payload)
            )
        else:
            ev = event(
                H.SUB_ORCHESTRATION_INSTANCE_FAILED, utcnow(), TaskScheduledId=task_id, Reason=str(payload), Details=""
            )
        self._post(parent_rt, ev)


__all__ = [
    "DuplicateInstance",
    "DurableEngine",
    "InstanceGone",
    "InstanceNotFound",
    "NonDeterminismError",
    "UnsupportedAction",
    "flatten_actions",
]
