"""Run-level use cases: start (validate and record), plan, finish, fail, progress, review and issue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from shared.application.billing import periods
from shared.application.billing.policy import billing_policy, billing_settings
from shared.application.outbox import DomainEvent, record
from shared.application.payments.apply import apply_account_credit
from shared.data import billing as sql
from shared.data import db, ledger
from shared.data.records.platform import tenant_config
from shared.domain.billing.errors import BillingError
from shared.domain.errors import Conflict, Invalid, NotFound
from shared.platform import context
from shared.platform.config import get_settings
from shared.platform.metrics import billing_run_duration_seconds

log = logging.getLogger(__name__)


class TenantNotFound(BillingError, NotFound, LookupError):
    """No tenant with that slug."""

    default_code = "tenant_not_found"
    detail = "El organismo no existe."


class NoTariffInForce(BillingError, Invalid, ValueError):
    """Some tariff class of the accounts to bill has no schedule in force for the period: nothing is billed."""

    default_code = "no_tariff_in_force"


class RunNotFound(BillingError, NotFound, LookupError):
    """No billing run with that id for this tenant."""

    default_code = "billing_run_not_found"
    detail = "La corrida de facturación no existe."


class RunNotReady(BillingError, Conflict, ValueError):
    """The run has not finished billing, so it cannot be issued yet."""

    default_code = "invalid_state"


@dataclass(frozen=True)
class StartedRun:
    run_id: int
    tenant_id: UUID
    period: date
    scope: str
    instance_id: str
    status: str

    def orchestration_input(self) -> dict[str, Any]:
        return {
            "tenant_id": str(self.tenant_id),
            "run_id": self.run_id,
            "period": self.period.isoformat(),
            "correlation_id": context.correlation_id.get(),
        }


def tenant_id_for(slug: str) -> UUID:
    tenant = db.resolve_tenant(slug)
    if tenant is None:
        raise TenantNotFound(f"no tenant {slug!r}")
    return tenant


def tenant_slugs() -> list[str]:
    """Every tenant's slug, for the daily billing timer."""
    return db.tenant_slugs()


def instance_id_for(slug: str, period: date, scope: str) -> str:
    return f"bill-{slug}-{period:%Y%m}-{scope}"


def start_run(
    *, tenant_slug: str, period: date, sector: str | None = None, started_by: str | None = None
) -> StartedRun:
    """Record the run for (tenant, period, scope), failing fast when a tariff class has no schedule in force.
    Idempotent: the same request returns the same run (the caller starts the orchestration by its instance id)."""
    tenant_id = tenant_id_for(tenant_slug)
    scope = sector or "all"
    with db.tenant_transaction(tenant_id) as conn:
        missing = sql.tariff_classes_without_schedule(conn, on=period, scope_sector=sector)
        if missing:
            raise NoTariffInForce(
                f"no hay tarifa vigente el {period.isoformat()} para: {', '.join(missing)}; no se facturó nada"
            )
        run = sql.upsert_run(
            conn,
            tenant_id=tenant_id,
            period=period,
            scope=scope,
            instance_id=instance_id_for(tenant_slug, period, scope),
            started_by=started_by,
            correlation_id=context.correlation_id.get(),
        )
    return StartedRun(
        run_id=run.id, tenant_id=tenant_id, period=period, scope=scope, instance_id=run.instance_id, status=run.status
    )


def due_today(*, tenant_slug: str, today: date) -> date | None:
    """The period a tenant's billing run should bill today (the month before `today`), or None when today is not the
    tenant's run day (tenants.config billing.run_day, 1–28, default 1). Runs are per tenant, so utilities that read
    meters on different cycles bill on different days."""
    with db.tenant_transaction(tenant_id_for(tenant_slug)) as conn:
        run_day = int(billing_settings(tenant_config(conn))["run_day"])
    return periods.previous_period(today) if today.day == run_day else None


def plan_run(*, tenant_id: UUID | str, run_id: int) -> dict[str, Any]:
    """Split the run into sector chunks (once) and report the plan: sector ids and chunk counts only."""
    chunk_size = get_settings().BILLING_CHUNK_SIZE
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        scope_sector = None if run.scope == "all" else run.scope
        sql.plan_chunks(
            conn, tenant_id=UUID(str(tenant_id)), run_id=run_id, chunk_size=chunk_size, scope_sector=scope_sector
        )
        plan = sql.sector_plan(conn, run_id)
        total = sum(s.accounts for s in plan)
        sql.set_total_accounts(conn, run_id=run_id, total=total)
        sql.mark_run(conn, run_id, status="running")
        if run.started_at is None:
            record(
                conn,
                DomainEvent(
                    tenant_id=UUID(str(tenant_id)),
                    event_type="billing_run.started",
                    key=f"billing_run.started:{run_id}",
                    aggregate_type="billing_run",
                    aggregate_id=str(run_id),
                    occurred_at=run.created_at,
                    payload={"run_id": run_id, "period": run.period.isoformat(), "accounts": total},
                ),
            )
    return {
        "accounts": total,
        "sectors": [{"sector_id": s.sector_id, "code": s.code, "chunks": s.chunks} for s in plan],
    }


