"""`manage.py bench revenue`: the issue-17 benchmarks on a synthetic utility (private stack under
.local/bench-revenue): water balance for S sectors × 12 months (target 40 × 12 ≤ 10 s), inspection ranking over N
accounts (target 400,000 ≤ 60 s), tariff what-if over N accounts × 12 months on two worker processes (target
400,000 × 12 ≤ 120 s). JSON output; figures at a smaller scale are reported as measured, with a linear estimate
for the target scale marked as such.

Data: the seeder's accounts and 13 months of reads; one issued invoice per account and month made from the reads'
consumption and priced with the tariff in force (plus a late-fee line on one invoice in twenty, so the replay meets
non-tariff lines); macro-meter intervals per sector and month supplying the billed volume plus 20-40 % losses.
The reference tariffs start in 2026, so the bench prices its invoices with them as if in force all year and replays
that same set as the draft: the revenue change must be exactly zero (checked)."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from multiprocessing import get_context
from typing import Annotated, Any

import psycopg
import typer

from devtools.seeding.catalog import TENANT_ID, TENANT_SLUG
from devtools.seeding.plan import SyntheticSpec
from devtools.seeding.reference import load_tariff_files, seed_reference
from devtools.seeding.synthetic import seed_synthetic
from shared.domain.revenue.whatif import as_in_force
from shared.domain.tariffs.operations import quote
from shared.domain.tariffs.queries import select_schedule
from shared.domain.timezone import UTILITY_TZ_NAME

UNTIL = date(2026, 11, 1)
PERIOD = date(2026, 10, 1)
FIRST = date(2025, 11, 1)
TARGETS = {"water_balance_s": (40, 10.0), "ranking_s": (400_000, 60.0), "whatif_s": (400_000, 120.0)}

_INVOICES = """
INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, consumption_m3, estimated, subtotal,
                      total, issued_at)
SELECT %(t)s, account_id, month, 'issued', 'BENCH', row_number() OVER (ORDER BY account_id, month), m3, false, 0, 0,
       (month + interval '1 month')::timestamptz
FROM (
    SELECT r.account_id, (date_trunc('month', r.read_at AT TIME ZONE %(tz)s))::date AS month,
           CASE WHEN r.value >= r.prev THEN r.value - r.prev ELSE r.value + power(10::numeric, r.dials) - r.prev END
             AS m3,
           row_number() OVER (PARTITION BY r.account_id, date_trunc('month', r.read_at AT TIME ZONE %(tz)s)
                              ORDER BY r.read_at DESC) AS last
    FROM (SELECT mr.account_id, mr.read_at, mr.value, m.dials,
                 lag(mr.value) OVER (PARTITION BY mr.account_id ORDER BY mr.read_at) AS prev
          FROM meter_readings mr JOIN meters m ON m.id = mr.meter_id WHERE mr.tenant_id = %(t)s) r
    WHERE r.prev IS NOT NULL) x
WHERE last = 1 AND month >= %(first)s AND month <= %(period)s
ON CONFLICT DO NOTHING"""

_MACRO = """
INSERT INTO macro_meter_reads (tenant_id, sector_id, meter_code, read_from, read_to, start_value, end_value, batch,
                               row_no, imported_at)
SELECT %(t)s, sector_id, 'MM-' || code, period, (period + interval '1 month')::date,
       coalesce(sum(supplied) OVER w - supplied, 0), sum(supplied) OVER w, 'bench', row_number() OVER (), now()
FROM (SELECT t.sector_id, s.code, i.period,
             round(sum(i.consumption_m3) * (1.2 + 0.2 * abs(hashtext(s.code || i.period::text)) / 2147483647.0), 3)
               AS supplied
      FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN tomas t ON t.id = a.toma_id
      JOIN sectores_hidraulicos s ON s.id = t.sector_id GROUP BY t.sector_id, s.code, i.period) v
