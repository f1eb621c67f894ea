"""Loopback load run of the API's hottest reads: account balance and invoice list, with customer tokens.

`bench_api(accounts=200_000, rate=200, seconds=30)` starts (or reuses) a private PostgreSQL under .local/bench-api,
seeds the synthetic utility once (plus six issued invoices per account), prints the query plans of both reads,
starts this project's app under uvicorn on 127.0.0.1, and drives it open-loop at `rate` requests/s for `seconds`
(bounded: at most rate × seconds requests, a hard deadline, and a cap on requests in flight). It returns a dict
(requests/s, p50/p95/p99 per endpoint and overall, errors). Traffic goes only to 127.0.0.1.

For `manage.py bench api`: `typer` command `bench_api_command` below, or call `bench_api(...)` and print JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import psycopg
import typer

from devtools.devstack.postgres import free_port, start_cluster
from devtools.seeding.plan import SyntheticSpec
from devtools.seeding.reference import seed_reference
from devtools.seeding.synthetic import seed_synthetic
from shared.application.access.tokens import issue_token
from shared.data.migrate import migrate
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / ".local" / "bench-api"
TENANT = "cea-queretaro"
SEED_UNTIL = date(2026, 11, 1)
INVOICE_MONTHS = 6
MAX_IN_FLIGHT = 32
LOAD_KEY = "loadtest-signing-key-not-a-secret-0123456789"


def _count(conn: psycopg.Connection[Any], sql: str) -> int:
    row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
    return int(row[0]) if row else 0


def prepare(owner_url: str, accounts: int) -> dict[str, Any]:
    """Seed the utility (once) and give every account INVOICE_MONTHS issued invoices."""
    started = time.perf_counter()
    with psycopg.connect(owner_url) as conn:
        have = _count(conn, "SELECT count(*) FROM accounts")
    seeded = False
    if have != accounts:
        seed_reference(owner_url)
        seed_synthetic(
            owner_url,
            SyntheticSpec(accounts=accounts, sectors=min(40, accounts), months=3, seed=11, until=SEED_UNTIL),
            reset=True,
        )
        seeded = True
    with psycopg.connect(owner_url, autocommit=True) as conn:
        invoices = _count(conn, "SELECT count(*) FROM invoices")
        if invoices < accounts * INVOICE_MONTHS:
            conn.execute("DELETE FROM invoices WHERE serie = 'LT'")
            conn.execute(
                """
                INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, consumption_m3, subtotal,
                                      tax_total, total, due_date, issued_at)
                SELECT a.tenant_id, a.id, p.period, 'issued', 'LT', a.id * 100 + p.n, 12 + a.id %% 20,
                       150 + a.id %% 300, 0, 150 + a.id %% 300, (p.period + interval '1 month 14 days')::date,
                       p.period + interval '1 month 2 days'
                FROM accounts a
                CROSS JOIN LATERAL (SELECT (%(until)s::date - make_interval(months => n))::date AS period, n
                                    FROM generate_series(1, %(months)s) AS n) p""",
                {"until": SEED_UNTIL, "months": INVOICE_MONTHS},
            )
            conn.execute("VACUUM ANALYZE invoices")
            conn.execute("ANALYZE")
        counts = {t: _count(conn, f"SELECT count(*) FROM {t}") for t in ("accounts", "invoices", "account_movements")}
    return {"seeded_now": seeded, "seconds": round(time.perf_counter() - started, 1), **counts}


def explain(app_url: str, tenant_id: str, account_id: int, person_id: int) -> dict[str, str]:
    """EXPLAIN ANALYZE of both reads as the application role, under RLS and the customer scope."""
    from shared.data.records import accounts as accounts_q
    from shared.data.records import invoices as invoices_q

    plans: dict[str, str] = {}
    captured: list[str] = []

    class Explaining(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **kw: Any) -> Explaining:  # type: ignore[override]
            super().execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {query}", params, **kw)
            rows = super().fetchall()
            captured.append("\n".join(str(next(iter(r.values())) if isinstance(r, dict) else r[0]) for r in rows))
            return self

        def fetchone(self) -> Any:  # type: ignore[override]
            return None

        def fetchall(self) -> list[Any]:  # type: ignore[override]
            return []

    with psycopg.connect(app_url, cursor_factory=Explaining) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (tenant_id,))
        accounts_q.balance(conn, account_id=account_id, person_scope=person_id)
        plans["balance"] = captured[-1]
        invoices_q.list_invoices(
            conn, person_scope=person_id, account_id=account_id, period=None, status=None, after=None, limit=13
        )
        plans["invoice_list"] = captured[-1]
    return plans


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies, default=0) * 1000, 2),
        "requests_per_second": round((len(latencies) + errors) / seconds, 1) if seconds else 0.0,
    }


class _Connection:
    """A minimal HTTP/1.1 keep-alive client for GETs (a few µs of CPU per request, so the client does not steal
    the cores the server is measured on)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str]) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            *(f"{k}: {v}" for k, v in headers.items()),
            "",
            "",
        ]
        self.writer.write("\r\n".join(lines).encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def drive(
    base_url: str, targets: list[tuple[str, dict[str, str]]], *, rate: float, seconds: float
) -> dict[str, Any]:
    """Open-loop load: request i is due at start + i/rate and goes out on the next free keep-alive connection.
    Bounded by count (rate × seconds), a hard deadline, and MAX_IN_FLIGHT connections. Latency is measured from
    the due time (so time spent waiting for a free connection counts: no coordinated omission)."""
    host, port = base_url.removeprefix("http://").split(":")
    total = int(rate * seconds)
    deadline = time.monotonic() + seconds * 2 + 30
    latencies: dict[str, list[float]] = {"balance": [], "invoice_list": []}
    errors: dict[str, int] = {"balance": 0, "invoice_list": 0}
    status_errors: dict[int, int] = {}
    queue: asyncio.Queue[tuple[float, str, dict[str, str]] | None] = asyncio.Queue()

    async def worker() -> None:
        conn = _Connection(host, int(port))
        try:
            while (item := await queue.get()) is not None:
                due, path, headers = item
                kind = "balance" if path.endswith("/balance") else "invoice_list"
                try:
                    status = await asyncio.wait_for(conn.get(path, headers), timeout=10)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                    conn.close()
                    status = 0
                if status == 200:
                    latencies[kind].append(time.monotonic() - due)
                else:
                    errors[kind] += 1
                    status_errors[status] = status_errors.get(status, 0) + 1
        finally:
            conn.close()

    workers = [asyncio.create_task(worker()) for _ in range(MAX_IN_FLIGHT)]
    start = time.monotonic()
    for i in range(total):
        due = start + i / rate
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if time.monotonic() > deadline:
            break
        path, headers = targets[i % len(targets)]
        queue.put_nowait((due, path, headers))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.wait_for(asyncio.gather(*workers), timeout=max(1.0, deadline - time.monotonic()))
    elapsed = time.monotonic() - start
    everything = latencies["balance"] + latencies["invoice_list"]
    return {
        "target_rate": rate,
        "seconds": round(elapsed, 2),
        "overall": _summary(everything, sum(errors.values()), elapsed),
        "balance": _summary(latencies["balance"], errors["balance"], elapsed),
        "invoice_list": _summary(latencies["invoice_list"], errors["invoice_list"], elapsed),
        "error_statuses": status_errors,
    }


def _targets(owner_url: str, count: int) -> tuple[list[tuple[str, dict[str, str]]], tuple[str, int, int]]:
    """Random accounts, each read with its own customer's token: half balance, half invoice list (12)."""
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "SELECT a.id, a.person_id, a.tenant_id::text FROM accounts a ORDER BY random() LIMIT %s", (count,)
        ).fetchall()
    now = datetime.now(UTC)
    out = []
    for i, (account_id, person_id, _tenant) in enumerate(rows):
        token = issue_token(
            tenant=TENANT,
            roles=["customer"],
            person_id=person_id,
            now=now,
            ttl=timedelta(hours=2),
            subject=f"load:{person_id}",
        )
        path = (
            f"/api/v1/accounts/{account_id}/balance"
            if i % 2 == 0
            else f"/api/v1/invoices?account_id={account_id}&limit=12"
        )
        out.append((path, {"Authorization": f"Bearer {token}"}))
    random.Random(7).shuffle(out)  # noqa: S311 - load order, not security
    return out, (rows[0][2], rows[0][0], rows[0][1])


