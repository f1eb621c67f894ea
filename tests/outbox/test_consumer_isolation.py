"""How event consumers run (`outbox.handle`): each on its own (one failing never stops the others, a redelivery
re-runs only the failed ones), skipped with a reason once instead of retried, and never holding a pool connection
while it waits for another (the deadlock of issue 13: pool size = events in flight, every consumer waiting)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from shared.application import outbox
from shared.application.cfdi import payments as cfdi_payments
from shared.application.cfdi.services import reset_services
from shared.application.outbox import Consumer, ConsumerSkipped
from shared.data import db as app_db
from tests.fixtures.postgres import TestDatabase, create_tenant

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def installed():
    before = outbox.registered_consumers()
    yield outbox.register_consumers
    outbox.register_consumers(before)


def envelope(tenant_id: Any, key: str, event_type: str = "thing.happened", **payload: Any) -> dict[str, Any]:
    return {"tenant_id": str(tenant_id), "type": event_type, "key": key, "payload": payload}


def test_each_consumer_succeeds_or_fails_on_its_own_and_a_redelivery_reruns_only_the_failed(fresh_db, installed):
    tenant = create_tenant(fresh_db, "cea")
    calls: Counter[str] = Counter()
    broken = {"flaky": True}

    def flaky(conn: Any, env: dict[str, Any], now: datetime) -> None:
        calls["flaky"] += 1
        conn.execute("SELECT 1")
        if broken["flaky"]:
            raise RuntimeError("provider down")

    def steady(conn: Any, env: dict[str, Any], now: datetime) -> None:
        calls["steady"] += 1

    def external(env: dict[str, Any], now: datetime) -> None:
        calls["external"] += 1

    installed(
        [
            Consumer("thing.happened", "flaky", handler=flaky),
            Consumer("thing.happened", "external", run=external),
            Consumer("*", "steady", handler=steady),
        ]
    )
    event = envelope(tenant, "thing:1")
    with pytest.raises(RuntimeError, match="provider down") as raised:
        outbox.handle(event, now=NOW)
    assert "failed consumers ['flaky']" in "".join(raised.value.__notes__)
    assert calls == {"flaky": 1, "external": 1, "steady": 1}  # the later consumers ran although the first failed
    with pytest.raises(RuntimeError):
        outbox.handle(event, now=NOW)  # redelivery: only the failed one runs again
    assert calls == {"flaky": 2, "external": 1, "steady": 1}
    broken["flaky"] = False
    assert outbox.handle(event, now=NOW) == 1
    assert outbox.handle(event, now=NOW) == 0
    assert calls == {"flaky": 3, "external": 1, "steady": 1}
    with fresh_db.owner() as conn:
        marks = conn.execute("SELECT consumer FROM processed_events WHERE event_key = 'thing:1' ORDER BY 1").fetchall()
    assert [m[0] for m in marks] == ["external", "flaky", "steady"]


def test_a_skipped_consumer_is_recorded_once_not_retried_and_can_be_rerun(fresh_db, installed, caplog):
    tenant = create_tenant(fresh_db, "cea")
    calls: Counter[str] = Counter()
    missing = {"csd": True}

    def needs_csd(env: dict[str, Any], now: datetime) -> None:
        calls["needs_csd"] += 1
        if missing["csd"]:
            raise ConsumerSkipped("csd_not_configured", "no CSD configured for the tenant")

    def other(conn: Any, env: dict[str, Any], now: datetime) -> None:
        calls["other"] += 1

    installed([Consumer("payment.applied", "needs-csd", run=needs_csd), Consumer("*", "other", handler=other)])
    event = envelope(tenant, "payment.applied:7", "payment.applied", payment_id=7)
    with caplog.at_level("ERROR"):
        assert outbox.handle(event, now=NOW) == 1  # no exception: no retry storm; the other consumer ran
        assert outbox.handle(event, now=NOW) == 0  # a redelivery does not try again
    assert calls == {"needs_csd": 1, "other": 1}
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "skipped" in r.getMessage()]
    assert len(errors) == 1 and getattr(errors[0], "reason", None) == "csd_not_configured"
    [skip] = outbox.skipped(tenant_id=tenant)
    assert (skip.consumer, skip.event_key, skip.reason) == ("needs-csd", "payment.applied:7", "csd_not_configured")
    assert skip.envelope["payload"] == {"payment_id": 7}

    assert [r.outcome for r in outbox.rerun_skipped(tenant_id=tenant, now=NOW)] == ["skipped"]  # still missing
    missing["csd"] = False
    assert [r.outcome for r in outbox.rerun_skipped(tenant_id=tenant, now=NOW)] == ["ran"]
    assert outbox.skipped(tenant_id=tenant) == [] and outbox.rerun_skipped(tenant_id=tenant, now=NOW) == []
    assert calls == {"needs_csd": 3, "other": 1}


def test_a_missing_csd_skips_the_pagos_consumer_only_when_there_is_something_to_sign(fresh_db, installed, monkeypatch):
    """Without stamped PPD invoices paid there is nothing to sign: no CSD needed, no skip (as under `make serve` on
    a fresh seed); the signer is only loaded for a complement, and then a missing CSD is a skip, not a failure."""
    tenant = create_tenant(fresh_db, "cea")
    for name in ("CSD_CERTIFICATE", "CSD_PRIVATE_KEY", "CSD_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    reset_services()
    payment_id = _payment(fresh_db, tenant, "p-1")
    installed([Consumer("payment.applied", cfdi_payments.CONSUMER, run=cfdi_payments.on_payment_applied)])
    event = envelope(tenant, f"payment.applied:{payment_id}", "payment.applied", payment_id=payment_id)
    assert outbox.handle(event, now=NOW) == 1
    assert outbox.skipped(tenant_id=tenant) == []

    calls: Counter[str] = Counter()

    def complement(**kw: Any) -> None:
        calls["complement"] += 1
        cfdi_payments.services_of(cfdi_payments.load_config(kw["tenant_id"]))  # what signing needs first

    monkeypatch.setattr(cfdi_payments, "issue_payment_complement", complement)
    second = _payment(fresh_db, tenant, "p-2")
    event = envelope(tenant, f"payment.applied:{second}", "payment.applied", payment_id=second)
    assert outbox.handle(event, now=NOW) == 0  # skipped, not raised
    assert outbox.handle(event, now=NOW) == 0
    assert calls == {"complement": 1}
    [skip] = outbox.skipped(tenant_id=tenant)
    assert skip.reason == "csd_not_configured" and "csd-certificate" in skip.detail


def _payment(database: TestDatabase, tenant: Any, provider_id: str) -> int:
    with database.owner() as conn:
        row = conn.execute(
            "INSERT INTO payments (tenant_id, provider, provider_payment_id, channel, amount, paid_at, status)"
            " VALUES (%s, 'conekta', %s, 'oxxo', 100.00, now(), 'unmatched') RETURNING id",
            (tenant, provider_id),
        ).fetchone()
    assert row is not None
    return int(row[0])


CONCURRENCY = 4


def test_consumers_never_wait_for_a_second_connection_with_the_pool_at_the_concurrency(
    fresh_db, installed, monkeypatch
):
    """The pool has as many connections as events in flight and a short timeout: if any consumer took a second
    connection while its unit of work held one, all of them would wait and time out (PoolTimeout)."""
    tenant = create_tenant(fresh_db, "cea")
    reset_services()
    pool = ConnectionPool(
        fresh_db.app_url, min_size=0, max_size=CONCURRENCY, timeout=3, kwargs={"application_name": "pool-test"}
    )
    monkeypatch.setattr(app_db, "_pool", pool)
    seen = threading.Barrier(CONCURRENCY, timeout=30)

    def all_in_flight(conn: Any, env: dict[str, Any], now: datetime) -> None:
        conn.execute("SELECT 1")

    def run_together(env: dict[str, Any], now: datetime) -> None:
        seen.wait()  # every event is now in flight at once
        cfdi_payments.on_payment_applied(env, now)

    installed(
        [
            Consumer("payment.applied", cfdi_payments.CONSUMER, run=run_together),
            Consumer("payment.applied", "log", handler=all_in_flight),
        ]
    )
    events = [
        envelope(tenant, f"payment.applied:{pid}", "payment.applied", payment_id=pid)
        for pid in (_payment(fresh_db, tenant, f"c-{i}") for i in range(CONCURRENCY * 3))
    ]
    try:
        with ThreadPoolExecutor(CONCURRENCY) as workers:
            ran = list(workers.map(lambda e: outbox.handle(e, now=NOW), events))
    finally:
        monkeypatch.setattr(app_db, "_pool", None)
        pool.close()
    assert ran == [2] * len(events)


def test_the_cli_lists_and_reruns_skipped_consumers(fresh_db, installed):
    from typer.testing import CliRunner

    from cli.events import events_app

    tenant = create_tenant(fresh_db, "cea")
    outcome = {"skip": True}

    def needs_csd(env: dict[str, Any], now: datetime) -> None:
        if outcome["skip"]:
            raise ConsumerSkipped("csd_not_configured", "no CSD")

    table = [Consumer("payment.applied", "cfdi-pagos", run=needs_csd)]
    installed(table)
    outbox.handle(envelope(tenant, "payment.applied:1", "payment.applied", payment_id=1), now=NOW)
    listed = CliRunner().invoke(events_app, ["skipped"])
    assert listed.exit_code == 0, listed.output
    assert '"reason": "csd_not_configured"' in listed.output and '"event_key": "payment.applied:1"' in listed.output
    import shared.application.consumers as app_consumers

    original = app_consumers.CONSUMERS
    app_consumers.CONSUMERS = tuple(table)
    try:
        assert CliRunner().invoke(events_app, ["rerun"]).exit_code == 1  # still skipped
        outcome["skip"] = False
        rerun = CliRunner().invoke(events_app, ["rerun"])
    finally:
        app_consumers.CONSUMERS = original
    assert rerun.exit_code == 0 and '"outcome": "ran"' in rerun.output
    assert outbox.skipped(tenant_id=tenant) == []