def finish_run(*, tenant_id: UUID | str, run_id: int) -> dict[str, Any]:
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        totals = sql.run_totals(conn, run_id)
        counters = {
            "invoices": totals.invoices,
            "estimated": totals.estimated,
            "held": totals.held,
            "total_billed": str(totals.total_billed),
            "m3_billed": str(totals.m3_billed),
        }
        sql.mark_run(conn, run_id, status="completed", counters=counters)
        finished = sql.get_run(conn, run_id)
        assert finished is not None and finished.completed_at is not None
        record(
            conn,
            DomainEvent(
                tenant_id=UUID(str(tenant_id)),
                event_type="billing_run.completed",
                key=f"billing_run.completed:{run_id}",
                aggregate_type="billing_run",
                aggregate_id=str(run_id),
                occurred_at=finished.completed_at,
                payload={"run_id": run_id, **counters},
            ),
        )
    if finished.started_at and finished.completed_at:
        billing_run_duration_seconds.record((finished.completed_at - finished.started_at).total_seconds())
    return {"run_id": run_id, **counters}


def fail_run(*, tenant_id: UUID | str, run_id: int, error: str) -> None:
    with db.tenant_transaction(tenant_id) as conn:
        sql.mark_run(conn, run_id, status="failed", error=error[:2000])
    log.error("billing run failed", extra={"run_id": run_id, "error": error[:500]})


def progress(*, tenant_id: UUID | str, run_id: int) -> dict[str, Any]:
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        sectors = sql.sector_plan(conn, run_id)
        totals = sql.run_totals(conn, run_id)
    return {
        "run_id": run.id,
        "period": run.period.isoformat(),
        "scope": run.scope,
        "status": run.status,
        "instance_id": run.instance_id,
        "accounts_total": run.total_accounts,
        "accounts_done": run.accounts_done,
        "error": run.error,
        "sectors": [
            {
                "sector": s.code,
                "accounts": s.accounts,
                "accounts_done": s.accounts_done,
                "chunks": s.chunks,
                "chunks_done": s.chunks_done,
            }
            for s in sectors
        ],
        "invoices": totals.invoices,
        "estimated": totals.estimated,
        "held": totals.held,
        "issued": totals.issued,
        "total_billed": str(totals.total_billed),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "completed_at": run.completed_at.isoformat() if run.completed_at else None,
    }


def recent_runs(*, tenant_id: UUID | str) -> list[dict[str, Any]]:
    """Progress of the tenant's latest runs, newest period first."""
    with db.tenant_transaction(tenant_id) as conn:
        ids = sql.list_run_ids(conn)
    return [progress(tenant_id=tenant_id, run_id=i) for i in ids]


def exceptions(*, tenant_id: UUID | str, run_id: int, limit: int = 100) -> list[dict[str, Any]]:
    with db.tenant_transaction(tenant_id) as conn:
        return [
            {**r, "consumption_m3": str(r["consumption_m3"]), "total": str(r["total"])}
            for r in sql.held_invoices(conn, run_id, limit)
        ]


class InvoiceNotInState(BillingError, Conflict, ValueError):
    """The invoice is not in the state the review action needs."""

    default_code = "invalid_state"


class UnknownReviewAction(BillingError, Invalid, ValueError):
    """A review action other than `release` or `hold`."""

    default_code = "invalid_review_action"


def review_invoice(*, tenant_id: UUID | str, invoice_id: int, action: str, reviewer: str) -> None:
    """`release` a held invoice back to draft (it will be issued) or `hold` a draft for review."""
    moves = {"release": ("held", "draft"), "hold": ("draft", "held")}
    if action not in moves:
        raise UnknownReviewAction(f"acción de revisión desconocida {action!r}: use release o hold")
    source, target = moves[action]
    with db.tenant_transaction(tenant_id) as conn:
        if not sql.set_invoice_status(
            conn, invoice_id=invoice_id, from_status=source, to_status=target, reviewed_by=reviewer
        ):
            raise InvoiceNotInState(f"la factura {invoice_id} no está en estado {source}")


def issue_run(*, tenant_id: UUID | str, run_id: int, now: datetime, reviewer: str) -> dict[str, Any]:
    """Issue every draft of a completed run (held invoices wait for review): gapless folios, ledger charges,
    invoice.issued events, due date by tenant policy. Re-running issues only what is still draft."""
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        if run.status != "completed":
            raise RunNotReady(f"la corrida {run_id} está en estado {run.status}; debe estar completada")
        policy = billing_policy(tenant_config(conn))
        due = periods.local_date(now) + timedelta(days=policy.due_days)
        issued = ledger.issue_drafts(
            conn, tenant_id=UUID(str(tenant_id)), run_id=run_id, serie=policy.series, issued_at=now, due_date=due
        )
        held = sql.run_totals(conn, run_id).held
        with_credit = ledger.accounts_with_credit(conn, run_id=run_id)
    for account_id in with_credit:  # standing credit (overpayments) pays the new bill at once
        apply_account_credit(tenant_id=tenant_id, account_id=account_id)
    log.info(
        "billing run issued",
        extra={"run_id": run_id, "issued": issued, "held": held, "by": reviewer, "paid_from_credit": len(with_credit)},
    )
    return {
        "run_id": run_id,
        "issued": issued,
        "held": held,
        "due_date": due.isoformat(),
        "paid_from_credit": len(with_credit),
    }
