"""Bill one chunk of a sector: one transaction, a handful of set-based queries, COPY writes.

A chunk is the unit of retry and idempotency: it is locked, skipped when already done, and its invoices are
inserted only where (account, period) has none, so a re-run, a duplicate activity or a crash changes nothing
already billed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.application.billing import periods
from shared.application.billing.policy import billing_policy, estimation_policy, parsed_schedule
from shared.data import billing as sql
from shared.data import db
from shared.data.billing import ChunkAccount, InvoiceLineRow, InvoiceRow
from shared.data.records.platform import tenant_config
from shared.domain.billing.errors import BillingError
from shared.domain.billing.model import AccountToBill, InvoiceDraft, PriorBill, Read
from shared.domain.billing.operations import bill_account
from shared.domain.errors import Invalid, NotFound
from shared.domain.readings.model import PeerAverage, Period
from shared.domain.tariffs.breakdown import Quote
from shared.domain.tariffs.operations import quote
from shared.domain.tariffs.schema import TariffSchedule
from shared.platform.metrics import billing_invoices_generated_total
from shared.platform.telemetry import span

log = logging.getLogger(__name__)
HISTORY_MONTHS = 13


class ChunkNotFound(BillingError, NotFound, LookupError):
    """The chunk is not in the run's plan."""

    default_code = "billing_chunk_not_found"


class NoScheduleForClass(BillingError, Invalid, LookupError):
    """An account's tariff class has no schedule in force (the run's start check should have caught it)."""

    default_code = "no_tariff_in_force"


def _peer_rates(accounts: list[ChunkAccount], reads: dict[int, list[Read]], period: Period) -> dict[str, PeerAverage]:
    """Average daily use per tariff class among the chunk's accounts read in this period (same sector)."""
    rates: dict[str, list[Decimal]] = defaultdict(list)
    sector = accounts[0].sector if accounts else ""
    for acc in accounts:
        valid = [r for r in reads.get(acc.id, ()) if r.status == "valid"]
        current = [r for r in valid if period.start <= r.read_on < period.end]
        before = [r for r in valid if r.read_on < period.start]
        if current and before and current[-1].value >= before[-1].value:
            days = (current[-1].read_on - before[-1].read_on).days
            if days > 0:
                rates[acc.tariff_class].append((current[-1].value - before[-1].value) / days)
    return {
        cls: PeerAverage(sector=sector, tariff_class=cls, m3_per_day=sum(v, Decimal(0)) / len(v), accounts=len(v))
        for cls, v in rates.items()
        if v
    }


def _line_rows(draft: InvoiceDraft) -> list[InvoiceLineRow]:
    return [
        InvoiceLineRow(
            draft.account_id,
            n,
            line.code,
            line.description,
            line.quantity,
            line.unit_price,
            line.amount,
            line.tax_rate,
            line.tax_amount,
            line.trace,
        )
        for n, line in enumerate(draft.lines, start=1)
    ]


def _invoice_row(draft: InvoiceDraft) -> InvoiceRow:
    return InvoiceRow(
        account_id=draft.account_id,
        status="held" if draft.held else "draft",
        consumption_m3=draft.consumption_m3,
        estimated=draft.estimated,
        exception_codes=list(draft.exception_codes),
        subtotal=draft.subtotal,
        tax_total=draft.tax_total,
        total=draft.total,
        previous_balance=draft.previous_balance,
        held_reason=", ".join(draft.exception_codes) if draft.held else None,
    )


@dataclass
class _Inputs:
    accounts: list[ChunkAccount]
    reads: dict[int, list[Read]]
    prior: dict[int, list[PriorBill]]
    balances: dict[int, Decimal]


def _load(conn: Any, *, sector_id: int, chunk_row: sql.Chunk, period: Period) -> _Inputs:
    """Four set-based queries for the whole chunk: accounts, reads, prior bills, balances."""
    accounts = sql.chunk_accounts(conn, sector_id=sector_id, first=chunk_row.first_account, last=chunk_row.last_account)
    ids = [a.id for a in accounts]
    raw_reads = sql.chunk_reads(
        conn,
        account_ids=ids,
        since=periods.local_midnight_utc(periods.add_months(period.start, -HISTORY_MONTHS)),
        until=periods.local_midnight_utc(period.end),
    )
    meter_of = {a.id: a.meter_id for a in accounts}
    reads: dict[int, list[Read]] = defaultdict(list)
    for account_id, meter_id, read_on, value, status, codes, source in raw_reads:  # ChunkRead fields, in order
        if meter_of.get(account_id) in (None, meter_id):  # reads of the meter installed now
            reads[account_id].append(
                Read(read_on=read_on, value=value, status=status, exception_codes=tuple(codes or ()), source=source)
            )
    prior: dict[int, list[PriorBill]] = defaultdict(list)
    for account_id, p, m3, estimated in sql.chunk_prior_bills(  # ChunkPriorBill fields, in order
        conn, account_ids=ids, since=periods.add_months(period.start, -12), before=period.start
    ):
        prior[account_id].append(PriorBill(period=p, m3=m3, estimated=estimated))
    return _Inputs(accounts=accounts, reads=reads, prior=prior, balances=sql.chunk_balances(conn, account_ids=ids))


