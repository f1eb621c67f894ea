"""Tariff what-if use cases: start a run for a draft and a span (validated like real schedules; a span without
issued invoices is refused), plan account-range chunks, replay a chunk (the draft prices each distinct class,
period and billed m³ once; one set-based statement per chunk writes the per-account outcomes), finish with the
report (JSON), and render it as CSV and PNG. Real invoices are only read. Durable driver: functions/revenue.py;
`run_inline` is the same steps in this process (CLI, tests, benchmark)."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.adapters import charts
from shared.application.access.principal import TARIFFS_WRITE, Principal
from shared.data import revenue as revenue_sql
from shared.data import revenue_whatif as sql
from shared.data.db import tenant_transaction, use_case_transaction
from shared.domain.errors import Invalid, NotFound
from shared.domain.revenue.fast_quote import compile_tariff, quote_total
from shared.domain.revenue.months import add_months, window
from shared.domain.revenue.settings import parse_settings
from shared.domain.revenue.whatif import draft_hash, parse_draft, whatif_report
from shared.domain.tariffs.queries import NoScheduleInForce, select_schedule
from shared.domain.tariffs.schema import TariffSchedule

CHUNK_SIZE = 5000
MAX_MONTHS = 24
ORCHESTRATOR = "revenue_whatif_orchestrator"


class NoInvoices(Invalid):
    default_code = "no_invoices"

    def __init__(self, start: date, end: date) -> None:
        super().__init__(
            None, f"No hay facturas emitidas entre {start.isoformat()[:7]} y {add_months(end, -1).isoformat()[:7]}."
        )


class WhatIfNotFound(NotFound):
    default_code = "whatif_not_found"

    def __init__(self) -> None:
        super().__init__(None, "No existe la simulación tarifaria.")


@dataclass(frozen=True)
class StartedWhatIf:
    run_id: int
    instance_id: str
    status: str
    tenant_id: str

    def orchestration_input(self, *, chunk_size: int = CHUNK_SIZE) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "run_id": self.run_id, "chunk_size": chunk_size}


@dataclass(frozen=True)
class _Checked:
    draft: dict[str, TariffSchedule]
    start: date
    end: date
    digest: str


def _check(*, principal: Principal, draft_text: str | bytes, period: date, months: int) -> _Checked:
    principal.require(TARIFFS_WRITE)
    if not 1 <= months <= MAX_MONTHS:
        raise Invalid("invalid_months", f"Los meses a simular deben estar entre 1 y {MAX_MONTHS}.")
    draft = parse_draft(draft_text)
    for schedule in draft.values():
        compile_tariff(schedule)  # refuses a draft in UMA without its value before anything is written
    span = window(last=period, months=months)
    return _Checked(draft, span[0], add_months(period, 1), draft_hash(draft))


def check_whatif(*, principal: Principal, draft_text: str | bytes, period: date, months: int) -> None:
    """Every refusal `start_whatif` would give (permission, months, draft, a span without invoices), writing
    nothing: for a caller that cannot launch the run right now and still owes the caller its 4xx."""
    checked = _check(principal=principal, draft_text=draft_text, period=period, months=months)
    with use_case_transaction(principal.tenant_id) as conn:
        if sql.invoices_in_span(conn, start=checked.start, end=checked.end) == 0:
            raise NoInvoices(checked.start, checked.end)


def start_whatif(
    *, principal: Principal, draft_text: str | bytes, period: date, months: int, now: datetime
) -> StartedWhatIf:
    """Record (or find) the run for this draft and the `months` months ending with `period`."""
    checked = _check(principal=principal, draft_text=draft_text, period=period, months=months)
    start, end, digest = checked.start, checked.end, checked.digest
    with use_case_transaction(principal.tenant_id) as conn:
        if sql.invoices_in_span(conn, start=start, end=end) == 0:
            raise NoInvoices(start, end)
        run = sql.upsert_run(
            conn,
            tenant_id=principal.tenant_id,
            draft_hash=digest,
            draft={k: v.model_dump(mode="json") for k, v in checked.draft.items()},
            start=start,
            end=end,
            instance_id=f"whatif:{principal.tenant_id}:{digest[:16]}:{start:%Y%m}-{end:%Y%m}",
            by=principal.subject,
            at=now,
        )
    return StartedWhatIf(run.id, run.instance_id, run.status, str(principal.tenant_id))


def plan_whatif(*, tenant_id: UUID | str, run_id: int, chunk_size: int = CHUNK_SIZE) -> dict[str, int]:
    with tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id=run_id, lock=True)
        if run is None:
            raise WhatIfNotFound()
        chunks = sql.plan_chunks(
            conn, tenant_id=tenant_id, run_id=run_id, start=run.period_from, end=run.period_to, chunk_size=chunk_size
        )
    return {"run_id": run_id, "chunks": chunks}


_memo_lock = threading.Lock()
_memo: dict[tuple[str, date, Decimal], Decimal] = {}
"""Quote totals per (schedule content, period, m³), shared by the chunks a worker process replays."""
MEMO_LIMIT = 200_000


def _digest(schedule: TariffSchedule) -> str:
    return hashlib.sha256(schedule.model_dump_json().encode()).hexdigest()


class _Pricer:
    """Prices a chunk's keys: the draft's schedule for its classes (as if in force), the schedule in force else."""

    def __init__(self, draft: dict[str, TariffSchedule], in_force: list[TariffSchedule]) -> None:
        self.draft, self.in_force = draft, in_force
        self.digests = {id(s): _digest(s) for s in (*draft.values(), *in_force)}
        self.compiled = {id(s): compile_tariff(s) for s in (*draft.values(), *in_force)}

    def schedule(self, key: sql.PriceKey) -> TariffSchedule:
        found = self.draft.get(key.tariff_class)
        if found is not None:
            return found
        try:
            return select_schedule(schedules=self.in_force, tariff_class=key.tariff_class, on=key.period)
        except NoScheduleInForce as error:
            raise Invalid(
                "no_tariff_for_class",
                f"La clase '{key.tariff_class}' no tiene tarifa vigente en {key.period.isoformat()[:7]} ni en la "
                "propuesta.",
            ) from error

    def total(self, key: sql.PriceKey) -> Decimal:
        schedule = self.schedule(key)
        memo_key = (self.digests[id(schedule)], key.period, key.consumption_m3)
        found = _memo.get(memo_key)
        if found is not None:
            return found
        total = quote_total(self.compiled[id(schedule)], key.consumption_m3)  # = quote(...).total, proven by test
        with _memo_lock:
            if len(_memo) > MEMO_LIMIT:
                _memo.clear()
            _memo[memo_key] = total
        return total


def replay_chunk(*, tenant_id: UUID | str, run_id: int, chunk_no: int) -> dict[str, Any]:
    """One chunk in one transaction; a chunk already done is skipped (a redelivered activity changes nothing)."""
    with tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id=run_id)
        chunk = sql.get_chunk(conn, run_id=run_id, chunk_no=chunk_no)
        if run is None or chunk is None:
            raise WhatIfNotFound()
        if chunk.status == "done":
            return {"chunk_no": chunk_no, "skipped": True}
        keys = sql.price_keys(conn, chunk=chunk, start=run.period_from, end=run.period_to)
        in_force = [
            TariffSchedule.model_validate(r.definition)
            for r in revenue_sql.schedules_between(conn, start=run.period_from, end=run.period_to)
        ]
        pricer = _Pricer({k: TariffSchedule.model_validate(v) for k, v in run.draft.items()}, in_force)
        prices = [(k, pricer.total(k)) for k in keys]
        accounts = sql.write_chunk(
            conn,
            tenant_id=tenant_id,
            run_id=run_id,
            chunk=chunk,
            start=run.period_from,
            end=run.period_to,
            prices=prices,
        )
    return {"chunk_no": chunk_no, "accounts": accounts, "prices": len(prices)}


def finish_whatif(*, tenant_id: UUID | str, run_id: int, now: datetime) -> dict[str, Any]:
    with tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id=run_id, lock=True)
        if run is None:
            raise WhatIfNotFound()
        if run.status == "completed":
            return {"run_id": run_id, "status": "completed"}
        pending = sql.chunks_pending(conn, run_id=run_id)
        if pending:
            raise Invalid("chunks_pending", f"Faltan {pending} bloques de la simulación.")
        settings = parse_settings(revenue_sql.tenant_config(conn))
        months = (run.period_to.year - run.period_from.year) * 12 + run.period_to.month - run.period_from.month
        report = whatif_report(
            rows=sql.outcomes(conn, run_id=run_id), months=months, incomes=settings.household_income_by_decile
        )
        report = {
            "run_id": run_id,
            "period_from": run.period_from.isoformat()[:7],
            "period_to": add_months(run.period_to, -1).isoformat()[:7],
            "months": months,
            "draft_classes": sorted(run.draft),
            **report,
        }
        sql.finish_run(conn, run_id=run_id, report=report, at=now)
    return {"run_id": run_id, "status": "completed", "accounts": report["totals"]["accounts"]}


def fail_whatif(*, tenant_id: UUID | str, run_id: int, error: str) -> None:
    with tenant_transaction(tenant_id) as conn:
        sql.fail_run(conn, run_id=run_id, error=error)


def run_inline(*, tenant_id: UUID | str, run_id: int, now: datetime, chunk_size: int = CHUNK_SIZE) -> dict[str, Any]:
    """The orchestration's steps in this process, chunk after chunk."""
    plan = plan_whatif(tenant_id=tenant_id, run_id=run_id, chunk_size=chunk_size)
    for n in range(plan["chunks"]):
        replay_chunk(tenant_id=tenant_id, run_id=run_id, chunk_no=n)
    return finish_whatif(tenant_id=tenant_id, run_id=run_id, now=now)


