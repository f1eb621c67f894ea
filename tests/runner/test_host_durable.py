"""End to end through LocalHost: HTTP durable starters using the real DurableOrchestrationClient, process-pool
activities, the extension's HTTP API, and a timer that starts an orchestration through its client binding."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from devtools.local_runner.durable.store import RuntimeStatus
from devtools.local_runner.host import LocalHost


@pytest.fixture
def http(sample_host: LocalHost):
    with httpx.Client(base_url=sample_host.base_url, timeout=30) as client:
        yield client


def poll(http: httpx.Client, url: str, timeout: float = 15) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(url)
        if response.status_code != 202:
            return response
        assert time.monotonic() < deadline, f"still running: {response.json()}"
        time.sleep(0.05)


def test_activities_run_in_several_worker_processes(sample_host: LocalHost) -> None:
    iid = sample_host.start_orchestration("pid_fanout", 8)
    record = sample_host.wait_for(iid, 30)
    assert record.status is RuntimeStatus.COMPLETED
    pids = set(record.output)
    assert len(pids) >= 2, f"all activities ran in one process: {pids}"
    import os

    assert os.getpid() not in pids  # and none of them in the host process


def test_http_starter_then_poll_status_query_uri(sample_host: LocalHost, http: httpx.Client, tmp_path: Path) -> None:
    run = {"period": "2025-03", "sectors": ["N", "S"], "counter": str(tmp_path), "fail_times": 1}
    response = http.post("/api/orchestrators/billing_run/run-2025-03", json=run)
    assert response.status_code == 202
    payload = response.json()
    assert payload["id"] == "run-2025-03"
    assert response.headers["location"] == payload["statusQueryGetUri"]
    assert payload["statusQueryGetUri"].startswith(sample_host.base_url + "/runtime/webhooks/durabletask/instances/")
    final = poll(http, payload["statusQueryGetUri"])
    assert final.status_code == 200
    body = final.json()
    assert body["runtimeStatus"] == "Completed"
    assert body["output"]["stamped"] == ["UUID-N-2", "UUID-S-2"]
    assert body["input"] == run
    status = http.get("/api/status/run-2025-03").json()  # client.get_status through the RPC API
    assert status == {
        "exists": True,
        "runtime_status": "Completed",
        "output": body["output"],
        "custom_status": {"sectors": 2, "stage": "done"},
    }


def test_wait_for_completion_or_check_status(http: httpx.Client) -> None:
    response = http.post("/api/run/paging", json={"page": 1, "pages": 2, "total": 0})
    assert response.status_code == 200
    assert response.json() == {"pages": 2, "total": 30, "past_due": None}


def test_raise_event_and_terminate_through_the_client(sample_host: LocalHost, http: httpx.Client) -> None:
    assert http.post("/api/orchestrators/approval/appr-1", json={"timeout_seconds": 60}).status_code == 202
    deadline = time.monotonic() + 5
    while http.get("/api/status/appr-1").json()["custom_status"] != "waiting":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert http.post("/api/events/appr-1/approve", json={"user": "lucia"}).status_code == 202
    assert sample_host.wait_for("appr-1", 5).output["by"] == {"user": "lucia"}

    assert http.post("/api/orchestrators/two_events/term-1").status_code == 202
    assert http.post("/api/terminate/term-1").status_code == 202
    record = sample_host.wait_for("term-1", 5)
    assert record.status is RuntimeStatus.TERMINATED and record.output == "cancelado por prueba"
    # the client surfaces the extension's 410 for an event to a terminated instance as an exception -> HTTP 500
    assert http.post("/api/events/term-1/first", json=1).status_code == 500


def test_status_of_unknown_instance_and_unknown_orchestrator(http: httpx.Client) -> None:
    assert http.get("/api/status/nobody").json()["exists"] is False
    assert http.get("/runtime/webhooks/durabletask/instances/nobody").status_code == 404
    assert http.post("/api/orchestrators/not_an_orchestrator").status_code == 500  # client raised


def test_management_api_lists_and_purges(sample_host: LocalHost, http: httpx.Client) -> None:
    iid = sample_host.start_orchestration("paging", {"page": 1, "pages": 1, "total": 0}, "purge-me")
    sample_host.wait_for(iid, 10)
    listed = http.get("/runtime/webhooks/durabletask/instances/", params={"instanceIdPrefix": "purge-"}).json()
    assert [i["instanceId"] for i in listed] == ["purge-me"]
    assert http.delete(f"/runtime/webhooks/durabletask/instances/{iid}").json() == {"instancesDeleted": 1}
    assert http.get(f"/runtime/webhooks/durabletask/instances/{iid}").status_code == 404


def test_timer_starts_orchestration_through_client_binding(sample_host: LocalHost) -> None:
    sample_host.fire_timer("nightly_timer", past_due=True)
    record = sample_host.wait_for("nightly", 15)
    assert record.status is RuntimeStatus.COMPLETED
    assert record.output == {"pages": 2, "total": 30, "past_due": True}
    assert sample_host.timers.fired[-1][0] == "nightly_timer"
    created = record.created
    sample_host.fire_timer("nightly_timer")  # completed + same id: idempotent start, no second run
    assert sample_host.wait_for("nightly", 5).created == created
