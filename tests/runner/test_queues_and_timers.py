"""Queue triggers against Azurite (output bindings, poison queue, serve mode) and the timer scheduler."""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from devtools.local_runner.host import LocalHost
from devtools.local_runner.timers import TimerHost

QUEUES = ["payments-in", "payments-in-poison", "notifications", "fanout-in", "fanout-out"]


def queue(conn: str, name: str) -> QueueClient:
    client = QueueClient.from_connection_string(
        conn, name, message_encode_policy=TextBase64EncodePolicy(), message_decode_policy=TextBase64DecodePolicy()
    )
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    return client


def drain(client: QueueClient) -> list[str]:
    return [m.content for m in client.receive_messages(max_messages=32, visibility_timeout=1)]


@pytest.fixture
def queues(sample_host: LocalHost, azurite: str) -> dict[str, QueueClient]:
    clients = {name: queue(azurite, name) for name in QUEUES}
    for client in clients.values():
        client.clear_messages()
    sample_host.queues.stats.__init__()  # fresh counters per test
    return clients


def test_good_message_goes_to_output_queue_and_bad_one_to_poison(sample_host: LocalHost, queues) -> None:
    queues["payments-in"].send_message(json.dumps({"account": 7, "amount": "10.50"}))
    queues["payments-in"].send_message("esto no es json")
    stats = sample_host.run_queues_until_idle(timeout=20)
    assert stats.by_function["process_payment"] == {"received": 4, "succeeded": 1, "failed": 3, "poisoned": 1}
    assert [json.loads(m) for m in drain(queues["notifications"])] == [{"account": 7, "amount": "10.50", "try": 1}]
    assert drain(queues["payments-in-poison"]) == ["esto no es json"]  # maxDequeueCount=3 in the test host.json
    assert sample_host.queues.pending() == 0


def test_async_function_with_list_output(sample_host: LocalHost, queues) -> None:
    queues["fanout-in"].send_message("uno dos tres")
    sample_host.run_queues_until_idle(timeout=10)
    assert sorted(drain(queues["fanout-out"])) == ["dos", "tres", "uno"]


def test_serve_mode_polls_in_background(sample_host: LocalHost, queues) -> None:
    sample_host.queues.start()
    try:
        queues["payments-in"].send_message(json.dumps({"account": 9, "amount": "1.00"}))
        deadline = time.monotonic() + 30  # generous: CI machines are busy
        received: list[str] = []
        while not received:
            assert time.monotonic() < deadline, (
                f"background queue host did not process the message: {sample_host.queues.stats}"
            )
            time.sleep(0.1)
            received = drain(queues["notifications"])
        assert json.loads(received[0])["account"] == 9
    finally:
        sample_host.queues.stop()


def test_serve_mode_serves_each_queue_on_its_own(sample_host: LocalHost, queues) -> None:
    """A slow message on one queue never holds up another queue (head-of-line blocking made a burst of payments
    wait behind one slow domain-event consumer)."""
    from tests.runner.apps import sample_app

    sample_app.HOLD_RELEASED.clear()
    sample_host.queues.start()
    try:
        queues["fanout-in"].send_message("hold uno")
        deadline = time.monotonic() + 30
        while sample_host.queues.stats.by_function.get("split_message", {}).get("received", 0) == 0:
            assert time.monotonic() < deadline, "the slow message was never received"
            time.sleep(0.05)
        queues["payments-in"].send_message(json.dumps({"account": 11, "amount": "2.00"}))
        received: list[str] = []
        while not received:
            assert time.monotonic() < deadline, f"payments waited behind the slow message: {sample_host.queues.stats}"
            time.sleep(0.1)
            received = drain(queues["notifications"])
        assert json.loads(received[0])["account"] == 11
        assert drain(queues["fanout-out"]) == []  # the slow one is still running
        sample_app.HOLD_RELEASED.set()
        out: list[str] = []
        while not out:
            assert time.monotonic() < deadline
            time.sleep(0.1)
            out = drain(queues["fanout-out"])
        assert out == ["uno"]
    finally:
        sample_app.HOLD_RELEASED.set()
        sample_host.queues.stop()


def test_timer_scheduler_fires_on_schedule(sample_host: LocalHost) -> None:
    timers = TimerHost(
        sample_host.index,
        sample_host.invoker,
        client_binding=sample_host.client_binding,
        env={"SAMPLE_SCHEDULE": "* * * * * *", "SAMPLE_TIMER_INSTANCE": "unused"},
    )
    assert timers.schedule_of("nightly_timer").seconds == frozenset(range(60))
    timers.start()
    try:
        deadline = time.monotonic() + 5
        while not timers.fired:
            assert time.monotonic() < deadline, "scheduled timer never fired"
            time.sleep(0.05)
    finally:
        timers.stop()
    assert timers.fired[0][0] == "nightly_timer" and timers.fired[0][2] is False