def get_whatif(*, principal: Principal, run_id: int) -> dict[str, Any]:
    principal.require(TARIFFS_WRITE)
    with use_case_transaction(principal.tenant_id) as conn:
        run = sql.get_run(conn, run_id=run_id)
    if run is None:
        raise WhatIfNotFound()
    return {
        "run_id": run.id,
        "instance_id": run.instance_id,
        "status": run.status,
        "chunks": run.chunks,
        "error": run.error,
        "report": run.report,
    }


def _report(found: dict[str, Any]) -> dict[str, Any]:
    if found["status"] != "completed" or not found["report"]:
        raise Invalid("whatif_not_completed", f"La simulación está en estado '{found['status']}'.")
    return dict(found["report"])


def whatif_csv(found: dict[str, Any]) -> str:
    report = _report(found)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = ("accounts", "invoices", "consumption_m3", "real_revenue", "whatif_revenue", "change", "change_pct")
    writer.writerow(("group", "key", *columns))
    writer.writerow(("total", "", *(report["totals"][c] for c in columns)))
    for group in ("by_class", "by_sector"):
        for key, row in report[group].items():
            writer.writerow((group.removeprefix("by_"), key, *(row[c] for c in columns)))
    writer.writerow(("art74_restricted", "", *(report["art74_restricted"][c] for c in columns)))
    return out.getvalue()


