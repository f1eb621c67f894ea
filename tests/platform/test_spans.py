"""telemetry.span: an OpenTelemetry span per phase with the bound correlation id and tenant, the caller's result
attributes and duration_ms; an exception is recorded on the span and re-raised; PII in attributes is masked."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from shared.platform import context, telemetry


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    mem = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(telemetry.PiiSpanProcessor())
    provider.add_span_processor(SimpleSpanProcessor(mem))
    monkeypatch.setattr(telemetry, "_tracer", provider.get_tracer("test"))
    return mem


def test_phase_spans_carry_context_results_and_duration(exporter: InMemorySpanExporter) -> None:
    with context.bound(correlation="run-42", tenant="cea-queretaro"):
        with telemetry.span("billing.chunk.load", run_id=42, chunk_no=3) as load:
            load["accounts"] = 2000
        with pytest.raises(ValueError), telemetry.span("cfdi.stamp.pac", note="RFC GALM800101AB1"):
            raise ValueError("PAC refused GALM800101AB1")
    done, failed = exporter.get_finished_spans()
    assert done.name == "billing.chunk.load"
    attrs = dict(done.attributes or {})
    assert attrs["correlation_id"] == "run-42" and attrs["tenant"] == "cea-queretaro" and attrs["run_id"] == 42
    assert attrs["accounts"] == 2000 and float(attrs["duration_ms"]) >= 0 and load["duration_ms"] >= 0
    assert failed.status.status_code is StatusCode.ERROR
    text = str(dict(failed.attributes or {})) + str([dict(e.attributes or {}) for e in failed.events])
    assert "GALM800101AB1" not in text and "PAC refused" in text


def test_lap_phases_become_spans_with_their_own_times(exporter: InMemorySpanExporter) -> None:
    with context.bound(correlation="stamp-9"):
        telemetry.record_phase("cfdi.stamp.pac", started_ns=1_000_000_000, ended_ns=1_250_000_000, run_id=9)
    (phase,) = exporter.get_finished_spans()
    assert (phase.name, phase.start_time, phase.end_time) == ("cfdi.stamp.pac", 1_000_000_000, 1_250_000_000)
    attrs = dict(phase.attributes or {})
    assert attrs["duration_ms"] == 250.0 and attrs["run_id"] == 9 and attrs["correlation_id"] == "stamp-9"
