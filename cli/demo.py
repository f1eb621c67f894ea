"""`manage.py demo`: a fresh local utility exercised end to end through the local runner, then a summary.

Each capability adds its step here. The demo uses its own throwaway cluster (.local/demo), so it can run again.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, date, datetime
from typing import Any

import httpx
import typer

from cli.billing import run_billing
from cli.runtime import LOCAL_DEMO, function_host, stack
from shared.application.billing import runs
from shared.application.seeding.plan import SyntheticSpec
from shared.application.seeding.reference import seed_reference
from shared.application.seeding.synthetic import seed_synthetic
from shared.data import db

DEMO_ACCOUNTS = 3000
DEMO_SECTORS = 4
DEMO_UNTIL = date(2026, 11, 1)
DEMO_PERIOD = "2026-10"
TENANT = "cea-queretaro"


def _step(title: str) -> float:
    typer.echo(f"\n== {title}", err=True)
    return time.perf_counter()


def _count(tenant_id: Any, sql: str) -> int:
    with db.tenant_transaction(tenant_id) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _relay(host: Any) -> dict[str, Any]:
    host.fire_timer("outbox_relay")
    stats = host.run_queues_until_idle(timeout=60)
    return {"received": stats.received, "succeeded": stats.succeeded, "failed": stats.failed,
            "poisoned": stats.poisoned}


def demo_command() -> None:
    """Install-free end-to-end run: seed, health, billing run, issue, outbox relay; prints a summary."""
    shutil.rmtree(LOCAL_DEMO, ignore_errors=True)
    summary: dict[str, Any] = {}
    with stack(root=LOCAL_DEMO, throwaway=True) as s, function_host(s) as host:
        t = _step("seed: reference data and a synthetic utility")
        seed_reference(s.migrations_url)
        report = seed_synthetic(s.migrations_url, SyntheticSpec(accounts=DEMO_ACCOUNTS, sectors=DEMO_SECTORS,
                                                                 months=13, seed=7, until=DEMO_UNTIL))
        summary["seed"] = {"accounts": report.rows("accounts"), "sectors": DEMO_SECTORS,
                           "meter_readings": report.rows("meter_readings"),
                           "seconds": round(time.perf_counter() - t, 2)}
        tenant_id = runs.tenant_id_for(TENANT)

        _step("health: /api/health/ready through the HTTP trigger")
        ready = httpx.get(f"{host.base_url}/api/health/ready", timeout=10)
        summary["health_ready"] = {"status": ready.status_code, "body": ready.json()}
        if ready.status_code != 200:
            raise typer.Exit(1)

        t = _step(f"billing run {DEMO_PERIOD} through the durable orchestrator")
        result = run_billing(host, tenant=TENANT, period=DEMO_PERIOD, sector=None)
        progress = result["progress"]
        summary["billing"] = {"status": result["status"], "accounts_billed": progress["invoices"],
                              "estimated": progress["estimated"], "exceptions_held": progress["held"],
                              "total_billed": progress["total_billed"], "sectors": progress["sectors"],
                              "seconds": round(time.perf_counter() - t, 2)}
        if result["status"] != "COMPLETED":
            raise typer.Exit(1)
        issued = runs.issue_run(tenant_id=tenant_id, run_id=result["run_id"], now=datetime.now(UTC),
                                reviewer="demo")
        summary["billing"]["issued"] = issued["issued"]

        _step("outbox relay: timer → domain-events queue → queue trigger")
        consumed = "SELECT count(*) FROM processed_events WHERE consumer = 'event-log'"
        before = _count(tenant_id, consumed)
        relay = _relay(host)
        summary["outbox"] = {"relay": relay, "events_consumed": _count(tenant_id, consumed) - before,
                             "still_pending": _count(tenant_id, "SELECT count(*) FROM domain_events"
                                                                " WHERE published_at IS NULL")}
    typer.echo(json.dumps(summary, indent=2, default=str))
