"""Seed a synthetic utility for tenant cea-queretaro: N accounts with people, addresses, tomas, acometidas, meters,
installations, opening debts and M months of meter reads, by binary COPY as the owner role.

    report = seed_synthetic(owner_url, SyntheticSpec(accounts=400_000, sectors=40, months=12, seed=7,
                                                     until=date(2026, 11, 1)))

Steps:
1. Setup (own transaction): the tenant must exist (run `reference.seed_reference` first). If it already has
   accounts, fail with `TenantAlreadySeeded` unless `reset=True`, which empties the tenant's customer and
   operational tables (`seed_sql.RESET_ROOTS` and every table referencing them; TRUNCATE when no other tenant
   has rows there, else DELETE children first).
   Monthly partitions of meter_readings are ensured and id blocks reserved for every table.
2. Load: entity tables in one transaction (re-checking under a per-tenant advisory lock that nobody seeded the
   tenant meanwhile); meter reads in a second transaction, by a forked worker process when `parallel` (reads have
   no foreign keys, so the two loads overlap on two cores). The worker commits only after the entities committed;
   any failure rolls both back (a failure between the two commits leaves entities without reads: re-run with
   reset). The entity tables' foreign keys are dropped for the load and re-added, validated, before the commit
   (one join per key instead of a trigger call per row); DDL is transactional, so a failure leaves the schema as
   it was, but the entity tables are locked for everyone else until the commit. Indexes stay in place: rows
   arrive in key order, so their maintenance stays cheap.

Deterministic: the same spec gives the same rows (same ids too, on a database whose sequences are at the same
point). Nothing here reads the clock: `spec.until` is given by the caller.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as PipeEnd
from typing import Any

import psycopg
from psycopg import sql

from devtools.seeding import bulk, rows
from devtools.seeding import sql as seed_sql
from devtools.seeding.plan import Plan, SyntheticSpec, build_plan
from devtools.seeding.rows import IdBlocks

Progress = Callable[[str], None]

ENTITY_LOADS: tuple[tuple[str, Callable[[Plan, IdBlocks], Iterator[rows.Columns]]], ...] = (
    ("sectores_hidraulicos", rows.sectors),
    ("persons", rows.persons),
    ("addresses", rows.addresses),
    ("tomas", rows.tomas),
    ("acometidas", rows.acometidas),
    ("meters", rows.meters),
    ("meter_installations", rows.meter_installations),
    ("accounts", rows.accounts),
    ("adjustments", rows.adjustments),
    ("account_movements", rows.account_movements),
)


class TenantMissing(RuntimeError):
    """The tenant to seed does not exist: run the reference seed first."""


class TenantAlreadySeeded(RuntimeError):
    """The tenant already has accounts; seed with reset=True (CLI: --reset) to replace its data."""


class SeedFailed(RuntimeError):
    """The readings worker failed; nothing was committed."""


@dataclass(frozen=True)
class TableLoad:
    table: str
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class SeedReport:
    spec: SyntheticSpec
    plan_seconds: float = 0.0
    setup_seconds: float = 0.0
    total_seconds: float = 0.0
    reset: bool = False
    loads: list[TableLoad] = field(default_factory=list)

    def rows(self, table: str) -> int:
        return sum(load.rows for load in self.loads if load.table == table)

    def summary(self) -> str:
        lines = [
            f"synthetic seed: {self.spec.accounts:,} accounts, {self.spec.sectors} sectors, {self.spec.months}"
            f" months (seed {self.spec.seed}) in {self.total_seconds:.1f} s"
            f" (plan {self.plan_seconds:.1f} s, setup {self.setup_seconds:.1f} s)"
        ]
        by_table: dict[str, list[TableLoad]] = {}
        for load in self.loads:
            by_table.setdefault(load.table, []).append(load)
        for table, loads in by_table.items():
            n, seconds = sum(x.rows for x in loads), sum(x.seconds for x in loads)
            rate = f"{n / seconds:,.0f} rows/s" if seconds > 0 else "-"
            lines.append(f"  {table:<22} {n:>10,} rows {seconds:7.1f} s  {rate}")
        return "\n".join(lines)


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


class ResetImpossible(RuntimeError):
    """The reset would touch reference data or cannot order its deletes (foreign-key cycle)."""


def reset_order(conn: psycopg.Connection[Any]) -> list[str]:
    """Tables `--reset` empties, each after every table that references it."""
    tables = [r[0] for r in conn.execute(seed_sql.REFERENCING_CLOSURE, (list(seed_sql.RESET_ROOTS),))]
    protected = sorted(seed_sql.RESET_PROTECTED.intersection(tables))
    if protected:
        raise ResetImpossible(f"reset would empty reference tables {protected}: they reference seeded tables")
    edges = [
        (child, parent)
        for child, parent in conn.execute(seed_sql.FOREIGN_KEY_EDGES, (tables, tables))
        if child != parent
    ]
    order: list[str] = []
    remaining = set(tables)
    while remaining:
        free = sorted(t for t in remaining if not any(p == t and c in remaining for c, p in edges))
        if not free:
            raise ResetImpossible(f"foreign keys form a cycle among {sorted(remaining)}")
        order += free
        remaining -= set(free)
    return order


def _reset(conn: psycopg.Connection[Any], tenant_id: str) -> None:
    tables = reset_order(conn)
    others = [
        table
        for table in tables
        if conn.execute(
            sql.SQL(seed_sql.OTHER_TENANT_ROWS).format(table=sql.Identifier(table)), (tenant_id,)
        ).fetchone()
        == (True,)
    ]
    if others:
        for table in tables:
            conn.execute(sql.SQL(seed_sql.DELETE_TENANT_ROWS).format(table=sql.Identifier(table)), (tenant_id,))
    else:
        conn.execute(
            sql.SQL(seed_sql.TRUNCATE_TABLES).format(tables=sql.SQL(", ").join(sql.Identifier(t) for t in tables))
        )


def _precheck(owner_url: str, spec: SyntheticSpec, *, reset: bool) -> None:
    """Fail fast, before building the plan, when the tenant is missing or already seeded (and no reset)."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        if conn.execute(seed_sql.TENANT_EXISTS, (spec.tenant_id,)).fetchone() is None:
            raise TenantMissing(f"tenant {spec.tenant_id} does not exist: run the reference seed first")
        existing = conn.execute(seed_sql.TENANT_ACCOUNTS, (spec.tenant_id,)).fetchone()
        if existing and existing[0] and not reset:
            raise TenantAlreadySeeded(
                f"tenant {spec.tenant_id} already has {existing[0]:,} accounts; use --reset to replace its"
                " customer data with a new synthetic seed"
            )


