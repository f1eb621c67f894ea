"""The seed's dashboards (section 5.3) as Azure Monitor workbooks, expressed once and written to
`monitoring/workbooks/<key>.workbook.json`, which bicep and terraform both deploy (one workbook each).

Every panel queries only what the code emits: custom metrics named in `shared.platform.metrics.CATALOG`, the
standard Application Insights tables (`requests`, `availabilityResults`, `performanceCounters`) and log fields the
JSON logs write (`duration_ms`, `correlationId`, `tenant`). tests/ops/test_metrics_emitted.py checks both ways: every
seed metric is shown somewhere, and no panel names a metric no code records.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

WEEK_MS = 7 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Panel:
    title: str
    query: str
    visualization: str = "timechart"
    duration_ms: int = DAY_MS


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: str
    purpose: str
    panels: tuple[Panel, ...]


def _dim(name: str) -> str:
    return f'tostring(customDimensions["{name}"])'


def counter(title: str, metric: str, *, by: str | None = None, bin_: str = "1h", duration_ms: int = DAY_MS) -> Panel:
    group = f"{by} = {_dim(by)}, " if by else ""
    return Panel(
        title,
        f'customMetrics\n| where name == "{metric}"\n'
        f"| summarize total = sum(valueSum) by {group}bin(timestamp, {bin_})",
        duration_ms=duration_ms,
    )


def gauge(title: str, metric: str, *, by: str | None = None, bin_: str = "5m") -> Panel:
    group = f"{by} = {_dim(by)}, " if by else ""
    return Panel(
        title,
        f'customMetrics\n| where name == "{metric}"\n'
        f"| summarize value = max(valueMax) by {group}bin(timestamp, {bin_})",
    )


def histogram(title: str, metric: str, *, by: str | None = None, bin_: str = "15m") -> Panel:
    group = f"{by} = {_dim(by)}, " if by else ""
    return Panel(
        title,
        f'customMetrics\n| where name == "{metric}"\n'
        f"| summarize avg_s = sum(valueSum) / sum(valueCount), max_s = max(valueMax) by {group}bin(timestamp, {bin_})",
    )


DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "system-overview", "System Overview", "Team-wide health at a glance",
        (
            counter("Request rate by status", "http_requests_total", by="status", bin_="5m"),
            Panel(
                "Error rate (4xx / 5xx, %)",
                'customMetrics\n| where name == "http_requests_total"\n'
                '| extend status = toint(customDimensions["status"])\n'
                "| summarize total = sum(valueSum), e4xx = sumif(valueSum, status between (400 .. 499)),"
                " e5xx = sumif(valueSum, status >= 500) by bin(timestamp, 5m)\n"
                "| project timestamp, pct_4xx = 100.0 * e4xx / total, pct_5xx = 100.0 * e5xx / total",
            ),
            Panel(
                "Latency P50 / P95 / P99 (ms)",
                "requests\n| summarize p50 = percentile(duration, 50), p95 = percentile(duration, 95),"
                " p99 = percentile(duration, 99) by bin(timestamp, 5m)",
            ),
            gauge("Active database connections (pool)", "db_pool_connections", by="state"),
            gauge("Messages waiting by queue", "queue_messages_waiting", by="queue"),
        ),
    ),
    Dashboard(
        "api-performance", "API Performance", "Backend team",
        (
            histogram("Latency by endpoint", "http_request_duration_seconds", by="route"),
            counter("Throughput by endpoint", "http_requests_total", by="route", bin_="15m"),
            histogram("Database statement latency", "db_query_duration_seconds"),
            Panel(
                "Slowest operations (duration_ms in logs)",
                "traces\n| where isnotempty(customDimensions[\"duration_ms\"])\n"
                '| extend duration_ms = todouble(customDimensions["duration_ms"])\n'
                "| top 50 by duration_ms desc\n"
                "| project timestamp, message, duration_ms,"
                ' correlationId = tostring(customDimensions["correlationId"])',
                "table",
            ),
        ),
    ),
    Dashboard(
        "database-health", "Database Health", "DBA / DevOps",
        (
            gauge("Connections by state (pool)", "db_pool_connections", by="state"),
            histogram("Statement duration", "db_query_duration_seconds"),
            gauge("Table sizes (bytes)", "db_table_bytes", by="table", bin_="1h"),
            gauge("Cache hit ratio", "db_cache_hit_ratio", bin_="15m"),
        ),
    ),
    Dashboard(
        "queues", "Queues", "Backend team: Storage queues and durable activities (the seed's BullMQ dashboard)",
        (
            gauge("Queue depth (waiting)", "queue_messages_waiting", by="queue", bin_="1m"),
            gauge("Jobs active", "queue_jobs_active", by="queue"),
            counter("Processed by queue", "queue_jobs_completed_total", by="queue", bin_="15m"),
            counter("Processed by activity", "queue_jobs_completed_total", by="activity", bin_="15m"),
            counter("Failures (each retry counts)", "queue_jobs_failed_total", by="queue", bin_="15m"),
            counter("Dead letters", "queue_poison_messages_total", by="queue", bin_="15m"),
            counter("Dead letters replayed", "queue_dead_letters_replayed_total", by="result", bin_="1h"),
            histogram("Processing time", "queue_job_duration_seconds", by="queue"),
            counter("Domain-event consumer outcomes", "outbox_consumer_outcomes_total", by="outcome", bin_="15m"),
            counter("Outbox relayed", "outbox_events_relayed_total", bin_="15m"),
            counter("Timer heartbeats", "timer_runs_total", by="timer"),
        ),
    ),
    Dashboard(
        "billing-kpis", "Billing KPIs", "Business",
        (
            counter("Invoices per day", "billing_invoices_generated_total", bin_="1d", duration_ms=30 * DAY_MS),
            histogram("Billing run duration", "billing_run_duration_seconds", bin_="1d"),
            Panel(
                "CFDI success rate (%)",
                'customMetrics\n| where name in ("cfdi_stamped_total", "cfdi_stamping_failures_total")\n'
                '| summarize ok = sumif(valueSum, name == "cfdi_stamped_total"), total = sum(valueSum)'
                " by bin(timestamp, 1d)\n| project timestamp, success_pct = 100.0 * ok / total",
                duration_ms=30 * DAY_MS,
            ),
            counter("CFDI failures by outcome", "cfdi_stamping_failures_total", by="outcome"),
            gauge("Average invoice value (MXN)", "billing_invoice_average_mxn", bin_="1d"),
            counter("Billing runs due (timer)", "billing_runs_due_total", by="tenant", bin_="1d"),
        ),
    ),
    Dashboard(
        "payment-kpis", "Payment KPIs", "Business",
        (
            counter("Payments by channel (OXXO / SPEI / card)", "payments_processed_total", by="channel", bin_="1d"),
            counter("Reconciled by channel", "payments_reconciled_total", by="channel", bin_="1d"),
            gauge("Revenue today by channel (MXN)", "payments_revenue_today_mxn", by="channel", bin_="1h"),
            counter("WhatsApp messages sent", "whatsapp_messages_sent_total", by="kind", bin_="1d"),
        ),
    ),
    Dashboard(
        "ai-agents", "AI Agents", "AI team (the agents record these in shared/application/agents)",
        (
            counter("API calls by agent", "ai_agent_calls_total", by="agent"),
            histogram("Claude latency by agent", "ai_agent_latency_seconds", by="agent"),
            counter("Tokens by type", "ai_agent_tokens_total", by="kind"),
            counter("Cost per agent (USD)", "ai_agent_cost_usd_total", by="agent", bin_="1d"),
            counter("Calls by outcome (success rate)", "ai_agent_calls_total", by="outcome"),
            counter("Tool calls by gate decision", "ai_agent_tool_calls_total", by="status"),
            counter("Gate refusals by rule", "ai_agent_gate_refusals_total", by="outcome"),
            histogram("Turn time", "ai_agent_turn_seconds", by="agent"),
        ),
    ),
    Dashboard(
        "infrastructure", "Infrastructure", "DevOps",
        (
            Panel(
                "CPU and memory",
                "performanceCounters\n"
                '| where name in ("% Processor Time", "% Processor Time Normalized",'
                ' "Private Bytes", "Available Bytes")\n'
                "| summarize value = avg(value) by name, bin(timestamp, 5m)",
            ),
            counter("Worker starts by instance (restarts)", "host_starts_total", bin_="15m"),
            Panel(
                "Availability of /api/health by location",
                'availabilityResults\n| where name == "api-health"\n'
                "| summarize availability = 100.0 * countif(success == true) / count() by location, bin(timestamp, 5m)",
            ),
            gauge("Messages waiting (poison queues included)", "queue_messages_waiting", by="queue"),
            gauge("Key Vault secrets to rotate (expiring ≤ 30 d, no expiry, missing)", "keyvault_secrets_expiring"),
        ),
    ),
)  # fmt: skip


def workbook(dashboard: Dashboard) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {"type": 1, "name": "title", "content": {"json": f"## {dashboard.title}\n{dashboard.purpose}"}}
    ]
    for panel in dashboard.panels:
        items.append(
            {
                "type": 3,
                "name": re.sub(r"[^a-z0-9]+", "-", panel.title.lower()).strip("-"),
                "content": {
                    "version": "KqlItem/1.0",
                    "title": panel.title,
                    "query": panel.query,
                    "size": 0,
                    "queryType": 0,
                    "resourceType": "microsoft.insights/components",
                    "visualization": panel.visualization,
                    "timeContext": {"durationMs": panel.duration_ms},
                },
            }
        )
    return {"version": "Notebook/1.0", "items": items, "styleSettings": {}, "fromTemplateId": f"supra-{dashboard.key}"}


def render(dashboard: Dashboard) -> str:
    return json.dumps(workbook(dashboard), indent=2, ensure_ascii=False) + "\n"


def metric_names(query: str) -> set[str]:
    """Custom metric names a query reads (`name == "x"` and `name in ("x", "y")`)."""
    names = set(re.findall(r'name == "([a-z0-9_]+)"', query))
    for group in re.findall(r"name in \(([^)]*)\)", query):
        names |= set(re.findall(r'"([a-z0-9_]+)"', group))
    return names
