"""Run-level use cases: start (validate and record), plan, finish, fail, progress, review and issue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from shared.application.billing import periods
from shared.application.billing.policy import billing_policy, billing_settings, run_review_policy
from shared.application.outbox import DomainEvent, record
from shared.application.payments.apply import apply_account_credit
from shared.data import billing as sql
from shared.data import db, ledger
from shared.data.records.platform import tenant_config
from shared.domain.billing.errors import BillingError
from shared.domain.billing.review import decide_run
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
    """The run has not finished billing (or its review), so it cannot be approved or issued yet."""

    default_code = "invalid_state"


class RunFailed(BillingError, Conflict, ValueError):
    """The run failed: it cannot be approved, held or issued (start it again once the cause is fixed)."""

    default_code = "billing_run_failed"


class RunAlreadyApproved(BillingError, Conflict, ValueError):
    """The run was already approved (or issued): a second approval changes nothing."""

    default_code = "billing_run_already_approved"


class RunNotApproved(BillingError, Conflict, ValueError):
    """The run waits for an operator's approval: it is not issued before."""

    default_code = "billing_run_not_approved"


class SectorNotFound(BillingError, NotFound, LookupError):
    """No hydraulic sector with that code: a run scoped to it would bill nothing."""

    default_code = "sector_not_found"


class InvoiceNotFound(BillingError, NotFound, LookupError):
    """No invoice with that id for this tenant."""

    default_code = "invoice_not_found"
    detail = "La factura no existe."


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
    *,
    tenant_slug: str,
    period: date,
    now: datetime,
    sector: str | None = None,
    started_by: str | None = None,
    back_billing: bool = False,
) -> StartedRun:
    """Record the run for (tenant, period, scope), failing fast, billing nothing, when the period has not ended in
    local time, ended long ago without `back_billing`, the sector does not exist, or a tariff class has no schedule
    in force. Idempotent: the same request returns the same run (the caller starts the orchestration by its id)."""
    tenant_id = tenant_id_for(tenant_slug)
    scope = sector or "all"
    with db.tenant_transaction(tenant_id) as conn:
        settings = billing_settings(tenant_config(conn))
        periods.check_billable(
            period=period,
            now=now,
            back_billing=back_billing,
            back_billing_months=int(settings["back_billing_months"]),
        )
        if sector is not None and not sql.sector_exists(conn, code=sector):
            raise SectorNotFound(f"no existe el sector hidráulico {sector!r}")
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
            back_billing=back_billing,
            now=now,
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


def plan_run(*, tenant_id: UUID | str, run_id: int, now: datetime) -> dict[str, Any]:
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
        if run.status in ("pending", "running", "failed"):  # a rerun of a reviewed or issued run re-plans nothing
            sql.mark_run(conn, run_id, status="running", now=now)
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


def finish_run(*, tenant_id: UUID | str, run_id: int, now: datetime) -> dict[str, Any]:
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        totals = sql.run_totals(conn, run_id)
        if run.status not in ("pending", "running", "completed", "failed"):  # reviewed already: a rerun is a no-op
            return {"run_id": run_id, **run.counters}
        counters = {
            "invoices": totals.invoices,
            "estimated": totals.estimated,
            "held": totals.held,
            "total_billed": str(totals.total_billed),
            "m3_billed": str(totals.m3_billed),
        }
        sql.mark_run(conn, run_id, status="completed", counters=counters, now=now)
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


def fail_run(*, tenant_id: UUID | str, run_id: int, error: str, now: datetime) -> None:
    with db.tenant_transaction(tenant_id) as conn:
        sql.mark_run(conn, run_id, status="failed", error=error[:2000], now=now)
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
        "review_reason": run.review_reason,
        "review": run.review_counters,
        "back_billing": run.back_billing,
        "approved_by": run.approved_by,
        "approved_at": run.approved_at.isoformat() if run.approved_at else None,
        "issued_at": run.issued_at.isoformat() if run.issued_at else None,
    }


def recent_runs(*, tenant_id: UUID | str) -> list[dict[str, Any]]:
    """Progress of the tenant's latest runs, newest period first."""
    with db.tenant_transaction(tenant_id) as conn:
        ids = sql.list_run_ids(conn)
    return [progress(tenant_id=tenant_id, run_id=i) for i in ids]


