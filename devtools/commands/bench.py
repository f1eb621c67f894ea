"""`manage.py bench ...`: benchmarks that print JSON (speed targets are checked here, never in tests)."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from typing import Annotated, Any

import psycopg
import typer

from cli.billing import run_billing
from cli.runtime import REPO, function_host, stack
from devtools.commands.bench_pac import bench_pac_command
from devtools.commands.loadtest import bench_api_command
from devtools.seeding.plan import SyntheticSpec
from devtools.seeding.reference import seed_reference
from devtools.seeding.synthetic import seed_synthetic
from shared.application.billing import runs

bench_app = typer.Typer(help="Benchmarks (JSON output).", no_args_is_help=True)
bench_app.command("api")(bench_api_command)
bench_app.command("pac")(bench_pac_command)
BENCH_ROOT = REPO / ".local" / "bench"
BENCH_UNTIL = date(2026, 11, 1)
BENCH_PERIOD = "2026-10"
TENANT = "cea-queretaro"


def _accounts(owner_url: str) -> int:
    with psycopg.connect(owner_url) as conn:
        return int(conn.execute("SELECT count(*) FROM accounts").fetchone()[0])  # type: ignore[index]


def _reset_billing(owner_url: str) -> None:
    """Forget earlier benchmark runs (benchmark database only)."""
    with psycopg.connect(owner_url) as conn:
        conn.execute(
            "TRUNCATE invoice_lines, billing_chunks, domain_events, processed_events, cfdi_payment_lines,"
            " cfdi_documents, cfdi_stamp_runs"
        )
        conn.execute("DELETE FROM account_movements WHERE kind = 'charge'")
        conn.execute("DELETE FROM invoices")
        conn.execute("DELETE FROM billing_runs")
        conn.execute("UPDATE folio_series SET next_folio = 1")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def seed_for_bench(owner_url: str, accounts: int, sectors: int) -> dict[str, Any]:
    if _accounts(owner_url) == accounts:
        return {"reused": True}
    seed_reference(owner_url)
    report = seed_synthetic(
        owner_url, SyntheticSpec(accounts=accounts, sectors=sectors, months=13, seed=11, until=BENCH_UNTIL), reset=True
    )
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return {"reused": False, "seconds": round(report.total_seconds, 2)}


@bench_app.command("billing")
def bench_billing(
    accounts: Annotated[int, typer.Option("--accounts")] = 20_000,
    sectors: Annotated[int, typer.Option("--sectors")] = 20,
    workers: Annotated[int, typer.Option("--workers")] = 2,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    cfdi: Annotated[bool, typer.Option("--cfdi", help="Also issue, build, sign and stamp every invoice")] = False,
    full_check_every: Annotated[
        int,
        typer.Option(
            "--simulator-full-check-every",
            help="The PAC simulator fully checks (XSD, cadena, Sello) every n-th document",
        ),
    ] = 1,
) -> None:
    """Seed (or reuse) N accounts and run the whole billing run through the orchestrator (and CFDI with --cfdi)."""
    with stack(throwaway=True, root=BENCH_ROOT) as s:
        seeded = seed_for_bench(s.migrations_url, accounts, sectors)
        _reset_billing(s.migrations_url)
        with function_host(s, workers=workers) as host:
            started = time.perf_counter()
            result = run_billing(host, tenant=TENANT, period=BENCH_PERIOD, sector=None, quiet=as_json)
            seconds = time.perf_counter() - started
        with psycopg.connect(s.migrations_url) as conn:
            chunks = conn.execute(
                """SELECT count(*), sum((counters->>'lines')::int),
                          min(completed_at), max(completed_at) FROM billing_chunks"""
            ).fetchone()
            run_row = conn.execute("SELECT created_at, started_at, completed_at FROM billing_runs").fetchone()
        cfdi_result = None
        if cfdi and result["status"] == "COMPLETED":
            from devtools.commands.cfdi_local import bench_cfdi_local

            tenant_id = runs.tenant_id_for(TENANT)
            t = time.perf_counter()
            issued = runs.issue_run(
                tenant_id=tenant_id, run_id=result["run_id"], now=datetime.now(UTC), reviewer="bench"
            )
            issue_seconds = time.perf_counter() - t
            cfdi_result = {
                "issue_seconds": round(issue_seconds, 2),
                "issued": issued["issued"],
                **bench_cfdi_local(tenant_id, result["run_id"], full_check_every=full_check_every),
            }
    assert chunks is not None and run_row is not None
    progress = result["progress"]
    out = {
        "benchmark": "billing",
        "accounts": accounts,
        "sectors": sectors,
        "workers": workers,
        "seed": seeded,
        "status": result["status"],
        "seconds": round(seconds, 2),
        "accounts_per_second": round(progress["invoices"] / seconds, 1) if seconds else None,
        "invoices": progress["invoices"],
        "lines": chunks[1],
        "estimated": progress["estimated"],
        "held": progress["held"],
        "total_billed": progress["total_billed"],
        "chunks": chunks[0],
        "phases_seconds": {
            "start_and_plan": round((run_row[1] - run_row[0]).total_seconds(), 2) if run_row[1] else None,
            "chunks": round((chunks[3] - run_row[1]).total_seconds(), 2) if chunks[3] and run_row[1] else None,
            "finish": round((run_row[2] - chunks[3]).total_seconds(), 2) if run_row[2] and chunks[3] else None,
        },
    }
    if cfdi_result is not None:
        out["cfdi"] = cfdi_result
        out["end_to_end_seconds"] = round(seconds + cfdi_result["issue_seconds"] + (cfdi_result.get("seconds") or 0), 2)
    typer.echo(json.dumps(out, indent=None if as_json else 2, default=str))
