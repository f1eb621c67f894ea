"""OpenTelemetry instruments under the names of the seed plan (section 5.2), so dashboards and alerts match.

Instruments are created against the global meter provider; until a provider is configured they are no-ops.
Capability code imports the instrument it records to; new capabilities add theirs here (`CATALOG` lists them all,
tests/ops checks that every seed metric is recorded by code and shown by a dashboard).

Every instrument is wrapped by `Metric`, the recording helper: each metric declares the attribute keys it accepts
and every value must be a short token (no spaces, no free text) with no personal data (RFC, CURP, phone, e-mail).
Anything else raises `MetricAttributeRefused`, so cardinality stays bounded and PII never reaches a time series.
Seed `bullmq_*` names map to Storage queues and durable activities as `queue_*` (see docs/operations.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Literal

from opentelemetry import metrics

from shared.platform.pii import contains_pii

_meter = metrics.get_meter("supra-water", "1.0.0")

Kind = Literal["counter", "histogram", "up_down_counter", "gauge"]
AttributeValue = str | int | bool
_TOKEN = re.compile(r"^[A-Za-z0-9_.:/{}-]{0,80}$")  # empty allowed (bounded: "no value")


class MetricAttributeRefused(ValueError):
    """A metric attribute that is not declared for the metric, or whose value is free text, unbounded or PII."""


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: Kind
    unit: str
    description: str
    attributes: tuple[str, ...] = ()


def check_attributes(spec: MetricSpec, attributes: Mapping[str, Any] | None) -> dict[str, AttributeValue]:
    """The attributes, or MetricAttributeRefused naming the offending key (never the value: it may be PII)."""
    out: dict[str, AttributeValue] = {}
    for key, value in (attributes or {}).items():
        if key not in spec.attributes:
            raise MetricAttributeRefused(
                f"{spec.name}: attribute {key!r} is not declared ({', '.join(spec.attributes)})"
            )
        if isinstance(value, bool):
            out[key] = value
            continue
        if not isinstance(value, str | int):
            raise MetricAttributeRefused(f"{spec.name}: attribute {key!r} must be a short token, not {type(value)}")
        text = str(value)
        if not _TOKEN.match(text) or contains_pii(text):
            raise MetricAttributeRefused(f"{spec.name}: attribute {key!r} is free text, unbounded or personal data")
        out[key] = value
    return out


class Metric:
    """One instrument with its declared attributes; `add`/`record`/`set` validate before recording."""

    def __init__(self, spec: MetricSpec) -> None:
        self.spec = spec
        if spec.kind == "counter":
            self._instrument: Any = _meter.create_counter(spec.name, unit=spec.unit, description=spec.description)
        elif spec.kind == "histogram":
            self._instrument = _meter.create_histogram(spec.name, unit=spec.unit, description=spec.description)
        elif spec.kind == "up_down_counter":
            self._instrument = _meter.create_up_down_counter(spec.name, unit=spec.unit, description=spec.description)
        else:
            self._instrument = _meter.create_gauge(spec.name, unit=spec.unit, description=spec.description)

    @property
    def name(self) -> str:
        return self.spec.name

    def add(self, amount: int | float, attributes: Mapping[str, Any] | None = None) -> None:
        if self.spec.kind not in ("counter", "up_down_counter"):
            raise TypeError(f"{self.name} is a {self.spec.kind}")
        self._instrument.add(amount, check_attributes(self.spec, attributes))

    def record(self, value: int | float, attributes: Mapping[str, Any] | None = None) -> None:
        if self.spec.kind != "histogram":
            raise TypeError(f"{self.name} is a {self.spec.kind}")
        self._instrument.record(value, check_attributes(self.spec, attributes))

    def set(self, value: int | float, attributes: Mapping[str, Any] | None = None) -> None:
        if self.spec.kind != "gauge":
            raise TypeError(f"{self.name} is a {self.spec.kind}")
        self._instrument.set(value, check_attributes(self.spec, attributes))


CATALOG: dict[str, Metric] = {}


def _metric(name: str, kind: Kind, unit: str, description: str, *attributes: str) -> Metric:
    metric = Metric(MetricSpec(name, kind, unit, description, attributes))
    CATALOG[name] = metric
    return metric


# HTTP and database.
http_requests_total = _metric(
    "http_requests_total",
    "counter",
    "{request}",
    "HTTP requests by method, route and status",
    "method",
    "route",
    "status",
)
http_request_duration_seconds = _metric(
    "http_request_duration_seconds", "histogram", "s", "HTTP request latency", "method", "route", "status"
)
db_query_duration_seconds = _metric("db_query_duration_seconds", "histogram", "s", "Database statement latency")
db_table_bytes = _metric("db_table_bytes", "gauge", "By", "Size of the largest tables (sampled hourly)", "table")
db_cache_hit_ratio = _metric(
    "db_cache_hit_ratio", "gauge", "1", "Share of block reads served from shared buffers (sampled each minute)"
)
db_pool_connections = _metric(
    "db_pool_connections", "gauge", "{connection}", "Connections of the app's pool, by state (in_use, idle)", "state"
)

# Queues and jobs (the seed's bullmq_* family, carried over to Storage queues and durable activities).
_JOB = ("queue", "activity")
queue_jobs_active = _metric(
    "queue_jobs_active", "up_down_counter", "{job}", "Messages and activities in progress", *_JOB
)
queue_jobs_completed_total = _metric(
    "queue_jobs_completed_total", "counter", "{job}", "Messages and activities processed, by queue or activity", *_JOB
)
queue_jobs_failed_total = _metric(
    "queue_jobs_failed_total", "counter", "{job}", "Message and activity attempts that failed", *_JOB
)
queue_job_duration_seconds = _metric(
    "queue_job_duration_seconds", "histogram", "s", "Time to process one message or activity", *_JOB
)
queue_poison_messages_total = _metric(
    "queue_poison_messages_total", "counter", "{message}", "Messages that exhausted their retries, by queue", "queue"
)
queue_dead_letters_replayed_total = _metric(
    "queue_dead_letters_replayed_total",
    "counter",
    "{message}",
    "Dead letters replayed, by queue and result",
    "queue",
    "result",
)
keyvault_secrets_expiring = _metric(
    "keyvault_secrets_expiring",
    "gauge",
    "{secret}",
    "Secrets of the inventory that expire within 30 days, have no expiry date or are missing (sampled daily)",
)
queue_messages_waiting = _metric(
    "queue_messages_waiting",
    "gauge",
    "{message}",
    "Approximate messages waiting, by queue (sampled each minute)",
    "queue",
)
outbox_events_relayed_total = _metric(
    "outbox_events_relayed_total", "counter", "{event}", "Domain events moved from the outbox to a queue"
)
outbox_consumer_outcomes_total = _metric(
    "outbox_consumer_outcomes_total",
    "counter",
    "{event}",
    "Domain-event consumer runs by consumer and outcome (ran, duplicate, skipped, failed)",
    "consumer",
    "outcome",
)
timer_runs_total = _metric("timer_runs_total", "counter", "{run}", "Timer trigger runs (heartbeat), by timer", "timer")
host_starts_total = _metric("host_starts_total", "counter", "{start}", "Function host worker process starts")

# Business.
billing_invoices_generated_total = _metric(
    "billing_invoices_generated_total", "counter", "{invoice}", "Invoices generated, by sector", "sector", "tenant"
)
billing_runs_due_total = _metric(
    "billing_runs_due_total",
    "counter",
    "{run}",
    "Tenants whose billing day it is, when the billing timer fires",
    "tenant",
)
billing_run_duration_seconds = _metric(
    "billing_run_duration_seconds", "histogram", "s", "Billing run wall time", "tenant"
)
billing_invoice_average_mxn = _metric(
    "billing_invoice_average_mxn", "gauge", "MXN", "Average issued invoice of the latest billed period (sampled daily)"
)
payments_processed_total = _metric(
    "payments_processed_total", "counter", "{payment}", "Payments processed, by channel", "channel", "tenant"
)
payments_revenue_today_mxn = _metric(
    "payments_revenue_today_mxn",
    "gauge",
    "MXN",
    "Applied payments since local midnight, by channel (sampled hourly)",
    "channel",
)
payments_reconciled_total = _metric(
    "payments_reconciled_total",
    "counter",
    "{payment}",
    "Payments reconciled against provider events",
    "channel",
    "provider",
)
cfdi_stamping_failures_total = _metric(
    "cfdi_stamping_failures_total", "counter", "{invoice}", "CFDI stamp attempts that failed", "kind", "outcome"
)
cfdi_stamped_total = _metric("cfdi_stamped_total", "counter", "{invoice}", "CFDI stamped successfully", "kind")

# Notifications and AI (recorded by their capabilities).
_MSG = ("kind", "status", "template", "direction", "channel", "reason")
whatsapp_messages_sent_total = _metric(
    "whatsapp_messages_sent_total", "counter", "{message}", "WhatsApp messages sent", *_MSG
)
whatsapp_messages_failed_total = _metric(
    "whatsapp_messages_failed_total", "counter", "{message}", "WhatsApp sends that failed", *_MSG
)
# Customer channels (issue 15): inbound messages, handoffs to humans, webhook acknowledgement latency.
_CHANNEL = ("channel", "kind", "outcome")
conversation_inbound_messages_total = _metric(
    "conversation_inbound_messages_total", "counter", "{message}", "Inbound customer messages, by channel", *_CHANNEL
)
conversation_handoffs_total = _metric(
    "conversation_handoffs_total", "counter", "{conversation}", "Conversations handed to a human", *_CHANNEL
)
channel_webhook_duration_seconds = _metric(
    "channel_webhook_duration_seconds", "histogram", "s", "Channel webhook acknowledgement latency", *_CHANNEL
)
_AI = ("agent", "model", "outcome", "kind", "token_type", "status", "tool")
ai_agent_calls_total = _metric("ai_agent_calls_total", "counter", "{call}", "Claude API calls by agent", *_AI)
ai_agent_latency_seconds = _metric("ai_agent_latency_seconds", "histogram", "s", "Claude API latency", *_AI)
ai_agent_tokens_total = _metric("ai_agent_tokens_total", "counter", "{token}", "Claude tokens by agent and type", *_AI)
ai_agent_cost_usd_total = _metric("ai_agent_cost_usd_total", "counter", "USD", "Estimated Claude cost by agent", *_AI)
ai_agent_tool_calls_total = _metric(
    "ai_agent_tool_calls_total", "counter", "{call}", "Agent tool calls by tool and gate decision (status)", *_AI
)
ai_agent_gate_refusals_total = _metric(
    "ai_agent_gate_refusals_total", "counter", "{call}", "Tool calls the policy gate refused (outcome = rule)", *_AI
)
ai_agent_turn_seconds = _metric(
    "ai_agent_turn_seconds", "histogram", "s", "Agent turn wall time (model calls and tools)", *_AI
)


@contextmanager
def tracked_job(*, queue: str | None = None, activity: str | None = None) -> Iterator[None]:
    """Count one message or activity: active while it runs, then completed or failed, and its duration.
    Exceptions are counted and re-raised (the host retries and, for queues, poisons)."""
    attrs = {"queue": queue} if queue else {"activity": activity or "unknown"}
    queue_jobs_active.add(1, attrs)
    started = perf_counter()
    try:
        yield
    except BaseException:
        queue_jobs_failed_total.add(1, attrs)
        raise
    else:
        queue_jobs_completed_total.add(1, attrs)
    finally:
        queue_jobs_active.add(-1, attrs)
        queue_job_duration_seconds.record(perf_counter() - started, attrs)


@contextmanager
def timer_run(timer: str) -> Iterator[str]:
    """One timer trigger run: a fresh correlation id bound, the heartbeat counted (`timer_runs_total`, which the
    cadence-aware alerts read), failures counted as a failed job of activity `timer:<name>`. Yields the id."""
    from shared.platform import context

    with context.bound() as cid:
        timer_runs_total.add(1, {"timer": timer})
        with tracked_job(activity=f"timer:{timer}"):
            yield cid
