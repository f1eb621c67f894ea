"""The Durable engine driving the sample orchestrators through the SDK's real replay engine (in-process activities)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from azure.durable_functions.models.history.HistoryEventType import HistoryEventType as H

from devtools.local_runner.durable.engine import DuplicateInstance, DurableEngine, InstanceGone
from devtools.local_runner.durable.store import RuntimeStatus
from devtools.local_runner.index import UnknownFunction


def start(engine: DurableEngine, name: str, value: object = None, instance_id: str | None = None) -> str:
    instance_id, _ = engine.start_new(name, json.dumps(value) if value is not None else None, instance_id)
    return instance_id


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)


def counts(counter: Path) -> dict[str, int]:
    return {p.stem: int(p.read_text()) for p in counter.glob("*.count")}


def test_fan_out_sub_orchestrations_with_flaky_retry(engine: DurableEngine, tmp_path: Path) -> None:
    run = {
        "period": "2025-01",
        "sectors": ["S01", "S02", "S03"],
        "counter": str(tmp_path),
        "fail_times": 2,
        "chunks": 3,
    }
    iid = start(engine, "billing_run", run)
    record = engine.wait_for(iid, 15)
    assert record.status is RuntimeStatus.COMPLETED, record.output
    assert record.output["invoices"] == 3 * 3 * 3
    assert record.output["stamped"] == ["UUID-S01-3", "UUID-S02-3", "UUID-S03-3"]  # third attempt succeeded
    assert counts(tmp_path) == {"S01": 3, "S02": 3, "S03": 3}
    assert record.custom_status == {"sectors": 3, "stage": "done"}
    children = [engine.get(f"bill-2025-01-{s}") for s in run["sectors"]]
    assert all(c is not None and c.status is RuntimeStatus.COMPLETED for c in children)
    assert {c.parent_instance_id for c in children if c} == {iid}
    history = engine.get(iid).history
    assert history[1]["EventType"] == H.EXECUTION_STARTED and history[1]["Version"] == ""
    created = [e for e in history if e["EventType"] == H.SUB_ORCHESTRATION_INSTANCE_CREATED]
    assert sorted(e["InstanceId"] for e in created) == [f"bill-2025-01-{s}" for s in run["sectors"]]


def test_retry_exhaustion_fails_the_orchestration(engine: DurableEngine, tmp_path: Path) -> None:
    iid = start(engine, "retry_exhausted", {"counter": str(tmp_path)})
    record = engine.wait_for(iid, 10)
    assert record.status is RuntimeStatus.FAILED
    assert "PAC timeout" in record.output and "always_fails" in record.output
    assert counts(tmp_path) == {"always": 3}  # max_number_of_attempts
    timers = [e for e in record.history if e["EventType"] == H.TIMER_CREATED]
    assert len(timers) == 3  # one retry timer per failure, including the extra one after the last attempt


def test_sub_orchestration_with_retry(engine: DurableEngine, tmp_path: Path) -> None:
    iid = start(engine, "sub_retry", {"counter": str(tmp_path), "fail_times": 2, "key": "child"})
    record = engine.wait_for(iid, 10)
    assert record.status is RuntimeStatus.COMPLETED, record.output
    assert record.output == "child:UUID-child-3"
    failed = [e for e in record.history if e["EventType"] == H.SUB_ORCHESTRATION_INSTANCE_FAILED]
    assert len(failed) == 2


def test_interleaved_retries_keep_task_ids_in_step(engine: DurableEngine, tmp_path: Path) -> None:
    iid = start(engine, "parallel_retries", {"counter": str(tmp_path)})
    record = engine.wait_for(iid, 15)
    assert record.status is RuntimeStatus.COMPLETED, record.output
    out = record.output
    assert out["results"] == ["UUID-p0-1", "UUID-p1-2", "UUID-p2-3", "UUID-p3-4", 10]
    assert (out["after"], out["winner"], out["last"], out["final"]) == (20, 30, 40, 50)


def test_task_any_external_event_wins(engine: DurableEngine) -> None:
    iid = start(engine, "approval", {"timeout_seconds": 60})
    wait_until(lambda: engine.get(iid).custom_status == "waiting")
    engine.raise_event(iid, "approve", json.dumps("ana"))
    record = engine.wait_for(iid, 5)
    assert record.output == {"result": "approved", "by": "ana", "now_after_deadline": False}


def test_task_any_timer_wins(engine: DurableEngine) -> None:
    iid = start(engine, "approval", {"timeout_seconds": 0.2})
    record = engine.wait_for(iid, 5)
    assert record.output == {"result": "timeout", "now_after_deadline": True}


def test_fast_forward_fires_a_long_timer_and_advances_the_orchestration_clock(engine: DurableEngine) -> None:
    iid = start(engine, "approval", {"timeout_seconds": 86_400})
    wait_until(lambda: engine.timers.pending() > 0 and engine.get(iid).custom_status == "waiting")
    assert engine.fast_forward_timers(iid) == 1
    record = engine.wait_for(iid, 5)
    assert record.output == {"result": "timeout", "now_after_deadline": True}


def test_events_raised_before_they_are_awaited_are_kept(engine: DurableEngine) -> None:
    iid = start(engine, "two_events")
    engine.raise_event(iid, "second", json.dumps({"n": 2}))
    engine.raise_event(iid, "first", json.dumps({"n": 1}))
    assert engine.wait_for(iid, 5).output == [{"n": 1}, {"n": 2}]


def test_continue_as_new_restarts_with_fresh_history(engine: DurableEngine) -> None:
    iid = start(engine, "paging", {"page": 1, "pages": 4, "total": 0})
    record = engine.wait_for(iid, 10)
    assert record.output == {"pages": 4, "total": 100, "past_due": None}
    assert record.continued_as_new == 3
    started = [e for e in record.history if e["EventType"] == H.EXECUTION_STARTED]
    assert len(started) == 1 and json.loads(started[0]["Input"])["page"] == 4


def test_non_determinism_is_detected(engine: DurableEngine) -> None:
    iid = start(engine, "nondeterministic")
    record = engine.wait_for(iid, 5)
    assert record.status is RuntimeStatus.FAILED
    assert "Non-Deterministic workflow detected" in record.output


def test_async_activities_and_plain_string_input(engine: DurableEngine) -> None:
    iid = start(engine, "async_activity_orch")
    assert engine.wait_for(iid, 5).output == [42, "TEXTO PLANO"]


def test_unsupported_durable_feature_fails_visibly(engine_v3: DurableEngine) -> None:
    record = engine_v3.wait_for(start(engine_v3, "uses_http"), 5)
    assert record.status is RuntimeStatus.FAILED and "CALL_HTTP" in record.output


def test_unknown_orchestrator_is_rejected(engine_v3: DurableEngine) -> None:
    with pytest.raises(UnknownFunction):
        engine_v3.start_new("no_such_orchestrator")


def test_duplicate_start_idempotent_while_running_or_completed(engine_v3: DurableEngine) -> None:
    iid = start(engine_v3, "two_events", instance_id="dup-1")
    assert engine_v3.start_new("two_events", None, "dup-1") == ("dup-1", False)
    engine_v3.raise_event(iid, "first", "1")
    engine_v3.raise_event(iid, "second", "2")
    assert engine_v3.wait_for(iid, 5).output == [1, 2]
    assert engine_v3.start_new("two_events", None, "dup-1") == ("dup-1", False)
    assert engine_v3.get("dup-1").output == [1, 2]


def test_duplicate_start_replaces_failed_and_terminated(engine_v3: DurableEngine) -> None:
    iid = start(engine_v3, "two_events", instance_id="dup-2")
    engine_v3.terminate(iid, "manual")
    assert engine_v3.get(iid).status is RuntimeStatus.TERMINATED
    with pytest.raises(InstanceGone):
        engine_v3.raise_event(iid, "first", "1")
    assert engine_v3.start_new("paging", json.dumps({"page": 1, "pages": 1, "total": 0}), iid) == (iid, True)
    assert engine_v3.wait_for(iid, 5).output["total"] == 10


def test_extension_policy_rejects_running_and_reruns_completed(invoker, engine_v3: DurableEngine) -> None:
    engine = DurableEngine(engine_v3.index, engine_v3.activities, duplicate_start="extension")
    try:
        engine.start_new("two_events", None, "dup-3")
        with pytest.raises(DuplicateInstance):
            engine.start_new("two_events", None, "dup-3")
        engine.terminate("dup-3", "done")
        paging = json.dumps({"page": 1, "pages": 1, "total": 0})
        assert engine.start_new("paging", paging, "dup-3") == ("dup-3", True)
        engine.wait_for("dup-3", 5)
        assert engine.start_new("paging", paging, "dup-3") == ("dup-3", True)  # Completed is re-run, like Azure
        assert engine.wait_for("dup-3", 5).status is RuntimeStatus.COMPLETED
    finally:
        engine.close()


def test_purge_only_finished_instances(engine_v3: DurableEngine) -> None:
    iid = start(engine_v3, "two_events")
    assert engine_v3.purge(iid) == 0
    engine_v3.terminate(iid, "x")
    assert engine_v3.purge(iid) == 1 and engine_v3.get(iid) is None