def _setup(owner_url: str, plan: Plan, *, reset: bool) -> IdBlocks:
    spec = plan.spec
    counts = rows.row_counts(plan)
    with psycopg.connect(owner_url, autocommit=True) as conn:
        with conn.transaction():
            if conn.execute(seed_sql.TENANT_EXISTS, (spec.tenant_id,)).fetchone() is None:
                raise TenantMissing(f"tenant {spec.tenant_id} does not exist: run the reference seed first")
            conn.execute(seed_sql.LOCK_TENANT_SEED, (spec.tenant_id,))
            existing = conn.execute(seed_sql.TENANT_ACCOUNTS, (spec.tenant_id,)).fetchone()
            if existing and existing[0]:
                if not reset:
                    raise TenantAlreadySeeded(
                        f"tenant {spec.tenant_id} already has {existing[0]:,} accounts; use --reset to replace its"
                        " customer data with a new synthetic seed"
                    )
                _reset(conn, spec.tenant_id)
        with conn.transaction():
            conn.execute(seed_sql.ENSURE_READING_PARTITIONS, (spec.first_month, spec.end_month))
        with conn.transaction():
            conn.execute(
                sql.SQL(seed_sql.LOCK_FOR_RESERVATION).format(
                    tables=sql.SQL(", ").join(sql.Identifier(t) for t in counts)
                )
            )
            first = {table: bulk.reserve_ids(conn, table, n) for table, n in counts.items()}
    return IdBlocks(**first)


def _timed_copy(
    conn: psycopg.Connection[Any], table: str, chunks: Iterable[rows.Columns], progress: Progress | None
) -> TableLoad:
    started = time.perf_counter()
    n = bulk.copy_chunks(conn, table, chunks)
    load = TableLoad(table=table, rows=n, seconds=time.perf_counter() - started)
    _say(progress, f"  {table}: {n:,} rows in {load.seconds:.1f} s")
    return load


def _check_still_empty(conn: psycopg.Connection[Any], tenant_id: str) -> None:
    conn.execute(seed_sql.LOCK_TENANT_SEED, (tenant_id,))
    existing = conn.execute(seed_sql.TENANT_ACCOUNTS, (tenant_id,)).fetchone()
    if existing and existing[0]:
        raise TenantAlreadySeeded(f"tenant {tenant_id} was seeded by another process meanwhile")


@contextlib.contextmanager
def deferred_foreign_keys(
    conn: psycopg.Connection[Any], tables: list[str], progress: Progress | None = None
) -> Iterator[list[TableLoad]]:
    """Drop the foreign keys of `tables`, yield, then re-add them exactly as they were (validated).

    Must run inside the caller's transaction: a failure anywhere rolls the drop back too, so the schema never
    changes. The tables stay locked (ACCESS EXCLUSIVE) until that transaction ends. Yields a list that receives
    one TableLoad ("validate foreign keys") for the report.
    """
    if conn.autocommit:
        raise ValueError("foreign keys may only be deferred inside a transaction (autocommit is on)")
    keys = conn.execute(seed_sql.FOREIGN_KEYS_OF, (tables,)).fetchall()
    for table, name, _ in keys:
        conn.execute(sql.SQL(seed_sql.DROP_CONSTRAINT).format(table=sql.Identifier(table), name=sql.Identifier(name)))
    timing: list[TableLoad] = []
    yield timing
    started = time.perf_counter()
    for table, name, definition in keys:
        conn.execute(
            sql.SQL(seed_sql.ADD_CONSTRAINT).format(
                table=sql.Identifier(table), name=sql.Identifier(name), definition=sql.SQL(definition)
            )
        )
    timing.append(TableLoad(table="(validate foreign keys)", rows=len(keys), seconds=time.perf_counter() - started))
    _say(progress, f"  {len(keys)} foreign keys re-added and validated in {timing[0].seconds:.1f} s")


