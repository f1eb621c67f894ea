"""The alert rules, expressed once.

Each `Alert` holds its meaning ("fires when …, clears when …"), severity and parameters (metric, window,
threshold, schedule awareness). From that one definition come
- `render(alert)`: the KQL of the Azure Monitor log-search rule, written with every other field to
  `monitoring/alerts.json`, which bicep (`loadJsonContent`) and terraform (`jsondecode(file())`) both load;
- `fires(alert, samples, now)`: the same rule evaluated over recorded samples, so tests check when an alert fires and
  when it stays quiet (a good billing run on its day must not page anybody for the rest of the month).

`python -m devtools.monitoring` rewrites monitoring/alerts.json (tests/iac/test_alerts.py fails when it is stale).
Severity 1 pages (PagerDuty action group); 2 and 3 go to the ops action group (Teams/Slack webhook + e-mail).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

Kind = Literal[
    "http_error_rate", "request_p95", "gauge_sustained", "counter_increase", "due_without_output",
    "cadence_stalled", "restarts", "availability",
]  # fmt: skip

APP_QUEUES = ("domain-events", "payments-in", "notifications")


@dataclass(frozen=True)
class Sample:
    """One recorded point: a custom metric (`name` = metric), a request (`requests`, value = duration ms,
    dims resultCode) or an availability result (`availabilityResults`, value 1 = success, dims location)."""

    name: str
    at: datetime
    value: float
    dims: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Alert:
    key: str
    severity: int
    kind: Kind
    meaning: str
    window: timedelta
    frequency: timedelta
    threshold: float
    metric: str | None = None
    dims: tuple[tuple[str, str], ...] = ()  # dimension filters, e.g. (("queue", "payments-in"),)
    by: str | None = None  # evaluate per value of this dimension (worst one counts)
    output_metric: str | None = None  # due_without_output / cadence_stalled: what the run must produce
    input_metric: str | None = None  # cadence_stalled: what there was to process
    grace: timedelta = timedelta(0)
    horizon: timedelta = timedelta(0)
    cadence: timedelta = timedelta(0)
    seed: str | None = None  # the seed plan rule this maps (section 5.6), if any

    @property
    def measure(self) -> str:
        return "value"

    @property
    def operator(self) -> str:
        return "GreaterThan"

    def metrics(self) -> list[str]:
        return [m for m in (self.metric, self.output_metric, self.input_metric) if m]


H, M = timedelta(hours=1), timedelta(minutes=1)

ALERTS: tuple[Alert, ...] = (
    Alert(
        "http-5xx-critical", 1, "http_error_rate",
        "Fires when more than 5% of API requests answered 5xx over the last 5 minutes; clears when the 5-minute rate "
        "falls to 5% or below.",
        5 * M, 5 * M, 5, metric="http_requests_total", seed="HighErrorRate",
    ),
    Alert(
        "http-5xx-warning", 2, "http_error_rate",
        "Fires when more than 1% of API requests answered 5xx over the last 5 minutes; clears at 1% or below.",
        5 * M, 5 * M, 1, metric="http_requests_total",
    ),
    Alert(
        "latency-p95-high", 2, "request_p95",
        "Fires when the P95 latency of API requests over 5 minutes is above 2 s; clears when it is 2 s or below.",
        5 * M, 5 * M, 2000, seed="HighLatency",
    ),
    Alert(
        "latency-p95-target", 3, "request_p95",
        "Fires when the P95 latency over 5 minutes is above the 300 ms performance target; clears at or below it.",
        5 * M, 5 * M, 300,
    ),
    Alert(
        "keyvault-secrets-expiring", 3, "gauge_sustained",
        "Fires when the daily check finds a secret of the inventory that expires within 30 days, has no expiry date "
        "or is missing from Key Vault (keyvault_secrets_expiring > 0); clears after the first daily check that finds "
        "none (rotate it: docs/runbook.md).",
        26 * H, H, 0, metric="keyvault_secrets_expiring",
    ),
    *(
        Alert(
            f"queue-backlog-{q}", 2, "gauge_sustained",
            f"Fires when the {q} queue has had more than 1000 waiting messages at every sample for 10 minutes "
            "(queue_messages_waiting, sampled each minute); clears when a sample is 1000 or below.",
            10 * M, 5 * M, 1000, metric="queue_messages_waiting", dims=(("queue", q),), seed="BullMQQueueBacklog",
        )
        for q in APP_QUEUES
    ),
    *(
        Alert(
            f"queue-poison-{q}", 1 if q != "notifications" else 2, "counter_increase",
            f"Fires when a {q} message exhausted its retries and was dead-lettered in the last 15 minutes (see "
            "`manage.py queues dead`); clears 15 minutes after the last one.",
            15 * M, 5 * M, 0, metric="queue_poison_messages_total", dims=(("queue", q),),
        )
        for q in APP_QUEUES
    ),
    Alert(
        "cfdi-stamping-failures", 1, "counter_increase",
        "Fires when any CFDI stamp attempt failed in the last 15 minutes (revenue impact); clears 15 minutes after "
        "the last failure.",
        15 * M, 5 * M, 0, metric="cfdi_stamping_failures_total", seed="CFDIStampingFailure",
    ),
    Alert(
        "billing-no-invoices", 2, "due_without_output",
        "Fires when a tenant's billing day came at least 6 hours ago (billing_runs_due_total, recorded when the "
        "billing timer finds a tenant due) and no invoice has been generated since; clears when invoices are "
        "generated or 30 hours after the billing day. Quiet on every other day of the month.",
        48 * H, 1 * H, 0, metric="billing_runs_due_total", output_metric="billing_invoices_generated_total",
        grace=6 * H, horizon=30 * H, seed="NoInvoicesGenerated",
    ),
    Alert(
        "payments-reconciliation-stalled", 2, "cadence_stalled",
        "Fires when the daily reconciliation timer has not run for 26 hours (cadence 24 h + 2 h), or when its last "
        "run reconciled nothing although payments were processed in the 24 hours before it; clears on the next run "
        "that reconciles.",
        48 * H, 1 * H, 0, metric="timer_runs_total", dims=(("timer", "payments_reconcile"),),
        output_metric="payments_reconciled_total", input_metric="payments_processed_total",
        cadence=24 * H, grace=2 * H, seed="PaymentReconciliationStalled",
    ),
    Alert(
        "host-restart-loop", 2, "restarts",
        "Fires when one Functions instance started its worker more than 3 times in an hour (host_starts_total per "
        "instance); clears when the last hour has 3 starts or fewer.",
        1 * H, 15 * M, 3, metric="host_starts_total", by="cloud_RoleInstance", seed="ContainerRestarting",
    ),
    Alert(
        "api-health-down", 1, "availability",
        "Fires when /api/health failed 3 consecutive checks (1 per minute) from at least 2 test locations; clears "
        "when fewer than 2 locations have 3 failures in the last 5 minutes.",
        5 * M, 1 * M, 1,
    ),
)  # fmt: skip


# ---- KQL -----------------------------------------------------------------------------------------------------------


def _kql_dims(alert: Alert) -> str:
    return "".join(f'\n| where tostring(customDimensions["{k}"]) == "{v}"' for k, v in alert.dims)


def _ts(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def _q_error_rate(a: Alert) -> str:
    return (
        f'customMetrics\n| where timestamp > ago({_ts(a.window)}) and name == "{a.metric}"\n'
        '| extend status = toint(customDimensions["status"])\n'
        "| summarize total = sum(valueSum), failed = sumif(valueSum, status >= 500)\n"
        "| extend value = iff(coalesce(total, 0.0) == 0, 0.0, 100.0 * failed / total)"
    )


def _q_p95(a: Alert) -> str:
    window = _ts(a.window)
    return f"requests\n| where timestamp > ago({window})\n| summarize value = coalesce(percentile(duration, 95), 0.0)"


def _q_gauge(a: Alert) -> str:
    return (
        f'customMetrics\n| where timestamp > ago({_ts(a.window)}) and name == "{a.metric}"{_kql_dims(a)}\n'
        "| summarize value = coalesce(min(valueMin), 0.0)"
    )


def _q_increase(a: Alert) -> str:
    return (
        f'customMetrics\n| where timestamp > ago({_ts(a.window)}) and name == "{a.metric}"{_kql_dims(a)}\n'
        "| summarize value = coalesce(sum(valueSum), 0.0)"
    )


def _q_due(a: Alert) -> str:
    return (
        "let due_at = toscalar(customMetrics\n"
        f'    | where name == "{a.metric}"\n'
        f"    | where timestamp between (ago({_ts(a.horizon)}) .. ago({_ts(a.grace)}))\n"
        "    | summarize min(timestamp));\n"
        f'customMetrics\n| where name == "{a.output_metric}" and timestamp >= due_at - 1h\n'
        "| summarize produced = sum(valueSum)\n"
        "| extend value = iff(isnull(due_at), 0.0, iff(coalesce(produced, 0.0) > 0, 0.0, 1.0))"
    )


def _q_cadence(a: Alert) -> str:
    dims = "".join(f'\n    | where tostring(customDimensions["{k}"]) == "{v}"' for k, v in a.dims)
    return (
        "let last_run = toscalar(customMetrics\n"
        f'    | where name == "{a.metric}" and timestamp > ago({_ts(a.cadence + a.grace)}){dims}\n'
        "    | summarize max(timestamp));\n"
        "let processed = toscalar(customMetrics\n"
        f'    | where name == "{a.input_metric}"\n'
        f"    | where timestamp between ((last_run - {_ts(a.cadence)}) .. last_run)\n"
        "    | summarize sum(valueSum));\n"
        "let reconciled = toscalar(customMetrics\n"
        f'    | where name == "{a.output_metric}" and timestamp >= last_run - 10m\n'
        "    | summarize sum(valueSum));\n"
        "print value = iff(isnull(last_run), 1.0,\n"
        "    iff(coalesce(processed, 0.0) > 0 and coalesce(reconciled, 0.0) == 0 and now() > last_run + 1h, 1.0, 0.0))"
    )


def _q_restarts(a: Alert) -> str:
    return (
        f'customMetrics\n| where timestamp > ago({_ts(a.window)}) and name == "{a.metric}"\n'
        f"| summarize starts = sum(valueSum) by {a.by}\n| summarize value = coalesce(max(starts), 0.0)"
    )


def _q_availability(a: Alert) -> str:
    return (
        f'availabilityResults\n| where timestamp > ago({_ts(a.window)}) and name == "api-health"\n'
        "| summarize failures = countif(success == false) by location\n"
        "| summarize value = todouble(countif(failures >= 3))"
    )


_RENDER: dict[str, Callable[[Alert], str]] = {
    "http_error_rate": _q_error_rate,
    "request_p95": _q_p95,
    "gauge_sustained": _q_gauge,
    "counter_increase": _q_increase,
    "due_without_output": _q_due,
    "cadence_stalled": _q_cadence,
    "restarts": _q_restarts,
    "availability": _q_availability,
}


def render(alert: Alert) -> str:
    """The alert's KQL: one row with a numeric `value` column compared with `threshold` (operator GreaterThan)."""
    return _RENDER[alert.kind](alert)


