"""The monitoring timer's samples are recorded by running code against real Azurite and PostgreSQL (read back through
a private OpenTelemetry meter provider), timers bind a correlation id and count a heartbeat, and `make serve`'s
Prometheus endpoint serves the metrics in text format on loopback."""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.storage.queue import QueueClient
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from shared.adapters import storage
from shared.application import queue_metrics
from shared.platform import metrics
from shared.platform.config import reset_settings_cache


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch) -> InMemoryMetricReader:
    """A private provider: the catalog's instruments are re-created on it for the test (real OTel SDK)."""
    mem = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[mem]).get_meter("test")
    for metric in metrics.CATALOG.values():
        create = {
            "counter": meter.create_counter,
            "histogram": meter.create_histogram,
            "up_down_counter": meter.create_up_down_counter,
            "gauge": meter.create_gauge,
        }[metric.spec.kind]
        monkeypatch.setattr(metric, "_instrument", create(metric.name))
    return mem


def points(reader: InMemoryMetricReader, name: str) -> dict[tuple[tuple[str, Any], ...], float]:
    out: dict[tuple[tuple[str, Any], ...], float] = {}
    data = reader.get_metrics_data()
    for rm in data.resource_metrics if data else []:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                if m.name == name:
                    for p in m.data.data_points:
                        out[tuple(sorted((p.attributes or {}).items()))] = getattr(p, "value", getattr(p, "sum", 0))
    return out


@pytest.fixture
def storage_env(azurite: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AzureWebJobsStorage", azurite)
    reset_settings_cache()
    storage.reset_clients()
    yield azurite
    storage.reset_clients()
    reset_settings_cache()


def test_queue_depths_are_recorded_for_every_queue_and_poison_queue(reader, storage_env, fresh_db) -> None:
    client = QueueClient.from_connection_string(storage_env, "domain-events")
    try:
        client.create_queue()
    except Exception:
        client.clear_messages()
    for i in range(3):
        client.send_message(f"m{i}")
    depths = queue_metrics.sample_queue_depths()
    recorded = points(reader, "queue_messages_waiting")
    assert recorded[(("queue", "domain-events"),)] == 3 == depths["domain-events"]
    assert {dict(k)["queue"] for k in recorded} >= {"payments-in", "payments-in-poison", "domain-events-poison"}
    client.clear_messages()


def test_database_health_and_billing_day_are_recorded(reader, fresh_db, tenant_factory) -> None:
    tenant_factory("cea-queretaro")
    sampled = queue_metrics.sample_database(tables=True)
    assert sampled["in_use"] >= 0 and 0.0 <= sampled["cache_hit_ratio"] <= 1.0
    assert points(reader, "db_pool_connections").keys() == {(("state", "idle"),), (("state", "in_use"),)}
    assert points(reader, "db_table_bytes")
    # run day 1 (the default): due on the first of the month in Querétaro, not on the second
    assert queue_metrics.record_billing_due(now=datetime(2026, 11, 1, 8, tzinfo=UTC)) == ["cea-queretaro"]
    assert queue_metrics.record_billing_due(now=datetime(2026, 11, 2, 8, tzinfo=UTC)) == []
    assert points(reader, "billing_runs_due_total") == {(("tenant", "cea-queretaro"),): 1}
    assert queue_metrics.sample_business(now=datetime(2026, 11, 2, 8, tzinfo=UTC), invoices=True) == {}


def test_timer_run_binds_a_correlation_id_counts_a_heartbeat_and_a_failure(reader, caplog) -> None:
    from shared.platform import context

    with metrics.timer_run("t1") as cid:
        assert context.correlation_id.get() == cid
    with pytest.raises(RuntimeError), metrics.timer_run("t1"):
        raise RuntimeError("boom")
    assert points(reader, "timer_runs_total") == {(("timer", "t1"),): 2}
    assert points(reader, "queue_jobs_failed_total") == {(("activity", "timer:t1"),): 1}
    assert points(reader, "queue_jobs_completed_total") == {(("activity", "timer:t1"),): 1}
    assert context.correlation_id.get() is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_prometheus_endpoint_serves_the_metrics_on_loopback() -> None:
    port = _free_port()
    script = f"""
import json, sys, urllib.request
from shared.platform.telemetry import serve_prometheus
from shared.platform import metrics
url = serve_prometheus(port={port})
metrics.payments_processed_total.add(2, {{"channel": "oxxo"}})
metrics.queue_messages_waiting.set(7, {{"queue": "domain-events"}})
print(json.dumps({{"url": url, "body": urllib.request.urlopen(url, timeout=10).read().decode()}}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["url"].startswith("http://127.0.0.1:")
    body = result["body"]
    assert re.search(r'payments_processed_total\{[^}]*channel="oxxo"[^}]*\} 2\.0', body), body
    assert re.search(r'queue_messages_waiting\{[^}]*queue="domain-events"[^}]*\} 7\.0', body), body


def test_json_log_line_carries_context_and_masks(caplog) -> None:
    import io

    from shared.platform import context
    from shared.platform.logging import ContextFilter, JsonFormatter, PiiFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(PiiFilter())
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("test.ops.context")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with context.bound(correlation="req-1", tenant="cea-queretaro", user="usr-789"):
            log.info("invoice generated", extra={"duration_ms": 342, "note": "tel 442.123.4567"})
    finally:
        log.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert (entry["correlationId"], entry["tenant"], entry["userId"]) == ("req-1", "cea-queretaro", "usr-789")
    assert entry["duration_ms"] == 342 and "442.123" not in entry["note"]


def test_carried_binds_an_activity_inputs_context() -> None:
    from shared.platform import context

    @context.carried
    def activity(job: dict[str, Any]) -> tuple[str | None, str | None]:
        return context.correlation_id.get(), context.tenant_slug.get()

    with context.bound(correlation="orch-7", tenant="cea-queretaro"):
        job = context.carry({"run_id": 1})
    assert job == {"run_id": 1, "correlation_id": "orch-7", "tenant": "cea-queretaro"}
    assert activity(job) == ("orch-7", "cea-queretaro")
    assert context.correlation_id.get() is None
