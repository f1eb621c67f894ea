"""Every seed metric (section 5.2, mapped to this stack) is recorded by running code and shown by a dashboard; no
dashboard panel or alert reads a metric that nothing records; every declared instrument is recorded somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from devtools.monitoring import alerts, dashboards
from shared.platform import metrics

REPO = Path(__file__).resolve().parents[2]
SEED = Path("/work/shared/seed")

# seed name -> our instrument (Storage queues and durable activities stand in for BullMQ; docs/operations.md).
SEED_METRICS = {
    "http_requests_total": "http_requests_total",
    "http_request_duration_seconds": "http_request_duration_seconds",
    "db_query_duration_seconds": "db_query_duration_seconds",
    "bullmq_jobs_active": "queue_jobs_active",
    "bullmq_jobs_waiting": "queue_messages_waiting",
    "bullmq_jobs_completed_total": "queue_jobs_completed_total",
    "bullmq_jobs_failed_total": "queue_jobs_failed_total",
    "billing_invoices_generated_total": "billing_invoices_generated_total",
    "payments_processed_total": "payments_processed_total",
    "whatsapp_messages_sent_total": "whatsapp_messages_sent_total",
    "ai_agent_calls_total": "ai_agent_calls_total",
    "ai_agent_latency_seconds": "ai_agent_latency_seconds",
}
# Recorded through helpers in shared/platform/metrics.py, which product code calls (checked below).
VIA_HELPERS = {
    "queue_jobs_active": "tracked_job",
    "queue_jobs_completed_total": "tracked_job",
    "queue_jobs_failed_total": "tracked_job",
    "queue_job_duration_seconds": "tracked_job",
    "timer_runs_total": "timer_run",
}


def _product_sources() -> str:
    files = [REPO / "function_app.py", *(REPO / "functions").rglob("*.py"), *(REPO / "shared").rglob("*.py")]
    return "\n".join(p.read_text() for p in files if p != REPO / "shared" / "platform" / "metrics.py")


def _recorded(variable: str, sources: str) -> bool:
    return re.search(rf"\b{variable}\.(add|record|set)\(", sources) is not None


def test_the_seed_table_is_what_this_test_maps() -> None:
    if not SEED.exists():  # the seed plan lives beside the repository on the team's machines
        return
    text = "\n".join(p.read_text() for p in SEED.glob("*.txt"))
    section = text[text.index("### 5.2") : text.index("### 5.3")]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)) == set(SEED_METRICS)


def test_every_declared_metric_is_recorded_by_product_code() -> None:
    sources = _product_sources()
    missing = []
    for name, metric in metrics.CATALOG.items():
        variable = next(k for k, v in vars(metrics).items() if v is metric)
        helper = VIA_HELPERS.get(name)
        if helper:
            if not re.search(rf"\b{helper}\(", sources):
                missing.append(name)
        elif not _recorded(variable, sources) and not _recorded(f"metrics.{variable}", sources):
            missing.append(name)
    assert missing == [], f"declared but never recorded: {missing}"


def test_every_seed_metric_is_recorded_and_on_a_dashboard() -> None:
    shown = {m for d in dashboards.DASHBOARDS for p in d.panels for m in dashboards.metric_names(p.query)}
    for seed, ours in SEED_METRICS.items():
        assert ours in metrics.CATALOG, seed
        assert ours in shown, f"{seed} ({ours}) is on no dashboard"


def test_dashboards_and_alerts_read_only_recorded_metrics() -> None:
    for d in dashboards.DASHBOARDS:
        for p in d.panels:
            assert dashboards.metric_names(p.query) <= set(metrics.CATALOG), (d.key, p.title)
    for a in alerts.ALERTS:
        assert set(a.metrics()) <= set(metrics.CATALOG), a.key
        assert dashboards.metric_names(alerts.render(a)) <= set(metrics.CATALOG), a.key


def test_seed_dashboards_exist() -> None:
    titles = {d.title for d in dashboards.DASHBOARDS}
    # Redis Health has no counterpart: the stack has no Redis (docs/operations.md).
    assert {
        "System Overview",
        "API Performance",
        "Database Health",
        "Queues",
        "Billing KPIs",
        "Payment KPIs",
        "AI Agents",
        "Infrastructure",
    } <= titles
