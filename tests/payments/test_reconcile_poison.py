"""Reconciliation per channel, re-fetching a day from the Conekta fake's events API, poison + replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.application.payments import apply, intake, poison, reconcile
from tests.payments.helpers import balance, make_account


@pytest.fixture
def tenant(fresh_db, tenant_factory, payment_secrets):
    return tenant_factory("cea")


def test_reconcile_reports_missing_then_refetch_fills_the_gap(fresh_db, tenant, payment_secrets):
    fake = payment_secrets
    acct = make_account(fresh_db, tenant)
    day_ts = int(datetime(2026, 3, 10, 18, tzinfo=UTC).timestamp())  # 12:00 in Querétaro
    delivered = fake.charge_paid(
        fake.charge(amount="100.00", reference=acct.reference, paid_at=day_ts), created_at=day_ts
    )
    never_delivered = fake.charge_paid(
        fake.charge(amount="55.50", method="card", paid_at=day_ts + 60, metadata={"payment_reference": acct.reference}),
        created_at=day_ts + 60,
    )
    queue: list[dict] = []
    body, digest = fake.signed(delivered)
    intake.receive_conekta(body=body, digest=digest, tenant_slug=None, enqueue=queue.append)
    # a received-but-not-applied event shows up as missing
    report = {r.channel: r for r in reconcile.reconcile_day(tenant_id=tenant, day=datetime(2026, 3, 10).date())}
    assert report["oxxo"].missing and not report["oxxo"].balanced
    apply.process_inbox(tenant_id=tenant, inbox_id=queue[0]["inbox_id"], now=datetime.now(UTC))
    report = {r.channel: r for r in reconcile.reconcile_day(tenant_id=tenant, day=datetime(2026, 3, 10).date())}
    assert report["oxxo"].balanced and report["oxxo"].applied_amount == Decimal("100.00") and "card" not in report
    result = reconcile.refetch_day(
        tenant_id=tenant,
        provider="conekta",
        day=datetime(2026, 3, 10).date(),
        base_url=fake.base_url,
        now=datetime.now(UTC),
    )
    assert result.stored == 1 and result.applied == 1 and result.fetched >= 2
    again = reconcile.refetch_day(
        tenant_id=tenant,
        provider="conekta",
        day=datetime(2026, 3, 10).date(),
        base_url=fake.base_url,
        now=datetime.now(UTC),
    )
    assert again.stored == 0
    report = {r.channel: r for r in reconcile.reconcile_day(tenant_id=tenant, day=datetime(2026, 3, 10).date())}
    assert report["card"].balanced and report["card"].applied_amount == Decimal("55.50")
    assert balance(fresh_db, acct.id) == Decimal("-155.50")
    assert never_delivered["id"] in {e["id"] for e in fake.events}
    with fresh_db.owner() as c:
        assert c.execute("SELECT count(*) FROM payment_reconciliations").fetchone()[0] == 2


def test_poisoned_message_is_recorded_with_reason_and_replayed(fresh_db, tenant, payment_secrets, monkeypatch):
    fake = payment_secrets
    acct = make_account(fresh_db, tenant)
    queue: list[dict] = []
    body, digest = fake.signed(fake.charge_paid(fake.charge(amount="70.00", reference=acct.reference)))
    intake.receive_conekta(body=body, digest=digest, tenant_slug=None, enqueue=queue.append)

    def broken(*args, **kwargs):
        raise RuntimeError("database said no")

    monkeypatch.setattr(apply, "allocate_payment", broken)
    for _ in range(3):  # the host's retries
        with pytest.raises(RuntimeError):
            apply.process_inbox(tenant_id=tenant, inbox_id=queue[0]["inbox_id"], now=datetime.now(UTC))
    poison.record_poison(raw=json.dumps(queue[0]).encode())
    listed = poison.list_poison(tenant_id=tenant)
    assert len(listed) == 1 and "database said no" in listed[0].reason
    with fresh_db.owner() as c:
        assert c.execute("SELECT status, attempts FROM webhook_inbox").fetchone() == ("failed", 3)
    monkeypatch.undo()
    outcomes = poison.replay_poison(tenant_id=tenant, now=datetime.now(UTC))
    assert [o.result for o in outcomes] == ["processed"]
    assert balance(fresh_db, acct.id) == Decimal("-70.00")
    assert poison.replay_poison(tenant_id=tenant, now=datetime.now(UTC)) == []
    with pytest.raises(poison.UnroutablePoison):
        poison.record_poison(raw=b"garbage")
