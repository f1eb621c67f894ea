"""`manage.py soak webhooks --deliveries 5000 --kills 3`: a bounded loopback soak of the payment webhooks with
crashes (issue 13, "must show when resolved").

The soak holds the local stack (private PostgreSQL + Azurite under .local/soak, throwaway) and runs the function
app in a separate server process (`python -m devtools.local_runner serve`: HTTP, the payments and domain-events
queues, the timers, pool DATABASE_POOL_MAX=8). It sends signed Conekta (OXXO charge.paid, card order.paid) and SPEI
deliveries for seeded accounts, each event one to three times, shuffled (redeliveries race each other and arrive
out of order), from several sender threads that retry like a provider until the server acknowledges. While they
run, the server process is killed with SIGKILL `kills` times and started again, and a reader thread reads account
balances with customer tokens. At the end it waits for the queues to drain and checks, from the database: every
acknowledged event is stored once and applied once (one payment, one ledger movement, the amount sent), nothing
is left pending, and the ledger invariants hold (`ledger check`). It reports the balance reads' p50/p95/p99 (and
how many found the server down during a restart), the pool timeouts the server logged, and those checks as JSON.
Traffic goes only to 127.0.0.1; every loop has a deadline.
"""

from __future__ import annotations

import json
import os
import random
import secrets as pysecrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import psycopg
import typer

from cli.runtime import local_settings
from devtools.devstack.postgres import free_port
from devtools.devstack.stack import local_stack
from devtools.fakes.conekta_server import ConektaFake
from devtools.seeding.plan import SyntheticSpec
from devtools.seeding.reference import TENANT, seed_reference
from devtools.seeding.synthetic import seed_synthetic
from shared.application.access.tokens import issue_token
from shared.application.payments import ledger
from shared.application.payments.intake import spei_signature
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / ".local" / "soak"
SLUG = str(TENANT["slug"])
SENDERS = 8
READ_RATE = 25.0  # balance reads per second during the soak
WARMUP_SECONDS = 5.0  # reads right after a restart (imports, first connections) are also reported apart
POOL_TIMEOUT_MARKERS = ("couldn't get a connection", "PoolTimeout")
soak_app = typer.Typer(help="Soaks (bounded, loopback) with crashes.", no_args_is_help=True)


@dataclass
class Event:
    provider: str  # "conekta" | "spei"
    event_id: str
    amount: Decimal
    path: str
    body: bytes
    headers: dict[str, str]
    acked: bool = False
    refused: str | None = None