def _wait_ready(base_url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("uvicorn exited early")
        try:
            if httpx.get(f"{base_url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("uvicorn did not become ready")


def bench_api(
    *, accounts: int = 200_000, rate: float = 200, seconds: float = 30, pool: int = 8, warmup_seconds: float = 5
) -> dict[str, Any]:
    os.environ["JWT_SIGNING_KEY"] = os.environ.get("JWT_SIGNING_KEY") or LOAD_KEY
    reset_secret_cache()
    reset_settings_cache()
    cluster = start_cluster(ROOT / "pg", throwaway=True)
    proc: subprocess.Popen[bytes] | None = None
    try:
        migrate(cluster.owner_url)
        prepared = prepare(cluster.owner_url, accounts)
        targets, (tenant_id, sample_account, sample_person) = _targets(cluster.owner_url, 20_000)
        plans = explain(cluster.app_url, tenant_id, sample_account, sample_person)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": cluster.app_url,
            "DATABASE_POOL_MAX": str(pool),
            "LOG_LEVEL": "WARNING",
            "APPLICATIONINSIGHTS_CONNECTION_STRING": "",
        }
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, loopback only
            [
                sys.executable,
                "-m",
                "uvicorn",
                "functions.api.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
        )
        _wait_ready(base_url, proc)
        split = min(2000, len(targets) // 4)
        warm = asyncio.run(drive(base_url, targets[:split], rate=rate, seconds=warmup_seconds))
        result = asyncio.run(drive(base_url, targets[split:], rate=rate, seconds=seconds))
        target_met = (
            result["overall"]["p95_ms"] <= 50
            and result["overall"]["errors"] == 0
            and result["overall"]["requests_per_second"] >= rate * 0.95
        )
        return {
            "benchmark": "api",
            "accounts": accounts,
            "prepared": prepared,
            "pool": pool,
            "warmup": warm["overall"],
            **result,
            "target": "p95 <= 50 ms at 200 req/s, 0 errors",
            "target_met": target_met,
            "plans": plans,
        }
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        cluster.stop()


def bench_api_command(
    accounts: Annotated[int, typer.Option("--accounts")] = 200_000,
    rate: Annotated[float, typer.Option("--rate", help="Requests per second (open loop)")] = 200,
    seconds: Annotated[float, typer.Option("--seconds", help="Measured duration (bounded)")] = 30,
    pool: Annotated[int, typer.Option("--pool", help="Database pool size of the app")] = 8,
) -> None:
    """Load run of balance and invoice-list reads against a loopback uvicorn (JSON output)."""
    if rate <= 0 or rate > 2000 or seconds <= 0 or seconds > 300:
        typer.echo("error: --rate must be in (0, 2000] and --seconds in (0, 300]", err=True)
        raise typer.Exit(code=2)
    typer.echo(json.dumps(bench_api(accounts=accounts, rate=rate, seconds=seconds, pool=pool), indent=2))


if __name__ == "__main__":
    typer.run(bench_api_command)
