"""`manage.py bench ...`: benchmarks that print JSON (speed targets are checked here, never in tests)."""

from __future__ import annotations

import json
import os
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer

from cli.billing import approve_and_close, run_billing
from cli.runtime import REPO, function_host, stack
from devtools.bench.cfdi import cfdi_figures
from devtools.bench.notifications import bench_notifications_command
from devtools.commands.bench_pac import bench_pac_command
from devtools.commands.cfdi_local import SIMULATOR_PIDS, cpu_of, descendants, local_cfdi_env, process_cpu_seconds
from devtools.commands.loadtest import bench_api_command
from devtools.seeding.plan import SyntheticSpec
from devtools.seeding.reference import seed_reference
from devtools.seeding.synthetic import seed_synthetic
from shared.application.billing import runs

bench_app = typer.Typer(help="Benchmarks (JSON output).", no_args_is_help=True)
bench_app.command("api")(bench_api_command)
bench_app.command("pac")(bench_pac_command)
bench_app.command("notifications")(bench_notifications_command)
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


def _activity_workers() -> list[int]:
    """The function host's activity worker processes (spawned multiprocessing children of this process)."""
    found = []
    for pid in descendants(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"multiprocessing" in cmdline and pid not in SIMULATOR_PIDS:
            found.append(pid)
    return found


def _stamp_window(owner_url: str) -> dict[str, Any]:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            """SELECT r.approved_at, r.issued_at, s.started_at, s.completed_at, s.status, s.counters
               FROM billing_runs r LEFT JOIN cfdi_stamp_runs s ON s.billing_run_id = r.id"""
        ).fetchone()
    assert row is not None
    approved, issued, started, completed, status, counters = row
    return {
        "issue_seconds": round((issued - approved).total_seconds(), 2) if issued and approved else None,
        "stamp_seconds": round((completed - started).total_seconds(), 2) if completed and started else None,
        "status": status,
        "counters": counters or {},
    }


@bench_app.command("billing")
def bench_billing(
    accounts: Annotated[int, typer.Option("--accounts")] = 20_000,
    sectors: Annotated[int, typer.Option("--sectors")] = 20,
    workers: Annotated[int, typer.Option("--workers")] = 2,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    cfdi: Annotated[
        bool, typer.Option("--cfdi", help="Also approve: issue, build, sign and stamp every invoice")
    ] = False,
    full_check_every: Annotated[
        int,
        typer.Option(
            "--simulator-full-check-every",
            help="The PAC simulator fully checks (XSD, cadena, Sello) every n-th document",
        ),
    ] = 1,
) -> None:
    """Seed (or reuse) N accounts and run the monthly cycle through the production orchestrations: billing, and with
    --cfdi the approval that issues and stamps (production chunk size and publishing default)."""
    with stack(throwaway=True, root=BENCH_ROOT) as s, ExitStack() as scope:
        seeded = seed_for_bench(s.migrations_url, accounts, sectors)
        _reset_billing(s.migrations_url)
        tenant_id = runs.tenant_id_for(TENANT)
        env = scope.enter_context(local_cfdi_env(tenant_id, full_check_every=full_check_every)) if cfdi else {}
        host = scope.enter_context(function_host(s, workers=workers, extra_env=env))
        started = time.perf_counter()
        result = run_billing(
            host,
            tenant=TENANT,
            period=BENCH_PERIOD,
            sector=None,
            now=datetime.now(UTC),
            back_billing=True,  # the synthetic utility's reads are fixed in 2026
            quiet=as_json,
        )
        seconds = time.perf_counter() - started
        with psycopg.connect(s.migrations_url) as conn:
            chunks = conn.execute(
                """SELECT count(*), sum((counters->>'lines')::int),
                          min(completed_at), max(completed_at) FROM billing_chunks"""
            ).fetchone()
            run_row = conn.execute("SELECT created_at, started_at, completed_at FROM billing_runs").fetchone()
        cfdi_result = None
        if cfdi and result["status"] == "AWAITING_APPROVAL":
            simulator = SIMULATOR_PIDS[-1] if SIMULATOR_PIDS else None
            worker_pids = _activity_workers()
            before = cpu_of(worker_pids)
            host_before, sim_before = time.process_time(), process_cpu_seconds(simulator) if simulator else 0.0
            t = time.perf_counter()
            closed = approve_and_close(
                host, tenant_id=tenant_id, run_id=result["run_id"], job=result["job"], reviewer="bench", quiet=as_json
            )
            close_seconds = time.perf_counter() - t
            after = cpu_of(worker_pids)
            worker_cpu = sum(after[p] - before.get(p, 0.0) for p in after)
            sim_cpu = (process_cpu_seconds(simulator) - sim_before) if simulator else 0.0
            window = _stamp_window(s.migrations_url)
            stamped = int(window["counters"].get("stamped") or 0)
            cfdi_result = {
                "status": closed["status"],
                "round_status": window["status"],
                "close_seconds": round(close_seconds, 2),
                "issue_seconds": window["issue_seconds"],
                "seconds": window["stamp_seconds"],
                "stamped": stamped,
                "rejected": window["counters"].get("rejected"),
                "pending": window["counters"].get("pending"),
                "failed_retryable": window["counters"].get("failed_retryable"),
                "success_rate": window["counters"].get("success_rate"),
                "processes": workers,
                "chunk_size": "production (1,000)",
                "publishing": "lazy (on first download; production default)",
                "simulator_full_check_every": full_check_every,
                **cfdi_figures(
                    stamped=stamped,
                    stamp_seconds=window["stamp_seconds"] or close_seconds,
                    worker_cpu_seconds=worker_cpu,
                    host_cpu_seconds=time.process_time() - host_before,
                    simulator_cpu_seconds=sim_cpu,
                    processes=workers,
                ),
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
        "review": progress.get("review"),
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
        out["end_to_end_seconds"] = round(seconds + cfdi_result["close_seconds"], 2)
    typer.echo(json.dumps(out, indent=None if as_json else 2, default=str))