def _pricer(schedule: TariffSchedule, on: Any, memo: dict[tuple[str, Decimal], Quote]) -> Callable[[Decimal], Quote]:
    """Quotes memoised per (schedule, m³): most accounts of a chunk share a handful of whole-m³ consumptions."""

    def price(m3: Decimal) -> Quote:
        key = (schedule.name, m3)
        found = memo.get(key)
        if found is None:
            found = memo[key] = quote(schedule=schedule, m3=m3, on=on)
        return found

    return price


def _bill(
    inputs: _Inputs,
    *,
    period: Period,
    schedules: dict[str, TariffSchedule],
    conn: Any,
) -> tuple[list[InvoiceRow], list[InvoiceLineRow], dict[str, Any]]:
    config = tenant_config(conn)  # one read for both policies
    policy, est_policy = billing_policy(config), estimation_policy(config)
    peers = _peer_rates(inputs.accounts, inputs.reads, period)
    memo: dict[tuple[str, Decimal], Quote] = {}
    pricers = {cls: _pricer(schedule, period.start, memo) for cls, schedule in schedules.items()}
    invoices: list[InvoiceRow] = []
    lines: list[InvoiceLineRow] = []
    counters = {"accounts": len(inputs.accounts), "estimated": 0, "held": 0, "credits": 0}
    for acc in inputs.accounts:
        schedule = schedules.get(acc.tariff_class)
        if schedule is None:
            raise NoScheduleForClass(f"no tariff in force for class {acc.tariff_class} on {period.start}")
        draft = bill_account(
            account=AccountToBill(
                account_id=acc.id,
                tariff_class=acc.tariff_class,
                sector=acc.sector,
                dials=int(acc.dials or 6),
                installed_on=acc.installed_on or period.start,
                initial_read=acc.initial_read if acc.initial_read is not None else Decimal(0),
                reads=tuple(inputs.reads.get(acc.id, ())),
                prior_bills=tuple(inputs.prior.get(acc.id, ())),
                previous_balance=inputs.balances.get(acc.id, Decimal(0)),
            ),
            period=period,
            schedule=schedule,
            price=pricers[acc.tariff_class],
            peers=peers.get(acc.tariff_class),
            estimation_policy=est_policy,
            billing_policy=policy,
        )
        counters["estimated"] += draft.estimated
        counters["held"] += draft.held
        counters["credits"] += any(line.amount < 0 for line in draft.lines)
        invoices.append(_invoice_row(draft))
        lines.extend(_line_rows(draft))
    return invoices, lines, counters


def bill_chunk(*, tenant_id: UUID | str, run_id: int, sector_id: int, chunk_no: int) -> dict[str, Any]:
    """Bill a chunk; returns its counters (ids and counts only, as durable activities must). Each phase (load,
    compute, write) is an OpenTelemetry span; `seconds` repeats their durations for the run's progress."""
    ids = {"run_id": run_id, "sector_id": sector_id, "chunk_no": chunk_no}
    phases: dict[str, dict[str, Any]] = {}
    with db.tenant_transaction(tenant_id) as conn:
        with span("billing.chunk.load", **ids) as phases["load"]:
            chunk_row = sql.get_chunk(conn, run_id=run_id, sector_id=sector_id, chunk_no=chunk_no, lock=True)
            if chunk_row is None:
                raise ChunkNotFound(f"run {run_id} has no chunk {sector_id}/{chunk_no}")
            if chunk_row.status == "done":
                return {**chunk_row.counters, "skipped": True}
            run = sql.get_run(conn, run_id)
            assert run is not None
            period = Period(start=run.period, end=periods.period_end(run.period))
            schedules = {
                cls: parsed_schedule(row) for cls, row in sql.schedules_in_force(conn, on=period.start).items()
            }
            inputs = _load(conn, sector_id=sector_id, chunk_row=chunk_row, period=period)
            phases["load"]["accounts"] = len(inputs.accounts)

        with span("billing.chunk.compute", **ids) as phases["compute"]:
            invoices, lines, counters = _bill(inputs, period=period, schedules=schedules, conn=conn)

        with span("billing.chunk.write", **ids) as phases["write"]:
            inserted, lines_inserted = sql.write_invoices(
                conn, tenant_id=UUID(str(tenant_id)), run_id=run_id, period=period.start, invoices=invoices, lines=lines
            )
            counters.update(invoices=inserted, lines=lines_inserted, already_billed=len(invoices) - inserted)
            sql.complete_chunk(conn, run_id=run_id, sector_id=sector_id, chunk_no=chunk_no, counters=counters)
            phases["write"]["invoices"] = inserted
    sector = inputs.accounts[0].sector if inputs.accounts else ""
    billing_invoices_generated_total.add(inserted, {"sector": sector})
    counters["seconds"] = {k: round(v["duration_ms"] / 1000, 4) for k, v in phases.items()}
    return counters
