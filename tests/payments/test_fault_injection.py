"""Fault injection: thousands of randomized deliveries (duplicates, reordering, lost queue sends, workers killed
mid-apply) and concurrent deliveries of the same event; the ledger invariants and an independent oracle hold after
every run. Run with `-s` to see the counts."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.application.payments import apply, intake, ledger
from shared.data import db as app_db
from shared.platform.config import reset_settings_cache
from tests.payments.faults import Stats, run_scenario
from tests.payments.helpers import balance, make_account, make_invoice

STATS = Stats()
SEEDS = range(8)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    print(
        f"\n[payments fault injection] runs={STATS.runs} payments={STATS.payments} "
        f"webhook_deliveries={STATS.webhook_deliveries} (duplicates={STATS.duplicate_deliveries}) "
        f"apply_attempts={STATS.apply_attempts} kills={STATS.kills} lost_queue_sends={STATS.lost_sends} "
        f"redriven={STATS.redriven} duplicate_messages={STATS.duplicate_messages} "
        f"checkpoints_reached={dict(STATS.checkpoints)}"
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_randomized_deliveries_keep_the_ledger_exact(fresh_db, tenant_factory, payment_secrets, seed):
    tenant = tenant_factory(f"cea{seed}")
    run_scenario(fresh_db, tenant, payment_secrets, seed=seed, payments=120, kill_p=0.08, stats=STATS)


def test_fault_injection_actually_injects():
    # meaningful only after the randomized runs above (same module, declared after them)
    assert STATS.runs == len(SEEDS)
    assert STATS.kills > 50 and STATS.lost_sends > 0 and STATS.duplicate_deliveries > 0 and STATS.redriven > 0
    assert len(STATS.checkpoints) >= 6


@pytest.fixture
def wide_pool(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_MAX", "24")
    reset_settings_cache()
    app_db.close_pool()
    yield
    app_db.close_pool()


def _run_threads(n, target):
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    results: list[object] = []

    def worker():
        barrier.wait()
        try:
            results.append(target())
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_twenty_concurrent_deliveries_of_the_same_event_apply_once(
    fresh_db, tenant_factory, payment_secrets, wide_pool
):
    tenant = tenant_factory("cea")
    acct = make_account(fresh_db, tenant)
    make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="300.00")
    charge = payment_secrets.charge(amount="250.00", reference=acct.reference)
    body, digest = payment_secrets.signed(payment_secrets.charge_paid(charge))
    queue: list[dict] = []
    results, errors = _run_threads(
        20, lambda: intake.receive_conekta(body=body, digest=digest, tenant_slug=None, enqueue=queue.append).outcome
    )
    assert not errors and sorted(set(results)) == ["duplicate", "stored"] and results.count("stored") == 1
    inbox_id = queue[0]["inbox_id"]
    results, errors = _run_threads(
        20, lambda: apply.process_inbox(tenant_id=tenant, inbox_id=inbox_id, now=datetime.now(UTC)).outcome
    )
    assert not errors and results.count("processed") == 1 and results.count("already_done") == 19
    assert balance(fresh_db, acct.id) == Decimal("50.00")
    assert ledger.check_tenant(tenant_id=tenant).ok


def test_concurrent_payment_events_and_refund_of_one_charge_converge(
    fresh_db, tenant_factory, payment_secrets, wide_pool
):
    tenant = tenant_factory("cea")
    acct = make_account(fresh_db, tenant)
    make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="300.00")
    for round_ in range(5):
        charge = payment_secrets.charge(amount="100.00", reference=acct.reference)
        events = [
            payment_secrets.charge_paid(charge),
            payment_secrets.order_paid(charge, account_number=acct.number),
            payment_secrets.refund(charge, amount="40.00"),
        ]
        queue: list[dict] = []
        for e in events:
            body, digest = payment_secrets.signed(e)
            intake.receive_conekta(body=body, digest=digest, tenant_slug=None, enqueue=queue.append)
        messages = queue * 7  # 21 deliveries of 3 events at once
        counter = iter(range(len(messages)))
        lock = threading.Lock()

        def one(messages=messages, counter=counter, lock=lock):
            with lock:
                msg = messages[next(counter)]
            return apply.process_inbox(tenant_id=tenant, inbox_id=msg["inbox_id"], now=datetime.now(UTC)).outcome

        _, errors = _run_threads(len(messages), one)
        assert not errors
        assert balance(fresh_db, acct.id) == Decimal("300.00") - Decimal("60.00") * (round_ + 1)
    assert ledger.check_tenant(tenant_id=tenant).ok
