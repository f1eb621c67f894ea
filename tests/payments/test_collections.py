"""Dunning and payment plans against the database: restriction (domestic), suspension (non-domestic), protected
accounts, reconnection on payment or plan, broken-plan detection, installments paid through plan invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.application.payments import apply, collections, intake, ledger
from shared.data import db as app_db
from shared.data import payments_collections as cdata
from tests.payments.helpers import balance, make_account, make_invoice, open_amounts

NOW = datetime(2026, 6, 1, 15, tzinfo=UTC)


@pytest.fixture
def tenant(fresh_db, tenant_factory, payment_secrets):
    return tenant_factory("cea")


def _pay(fake, tenant, acct, amount):
    queue: list[dict] = []
    body, digest = fake.signed(fake.charge_paid(fake.charge(amount=amount, reference=acct.reference)))
    intake.receive_conekta(body=body, digest=digest, tenant_slug=None, enqueue=queue.append)
    for m in queue:
        apply.process_inbox(tenant_id=tenant, inbox_id=m["inbox_id"], now=NOW)


def _orders(tenant, account_id):
    with app_db.tenant_transaction(tenant) as conn:
        return [(w.kind, w.status) for w in cdata.account_work_orders(conn, account_id=account_id)]


def _debt(db, tenant, acct, months=2):
    for m in range(months):
        make_invoice(db, tenant, acct.id, period=date(2026, 1 + m, 1), total="200.00", due_date=date(2026, 2 + m, 15))


def _sweep(tenant, today=None):
    today = today or NOW.date()
    return collections.dunning_sweep(tenant_id=tenant, today=today, now=NOW)


def test_domestic_two_periods_restriction_then_payment_cancels_it(fresh_db, tenant, payment_secrets):
    acct = make_account(fresh_db, tenant, tariff_class="domestico", household=3)
    _debt(fresh_db, tenant, acct)
    assert _sweep(tenant) == 1
    assert _orders(tenant, acct.id) == [("restriction", "open")]
    with fresh_db.owner() as c:
        reason = c.execute("SELECT reason FROM work_orders").fetchone()[0]
        reminders = c.execute("SELECT count(*) FROM domain_events WHERE event_type = 'dunning.reminder'").fetchone()[0]
    assert "50 litros por persona" in reason and "150 litros" in reason
    _sweep(tenant)  # re-running changes nothing
    with fresh_db.owner() as c:
        assert (
            c.execute("SELECT count(*) FROM domain_events WHERE event_type = 'dunning.reminder'").fetchone()[0]
            == reminders
            == 4
        )
    _pay(payment_secrets, tenant, acct, "400.00")
    assert _orders(tenant, acct.id) == [("restriction", "cancelled")]


def test_executed_suspension_gets_reconnection_when_paid(fresh_db, tenant, payment_secrets):
    acct = make_account(fresh_db, tenant, tariff_class="comercial")
    _debt(fresh_db, tenant, acct)
    _sweep(tenant)
    assert _orders(tenant, acct.id) == [("suspension", "open")]
    with fresh_db.owner() as c:
        c.execute("UPDATE work_orders SET status = 'done'")
    _pay(payment_secrets, tenant, acct, "150.00")  # partial: still two periods open
    assert _orders(tenant, acct.id) == [("suspension", "done")]
    _pay(payment_secrets, tenant, acct, "250.00")
    assert _orders(tenant, acct.id) == [("suspension", "done"), ("reconnection", "open")]
    assert ledger.check_tenant(tenant_id=tenant).ok


def test_vulnerable_accounts_are_never_cut(fresh_db, tenant):
    acct = make_account(fresh_db, tenant, tariff_class="domestico", vulnerable=True)
    _debt(fresh_db, tenant, acct, months=4)
    _sweep(tenant)
    assert _orders(tenant, acct.id) == []
    with fresh_db.owner() as c:
        assert c.execute("SELECT count(*) FROM domain_events WHERE event_type = 'dunning.protected'").fetchone()[0] == 1


def test_plan_signing_reconnects_and_installments_pay_plan_invoices(fresh_db, tenant, payment_secrets):
    acct = make_account(fresh_db, tenant, tariff_class="domestico")
    _debt(fresh_db, tenant, acct)
    _sweep(tenant)
    with fresh_db.owner() as c:
        c.execute("UPDATE work_orders SET status = 'done'")
    with pytest.raises(collections.PlanNotEligible):
        collections.sign_plan(
            tenant_id=tenant,
            account_id=acct.id,
            down_payment=Decimal("10.00"),
            installments=3,
            first_due=date(2026, 7, 1),
            created_by="ops",
            now=NOW,
        )
    plan_id = collections.sign_plan(
        tenant_id=tenant,
        account_id=acct.id,
        down_payment=Decimal("100.00"),
        installments=3,
        first_due=date(2026, 7, 1),
        created_by="ops",
        now=NOW,
    )
    assert _orders(tenant, acct.id) == [("restriction", "done"), ("reconnection", "open")]
    new_bill = make_invoice(
        fresh_db, tenant, acct.id, period=date(2026, 5, 1), total="80.00", due_date=date(2026, 6, 20)
    )
    _pay(payment_secrets, tenant, acct, "180.00")  # the new bill first, then the down payment (seq 0)
    assert open_amounts(fresh_db, acct.id)[new_bill] == Decimal("0.00")
    with fresh_db.owner() as c:
        paid = c.execute("SELECT seq, paid_amount FROM payment_plan_installments ORDER BY seq").fetchall()
    assert paid[0] == (0, Decimal("100.00")) and paid[1][1] == Decimal("0.00")
    assert sorted(open_amounts(fresh_db, acct.id).values()) == [Decimal("0.00"), Decimal("100.00"), Decimal("200.00")]
    assert ledger.check_tenant(tenant_id=tenant).ok
    # installment 1 (due 2026-07-01) unpaid past the grace days: the plan breaks and is reported
    assert collections.detect_broken_plans(tenant_id=tenant, today=date(2026, 7, 5), now=NOW) == []
    assert collections.detect_broken_plans(tenant_id=tenant, today=date(2026, 7, 20), now=NOW) == [plan_id]
    with fresh_db.owner() as c:
        assert c.execute("SELECT status FROM payment_plans").fetchone()[0] == "broken"
        assert (
            c.execute("SELECT count(*) FROM domain_events WHERE event_type = 'payment_plan.broken'").fetchone()[0] == 1
        )
    _pay(payment_secrets, tenant, acct, "300.00")  # broken plan: invoices are ordinary debt again
    assert balance(fresh_db, acct.id) == Decimal("0.00")
    assert ledger.check_tenant(tenant_id=tenant).ok
