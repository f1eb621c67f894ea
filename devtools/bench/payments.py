"""`bench_payments(n)`: webhook -> applied latency, measured in-process against the configured PostgreSQL.

A producer sends n signed Conekta/SPEI webhooks at a steady rate through the real intake (signature check, inbox
insert, queue handoff); `workers` threads take the messages from an in-memory queue (standing in for the Storage
queue and the Functions host) and apply them. Latency = from the start of the webhook call to the commit of the
apply transaction. The queue transport itself (Azurite/Storage polling) is not included.
"""

from __future__ import annotations

import json
import queue
import random
import secrets
import statistics
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devtools.bench.payments_data import create_bench_accounts
from shared.adapters.conekta import sign
from shared.application.payments import apply, intake, ledger
from shared.data import db
from shared.domain.payments.references import make_clabe, make_reference


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def bench_payments(
    n: int = 300,
    *,
    tenant_id: UUID | str,
    rate_per_second: float = 40.0,
    workers: int = 2,
    accounts: int = 50,
    seed: int = 1,
) -> dict[str, Any]:
    """Returns latency percentiles (ms) of webhook -> applied and of the webhook answer, and the ledger check."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    tenant = UUID(str(tenant_id))
    base = 900_000_000 + secrets.randbelow(90_000_000)  # a fresh range per run in the same tenant
    numbers = [f"{base + i:09d}" for i in range(accounts)]
    with db.tenant_transaction(tenant) as conn:
        create_bench_accounts(
            conn,
            tenant_id=tenant,
            numbers=numbers,
            references=[make_reference(account_number=x) for x in numbers],
            clabes=[make_clabe(bank="646", plaza="181", account=f"8{x:0>10}") for x in numbers],
            invoice_total=Decimal("250.00"),
            period=date(2026, 1, 1),
        )
    inbox: queue.Queue[tuple[dict[str, Any], float] | None] = queue.Queue()
    started: dict[int, float] = {}
    latencies: list[float] = []
    answers: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        while (item := inbox.get()) is not None:
            message, t0 = item
            apply.process_inbox(tenant_id=tenant, inbox_id=int(message["inbox_id"]), now=datetime.now(UTC))
            with lock:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    wall = time.perf_counter()
    for i in range(n):
        number = rng.choice(numbers)
        amount = Decimal(rng.randint(1_000, 30_000)).scaleb(-2)
        event = {
            "id": f"evt_bench_{secrets.token_hex(8)}",
            "object": "event",
            "type": "charge.paid",
            "created_at": int(datetime.now(UTC).timestamp()),
            "data": {
                "object": {
                    "id": f"chg_bench_{secrets.token_hex(8)}",
                    "object": "charge",
                    "status": "paid",
                    "amount": int(amount * 100),
                    "currency": "MXN",
                    "payment_method": {
                        "object": "cash_payment",
                        "type": "cash",
                        "reference": make_reference(account_number=number),
                    },
                }
            },
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        digest = sign(body=body, private_key=key)
        t0 = time.perf_counter()
        started[i] = t0

        def handoff(message: dict[str, Any], t0: float = t0) -> None:
            inbox.put((message, t0))

        intake.receive_conekta(
            body=body, digest=digest, tenant_slug=None, tenant_id=tenant, public_key_pem=pem, enqueue=handoff
        )
        answers.append(time.perf_counter() - t0)
        sleep = wall + (i + 1) / rate_per_second - time.perf_counter()
        if sleep > 0:
            time.sleep(sleep)
    for _ in threads:
        inbox.put(None)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - wall
    report = ledger.check_tenant(tenant_id=tenant)
    ms = [x * 1000 for x in latencies]
    return {
        "payments": len(latencies),
        "workers": workers,
        "rate_per_second": rate_per_second,
        "elapsed_s": round(elapsed, 2),
        "throughput_per_s": round(len(latencies) / elapsed, 1),
        "webhook_to_applied_ms": {
            "p50": round(_pct(ms, 50), 1),
            "p95": round(_pct(ms, 95), 1),
            "max": round(max(ms), 1),
            "mean": round(statistics.fmean(ms), 1),
        },
        "webhook_answer_ms": {
            "p50": round(_pct([a * 1000 for a in answers], 50), 1),
            "p95": round(_pct([a * 1000 for a in answers], 95), 1),
        },
        "ledger_ok": report.ok,
    }
