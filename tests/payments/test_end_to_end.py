"""End to end through the local Functions runner and Azurite: signed Conekta and SPEI webhooks over HTTP ->
webhook inbox -> payments-in queue -> apply_payment -> ledger. Redelivery over HTTP changes nothing."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import httpx

from shared.application.payments import intake, ledger
from tests.fixtures.runner import REPO_ROOT
from tests.payments.conftest import SPEI_SECRET
from tests.payments.helpers import balance, make_account, make_invoice


def test_webhooks_through_the_local_runner(fresh_db, tenant_factory, payment_secrets, local_host_factory):
    tenant = tenant_factory("cea")
    a = make_account(fresh_db, tenant)
    b = make_account(fresh_db, tenant)
    make_invoice(fresh_db, tenant, a.id, period=date(2026, 1, 1), total="300.00")
    make_invoice(fresh_db, tenant, b.id, period=date(2026, 1, 1), total="120.00")
    host = local_host_factory(
        "tests.payments.e2e_app:app",
        host_json=REPO_ROOT / "host.json",
        with_azurite=True,
        env={
            "DATABASE_URL": fresh_db.app_url,
            "QUEUE_PAYMENTS": "payments-in",
            "PAYMENT_PLAN_CHECK_SCHEDULE": "0 0 9 * * *",
            "TASKHUB_NAME": "paymentse2e",
            "CONEKTA_WEBHOOK_PUBLIC_KEY": payment_secrets.public_pem,
            "SPEI_WEBHOOK_SECRET": SPEI_SECRET,
        },
        in_process_activities=True,
    )
    fake = payment_secrets
    with httpx.Client(base_url=host.base_url, timeout=10) as client:
        event = fake.charge_paid(fake.charge(amount="300.00", reference=a.reference))
        for _ in range(2):
            assert fake.deliver("/api/v1/webhooks/conekta", event, client=client).status_code == 200
        abono = json.dumps(
            {
                "id": 77001,
                "fechaOperacion": 20260127,
                "monto": "100.00",
                "cuentaBeneficiario": b.clabe,
                "claveRastreo": "CR77001",
                "tsLiquidacion": "1769540000000",
            }
        ).encode()
        r = client.post(
            "/api/v1/webhooks/spei",
            content=abono,
            headers={
                "X-Spei-Signature": intake.spei_signature(body=abono, secret=SPEI_SECRET),
                "Content-Type": "application/json",
            },
        )
        assert r.json() == {"mensaje": "confirmar"}
    stats = host.run_queues_until_idle(timeout=30)
    host.stop()
    assert stats.by_function["apply_payment"]["succeeded"] == 2
    assert balance(fresh_db, a.id) == Decimal("0.00") and balance(fresh_db, b.id) == Decimal("20.00")
    assert ledger.check_tenant(tenant_id=tenant).ok


def test_demo_command_sends_webhooks_and_shows_balances(
    fresh_db, tenant_factory, payment_secrets, local_host_factory, tmp_path
):
    from cli.payments import run_payments_demo
    from devtools.fakes.conekta_server import ConektaFake

    tenant = tenant_factory("demo")
    accounts = [make_account(fresh_db, tenant) for _ in range(3)]
    for acct in accounts:
        make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="240.00")
    key_file = tmp_path / "demo-key.pem"
    fake = ConektaFake.load_or_create(key_file)
    assert ConektaFake.load_or_create(key_file).public_pem == fake.public_pem  # the key persists
    host = local_host_factory(
        "tests.payments.e2e_app:app",
        host_json=REPO_ROOT / "host.json",
        with_azurite=True,
        env={
            "DATABASE_URL": fresh_db.app_url,
            "QUEUE_PAYMENTS": "payments-in",
            "PAYMENT_PLAN_CHECK_SCHEDULE": "0 0 9 * * *",
            "TASKHUB_NAME": "paymentsdemo",
            "CONEKTA_WEBHOOK_PUBLIC_KEY": fake.public_pem,
            "SPEI_WEBHOOK_SECRET": SPEI_SECRET,
        },
        in_process_activities=True,
    )
    host.queues.start()
    lines: list[str] = []
    try:
        out = run_payments_demo(
            base_url=host.base_url,
            tenant_slug="demo",
            key_file=str(key_file),
            spei_secret=SPEI_SECRET,
            accounts=3,
            echo=lines.append,
        )
    finally:
        host.stop()  # a background consumer left running would take other tests' messages from the shared Azurite
    assert [r["balance_before"] for r in out] == [Decimal("240.00")] * 3
    assert [r["balance_after"] for r in out] == [Decimal("0.00"), Decimal("120.00"), Decimal("0.00")]
    assert any("spei" in line and "confirmar" in line for line in lines)
    assert ledger.check_tenant(tenant_id=tenant).ok