# ---- the same rules over samples -----------------------------------------------------------------------------------


def _matching(samples: Iterable[Sample], name: str | None, dims: tuple[tuple[str, str], ...] = ()) -> list[Sample]:
    return [s for s in samples if s.name == name and all(s.dims.get(k) == v for k, v in dims)]


def _recent(a: Alert, data: list[Sample], now: datetime) -> list[Sample]:
    return [s for s in data if now - a.window < s.at <= now]


def _v_error_rate(a: Alert, data: list[Sample], now: datetime) -> float:
    points = _matching(_recent(a, data, now), a.metric)
    total = sum(s.value for s in points)
    failed = sum(s.value for s in points if int(s.dims.get("status", "0")) >= 500)
    return 0.0 if total == 0 else 100.0 * failed / total


def _v_p95(a: Alert, data: list[Sample], now: datetime) -> float:
    values = sorted(s.value for s in _recent(a, data, now) if s.name == "requests")
    return values[max(0, math.ceil(0.95 * len(values)) - 1)] if values else 0.0


def _v_gauge(a: Alert, data: list[Sample], now: datetime) -> float:
    return min((s.value for s in _matching(_recent(a, data, now), a.metric, a.dims)), default=0.0)


def _v_increase(a: Alert, data: list[Sample], now: datetime) -> float:
    return sum(s.value for s in _matching(_recent(a, data, now), a.metric, a.dims))