WINDOW w AS (PARTITION BY sector_id ORDER BY period)"""


def _prepare(owner_url: str, *, accounts: int, sectors: int) -> dict[str, Any]:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("SELECT count(*) FROM accounts").fetchone()
        if row and row[0] == accounts and conn.execute("SELECT count(*) FROM macro_meter_reads").fetchone()[0]:  # type: ignore[index]
            return {"reused": True}
    started = time.perf_counter()
    seed_reference(owner_url)
    seed_synthetic(
        owner_url, SyntheticSpec(accounts=accounts, sectors=sectors, months=13, seed=17, until=UNTIL), reset=True
    )
    schedules = load_tariff_files()
    with psycopg.connect(owner_url) as conn:
        conn.execute("TRUNCATE whatif_accounts, whatif_chunks, whatif_runs, macro_meter_reads")
        conn.execute("DELETE FROM invoice_lines WHERE invoice_id IN (SELECT id FROM invoices WHERE serie = 'BENCH')")
        conn.execute("DELETE FROM invoices WHERE serie = 'BENCH'")
        conn.execute(_INVOICES, {"t": TENANT_ID, "tz": UTILITY_TZ_NAME, "first": FIRST, "period": PERIOD})
        keys = conn.execute(
            """SELECT DISTINCT a.tariff_class, i.period, i.consumption_m3 FROM invoices i
               JOIN accounts a ON a.id = i.account_id WHERE i.serie = 'BENCH'"""
        ).fetchall()
        conn.execute("CREATE TEMP TABLE p (tariff_class text, period date, m3 numeric, total numeric)")
        with conn.cursor().copy("COPY p FROM STDIN") as copy:
            for cls, period, m3 in keys:
                # the 2026 schedules priced as if in force all year (the what-if's draft is the same set)
                schedule = as_in_force(select_schedule(schedules=schedules, tariff_class=cls, on=PERIOD), start=period)
                copy.write_row((cls, period, m3, quote(schedule=schedule, m3=m3, on=period).total))
        conn.execute(
            """UPDATE invoices i SET subtotal = p.total, total = p.total FROM accounts a, p
               WHERE a.id = i.account_id AND p.tariff_class = a.tariff_class AND p.period = i.period
                 AND p.m3 = i.consumption_m3 AND i.serie = 'BENCH'"""
        )
        conn.execute(
            """WITH fee AS (
                   INSERT INTO invoice_lines (tenant_id, invoice_id, line_no, code, description, quantity, unit_price,
                                              amount)
                   SELECT tenant_id, id, 9, 'recargo', 'Recargo por adeudo anterior', 1, 10, 10 FROM invoices
                   WHERE serie = 'BENCH' AND id % 20 = 0 RETURNING invoice_id)
               UPDATE invoices SET subtotal = subtotal + 10, total = total + 10
               WHERE id IN (SELECT invoice_id FROM fee)"""
        )
        conn.execute(_MACRO, {"t": TENANT_ID})
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return {"reused": False, "prepare_seconds": round(time.perf_counter() - started, 1)}


def _replay(job: tuple[str, int, int]) -> dict[str, Any]:
    from shared.application.revenue import whatif

    tenant_id, run_id, chunk_no = job
    return whatif.replay_chunk(tenant_id=tenant_id, run_id=run_id, chunk_no=chunk_no)


def _estimate(key: str, measured: float, scale: int) -> dict[str, Any]:
    target_scale, target = TARGETS[key]
    estimate = measured * target_scale / scale
    return {
        "measured_s": round(measured, 2),
        "scale": scale,
        "target_scale": target_scale,
        "target_s": target,
        "linear_estimate_at_target_s": round(estimate, 1),
        "within_target_estimate": estimate <= target,
        "measured_at_target_scale": scale == target_scale,
    }


def run_revenue_bench(*, accounts: int, sectors: int, workers: int, chunk_size: int) -> dict[str, Any]:
    from shared.application.revenue import inspections, water_balance, whatif
    from shared.application.revenue.access import operator_principal

    owner_url = os.environ["MIGRATIONS_DATABASE_URL"]
    prepared = _prepare(owner_url, accounts=accounts, sectors=sectors)
    p = operator_principal(tenant_slug=TENANT_SLUG)
    t = time.perf_counter()
    balance = water_balance(principal=p, period=PERIOD)
    balance_s = time.perf_counter() - t
    t = time.perf_counter()
    found = inspections.inspection_candidates(principal=p, period=PERIOD)
    ranking_s = time.perf_counter() - t
    draft = json.dumps(
        [
            s.model_dump(mode="json")
            for s in load_tariff_files()
            if s.effective_from <= PERIOD and (s.effective_to is None or s.effective_to > PERIOD)
        ]
    )
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("TRUNCATE whatif_accounts, whatif_chunks, whatif_runs")
    now = datetime.now(UTC)
    t = time.perf_counter()
    started = whatif.start_whatif(principal=p, draft_text=draft, period=PERIOD, months=12, now=now)
    plan = whatif.plan_whatif(tenant_id=p.tenant_id, run_id=started.run_id, chunk_size=chunk_size)
    jobs = [(str(p.tenant_id), started.run_id, n) for n in range(plan["chunks"])]
    if workers == 1:
        chunk_seconds = []
        for job in jobs:
            c = time.perf_counter()
            _replay(job)
            chunk_seconds.append(time.perf_counter() - c)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            c = time.perf_counter()
            list(pool.map(_replay, jobs))
            chunk_seconds = [time.perf_counter() - c]
    whatif.finish_whatif(tenant_id=p.tenant_id, run_id=started.run_id, now=now)
    whatif_s = time.perf_counter() - t
    report = whatif.get_whatif(principal=p, run_id=started.run_id)["report"]
    return {
        "accounts": accounts,
        "sectors": sectors,
        "months": 12,
        "data": prepared,
        "water_balance": {**_estimate("water_balance_s", balance_s, sectors), "sector_months": len(balance.balances)},
        "ranking": {**_estimate("ranking_s", ranking_s, found.accounts_scanned), "candidates": len(found.candidates)},
        "whatif": {
            **_estimate("whatif_s", whatif_s, accounts),
            "load_at_end": os.getloadavg()[0],
            "invoices": report["totals"]["invoices"],
            "chunks": plan["chunks"],
            "workers": workers,
            "chunk_seconds": [round(x, 2) for x in chunk_seconds],
            "in_force_change": report["totals"]["change"],
            "reproduces_invoices": report["totals"]["change"] == "0.00",
        },
        "note": "the CPU is shared with other work during the session; linear estimates are not measurements",
    }


def bench_revenue_command(
    accounts: Annotated[int, typer.Option("--accounts", min=100)] = 20_000,
    sectors: Annotated[int, typer.Option("--sectors", min=1)] = 40,
    workers: Annotated[int, typer.Option("--workers", min=1)] = 2,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=100)] = 5000,
) -> None:
    """Water balance, inspection ranking and tariff what-if timings (JSON)."""
    from devtools.devstack.stack import LOCAL, local_stack

    with local_stack(root=LOCAL / "bench-revenue", storage=False):  # PostgreSQL only: nothing here uses Storage
        result = run_revenue_bench(accounts=accounts, sectors=sectors, workers=workers, chunk_size=chunk_size)
    typer.echo(json.dumps(result, indent=2))
