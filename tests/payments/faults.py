"""Jepsen-lite harness for the payments pipeline: randomized deliveries with duplicates, reordering, queue-send
losses and workers killed at random points inside the apply transaction, with an independent oracle."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from devtools.fakes.conekta_server import ConektaFake
from shared.application.payments import apply, intake, ledger
from shared.domain.payments.references import make_clabe
from tests.fixtures.postgres import TestDatabase
from tests.payments.conftest import SPEI_SECRET
from tests.payments.helpers import Acct, balance, make_account, make_invoice


class Killed(RuntimeError):
    """The worker 'dies' here: the exception aborts the apply transaction."""


@dataclass
class Delivery:
    provider: str
    body: bytes
    digest: str


@dataclass
class Stats:
    runs: int = 0
    payments: int = 0
    webhook_deliveries: int = 0
    duplicate_deliveries: int = 0
    apply_attempts: int = 0
    kills: int = 0
    lost_sends: int = 0
    redriven: int = 0
    duplicate_messages: int = 0
    checkpoints: Counter[str] = field(default_factory=Counter)


def _cents(rng: random.Random, lo: int, hi: int) -> Decimal:
    return Decimal(rng.randint(lo * 100, hi * 100)).scaleb(-2)


def _spei_delivery(ident: int, clabe: str, amount: Decimal) -> Delivery:
    payload = {
        "id": ident,
        "fechaOperacion": int(date.today().strftime("%Y%m%d")),
        "institucionOrdenante": 40012,
        "institucionBeneficiaria": 90646,
        "claveRastreo": f"R{ident}",
        "monto": str(amount),
        "nombreOrdenante": "PAGADOR",
        "tipoCuentaOrdenante": 40,
        "cuentaOrdenante": "012180001234567897",
        "cuentaBeneficiario": clabe,
        "tipoCuentaBeneficiario": 40,
        "conceptoPago": "PAGO AGUA",
        "referenciaNumerica": 1234567,
        "empresa": "CEA",
        "tipoPago": 1,
    }
    body = json.dumps(payload).encode()
    return Delivery("spei", body, intake.spei_signature(body=body, secret=SPEI_SECRET))


def run_scenario(
    db: TestDatabase, tenant: uuid.UUID, fake: ConektaFake, *, seed: int, payments: int, kill_p: float, stats: Stats
) -> None:
    rng = random.Random(seed)
    accounts: list[Acct] = [
        make_account(db, tenant, tariff_class=rng.choice(["domestico", "comercial"]), vulnerable=rng.random() < 0.2)
        for _ in range(6)
    ]
    owed: dict[int, Decimal] = {}
    for a in accounts:
        owed[a.id] = Decimal(0)
        for m in range(rng.randint(1, 3)):
            total = Decimal(rng.randint(100, 400))
            make_invoice(db, tenant, a.id, period=date(2025, 1 + m, 1), total=total, due_date=date(2025, 2 + m, 20))
            owed[a.id] += total
    deliveries: list[Delivery] = []
    net_paid: dict[int | None, Decimal] = Counter()  # type: ignore[assignment]
    for _ in range(payments):
        acct = rng.choice(accounts) if rng.random() > 0.1 else None
        amount = _cents(rng, 10, 600) if acct else _cents(rng, 2000, 3000)  # suspense money never fits a bill
        channel = rng.choice(["cash", "card", "spei", "stp"])
        net = amount
        if channel == "stp":
            clabe = (
                acct.clabe if acct else make_clabe(bank="646", plaza="180", account=f"9{rng.randint(0, 10**9):010d}")
            )
            deliveries.append(_spei_delivery(rng.randint(10**9, 10**12), clabe, amount))
        else:
            reference = acct.reference if acct else "100000000000"  # bad check digit
            charge = fake.charge(
                amount=amount,
                method=channel,
                reference=reference,
                clabe=acct.clabe if acct else "646180000000000000",
                metadata={"payment_reference": reference} if channel == "card" else None,
            )
            events = []
            if rng.random() < 0.8:
                events.append(fake.charge_paid(charge))
            if not events or rng.random() < 0.5:
                events.append(fake.order_paid(charge, account_number=acct.number if acct else None))
            roll = rng.random()
            if roll < 0.2:
                part = _cents(rng, 1, int(amount))
                events.append(fake.refund(charge, amount=min(part, amount)))
                net = amount - min(part, amount)
            elif roll < 0.3:
                events.append(fake.chargeback(charge))
                net = Decimal(0)
            for e in events:
                body, digest = fake.signed(e)
                deliveries.append(Delivery("conekta", body, digest))
        net_paid[acct.id if acct else None] += net
        stats.payments += 1
    # duplicates and reordering of webhook deliveries
    wire = [d for d in deliveries for _ in range(rng.choice([1, 1, 2, 3]))]
    rng.shuffle(wire)
    stats.duplicate_deliveries += len(wire) - len(deliveries)
    queue: list[dict] = []

    def enqueue(message: dict) -> None:
        if rng.random() < 0.05:  # the process died between the inbox commit and the queue send
            stats.lost_sends += 1
            raise ConnectionError("simulated crash before the queue send")
        queue.append(message)

    for d in wire:
        stats.webhook_deliveries += 1
        if d.provider == "conekta":
            intake.receive_conekta(body=d.body, digest=d.digest, tenant_slug=None, enqueue=enqueue)
        else:
            intake.receive_spei(
                body=d.body, signature=d.digest, client_ip="127.0.0.1", tenant_slug=None, enqueue=enqueue
            )

    def fault(name: str) -> None:
        stats.checkpoints[name] += 1
        if rng.random() < kill_p:
            stats.kills += 1
            raise Killed(name)

    for _round in range(10):
        while queue:
            msg = queue.pop(rng.randrange(len(queue)))  # any order
            stats.apply_attempts += 1
            try:
                apply.process_inbox(tenant_id=tenant, inbox_id=msg["inbox_id"], now=datetime.now(UTC), fault=fault)
            except Killed:
                queue.insert(rng.randrange(len(queue) + 1), msg)  # redelivered later
                continue
            if rng.random() < 0.1:  # at-least-once: the queue hands the same message out again
                stats.duplicate_messages += 1
                queue.append(msg)
        resent: list[dict] = []
        stats.redriven += intake.redrive_stale_inbox(enqueue=resent.append, older_than_seconds=0)
        if not resent:
            break
        queue.extend(resent)

    # ---- invariants and the oracle ----
    report = ledger.check_tenant(tenant_id=tenant)
    assert report.ok, {k: v for k, v in report.violations.items() if v}
    with db.owner() as c:
        pending = c.execute(
            "SELECT count(*) FROM webhook_inbox WHERE tenant_id = %s AND status = 'pending'", (tenant,)
        ).fetchone()[0]
        stored = c.execute("SELECT count(*) FROM payments WHERE tenant_id = %s", (tenant,)).fetchone()[0]
        pending_reversals = c.execute(
            "SELECT count(*) FROM payment_reversals WHERE tenant_id = %s AND status = 'pending'", (tenant,)
        ).fetchone()[0]
    assert pending == 0 and pending_reversals == 0
    assert stored == payments  # every payment exactly once, none lost
    for a in accounts:
        assert balance(db, a.id) == owed[a.id] - net_paid[a.id], f"account {a.id}"
    assert report.suspense_amount == net_paid[None]
    stats.runs += 1