def _v_due(a: Alert, data: list[Sample], now: datetime) -> float:
    due = [s.at for s in _matching(data, a.metric) if now - a.horizon <= s.at <= now - a.grace]
    if not due:
        return 0.0
    since = min(due) - H
    produced = sum(s.value for s in _matching(data, a.output_metric) if since <= s.at <= now)
    return 0.0 if produced > 0 else 1.0


def _v_cadence(a: Alert, data: list[Sample], now: datetime) -> float:
    runs = [s.at for s in _matching(data, a.metric, a.dims) if now - (a.cadence + a.grace) < s.at <= now]
    if not runs:
        return 1.0
    last = max(runs)
    processed = sum(s.value for s in _matching(data, a.input_metric) if last - a.cadence <= s.at <= last)
    reconciled = sum(s.value for s in _matching(data, a.output_metric) if last - 10 * M <= s.at <= now)
    return 1.0 if processed > 0 and reconciled == 0 and now > last + H else 0.0


def _v_restarts(a: Alert, data: list[Sample], now: datetime) -> float:
    per: dict[str, float] = {}
    for s in _matching(_recent(a, data, now), a.metric):
        key = s.dims.get(a.by or "", "")
        per[key] = per.get(key, 0.0) + s.value
    return max(per.values(), default=0.0)