def load_entities(
    conn: psycopg.Connection[Any], plan: Plan, ids: IdBlocks, progress: Progress | None = None
) -> list[TableLoad]:
    """COPY every entity table in the current transaction, with their foreign keys checked once at the end."""
    with deferred_foreign_keys(conn, [table for table, _ in ENTITY_LOADS], progress) as validation:
        loads = [_timed_copy(conn, table, build(plan, ids), progress) for table, build in ENTITY_LOADS]
    return loads + validation


def load_readings(
    conn: psycopg.Connection[Any], plan: Plan, ids: IdBlocks, progress: Progress | None = None
) -> list[TableLoad]:
    loads = []
    first_id = ids.meter_readings
    for k, (month, count) in enumerate(zip(plan.spec.month_starts, rows.readings_per_month(plan), strict=True)):
        load = _timed_copy(conn, rows.partition_name(month), rows.readings(plan, ids, k, first_id), progress)
        loads.append(TableLoad(table="meter_readings", rows=load.rows, seconds=load.seconds))
        first_id += count
    return loads


def _readings_worker(owner_url: str, plan: Plan, ids: IdBlocks, pipe: PipeEnd, progress: Progress | None) -> None:
    """Forked child: load the reads, report, then commit or roll back as the parent says."""
    try:
        with psycopg.connect(owner_url) as conn:
            loads = load_readings(conn, plan, ids, progress)
            pipe.send(("ready", loads))
            verdict = pipe.recv()
            if verdict == "commit":
                conn.commit()
                pipe.send(("committed", None))
            else:
                conn.rollback()
    except BaseException as exc:  # reported to the parent, which raises SeedFailed
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


def _load_parallel(owner_url: str, plan: Plan, ids: IdBlocks, progress: Progress | None) -> list[TableLoad]:
    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()
    worker = context.Process(
        target=_readings_worker, args=(owner_url, plan, ids, child_end, progress), name="seed-readings", daemon=True
    )
    worker.start()
    child_end.close()
    loads: list[TableLoad] = []
    try:
        with psycopg.connect(owner_url) as conn:
            _check_still_empty(conn, plan.spec.tenant_id)
            loads += load_entities(conn, plan, ids, progress)
            try:
                status, payload = parent_end.recv()
            except EOFError as exc:
                raise SeedFailed("the readings worker exited without reporting") from exc
            if status != "ready":
                raise SeedFailed(f"loading meter readings failed: {payload}")
            loads += payload
            conn.commit()
        parent_end.send("commit")
        status, payload = parent_end.recv()
        if status != "committed":
            raise SeedFailed(f"entities committed but meter readings failed to commit ({payload}); re-run with --reset")
        return loads
    except BaseException:
        with contextlib.suppress(OSError):  # a worker already gone has nothing left to roll back
            parent_end.send("abort")
        raise
    finally:
        worker.join(timeout=120)
        if worker.is_alive():
            worker.terminate()
            worker.join()
        parent_end.close()


def seed_synthetic(
    owner_url: str, spec: SyntheticSpec, *, reset: bool = False, parallel: bool = True, progress: Progress | None = None
) -> SeedReport:
    """Generate and load the synthetic utility described by `spec` (see the module docstring)."""
    started = time.perf_counter()
    report = SeedReport(spec=spec, reset=reset)
    _precheck(owner_url, spec, reset=reset)
    plan = build_plan(spec)
    report.plan_seconds = time.perf_counter() - started
    _say(
        progress,
        f"plan ready in {report.plan_seconds:.1f} s: {spec.accounts:,} accounts,"
        f" {plan.readings:,} meter reads, {plan.debts:,} opening debts",
    )
    setup_started = time.perf_counter()
    ids = _setup(owner_url, plan, reset=reset)
    report.setup_seconds = time.perf_counter() - setup_started
    if parallel:
        report.loads = _load_parallel(owner_url, plan, ids, progress)
    else:
        with psycopg.connect(owner_url) as conn:
            _check_still_empty(conn, spec.tenant_id)
            report.loads = load_entities(conn, plan, ids, progress) + load_readings(conn, plan, ids, progress)
    report.total_seconds = time.perf_counter() - started
    return report