def exceptions(*, tenant_id: UUID | str, run_id: int, limit: int = 100) -> list[dict[str, Any]]:
    with db.tenant_transaction(tenant_id) as conn:
        if sql.get_run(conn, run_id) is None:
            raise RunNotFound(f"billing run {run_id} not found")
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


def review_invoice(*, tenant_id: UUID | str, invoice_id: int, action: str, reviewer: str, now: datetime) -> None:
    """`release` a held invoice back to draft (it will be issued) or `hold` a draft for review. A missing invoice
    (or another tenant's) is NotFound; one in another state is a Conflict."""
    moves = {"release": ("held", "draft"), "hold": ("draft", "held")}
    if action not in moves:
        raise UnknownReviewAction(f"acción de revisión desconocida {action!r}: use release o hold")
    source, target = moves[action]
    with db.tenant_transaction(tenant_id) as conn:
        if sql.invoice_status(conn, invoice_id=invoice_id) is None:
            raise InvoiceNotFound(f"la factura {invoice_id} no existe")
        if not sql.set_invoice_status(
            conn, invoice_id=invoice_id, from_status=source, to_status=target, reviewed_by=reviewer, now=now
        ):
            raise InvoiceNotInState(f"la factura {invoice_id} no está en estado {source}")


def review_run(*, tenant_id: UUID | str, run_id: int, now: datetime) -> dict[str, Any]:
    """Apply the tenant's review policy to a billed run: hold the drafts its rules flag, then either approve the
    run (auto issue) or leave it 'awaiting_approval' (with the reason when the estimated share holds the whole run).
    A rerun returns the decision already taken and holds nothing again."""
    tid = UUID(str(tenant_id))
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.lock_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        config = tenant_config(conn)
        policy = run_review_policy(config)
        if run.status == "completed":
            held_by_rule = sql.apply_hold_rules(
                conn,
                run_id=run_id,
                history_since=periods.add_months(run.period, -12),
                high_factor=policy.high_factor,
                low_factor=policy.low_factor,
                min_average_m3=policy.min_average_m3,
                amount_factor=policy.amount_factor,
                hold_negative_amount=policy.hold_negative_amount,
                hold_zero_on_occupied=policy.hold_zero_on_occupied,
            )
            totals = sql.run_totals(conn, run_id)
            decision = decide_run(invoices=totals.invoices, estimated=totals.estimated, policy=policy)
            status = "approved" if decision.auto_issue else "awaiting_approval"
            review = {
                "held_by_rule": held_by_rule,
                "held": totals.held,
                "estimated": totals.estimated,
                "invoices": totals.invoices,
                "estimated_share": str(decision.estimated_share),
                "auto_issue": decision.auto_issue,
            }
            sql.set_run_review(
                conn,
                run_id=run_id,
                status=status,
                reason=decision.hold_reason,
                counters=review,
                now=now,
                approved_by="policy" if decision.auto_issue else None,
            )
            if status == "awaiting_approval":
                record(
                    conn,
                    DomainEvent(
                        tenant_id=tid,
                        event_type="billing_run.awaiting_approval",
                        key=f"billing_run.awaiting_approval:{run_id}",
                        aggregate_type="billing_run",
                        aggregate_id=str(run_id),
                        occurred_at=now,
                        payload={"run_id": run_id, "reason": decision.hold_reason, **review},
                    ),
                )
            if decision.hold_reason:
                log.warning("billing run held for review", extra={"run_id": run_id, "reason": decision.hold_reason})
            run = sql.get_run(conn, run_id)
            assert run is not None
        elif run.status in ("pending", "running", "failed"):
            raise RunNotReady(f"la corrida {run_id} está en estado {run.status}; debe estar facturada")
    return {
        "run_id": run_id,
        "status": run.status,
        "review_reason": run.review_reason,
        "review": run.review_counters,
        "approval_timeout_hours": policy.approval_timeout_hours,
    }