def _v_availability(a: Alert, data: list[Sample], now: datetime) -> float:
    failures: dict[str, int] = {}
    for s in _recent(a, data, now):
        if s.name == "availabilityResults" and s.value == 0:
            where = s.dims.get("location", "")
            failures[where] = failures.get(where, 0) + 1
    return float(sum(1 for n in failures.values() if n >= 3))


_VALUE: dict[str, Callable[[Alert, list[Sample], datetime], float]] = {
    "http_error_rate": _v_error_rate,
    "request_p95": _v_p95,
    "gauge_sustained": _v_gauge,
    "counter_increase": _v_increase,
    "due_without_output": _v_due,
    "cadence_stalled": _v_cadence,
    "restarts": _v_restarts,
    "availability": _v_availability,
}


def value(alert: Alert, samples: Iterable[Sample], now: datetime) -> float:
    """The `value` column the alert's query computes at `now`, computed over samples."""
    return _VALUE[alert.kind](alert, list(samples), now)


def fires(alert: Alert, samples: Iterable[Sample], now: datetime) -> bool:
    return value(alert, samples, now) > alert.threshold


def by_key(key: str) -> Alert:
    return next(a for a in ALERTS if a.key == key)


def _iso(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"P{minutes // (24 * 60)}D"
    if minutes % 60 == 0:
        return f"PT{minutes // 60}H"
    return f"PT{minutes}M"


def as_json(alert: Alert) -> dict[str, Any]:
    """The record both IaC trees read (monitoring/alerts.json)."""
    return {
        "key": alert.key,
        "severity": alert.severity,
        "description": alert.meaning,
        "window": _iso(alert.window),
        "frequency": _iso(alert.frequency),
        "measure": alert.measure,
        "operator": alert.operator,
        "threshold": alert.threshold,
        "metrics": alert.metrics(),
        "seed": alert.seed,
        "query": render(alert),
    }


def document() -> list[dict[str, Any]]:
    return [as_json(a) for a in ALERTS]


Evaluator = Callable[[Alert, Iterable[Sample], datetime], bool]
