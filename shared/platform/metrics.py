"""OpenTelemetry instruments under the names of the seed plan (section 5.2), so dashboards and alerts match.

Instruments are created against the global meter provider; until a provider is configured they are no-ops.
Capability code imports the instrument it records to; new capabilities add theirs here.
"""

from __future__ import annotations

from opentelemetry import metrics

_meter = metrics.get_meter("supra-water", "1.0.0")

# HTTP and database.
http_requests_total = _meter.create_counter(
    "http_requests_total", unit="{request}", description="HTTP requests by method, route and status"
)
http_request_duration_seconds = _meter.create_histogram(
    "http_request_duration_seconds", unit="s", description="HTTP request latency"
)
db_query_duration_seconds = _meter.create_histogram(
    "db_query_duration_seconds", unit="s", description="Database statement latency"
)

# Queues and jobs (the seed's bullmq_* family, carried over to Storage queues and durable activities).
queue_jobs_completed_total = _meter.create_counter(
    "queue_jobs_completed_total", unit="{message}", description="Queue messages processed by queue"
)
queue_jobs_failed_total = _meter.create_counter(
    "queue_jobs_failed_total", unit="{message}", description="Queue message attempts that failed, by queue"
)
queue_poison_messages_total = _meter.create_counter(
    "queue_poison_messages_total", unit="{message}", description="Messages moved to a poison queue, by queue"
)
queue_messages_waiting = _meter.create_up_down_counter(
    "queue_messages_waiting", unit="{message}", description="Approximate messages waiting, by queue (sampled)"
)
outbox_events_relayed_total = _meter.create_counter(
    "outbox_events_relayed_total", unit="{event}", description="Domain events moved from the outbox to a queue"
)
outbox_consumer_outcomes_total = _meter.create_counter(
    "outbox_consumer_outcomes_total",
    unit="{event}",
    description="Domain-event consumer runs by consumer and outcome (ran, duplicate, skipped, failed)",
)

# Business.
billing_invoices_generated_total = _meter.create_counter(
    "billing_invoices_generated_total", unit="{invoice}", description="Invoices generated, by sector"
)
billing_run_duration_seconds = _meter.create_histogram(
    "billing_run_duration_seconds", unit="s", description="Billing run wall time"
)
payments_processed_total = _meter.create_counter(
    "payments_processed_total", unit="{payment}", description="Payments processed, by channel"
)
payments_reconciled_total = _meter.create_counter(
    "payments_reconciled_total", unit="{payment}", description="Payments reconciled against provider events"
)
cfdi_stamping_failures_total = _meter.create_counter(
    "cfdi_stamping_failures_total", unit="{invoice}", description="CFDI stamp attempts that failed"
)
cfdi_stamped_total = _meter.create_counter(
    "cfdi_stamped_total", unit="{invoice}", description="CFDI stamped successfully"
)
whatsapp_messages_sent_total = _meter.create_counter(
    "whatsapp_messages_sent_total", unit="{message}", description="WhatsApp messages sent"
)
ai_agent_calls_total = _meter.create_counter(
    "ai_agent_calls_total", unit="{call}", description="Claude API calls by agent"
)
ai_agent_latency_seconds = _meter.create_histogram(
    "ai_agent_latency_seconds", unit="s", description="Claude API latency"
)
