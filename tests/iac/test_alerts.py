"""Alerts: one definition (devtools/monitoring/alerts.py) rendered to monitoring/alerts.json for both IaC trees; each
rule has a written meaning, reads only metrics the code records, routes by severity, and fires exactly when it should
(the same rule evaluated over recorded samples: billing-no-invoices stays quiet after a good run, the reconciliation
alert follows the timer's daily cadence)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.monitoring import __main__ as render_main
from devtools.monitoring import alerts as A
from devtools.monitoring.alerts import Sample
from shared.platform.metrics import CATALOG
from tests.iac import _iac

H = timedelta(hours=1)
MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)


def test_rendered_files_are_current() -> None:
    stale = [str(p) for p, text in render_main.outputs().items() if not p.exists() or p.read_text() != text]
    assert stale == [], "run: python -m devtools.monitoring"


def test_every_alert_has_a_meaning_and_reads_only_recorded_metrics() -> None:
    doc = json.loads((_iac.REPO / "monitoring" / "alerts.json").read_text())
    assert len({a["key"] for a in doc}) == len(doc)
    for alert in doc:
        assert alert["description"].startswith("Fires when") and "clears" in alert["description"], alert["key"]
        assert set(alert["metrics"]) <= set(CATALOG), alert["key"]
        for metric in alert["metrics"]:
            assert f'"{metric}"' in alert["query"], (alert["key"], metric)
        assert alert["operator"] == "GreaterThan" and "value" in alert["query"]


def test_an_alert_on_a_metric_no_code_records_is_refused() -> None:
    bogus = A.Alert("x", 2, "counter_increase", "Fires when never; clears never.", H, H, 0, metric="no_such_total")
    assert not set(A.as_json(bogus)["metrics"]) <= set(CATALOG)


def test_seed_section_5_6_rules_are_all_mapped() -> None:
    seed = {a.seed for a in A.ALERTS if a.seed}
    # DatabaseConnectionPoolExhausted is the platform metric alert (postgres-connections, both trees); Redis is not
    # part of this stack (docs/operations.md).
    assert seed == {
        "HighErrorRate",
        "HighLatency",
        "BullMQQueueBacklog",
        "ContainerRestarting",
        "CFDIStampingFailure",
        "NoInvoicesGenerated",
        "PaymentReconciliationStalled",
    }
    assert _iac.tf_resource("azurerm_monitor_metric_alert", "postgres_connections")


def test_every_queue_has_a_poison_and_a_backlog_alert() -> None:
    keys = {a.key for a in A.ALERTS}
    for queue in _iac.tf_locals()["queues"]:
        if queue.startswith("durable") or queue not in A.APP_QUEUES:
            continue
        assert {f"queue-poison-{queue}", f"queue-backlog-{queue}"} <= keys
    assert set(A.APP_QUEUES) <= set(_iac.tf_locals()["queues"])


def test_severity_one_pages_the_rest_go_to_chat_and_mail() -> None:
    tf_rule = _iac.tf_resource("azurerm_monitor_scheduled_query_rules_alert_v2", "log_alerts")
    groups = json.dumps(_iac.attr(tf_rule, "action"))
    assert (
        "each.value.severity == 1 ? azurerm_monitor_action_group.paging.id : azurerm_monitor_action_group.ops.id"
        in (groups)
    )
    bicep_rule = _iac.bicep_config(_iac.bicep("modules/monitoring.bicep")["resources"]["logAlertRules"])
    text = json.dumps(bicep_rule["properties"]["actions"])
    assert "pagingGroup" in text and "actionGroup" in text and "severity" in text
    paging = json.dumps(_iac.tf_resource("azurerm_monitor_action_group", "paging"))
    ops = json.dumps(_iac.tf_resource("azurerm_monitor_action_group", "ops"))
    assert "pagerduty_webhook_url" in paging and "chat_webhook_url" in ops and "alert_email" in ops
    groups_bicep = json.dumps(_iac.bicep("modules/monitoring.bicep")["resources"]["pagingGroup"])
    assert "pagerDutyWebhookUrl" in groups_bicep


def test_availability_test_every_minute_from_three_or_more_locations() -> None:
    tf = _iac.tf_resource("azurerm_application_insights_standard_web_test", "api_health")
    assert _iac.attr(tf, "frequency") == 60 and len(_iac.tf_locals()["availability_locations"]) >= 3
    assert _iac.attr(_iac.attr(tf, "request"), "url").endswith("/api/health")
    bicep = _iac.bicep_config(_iac.bicep("modules/monitoring.bicep")["resources"]["apiHealth"])["properties"]
    assert bicep["Frequency"] == 60 and bicep["Name"] == "api-health"
    assert len(_iac.bicep_var("modules/monitoring.bicep", "availabilityLocations")) >= 3
    assert _iac.tf_locals()["availability_locations"] == _iac.bicep_var(
        "modules/monitoring.bicep", "availabilityLocations"
    )
    assert '"api-health"' in A.render(A.by_key("api-health-down"))


# ---- when they fire -------------------------------------------------------------------------------------------------


def _hourly(start: datetime, hours: int) -> list[datetime]:
    return [start + i * H for i in range(hours)]


def _billing_month(run_day: int, *, good: bool) -> list[Sample]:
    due_at = MONTH_START + timedelta(days=run_day - 1, hours=8)
    samples = [Sample("billing_runs_due_total", due_at, 1, {"tenant": "cea-queretaro"})]
    if good:
        samples += [
            Sample("billing_invoices_generated_total", due_at + timedelta(minutes=5 + i), 2000, {"sector": f"S{i}"})
            for i in range(4)
        ]
    return samples


@given(st.integers(1, 28))
@settings(max_examples=28, deadline=None)
def test_billing_alert_is_quiet_all_month_after_a_good_run(run_day: int) -> None:
    alert = A.by_key("billing-no-invoices")
    samples = _billing_month(run_day, good=True)
    assert not any(A.fires(alert, samples, now) for now in _hourly(MONTH_START, 30 * 24))


def test_billing_alert_fires_from_six_hours_to_thirty_after_a_run_day_without_invoices() -> None:
    alert = A.by_key("billing-no-invoices")
    samples = _billing_month(1, good=False)
    due_at = MONTH_START + timedelta(hours=8)
    firing = [now for now in _hourly(MONTH_START, 30 * 24) if A.fires(alert, samples, now)]
    assert firing and min(firing) >= due_at + 6 * H and max(firing) <= due_at + 30 * H
    # days 2-6 of the month (the old rule's window) are quiet once the day is past
    assert not any(A.fires(alert, samples, due_at + timedelta(days=d)) for d in range(2, 7))
    # invoices arriving late clear it
    late = [*samples, Sample("billing_invoices_generated_total", due_at + 10 * H, 1)]
    assert not A.fires(alert, late, due_at + 12 * H) and A.fires(alert, samples, due_at + 12 * H)


def _reconcile_week(*, reconciled: int, payments: int, skip_day: int | None = None) -> list[Sample]:
    samples: list[Sample] = []
    for day in range(8):
        run = MONTH_START + timedelta(days=day, hours=11)
        samples += [Sample("payments_processed_total", run - timedelta(hours=h), payments) for h in range(1, 20, 3)]
        if day == skip_day:
            continue
        samples.append(Sample("timer_runs_total", run, 1, {"timer": "payments_reconcile"}))
        samples.append(Sample("payments_reconciled_total", run + timedelta(minutes=2), reconciled))
    return samples


def test_reconciliation_alert_follows_the_daily_cadence() -> None:
    alert = A.by_key("payments-reconciliation-stalled")
    week = _hourly(MONTH_START + timedelta(days=1), 6 * 24)
    healthy = _reconcile_week(reconciled=40, payments=10)
    assert not any(A.fires(alert, healthy, now) for now in week)  # the old rule fired most hours of every day
    quiet_day = _reconcile_week(reconciled=0, payments=0)
    assert not any(A.fires(alert, quiet_day, now) for now in week)  # nothing to reconcile is not a stall
    stuck = _reconcile_week(reconciled=0, payments=10)
    assert A.fires(alert, stuck, MONTH_START + timedelta(days=3, hours=13))
    missed = _reconcile_week(reconciled=40, payments=10, skip_day=3)
    firing = [now for now in week if A.fires(alert, missed, now)]
    last_run = MONTH_START + timedelta(days=2, hours=11)
    assert firing and min(firing) > last_run + 26 * H - H and max(firing) < last_run + 48 * H


@pytest.mark.parametrize(
    ("key", "samples", "expected"),
    [
        ("http-5xx-critical", [Sample("http_requests_total", MONTH_START, 90, {"status": "200"}),
                               Sample("http_requests_total", MONTH_START, 10, {"status": "503"})], True),
        ("http-5xx-critical", [Sample("http_requests_total", MONTH_START, 97, {"status": "200"}),
                               Sample("http_requests_total", MONTH_START, 3, {"status": "500"})], False),
        ("http-5xx-critical", [Sample("http_requests_total", MONTH_START, 50, {"status": "404"})], False),
        ("latency-p95-high", [Sample("requests", MONTH_START, 2500)] * 10, True),
        ("latency-p95-high", [Sample("requests", MONTH_START, 100)] * 95 + [Sample("requests", MONTH_START, 9000)] * 4, False),
        ("queue-backlog-domain-events", [Sample("queue_messages_waiting", MONTH_START - timedelta(minutes=m), 1500,
                                                {"queue": "domain-events"}) for m in range(10)], True),
        ("queue-backlog-domain-events", [Sample("queue_messages_waiting", MONTH_START - timedelta(minutes=m),
                                                1500 if m else 10, {"queue": "domain-events"}) for m in range(10)], False),
        ("queue-backlog-domain-events", [Sample("queue_messages_waiting", MONTH_START, 5000, {"queue": "payments-in"})], False),
        ("queue-poison-payments-in", [Sample("queue_poison_messages_total", MONTH_START, 1, {"queue": "payments-in"})], True),
        ("queue-poison-payments-in", [Sample("queue_poison_messages_total", MONTH_START, 1, {"queue": "notifications"})], False),
        ("host-restart-loop", [Sample("host_starts_total", MONTH_START, 1, {"cloud_RoleInstance": "a"})] * 4, True),
        ("host-restart-loop", [Sample("host_starts_total", MONTH_START, 1, {"cloud_RoleInstance": i}) for i in "abcd"], False),
        ("api-health-down", [Sample("availabilityResults", MONTH_START - timedelta(minutes=m), 0, {"location": loc})
                             for m in range(3) for loc in ("tx", "il")], True),
        ("api-health-down", [Sample("availabilityResults", MONTH_START - timedelta(minutes=m), 0, {"location": "tx"})
                             for m in range(5)], False),
    ],
)  # fmt: skip
def test_rules_fire_exactly_when_they_should(key: str, samples: list[Sample], expected: bool) -> None:
    assert A.fires(A.by_key(key), samples, MONTH_START) is expected
