"""Telemetry: Application Insights through azure-monitor-opentelemetry when a connection string is configured, a
loopback Prometheus endpoint for `make serve`, spans for the long phases, and the PII masking processors.

Without APPLICATIONINSIGHTS_CONNECTION_STRING nothing is exported to Azure (configure_azure_monitor raises on an
empty connection string, so it is guarded here). Whatever the exporter, the same masking step (shared.platform.pii)
runs first: `PiiLogRecordProcessor` on every OpenTelemetry log record (body and attributes, exception text
included) and `PiiSpanProcessor` on every ended span (attributes, event attributes, status text).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.trace import Status

from shared.platform import context
from shared.platform.config import get_settings
from shared.platform.logging import protect_all_handlers
from shared.platform.metrics import host_starts_total
from shared.platform.pii import mask_any, mask_text

_configured = False
log = logging.getLogger(__name__)
_tracer = trace.get_tracer("supra-water", "1.0.0")


def _mask_attribute(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bytes):
        return mask_text(value.decode("utf-8", errors="replace"))
    if isinstance(value, int) and not isinstance(value, bool):
        masked = mask_any(value)
        return masked
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items = [_mask_attribute(v) for v in value]
        if any(isinstance(v, str) for v in items) and not all(isinstance(v, str) for v in items):
            items = [str(v) for v in items]  # OTel attribute sequences are homogeneous
        return tuple(items)
    return value


def mask_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: _mask_attribute(v) for k, v in (attributes or {}).items()}


class PiiLogRecordProcessor(LogRecordProcessor):
    """Masks an OpenTelemetry log record in place before the exporters after it see it (add it first)."""

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        record = log_record.log_record
        if record.body is not None:
            record.body = mask_any(record.body) if not isinstance(record.body, str) else mask_text(record.body)
        attributes = record.attributes
        if attributes:
            for key, value in list(attributes.items()):
                attributes[key] = _mask_attribute(value)  # type: ignore[index]

    def emit(self, log_record: ReadWriteLogRecord) -> None:  # older SDK name
        self.on_emit(log_record)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class PiiSpanProcessor(SpanProcessor):
    """Masks an ended span's attributes, event attributes and status text before the exporters after it."""

    def on_end(self, span: ReadableSpan) -> None:
        span._attributes = BoundedAttributes(attributes=mask_attributes(span.attributes), immutable=True)
        events = [
            Event(e.name, BoundedAttributes(attributes=mask_attributes(e.attributes), immutable=True), e.timestamp)
            for e in span.events
        ]
        span._events = events
        if span.status.description:
            span._status = Status(span.status.status_code, mask_text(span.status.description))


def setup_telemetry() -> bool:
    """Configure exporters once. Returns True when Azure Monitor is active."""
    global _configured
    if _configured:
        return True
    settings = get_settings()
    if not settings.APPLICATIONINSIGHTS_CONNECTION_STRING:
        if settings.METRICS_PROMETHEUS_PORT:
            _local_prometheus(settings.METRICS_PROMETHEUS_PORT)
            host_starts_total.add(1)
        return False
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(
        connection_string=settings.APPLICATIONINSIGHTS_CONNECTION_STRING,
        logger_name="",
        enable_live_metrics=False,
        instrumentation_options={"psycopg2": {"enabled": False}},
        span_processors=[PiiSpanProcessor()],
        log_record_processors=[PiiLogRecordProcessor()],
    )
    protect_all_handlers()
    _configured = True
    host_starts_total.add(1)  # once per worker process, now that a provider records it (restart-loop alert)
    log.info("azure monitor telemetry enabled")
    return True


_prometheus_url: str | None = None


def _local_prometheus(port: int) -> None:
    """make serve: the first process to bind the port serves the metrics (the local runner's activity workers import
    the app too and find it taken: theirs stay unexported, said once in the log)."""
    global _prometheus_url
    if _prometheus_url is not None:
        return
    try:
        _prometheus_url = serve_prometheus(port=port)
    except ImportError:
        log.warning("METRICS_PROMETHEUS_PORT is set but opentelemetry-exporter-prometheus is not installed")
        return
    except OSError:
        log.info("prometheus port taken by another process of this host", extra={"port": port})
        return
    log.info("metrics in Prometheus format", extra={"url": _prometheus_url})


def serve_prometheus(*, port: int, host: str = "127.0.0.1") -> str:
    """Local only: a meter provider whose metrics are served in Prometheus text format on host:port/metrics.
    Needs opentelemetry-exporter-prometheus (requirements-dev.txt). Returns the URL."""
    from opentelemetry import metrics
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import start_http_server

    start_http_server(port=port, addr=host)
    metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusMetricReader()]))
    return f"http://{host}:{port}/metrics"


@contextlib.contextmanager
def span(name: str, **attributes: str | int | float | bool) -> Iterator[dict[str, Any]]:
    """An OpenTelemetry span for a phase (billing chunk reads, rules, COPY; stamping sign, PAC call...), with the
    bound correlation id and tenant as attributes. Yields a dict the caller may fill with result attributes;
    `duration_ms` is added at the end."""
    result: dict[str, Any] = {}
    started = time.perf_counter()
    base = {"correlation_id": context.correlation_id.get(), "tenant": context.tenant_slug.get()}
    with _tracer.start_as_current_span(name, attributes={**{k: v for k, v in base.items() if v}, **attributes}) as s:
        try:
            yield result
        finally:
            result["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
            for key, value in result.items():
                if isinstance(value, str | int | float | bool):
                    s.set_attribute(key, value)


def record_phase(name: str, *, started_ns: int, ended_ns: int, **attributes: str | int | float | bool) -> None:
    """A span for a phase already timed by the caller (lap clocks: the stamping pipeline's sign / PAC / persist laps),
    with the bound correlation id and tenant and `duration_ms`."""
    base = {"correlation_id": context.correlation_id.get(), "tenant": context.tenant_slug.get()}
    attrs = {**{k: v for k, v in base.items() if v}, **attributes, "duration_ms": (ended_ns - started_ns) / 1e6}
    _tracer.start_span(name, start_time=started_ns, attributes=attrs).end(end_time=ended_ns)
