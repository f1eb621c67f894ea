"""Poison queues end in the dead-letter table: a consumer that always fails is retried maxDequeueCount (5) times by
the host, its message reaches `<queue>-poison`, the poison trigger records it with the last error (masked) and counts
it; after the fix, `manage.py queues replay` applies it once and a second replay does nothing."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy
from typer.testing import CliRunner

from shared.application import dead_letters
from tests.ops.apps import poison_app

APPS = Path(__file__).resolve().parent / "apps"


@pytest.fixture
def host(local_host_factory, fresh_db, azurite):
    host = local_host_factory(
        "tests.ops.apps.poison_app:app",
        host_json=APPS / "host.json",
        env={"DATABASE_URL": fresh_db.app_url},
        with_azurite=True,
    )
    for name in (poison_app.QUEUE, f"{poison_app.QUEUE}-poison"):
        client = QueueClient.from_connection_string(azurite, name)
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        client.clear_messages()
    poison_app.BROKEN["on"] = True
    poison_app.APPLIED.clear()
    yield host
    host.stop()


def _send(azurite: str, body: dict) -> None:
    QueueClient.from_connection_string(
        azurite, poison_app.QUEUE, message_encode_policy=TextBase64EncodePolicy()
    ).send_message(json.dumps(body))


def test_always_failing_consumer_ends_in_dead_letters_and_replays_once(host, azurite, fresh_db) -> None:
    _send(azurite, {"key": "evt-1", "tenant_id": None, "correlation_id": "corr-dl-1"})
    stats = host.run_queues_until_idle(timeout=60)
    assert stats.by_function["ops_consumer"]["failed"] == 5  # maxDequeueCount in host.json
    assert stats.by_function["ops_consumer"]["poisoned"] == 1
    assert stats.by_function["poison_ops_test_events"]["succeeded"] == 1

    (letter,) = dead_letters.list_letters(queue=poison_app.QUEUE)
    assert letter.attempts == 5 and letter.poison_count == 1 and letter.correlation_id == "corr-dl-1"
    assert "downstream refused" in letter.error and "442 123 4567" not in letter.error
    assert poison_app.APPLIED == {}

    # still broken: the replay fails, the letter stays open
    (failed,) = dead_letters.replay(queue=poison_app.QUEUE, now=datetime.now(UTC))
    assert not failed.succeeded and dead_letters.list_letters(queue=poison_app.QUEUE)

    poison_app.BROKEN["on"] = False  # the fix
    from cli.app import app as cli_app

    result = CliRunner().invoke(cli_app, ["queues", "replay", "--queue", poison_app.QUEUE, "--json"])
    assert result.exit_code == 0, result.output
    assert [o["succeeded"] for o in json.loads(result.output)] == [True]
    again = CliRunner().invoke(cli_app, ["queues", "replay", "--queue", poison_app.QUEUE, "--json"])
    assert again.exit_code == 0 and json.loads(again.output) == []
    assert poison_app.APPLIED == {"evt-1": 1}
    assert dead_letters.list_letters(queue=poison_app.QUEUE) == []
    (closed,) = dead_letters.list_letters(queue=poison_app.QUEUE, include_replayed=True)
    assert closed.replayed_at is not None and closed.replay_attempts == 2


def test_poison_redelivery_is_one_letter(host, azurite, fresh_db) -> None:
    now = datetime.now(UTC)
    body = json.dumps({"key": "evt-2"})
    first = dead_letters.record_poison(queue=poison_app.QUEUE, body=body, now=now)
    second = dead_letters.record_poison(queue=poison_app.QUEUE, body=body, now=now)
    assert first.id == second.id and second.poison_count == 2
    assert len(dead_letters.list_letters(queue=poison_app.QUEUE)) == 1


def test_unknown_queue_is_refused(fresh_db) -> None:
    with pytest.raises(dead_letters.UnknownQueue):
        dead_letters.replay(queue="no-such-queue", now=datetime.now(UTC))