@dataclass
class Server:
    """The function app in its own process, restarted on the same port after each kill."""

    settings: Path
    port: int
    logs: Path
    values: dict[str, str] = field(default_factory=dict)  # win over this process's environment
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log_files: list[Path] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 300) -> None:
        self.starts += 1
        log_path = self.logs / f"server-{self.starts}.log"
        self.log_files.append(log_path)
        command = [
            sys.executable,
            "-m",
            "devtools.local_runner",
            "serve",
            "--app",
            "function_app:app",
            "--host-json",
            str(REPO / "host.json"),
            "--settings",
            str(self.settings),
            "--port",
            str(self.port),
            "--azurite",
            "no",
            "--workers",
            "1",
        ]
        with log_path.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, loopback only
                command, cwd=REPO, env={**os.environ, **self.values}, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited at start: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/api/health", timeout=15).status_code == 200:  # slow when loaded
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready within {timeout}s: {log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def pool_timeouts(self) -> int:
        return sum(
            line.count(marker)
            for path in self.log_files
            if path.exists()
            for line in path.read_text(errors="replace").splitlines()
            for marker in POOL_TIMEOUT_MARKERS
        )


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


Account = tuple[int, str, str, str, int]  # id, number, payment reference, CLABE, person


def _event(i: int, accounts: list[Account], *, conekta: ConektaFake, spei_secret: str, rng: random.Random) -> Event:
    """The i-th event: 5 in 10 OXXO charge.paid by reference, 2 card order.paid by account number, 3 SPEI abonos
    to the account's CLABE; provider timestamps spread over an hour, so deliveries arrive out of order."""
    base = int(time.time()) - 3600
    _id, number, reference, clabe, _person = accounts[rng.randrange(len(accounts))]
    amount = Decimal(rng.randrange(1000, 50000)) / 100
    kind = i % 10
    if kind < 7:
        if kind < 5:
            event = conekta.charge_paid(conekta.charge(amount=amount, method="cash", reference=reference))
        else:
            event = conekta.order_paid(conekta.charge(amount=amount, method="card"), account_number=number)
        event["created_at"] = base + rng.randrange(3600)
        body, digest = conekta.signed(event)
        headers = {"Content-Type": "application/json", "digest": digest}
        return Event("conekta", event["id"], amount, f"/api/v1/webhooks/conekta?tenant={SLUG}", body, headers)
    ident = 10**9 + i
    body = json.dumps(
        {
            "id": ident,
            "fechaOperacion": int(datetime.now(UTC).strftime("%Y%m%d")),
            "monto": str(amount),
            "cuentaBeneficiario": clabe,
            "claveRastreo": f"SOAK{ident}",
            "nombreOrdenante": "SOAK",
            "conceptoPago": "PAGO AGUA",
            "tsLiquidacion": str((base + rng.randrange(3600)) * 1000),
        }
    ).encode()
    headers = {"Content-Type": "application/json", "X-Spei-Signature": spei_signature(body=body, secret=spei_secret)}
    return Event("spei", str(ident), amount, f"/api/v1/webhooks/spei?tenant={SLUG}", body, headers)


def _acknowledged(event: Event, response: httpx.Response) -> bool:
    if event.provider == "spei":
        return response.status_code == 200 and response.json().get("mensaje") == "confirmar"
    return response.status_code in (200, 202)


def soak_webhooks(
    *,
    deliveries: int = 5000,
    kills: int = 3,
    rate: float = 40.0,
    accounts: int = 400,
    seed: int = 13,
    root: Path = ROOT,
) -> dict[str, Any]:
    """Run the soak; returns the report (see the module docstring)."""
    if deliveries < 10 or kills < 0 or not 0 < rate <= 1000:
        raise ValueError("deliveries must be >= 10, kills >= 0 and rate within (0, 1000]")
    rng = random.Random(seed)  # noqa: S311 - load shape, not security
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    conekta = ConektaFake.load_or_create(root / "conekta-soak-key.pem")
    spei_secret, jwt_key = pysecrets.token_urlsafe(24), pysecrets.token_urlsafe(32)
    os.environ["JWT_SIGNING_KEY"] = jwt_key
    reset_secret_cache()
    reset_settings_cache()
    started = time.monotonic()
    with local_stack(root=root, throwaway=True) as stack:
        seed_reference(stack.migrations_url)
        seed_synthetic(
            stack.migrations_url,
            SyntheticSpec(accounts=accounts, sectors=4, months=2, seed=seed, until=date(2026, 11, 1)),
            reset=True,
        )
        with psycopg.connect(stack.migrations_url) as conn:
            rows = conn.execute(
                "SELECT id, account_number, payment_reference, clabe, person_id FROM accounts ORDER BY id"
            ).fetchall()
            tenant_id = conn.execute("SELECT id FROM tenants WHERE slug = %s", (SLUG,)).fetchone()[0]  # type: ignore[index]
        # Each event delivered 1-3 times, the whole list shuffled: `deliveries` requests in all.
        events: list[Event] = []
        plan: list[Event] = []
        while len(plan) < deliveries:
            event = _event(len(events), rows, conekta=conekta, spei_secret=spei_secret, rng=rng)
            events.append(event)
            plan += [event] * min(rng.choice((1, 1, 2, 3)), deliveries - len(plan))
        rng.shuffle(plan)
        settings = root / "soak.settings.json"
        values = {
            **local_settings(),
            **stack.env(),
            "CONEKTA_WEBHOOK_PUBLIC_KEY": conekta.public_pem,
            "SPEI_WEBHOOK_SECRET": spei_secret,
            "JWT_SIGNING_KEY": jwt_key,
            "DATABASE_POOL_MAX": "8",
            "OUTBOX_RELAY_SCHEDULE": "*/2 * * * * *",
            "APPLICATIONINSIGHTS_CONNECTION_STRING": "",
        }
        settings.write_text(json.dumps({"IsEncrypted": False, "Values": values}))
        server = Server(settings=settings, port=free_port(), logs=root, values=values)
        server.start()
        try:
            report = _drive(server, plan=plan, events=events, kills=kills, rows=rows, rng=rng, rate=rate)
            report.update(_verify(stack.migrations_url, tenant_id=tenant_id, events=events))
        finally:
            server.stop()
        report["pool_timeouts"] = server.pool_timeouts()
        report["server_starts"] = server.starts
    report["seconds"] = round(time.monotonic() - started, 1)
    report["ok"] = bool(
        report["exactly_once"]
        and report["ledger_ok"]
        and report["pool_timeouts"] == 0
        and report["unacknowledged"] == 0
    )
    return report


def _drive(  # noqa: PLR0915 - one soak loop (senders, reader, kills), read top to bottom
    server: Server,
    *,
    plan: list[Event],
    events: list[Event],
    kills: int,
    rows: list[Account],
    rng: random.Random,
    rate: float,
) -> dict[str, Any]:
    lock = threading.Lock()
    cursor = {"next": 0, "sent": 0, "retries": 0}
    kill_at = [len(plan) * (k + 1) // (kills + 1) for k in range(kills)]
    down = threading.Event()
    stop_reading = threading.Event()
    latencies: list[float] = []
    read_at: list[float] = []
    restarted_at: list[float] = []
    read_status: dict[str, int] = {}
    begin = time.monotonic()
    deadline = begin + 600 + len(plan) / rate

    def send_all() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            while True:
                with lock:
                    if cursor["next"] >= len(plan):
                        return
                    n = cursor["next"]
                    event = plan[n]
                    cursor["next"] += 1
                due = begin + n / rate  # open loop: the n-th delivery leaves at n / rate seconds
                if due > time.monotonic():
                    time.sleep(due - time.monotonic())
                pause = 0.05
                while time.monotonic() < deadline:
                    try:
                        response = client.post(event.path, content=event.body, headers=event.headers)
                        if _acknowledged(event, response):
                            with lock:
                                event.acked = True
                                cursor["sent"] += 1
                            break
                        if 400 <= response.status_code < 500 and response.status_code != 429:
                            with lock:  # refused for good: a provider would not retry; the report shows it
                                event.refused = f"{response.status_code} {response.text[:200]}"
                                cursor["sent"] += 1
                            break
                    except httpx.HTTPError:
                        pass
                    with lock:
                        cursor["retries"] += 1  # a provider retries until acknowledged
                    time.sleep(pause)
                    pause = min(1.0, pause * 2)

    def read_balances() -> None:
        now = datetime.now(UTC)
        tokens = [
            (
                account_id,
                issue_token(
                    tenant=SLUG, roles=["customer"], person_id=person, now=now, ttl=timedelta(hours=2), subject="soak"
                ),
            )
            for account_id, _n, _r, _c, person in rows[:200]
        ]
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            while not stop_reading.is_set() and time.monotonic() < deadline:
                account_id, token = tokens[rng.randrange(len(tokens))]
                began = time.perf_counter()
                try:
                    response = client.get(
                        f"/api/v1/accounts/{account_id}/balance", headers={"Authorization": f"Bearer {token}"}
                    )
                    key = str(response.status_code)
                    if response.status_code == 200:
                        latencies.append((time.perf_counter() - began) * 1000)
                        read_at.append(time.monotonic())
                except httpx.HTTPError:
                    key = "restarting" if down.is_set() else "connection_error"
                read_status[key] = read_status.get(key, 0) + 1
                time.sleep(1 / READ_RATE)

    senders = [threading.Thread(target=send_all, name=f"soak-send-{i}", daemon=True) for i in range(SENDERS)]
    reader = threading.Thread(target=read_balances, name="soak-read", daemon=True)
    reader.start()
    for t in senders:
        t.start()
    restarts: list[float] = []
    for threshold in kill_at:
        while cursor["sent"] < threshold and any(t.is_alive() for t in senders):
            time.sleep(0.05)
        down.set()
        killed = time.monotonic()
        server.kill()
        server.start()
        down.clear()
        restarted_at.append(time.monotonic())
        restarts.append(round(time.monotonic() - killed, 1))
    for t in senders:
        t.join(timeout=max(1.0, deadline - time.monotonic()))
    send_seconds = time.monotonic() - begin
    stop_reading.set()
    reader.join(timeout=30)
    steady = [
        ms
        for ms, at in zip(latencies, read_at, strict=True)
        if not any(0 <= at - up < WARMUP_SECONDS for up in restarted_at)
    ]
    return {
        "deliveries": len(plan),
        "distinct_events": len(events),
        "duplicate_deliveries": len(plan) - len(events),
        "acknowledged_events": sum(1 for e in events if e.acked),
        "unacknowledged": sum(1 for e in events if not e.acked),
        "refused": [e.refused for e in events if e.refused][:5],
        "retried_requests": cursor["retries"],
        "rate_per_second": rate,
        "kills": len(kill_at),
        "restart_seconds": restarts,
        "send_seconds": round(send_seconds, 1),
        "deliveries_per_second": round(len(plan) / send_seconds, 1) if send_seconds else None,
        "api_reads": {
            "ok": len(latencies),
            "by_status": read_status,
            "p50_ms": round(_percentile(latencies, 0.50), 1),
            "p95_ms": round(_percentile(latencies, 0.95), 1),
            "p99_ms": round(_percentile(latencies, 0.99), 1),
            "max_ms": round(max(latencies), 1) if latencies else None,
            "p95_ms_outside_restarts": round(_percentile(steady, 0.95), 1),
            "warmup_excluded_seconds": WARMUP_SECONDS,
        },
    }


def _verify(
    owner_url: str, *, tenant_id: Any, events: list[Event], stall: float = 120, cap: float = 1800
) -> dict[str, Any]:
    """Wait until nothing of ours is pending (giving up when the backlog has not shrunk for `stall` seconds, or after
    `cap`), then compare the database with what was acknowledged."""
    sent = {(e.provider, e.event_id): e for e in events if e.acked}
    began = time.monotonic()
    best, progressed = -1, began
    with psycopg.connect(owner_url, autocommit=True) as conn:
        while True:
            pending = conn.execute("SELECT count(*) FROM webhook_inbox WHERE status = 'pending'").fetchone()[0]  # type: ignore[index]
            now = time.monotonic()
            if best < 0 or pending < best:
                best, progressed = pending, now
            if pending == 0 or now - progressed > stall or now - began > cap:
                break
            time.sleep(1)
        drain_seconds = round(time.monotonic() - began, 1)
        inbox = conn.execute(
            """SELECT i.provider, i.event_id, i.status, count(p.id) AS payments, coalesce(sum(p.amount), 0) AS amount,
                      count(m.id) AS movements
               FROM webhook_inbox i
               LEFT JOIN payments p ON p.source_event_id = i.id
               LEFT JOIN account_movements m ON m.source_type = 'payment' AND m.source_id = p.id AND m.kind = 'payment'
               GROUP BY i.provider, i.event_id, i.status"""
        ).fetchall()
    stored = {(row[0], row[1]): row for row in inbox}
    missing = [key for key in sent if key not in stored]
    not_once = [
        key
        for key, event in sent.items()
        if key in stored
        and not (
            stored[key][2] == "processed"
            and stored[key][3] == 1
            and stored[key][5] == 1
            and Decimal(stored[key][4]) == event.amount
        )
    ]
    report = ledger.check_tenant(tenant_id=tenant_id)
    return {
        "stored_events": len(stored),
        "drain_seconds": drain_seconds,
        "pending_left": pending,
        "missing": len(missing),
        "not_applied_exactly_once": len(not_once),
        "examples": [f"{p}/{e}: {stored.get((p, e))}" for p, e in (missing + not_once)[:5]],
        "exactly_once": not missing and not not_once and pending == 0,
        "ledger_ok": report.ok,
        "ledger_violations": {k: len(v) for k, v in report.violations.items() if v},
    }


@soak_app.command("webhooks")
def soak_webhooks_command(
    deliveries: Annotated[
        int, typer.Option("--deliveries", help="Signed deliveries to send (>= 5000 for the soak)")
    ] = 5000,
    kills: Annotated[int, typer.Option("--kills", help="SIGKILLs of the server process during the soak")] = 3,
    rate: Annotated[float, typer.Option("--rate", help="Deliveries per second (open loop)")] = 40.0,
    accounts: Annotated[int, typer.Option("--accounts", help="Seeded accounts paid into")] = 400,
) -> None:
    """Signed Conekta/SPEI deliveries with duplicates, reordering and server kills while API reads run; prints the
    report as JSON (exit 1 when a check fails)."""
    report = soak_webhooks(deliveries=deliveries, kills=kills, rate=rate, accounts=accounts)
    typer.echo(json.dumps(report, indent=2, default=str))
    if not report["ok"]:
        raise typer.Exit(1)