def approve_run(*, tenant_id: UUID | str, run_id: int, reviewer: str, now: datetime) -> dict[str, Any]:
    """An operator approves a run waiting for approval (or an issued run whose held invoices were released since):
    one conditional UPDATE, so of two approvals at once one wins and the other is refused. The run's orchestration
    issues and stamps it; the caller wakes it (or starts the closing orchestration)."""
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        if run.status == "failed":
            raise RunFailed(f"la corrida {run_id} falló ({run.error or 'sin detalle'}); no se puede aprobar")
        if run.status in ("pending", "running", "completed"):
            raise RunNotReady(f"la corrida {run_id} está en estado {run.status}; aún no espera aprobación")
        won = sql.approve_run(conn, run_id=run_id, by=reviewer, now=now) or (
            run.status == "issued" and sql.reopen_issued_run(conn, run_id=run_id, by=reviewer, now=now)
        )
        if not won:
            raise RunAlreadyApproved(f"la corrida {run_id} ya fue aprobada (estado {run.status})")
    log.info("billing run approved", extra={"run_id": run_id, "by": reviewer})
    return {"run_id": run_id, "status": "approved", "instance_id": run.instance_id, "approved_by": reviewer}


def hold_run(*, tenant_id: UUID | str, run_id: int, reviewer: str, reason: str, now: datetime) -> dict[str, Any]:
    """An operator holds a billed run that is not approved yet: it waits for approval with the operator's reason
    (the review step never auto-issues a held run)."""
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.lock_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        if run.status == "failed":
            raise RunFailed(f"la corrida {run_id} falló; no se puede retener")
        if run.status in ("approved", "issued"):
            raise RunAlreadyApproved(f"la corrida {run_id} ya fue aprobada (estado {run.status})")
        if run.status in ("pending", "running"):
            raise RunNotReady(f"la corrida {run_id} está en estado {run.status}; retenga cuando termine de facturar")
        text = f"retenida por {reviewer}: {reason}"
        if run.status == "completed":
            sql.set_run_review(conn, run_id=run_id, status="awaiting_approval", reason=text, counters={}, now=now)
        else:
            sql.set_review_reason(conn, run_id=run_id, reason=text)
    return progress(tenant_id=tenant_id, run_id=run_id)


def approval_timed_out(*, tenant_id: UUID | str, run_id: int, now: datetime, hours: int) -> dict[str, Any]:
    """The approval wait ran out: alert (error log + event) and leave the run 'awaiting_approval'; an approval that
    raced the timer is honoured (the run's state, not the event, decides)."""
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.get_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        if run.status == "awaiting_approval":
            record(
                conn,
                DomainEvent(
                    tenant_id=UUID(str(tenant_id)),
                    event_type="billing_run.approval_timed_out",
                    key=f"billing_run.approval_timed_out:{run_id}",
                    aggregate_type="billing_run",
                    aggregate_id=str(run_id),
                    occurred_at=now,
                    payload={"run_id": run_id, "hours": hours, "reason": run.review_reason},
                ),
            )
    if run.status == "awaiting_approval":
        log.error(
            "billing run still awaiting approval",
            extra={"run_id": run_id, "hours": hours, "reason": run.review_reason, "alert": "billing_approval_timeout"},
        )
    return {"run_id": run_id, "status": run.status}


def issue_run(*, tenant_id: UUID | str, run_id: int, now: datetime, reviewer: str) -> dict[str, Any]:
    """Issue every draft of an approved (or billed, when called directly) run; held invoices wait for review:
    gapless folios, ledger charges, invoice.issued events, due date by tenant policy. The run is locked, so two
    issues at once serialize; a rerun of an issued run issues nothing."""
    with db.tenant_transaction(tenant_id) as conn:
        run = sql.lock_run(conn, run_id)
        if run is None:
            raise RunNotFound(f"billing run {run_id} not found")
        if run.status == "failed":
            raise RunFailed(f"la corrida {run_id} falló; no se puede emitir")
        if run.status == "awaiting_approval":
            raise RunNotApproved(f"la corrida {run_id} espera aprobación: {run.review_reason or 'sin motivo'}")
        if run.status not in ("completed", "approved", "issued"):
            raise RunNotReady(f"la corrida {run_id} está en estado {run.status}; debe estar completada")
        policy = billing_policy(tenant_config(conn))
        due = periods.local_date(now) + timedelta(days=policy.due_days)
        issued = 0
        if run.status != "issued":
            issued = ledger.issue_drafts(
                conn, tenant_id=UUID(str(tenant_id)), run_id=run_id, serie=policy.series, issued_at=now, due_date=due
            )
            sql.mark_issued(conn, run_id=run_id, now=now)
        held = sql.run_totals(conn, run_id).held
        with_credit = ledger.accounts_with_credit(conn, run_id=run_id) if issued else []
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