CHARTS = ("by-class", "by-sector", "bill-changes", "affordability")


def whatif_png(found: dict[str, Any], *, chart: str) -> bytes:
    report = _report(found)
    if chart in ("by-class", "by-sector"):
        group = report["by_class" if chart == "by-class" else "by_sector"]
        return charts.bars_png(
            title=f"Cambio de ingreso por {'clase' if chart == 'by-class' else 'sector'} (%)",
            labels=list(group),
            values=[Decimal(v["change_pct"] or 0) for v in group.values()],
            ylabel="%",
        )
    if chart == "bill-changes":
        deciles = report["bill_changes"]["deciles_pct"]
        return charts.bars_png(
            title="Cambio de la factura por decil de cuentas (%)",
            labels=list(deciles),
            values=[Decimal(v) for v in deciles.values()],
            ylabel="%",
        )
    if chart == "affordability":
        rows = [r for r in report["affordability"] if r.get("accounts")]
        return charts.bars_png(
            title="Factura como % del ingreso del hogar, por decil (propuesta)",
            labels=[f"D{r['decile']}" for r in rows],
            values=[Decimal(r["whatif_share_of_income_pct"] or 0) for r in rows],
            ylabel="% del ingreso",
        )
    raise Invalid("unknown_chart", f"La gráfica '{chart}' no existe ({', '.join(CHARTS)}).")
