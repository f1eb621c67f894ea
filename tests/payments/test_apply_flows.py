"""Applying payments through the inbox: matching, allocation order, duplicates, refunds before payments,
suspense and operator assignment; the ledger check stays clean after each."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.application.payments import apply, intake, ledger, suspense
from shared.data import db as app_db
from tests.payments.helpers import balance, make_account, make_invoice, open_amounts


def _deliver(fake, event, queue):
    body, digest = fake.signed(event)
    return intake.receive_conekta(body=body, digest=digest, tenant_slug=None, enqueue=queue.append)


def _drain(tenant, queue):
    results = []
    while queue:
        msg = queue.pop(0)
        results.append(apply.process_inbox(tenant_id=tenant, inbox_id=msg["inbox_id"], now=datetime.now(UTC)))
    return results


def _assert_ledger_ok(tenant):
    report = ledger.check_tenant(tenant_id=tenant)
    assert report.ok, report.violations


@pytest.fixture
def tenant(fresh_db, tenant_factory, payment_secrets):
    return tenant_factory("cea")


def test_cash_payment_by_reference_pays_oldest_invoice_first_then_credit(fresh_db, tenant, payment_secrets):
    acct = make_account(fresh_db, tenant)
    jan = make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="150.00")
    feb = make_invoice(fresh_db, tenant, acct.id, period=date(2026, 2, 1), total="200.00")
    queue: list[dict] = []
    charge = payment_secrets.charge(amount="400.00", reference=acct.reference)
    assert _deliver(payment_secrets, payment_secrets.charge_paid(charge), queue).outcome == "stored"
    # order.paid of the same charge: a second event, the same payment
    assert _deliver(payment_secrets, payment_secrets.order_paid(charge), queue).outcome == "stored"
    results = _drain(tenant, queue)
    assert sum(len(r.payments) for r in results) == 1
    assert open_amounts(fresh_db, acct.id) == {jan: Decimal("0.00"), feb: Decimal("0.00")}
    assert balance(fresh_db, acct.id) == Decimal("-50.00")  # 50 of credit
    _assert_ledger_ok(tenant)
    # a new invoice is paid from the credit when billing asks
    mar = make_invoice(fresh_db, tenant, acct.id, period=date(2026, 3, 1), total="80.00")
    assert apply.apply_account_credit(tenant_id=tenant, account_id=acct.id) == Decimal("50.00")
    assert open_amounts(fresh_db, acct.id)[mar] == Decimal("30.00")
    _assert_ledger_ok(tenant)


def test_refund_before_payment_converges(fresh_db, tenant, payment_secrets):
    acct = make_account(fresh_db, tenant)
    inv = make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="300.00")
    queue: list[dict] = []
    charge = payment_secrets.charge(amount="300.00", reference=acct.reference)
    _deliver(payment_secrets, payment_secrets.refund(charge, amount="100.00"), queue)
    _drain(tenant, queue)
    assert balance(fresh_db, acct.id) == Decimal("300.00")
    _deliver(payment_secrets, payment_secrets.charge_paid(charge), queue)
    _drain(tenant, queue)
    assert open_amounts(fresh_db, acct.id)[inv] == Decimal("100.00")  # reopened by the refund
    assert balance(fresh_db, acct.id) == Decimal("100.00")
    _assert_ledger_ok(tenant)


def test_chargeback_reverses_all_and_reopens(fresh_db, tenant, payment_secrets):
    acct = make_account(fresh_db, tenant)
    inv = make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="120.00")
    queue: list[dict] = []
    charge = payment_secrets.charge(amount="120.00", method="card", reference=acct.reference)
    _deliver(payment_secrets, payment_secrets.order_paid(charge, account_number=acct.number), queue)
    _drain(tenant, queue)
    assert open_amounts(fresh_db, acct.id)[inv] == Decimal("0.00")
    _deliver(payment_secrets, payment_secrets.chargeback(charge), queue)
    _drain(tenant, queue)
    assert open_amounts(fresh_db, acct.id)[inv] == Decimal("120.00")
    with fresh_db.owner() as c:
        assert c.execute("SELECT status FROM payments").fetchone()[0] == "reversed"
    _assert_ledger_ok(tenant)


def test_unmatched_money_goes_to_suspense_and_operator_assigns_it(fresh_db, tenant, payment_secrets):
    acct = make_account(fresh_db, tenant)
    inv = make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="99.00")
    other = make_invoice(fresh_db, tenant, make_account(fresh_db, tenant).id, period=date(2026, 1, 1), total="99.00")
    queue: list[dict] = []
    bad_reference = acct.reference[:-1] + str((int(acct.reference[-1]) + 1) % 10)  # check digit fails
    charge = payment_secrets.charge(amount="99.00", reference=bad_reference)
    _deliver(payment_secrets, payment_secrets.charge_paid(charge), queue)
    _drain(tenant, queue)
    with fresh_db.owner() as c:
        pid, status, reason = c.execute("SELECT id, status, suspense_reason FROM payments").fetchone()
    assert status == "unmatched" and "reference_check_digit" in reason and "ambiguous" in reason
    report = ledger.check_tenant(tenant_id=tenant)
    assert report.ok and report.suspense_count == 1 and report.suspense_amount == Decimal("99.00")
    suspense.assign_suspense_payment(
        tenant_id=tenant, payment_id=pid, account_id=acct.id, operator="ops@cea", now=datetime.now(UTC)
    )
    assert open_amounts(fresh_db, acct.id)[inv] == Decimal("0.00")
    assert open_amounts(fresh_db, acct.id + 1).get(other, Decimal("99.00")) == Decimal("99.00")
    with pytest.raises(suspense.PaymentNotInSuspense):
        suspense.assign_suspense_payment(
            tenant_id=tenant, payment_id=pid, account_id=acct.id, operator="ops@cea", now=datetime.now(UTC)
        )
    _assert_ledger_ok(tenant)


def test_amount_heuristic_matches_a_unique_open_amount(fresh_db, tenant, payment_secrets):
    acct = make_account(fresh_db, tenant)
    inv = make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="187.35", due_date=date.today())
    queue: list[dict] = []
    charge = payment_secrets.charge(amount="187.35", method="card")
    _deliver(payment_secrets, payment_secrets.charge_paid(charge), queue)
    _drain(tenant, queue)
    with fresh_db.owner() as c:
        assert c.execute("SELECT match_method FROM payments").fetchone()[0] == "amount_date"
    assert open_amounts(fresh_db, acct.id)[inv] == Decimal("0.00")


def test_redelivered_message_changes_nothing(fresh_db, tenant, payment_secrets):
    acct = make_account(fresh_db, tenant)
    make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="50.00")
    queue: list[dict] = []
    event = payment_secrets.charge_paid(payment_secrets.charge(amount="50.00", reference=acct.reference))
    _deliver(payment_secrets, event, queue)
    msg = queue[0]
    first = apply.process_inbox(tenant_id=tenant, inbox_id=msg["inbox_id"], now=datetime.now(UTC))
    again = apply.process_inbox(tenant_id=tenant, inbox_id=msg["inbox_id"], now=datetime.now(UTC))
    assert first.outcome == "processed" and again.outcome == "already_done"
    assert _deliver(payment_secrets, event, queue).outcome == "duplicate"
    assert len(queue) == 1  # the duplicate sent nothing
    assert balance(fresh_db, acct.id) == Decimal("0.00")
    app_db.close_pool()
