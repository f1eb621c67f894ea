"""TEST-ONLY function app: one queue consumer guarded like the product's (dead_letters.guarded), failing while
BROKEN is set, and the product's poison trigger factory (functions.poison.add_poison_trigger) on its poison queue.
APPLIED records each message the consumer (or the replay) applied, keyed by the message's natural key."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from functions.poison import add_poison_trigger
from shared.application import dead_letters

QUEUE = "ops-test-events"
BROKEN = {"on": True}
APPLIED: dict[str, int] = {}

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def apply(body: str, now: datetime) -> str:
    if BROKEN["on"]:
        raise RuntimeError("downstream refused the notice for 442 123 4567")  # PII in the error text on purpose
    key = json.loads(body)["key"]
    APPLIED[key] = APPLIED.get(key, 0) + 1
    return "applied"


dead_letters.register_replayer(QUEUE, apply)


@app.queue_trigger(arg_name="msg", queue_name=QUEUE, connection="AzureWebJobsStorage")
def ops_consumer(msg: func.QueueMessage) -> None:
    body, now = msg.get_body().decode(), datetime.now(UTC)
    with dead_letters.guarded(queue=QUEUE, body=body, now=now):
        apply(body, now)


bp = df.Blueprint()
add_poison_trigger(bp, queue=QUEUE)
app.register_functions(bp)
