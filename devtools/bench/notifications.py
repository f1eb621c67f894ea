"""`bench_notifications`: 100,000 bill-issued notices queued and sent to the WhatsApp stand-in, with a worker
SIGKILLed mid-run, and the webhook acknowledgement latency at a steady inbound rate.

Everything is private and real: a throwaway PostgreSQL cluster (migrated), Azurite for the notifications queue,
the WhatsApp stand-in in its own process, `workers` worker processes that loop over the queue exactly as the
queue trigger does (`worker.handle`, then delete), and the release job run every few seconds by the parent (the
timer's job). One worker is killed with SIGKILL when `kill_at` of the notices are sent and a replacement starts.

Shortcuts (reported in the output): the claim lease is `lease_s` instead of 2 minutes and the queue visibility
timeout `visibility_s`, so the killed worker's work comes back within the run; the tenant's rate limit is lifted
and quiet hours are off (the bench runs at any hour); the Functions host's own polling is replaced by the loop.
Phase 2 serves the API with uvicorn in its own process and posts signed inbound WhatsApp webhooks at `rate`/s.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[2]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _seed(owner_url: str, n: int) -> tuple[str, list[int]]:
    """A tenant with n accounts (each person with a WhatsApp number) and one issued invoice per account."""
    with psycopg.connect(owner_url) as conn:
        tenant = conn.execute(
            """INSERT INTO tenants (slug, name, rfc, fiscal_name, config)
               VALUES ('cea-bench', 'CEA', 'CEQ850101AA0', 'CEA', %s) RETURNING id""",
            (json.dumps({"notifications": {"rate_per_minute": 10**8, "quiet_start": "00:00", "quiet_end": "00:00"}}),),
        ).fetchone()
        assert tenant is not None
        t = tenant[0]
        sector = conn.execute(
            "INSERT INTO sectores_hidraulicos (tenant_id, code, name) VALUES (%s, 'S01', 'Sector 1') RETURNING id", (t,)
        ).fetchone()
        assert sector is not None
        conn.execute(
            """INSERT INTO persons (id, tenant_id, first_name, phone)
               SELECT g, %s, 'Cliente ' || g, '442' || lpad(g::text, 7, '0') FROM generate_series(1, %s) g""",
            (t, n),
        )
        conn.execute(
            """INSERT INTO addresses (id, tenant_id, street, postal_code)
               SELECT g, %s, 'Av. Zaragoza ' || g, '76000' FROM generate_series(1, %s) g""",
            (t, n),
        )
        conn.execute(
            """INSERT INTO tomas (id, tenant_id, toma_number, address_id, sector_id, tariff_class)
               SELECT g, %s, 'T' || lpad(g::text, 7, '0'), g, %s, 'domestico' FROM generate_series(1, %s) g""",
            (t, sector[0], n),
        )
        conn.execute(
            """INSERT INTO accounts (id, tenant_id, account_number, person_id, toma_id, tariff_class, opened_on,
                                     payment_reference, clabe)
               SELECT g, %s, 'C' || lpad(g::text, 7, '0'), g, g, 'domestico', '2024-01-01',
                      'REF' || lpad(g::text, 8, '0'), lpad(g::text, 18, '0') FROM generate_series(1, %s) g""",
            (t, n),
        )
        rows = conn.execute(
            """INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, total, due_date)
               SELECT %s, g, '2026-10-01', 'issued', 'A', g, 200 + (g %% 500) + 0.5, '2026-11-20'
               FROM generate_series(1, %s) g RETURNING id""",
            (t, n),
        ).fetchall()
        conn.commit()
        with psycopg.connect(owner_url, autocommit=True) as c2:
            c2.execute("ANALYZE")
    return str(t), [int(r[0]) for r in rows]


def _worker(env: dict[str, str], lease_s: float, visibility_s: int) -> None:
    """A queue worker process: receive, handle, delete, as the notifications queue trigger does."""
    os.environ.update(env)
    from shared.adapters import storage
    from shared.application.notifications import sender, worker

    sender.LEASE = timedelta(seconds=lease_s)
    client = storage.queue_client(env["QUEUE_NOTIFICATIONS"])
    while True:
        got = False
        for m in client.receive_messages(max_messages=32, visibility_timeout=visibility_s):
            got = True
            worker.handle(json.loads(m.content), now=datetime.now(UTC))
            client.delete_message(m)
        if not got:
            time.sleep(0.2)


def _counts(owner_url: str) -> dict[str, int]:
    with psycopg.connect(owner_url) as conn:
        return {str(s): int(c) for s, c in conn.execute("SELECT status, count(*) FROM notifications GROUP BY status")}


def _start_fake() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.fakes.whatsapp_server"], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def _phase_notices(
    *, cluster: Any, azurite: str, n: int, workers: int, kill_at: float, lease_s: float, visibility_s: int
) -> dict[str, Any]:
    from shared.adapters import storage
    from shared.application.notifications import producers, sender
    from shared.data import db
    from shared.platform.config import reset_settings_cache

    fake, fake_url = _start_fake()
    queue = f"bench-notices-{uuid.uuid4().hex[:8]}"
    env = {
        "DATABASE_URL": cluster.app_url,
        "AzureWebJobsStorage": azurite,
        "QUEUE_NOTIFICATIONS": queue,
        "WHATSAPP_API_URL": fake_url,
        "WHATSAPP_PHONE_NUMBER_ID": "1055500000",
        "WHATSAPP_API_KEY": "test-whatsapp-key",
        "PUBLIC_BASE_URL": "https://agua.example.mx",
        "DATABASE_POOL_MAX": "6",
    }
    os.environ.update(env)
    reset_settings_cache()
    db.close_pool()
    storage.ensure_queue(queue)
    tenant_id, invoice_ids = _seed(cluster.owner_url, n)
    ctx = mp.get_context("spawn")
    started = time.perf_counter()
    requested = producers.request_bills(tenant_id=tenant_id, invoice_ids=invoice_ids, now=datetime.now(UTC))
    queued_s = time.perf_counter() - started
    procs = [ctx.Process(target=_worker, args=(env, lease_s, visibility_s), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    sender.LEASE = timedelta(seconds=lease_s)
    killed_at: float | None = None
    releases = 0
    last_release = time.perf_counter()
    final = 0
    while time.perf_counter() - started < 600:
        counts = _counts(cluster.owner_url)
        final = counts.get("sent", 0) + counts.get("skipped", 0) + counts.get("failed", 0)
        if killed_at is None and counts.get("sent", 0) >= kill_at * n:
            victim = procs[0]
            assert victim.pid is not None
            os.kill(victim.pid, signal.SIGKILL)
            killed_at = time.perf_counter() - started
            replacement = ctx.Process(target=_worker, args=(env, lease_s, visibility_s), daemon=True)
            replacement.start()
            procs[0] = replacement
        if final >= n:
            break
        if time.perf_counter() - last_release >= 3:
            releases += sender.release_due(tenant_id=tenant_id, now=datetime.now(UTC))
            last_release = time.perf_counter()
        time.sleep(0.5)
    total_s = time.perf_counter() - started
    stats = httpx.get(f"{fake_url}/_stats", timeout=60).json()
    for p in procs:
        if p.pid is not None and p.is_alive():
            os.kill(p.pid, signal.SIGKILL)
    fake.terminate()
    counts = _counts(cluster.owner_url)
    return {
        "notices": n,
        "requested": requested,
        "queue_seconds": round(queued_s, 2),
        "total_seconds": round(total_s, 2),
        "target_seconds": 120,
        "worker_killed_at_seconds": round(killed_at, 2) if killed_at is not None else None,
        "rows_by_status": counts,
        "fake": stats,
        "duplicate_sends": stats["duplicates"],
        "released_by_job": releases,
        "ok": total_s <= 120 and stats["duplicates"] == 0 and counts.get("sent", 0) == n,
    }


def _phase_webhooks(*, cluster: Any, azurite: str, rate: float, seconds: float) -> dict[str, Any]:
    from devtools.fakes.whatsapp_server import WhatsAppFake
    from devtools.local_runner.azurite import free_port

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": cluster.app_url,
        "AzureWebJobsStorage": azurite,
        "QUEUE_NOTIFICATIONS": f"bench-inbound-{uuid.uuid4().hex[:8]}",
        "WHATSAPP_APP_SECRET": "bench-app-secret",
        "DATABASE_POOL_MAX": "8",
    }
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "uvicorn",
            "functions.api.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/api/v1/channels/whatsapp?tenant=cea-bench"
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        fake = WhatsAppFake(app_secret=env["WHATSAPP_APP_SECRET"], webhook_url=url)
        latencies: list[float] = []
        statuses: list[int] = []
        total = int(rate * seconds)
        lock = threading.Lock()

        def post(i: int, client: httpx.Client) -> None:
            body = fake.inbound_text(sender=f"52442{i % 2000:07d}", text=f"hola {i}")
            t0 = time.perf_counter()
            status = fake.post(body, client=client).status_code
            with lock:
                latencies.append(time.perf_counter() - t0)
                statuses.append(status)

        with httpx.Client(timeout=10, limits=httpx.Limits(max_connections=64)) as client:
            # warm-up (imports, pool, queue client), not counted
            for i in range(20):
                fake.post(fake.inbound_text(sender="524420000000", text=f"calentando {i}"), client=client)
            threads: list[threading.Thread] = []
            start = time.perf_counter()
            for i in range(total):
                due = start + i / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                th = threading.Thread(target=post, args=(i, client))
                th.start()
                threads.append(th)
            for th in threads:
                th.join()
        ms = [v * 1000 for v in latencies]
        return {
            "messages": total,
            "rate_per_second": rate,
            "statuses": {str(s): statuses.count(s) for s in set(statuses)},
            "ack_ms": {"p50": round(statistics.median(ms), 1), "p99": round(_pct(ms, 99), 1), "max": round(max(ms), 1)},
            "targets_ms": {"p50": 250, "p99": 1000},
            "ok": statistics.median(ms) <= 250 and _pct(ms, 99) <= 1000 and set(statuses) == {200},
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench_notifications(
    *,
    n: int = 100_000,
    workers: int = 2,
    kill_at: float = 0.4,
    lease_s: float = 15.0,
    visibility_s: int = 10,
    rate: float = 50.0,
    seconds: float = 20.0,
) -> dict[str, Any]:
    from devtools.devstack.postgres import start_cluster
    from devtools.local_runner.azurite import start_azurite
    from shared.data import db
    from shared.data.migrate import migrate

    root = Path(tempfile.mkdtemp(prefix="bench-notices-"))
    cluster = start_cluster(root, throwaway=True)
    azurite = start_azurite()
    try:
        migrate(cluster.owner_url)
        notices = _phase_notices(
            cluster=cluster,
            azurite=azurite.connection_string,
            n=n,
            workers=workers,
            kill_at=kill_at,
            lease_s=lease_s,
            visibility_s=visibility_s,
        )
        db.close_pool()
        webhooks = _phase_webhooks(cluster=cluster, azurite=azurite.connection_string, rate=rate, seconds=seconds)
    finally:
        db.close_pool()
        azurite.stop()
        cluster.stop()
    return {
        "benchmark": "notifications",
        "cores": os.cpu_count(),
        "shortcuts": [
            f"claim lease {lease_s}s and queue visibility {visibility_s}s (production: 120 s and the host's default)",
            "tenant rate limit lifted and quiet hours off",
            "a receive/handle/delete loop stands in for the Functions queue trigger",
        ],
        "notices": notices,
        "webhooks": webhooks,
    }


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(
        json.dumps(
            bench_notifications(n=args.notices, workers=args.workers, rate=args.rate, seconds=args.seconds), indent=2
        )
    )


def bench_notifications_command(
    notices: int = 100_000, workers: int = 2, rate: float = 50.0, seconds: float = 20.0
) -> None:
    """`manage.py bench notifications`: 100,000 bill notices with a worker SIGKILLed, and webhook ack latency."""
    print(json.dumps(bench_notifications(n=notices, workers=workers, rate=rate, seconds=seconds), indent=2))
