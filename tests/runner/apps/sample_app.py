"""TEST-ONLY function app for the local runner: every trigger kind the runner hosts, with no project logic.

HTTP (route params, a durable starter using the real DurableOrchestrationClient), a timer that starts an
orchestration through the client binding, queue functions with output bindings, and orchestrators/activities
covering fan-out/fan-in with sub-orchestrations, retries, task_any + timer, external events, continue_as_new and a
deliberately non-deterministic orchestrator.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


# ---- HTTP ---------------------------------------------------------------------------------------------------


@app.route(route="hello/{name?}", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params.get("name") or req.params.get("name") or "mundo"
    return func.HttpResponse(f"Hola, {name}", mimetype="text/plain")


@app.route(route="items/{item_id:int}", methods=["GET"])
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    body = {"item_id": int(req.route_params["item_id"]), "type": type(req.route_params["item_id"]).__name__}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="files/{*path}", methods=["GET"])
def get_file(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"path": req.route_params.get("path", "")}), mimetype="application/json")


@app.route(route="echo", methods=["POST", "PUT"])
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    body = {
        "method": req.method,
        "json": req.get_json(),
        "header": req.headers.get("x-test"),
        "params": dict(req.params),
        "url": req.url,
    }
    return func.HttpResponse(json.dumps(body), status_code=201, headers={"X-Echo": "1"}, mimetype="application/json")


@app.route(route="orchestrators/{function_name}/{instance_id?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_orchestration(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    instance_id = await client.start_new(
        req.route_params["function_name"], req.route_params.get("instance_id"), json.loads(body) if body else None
    )
    return client.create_check_status_response(req, instance_id)


@app.route(route="run/{function_name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def run_and_wait(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    run_input = req.get_json() if req.get_body() else None
    instance_id = await client.start_new(req.route_params["function_name"], None, run_input)
    return await client.wait_for_completion_or_create_check_status_response(req, instance_id, 20000, 100)


@app.route(route="status/{instance_id}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def get_status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    status = await client.get_status(req.route_params["instance_id"])
    body = {
        "exists": bool(status),
        "runtime_status": status.runtime_status.value if status.runtime_status else None,
        "output": status.output,
        "custom_status": status.custom_status,
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="events/{instance_id}/{event_name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def send_event(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    await client.raise_event(req.route_params["instance_id"], req.route_params["event_name"], req.get_json())
    return func.HttpResponse(status_code=202)


@app.route(route="terminate/{instance_id}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def terminate(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    await client.terminate(req.route_params["instance_id"], "cancelado por prueba")
    return func.HttpResponse(status_code=202)


# ---- timer --------------------------------------------------------------------------------------------------


@app.timer_trigger(arg_name="timer", schedule="%SAMPLE_SCHEDULE%", run_on_startup=False, use_monitor=False)
@app.durable_client_input(client_name="client")
async def nightly_timer(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    instance_id = os.environ.get("SAMPLE_TIMER_INSTANCE", "nightly")
    status = await client.get_status(instance_id)
    if status and status.runtime_status in (
        df.OrchestrationRuntimeStatus.Running,
        df.OrchestrationRuntimeStatus.Pending,
    ):
        return
    await client.start_new("paging", instance_id, {"page": 1, "pages": 2, "total": 0, "past_due": timer.past_due})


# ---- queues -------------------------------------------------------------------------------------------------


@app.queue_trigger(arg_name="msg", queue_name="payments-in", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="notify", queue_name="notifications", connection="AzureWebJobsStorage")
def process_payment(msg: func.QueueMessage, notify: func.Out[str]) -> None:
    payment = msg.get_json()  # a malformed body raises: the message is retried, then poisoned
    if "amount" not in payment:
        raise ValueError("payment without amount")
    notify.set(json.dumps({"account": payment["account"], "amount": payment["amount"], "try": msg.dequeue_count}))


@app.queue_trigger(arg_name="msg", queue_name="fanout-in", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="out", queue_name="fanout-out", connection="AzureWebJobsStorage")
async def split_message(msg: func.QueueMessage, out: func.Out[list[str]]) -> None:
    await asyncio.sleep(0)
    words = msg.get_body().decode("utf-8").split()
    if words and words[0] == "hold":  # a slow message: waits until the test releases it (at most a minute)
        deadline = time.monotonic() + 60
        while not HOLD_RELEASED.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        words = words[1:]
    out.set(words)


HOLD_RELEASED = threading.Event()


# ---- orchestrators ------------------------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def billing_run(context: df.DurableOrchestrationContext):
    """Fan-out per sector (sub-orchestration each), fan-in of their totals."""
    run = context.get_input()
    sectors = yield context.call_activity("list_sectors", run)
    context.set_custom_status({"sectors": len(sectors), "stage": "billing"})
    results = yield context.task_all(
        [
            context.call_sub_orchestrator("sector_run", {**run, "sector": s}, instance_id=f"bill-{run['period']}-{s}")
            for s in sectors
        ]
    )
    context.set_custom_status({"sectors": len(sectors), "stage": "done"})
    return {
        "period": run["period"],
        "invoices": sum(r["invoices"] for r in results),
        "stamped": sorted(r["stamp"] for r in results),
        "pids": sorted({p for r in results for p in r["pids"]}),
    }


@app.orchestration_trigger(context_name="context")
def sector_run(context: df.DurableOrchestrationContext):
    job = context.get_input()
    chunks = yield context.call_activity("plan_chunks", job)
    counts = yield context.task_all([context.call_activity("bill_chunk", c) for c in chunks])
    retry = df.RetryOptions(first_retry_interval_in_milliseconds=30, max_number_of_attempts=4)
    stamp = yield context.call_activity_with_retry(
        "flaky_stamp",
        retry,
        {"counter": job.get("counter"), "fail_times": job.get("fail_times", 0), "key": job["sector"]},
    )
    return {"invoices": sum(c["invoices"] for c in counts), "stamp": stamp, "pids": [c["pid"] for c in counts]}


@app.orchestration_trigger(context_name="context")
def retry_exhausted(context: df.DurableOrchestrationContext):
    retry = df.RetryOptions(first_retry_interval_in_milliseconds=20, max_number_of_attempts=3)
    yield context.call_activity_with_retry("always_fails", retry, context.get_input())
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def sub_retry(context: df.DurableOrchestrationContext):
    """A flaky sub-orchestration retried by the engine (call_sub_orchestrator_with_retry)."""
    retry = df.RetryOptions(first_retry_interval_in_milliseconds=20, max_number_of_attempts=3)
    result = yield context.call_sub_orchestrator_with_retry("flaky_child", retry, context.get_input())
    return result


@app.orchestration_trigger(context_name="context")
def flaky_child(context: df.DurableOrchestrationContext):
    value = yield context.call_activity("flaky_stamp", context.get_input())
    return f"child:{value}"


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    """Waits for an 'approve' event or a timeout timer, whichever comes first."""
    seconds = context.get_input()["timeout_seconds"]
    deadline = context.current_utc_datetime + timedelta(seconds=seconds)
    timer = context.create_timer(deadline)
    approved = context.wait_for_external_event("approve")
    context.set_custom_status("waiting")
    winner = yield context.task_any([approved, timer])
    if winner == approved:
        timer.cancel()
        return {"result": "approved", "by": approved.result, "now_after_deadline": False}
    return {"result": "timeout", "now_after_deadline": context.current_utc_datetime >= deadline}


@app.orchestration_trigger(context_name="context")
def two_events(context: df.DurableOrchestrationContext):
    first = yield context.wait_for_external_event("first")
    second = yield context.wait_for_external_event("second")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def paging(context: df.DurableOrchestrationContext):
    state = context.get_input()
    count = yield context.call_activity("count_page", state["page"])
    total = state["total"] + count
    if state["page"] < state["pages"]:
        context.continue_as_new({**state, "page": state["page"] + 1, "total": total})
        return None
    return {"pages": state["pages"], "total": total, "past_due": state.get("past_due")}


_replays = {"count": 0}


@app.orchestration_trigger(context_name="context")
def nondeterministic(context: df.DurableOrchestrationContext):
    """Calls a different activity on every replay: the engine must report non-determinism."""
    _replays["count"] += 1
    name = "count_page" if _replays["count"] % 2 else "whoami"
    yield context.call_activity(name, 1)
    yield context.call_activity("count_page", 2)
    return "never"


@app.orchestration_trigger(context_name="context")
def pid_fanout(context: df.DurableOrchestrationContext):
    n = context.get_input()
    pids = yield context.task_all([context.call_activity("whoami", 0.3) for _ in range(n)])
    return pids


@app.orchestration_trigger(context_name="context")
def async_activity_orch(context: df.DurableOrchestrationContext):
    a = yield context.call_activity("async_double", 21)
    b = yield context.call_activity("echo_text", "texto plano")
    return [a, b]


@app.orchestration_trigger(context_name="context")
def parallel_retries(context: df.DurableOrchestrationContext):
    """Retries interleaved with other tasks; a task_any loser keeps retrying while new tasks are scheduled.

    Checks that the engine's task ids stay in step with the SDK's (a mismatch hangs or mixes up results).
    """
    job = context.get_input()
    retry = df.RetryOptions(first_retry_interval_in_milliseconds=20, max_number_of_attempts=4)

    def flaky(key: str, fail_times: int):
        return context.call_activity_with_retry(
            "flaky_stamp", retry, {"counter": job["counter"], "fail_times": fail_times, "key": key}
        )

    results = yield context.task_all(
        [flaky(f"p{n}", n) for n in (0, 1, 2, 3)] + [context.call_activity("count_page", 1)]
    )
    after = yield context.call_activity("count_page", 2)
    loser = flaky("slow", 3)
    winner = yield context.task_any([loser, context.call_activity("count_page", 3)])
    last = yield context.call_activity("count_page", 4)
    timer = yield context.create_timer(context.current_utc_datetime + timedelta(milliseconds=50))
    final = yield context.call_activity("count_page", 5)
    return {"results": results, "after": after, "winner": winner.result, "last": last, "final": final, "timer": timer}


@app.orchestration_trigger(context_name="context")
def uses_http(context: df.DurableOrchestrationContext):
    response = yield context.call_http("GET", "http://127.0.0.1:9/never")
    return response.status_code


# ---- activities ---------------------------------------------------------------------------------------------


@app.activity_trigger(input_name="run")
def list_sectors(run: dict) -> list[str]:
    return list(run["sectors"])


@app.activity_trigger(input_name="job")
def plan_chunks(job: dict) -> list[dict]:
    return [
        {"sector": job["sector"], "chunk": i, "size": job.get("chunk_size", 3)} for i in range(job.get("chunks", 2))
    ]


@app.activity_trigger(input_name="chunk")
def bill_chunk(chunk: dict) -> dict:
    time.sleep(chunk.get("sleep", 0.05))
    return {"invoices": chunk["size"], "pid": os.getpid()}


def _bump(counter: str, key: str) -> int:
    path = Path(counter) / f"{key}.count"
    n = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(n))
    return n


@app.activity_trigger(input_name="job")
def flaky_stamp(job: dict) -> str:
    """Fails `fail_times` times per key (file-based counter, works across processes), then succeeds."""
    if not job.get("counter"):
        return f"UUID-{job['key']}"
    attempt = _bump(job["counter"], job["key"])
    if attempt <= job["fail_times"]:
        raise TimeoutError(f"PAC timeout (attempt {attempt})")
    return f"UUID-{job['key']}-{attempt}"


@app.activity_trigger(input_name="job")
def always_fails(job: dict) -> None:
    _bump(job["counter"], "always")
    raise RuntimeError("PAC timeout")


@app.activity_trigger(input_name="page")
def count_page(page: int) -> int:
    return page * 10


@app.activity_trigger(input_name="seconds")
def whoami(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


@app.activity_trigger(input_name="value")
async def async_double(value: int) -> int:
    await asyncio.sleep(0.01)
    return value * 2


@app.activity_trigger(input_name="text")
def echo_text(text: str) -> str:
    return text.upper()
