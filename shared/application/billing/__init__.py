"""Use cases of the monthly billing run: start, plan, bill a chunk, finish, review, issue; operator credits.

Modules: `runs` (run-level use cases), `chunk` (bill one chunk: the hot path), `periods` (YYYY-MM periods in
local time), `policy` (tenant billing policy and tariff schedules), `adjustments` (credits on issued invoices).
"""

from shared.application.billing.adjustments import InvoiceNotCreditable, credit_invoice
from shared.application.billing.chunk import ChunkNotFound, NoScheduleForClass, bill_chunk
from shared.application.billing.periods import InvalidPeriod, local_date, parse_period, previous_period
from shared.application.billing.runs import (
    InvoiceNotInState,
    NoTariffInForce,
    RunNotFound,
    RunNotReady,
    StartedRun,
    TenantNotFound,
    UnknownReviewAction,
    due_today,
    exceptions,
    fail_run,
    finish_run,
    issue_run,
    plan_run,
    progress,
    recent_runs,
    review_invoice,
    start_run,
    tenant_id_for,
    tenant_slugs,
)

__all__ = [
    "ChunkNotFound",
    "InvalidPeriod",
    "InvoiceNotCreditable",
    "InvoiceNotInState",
    "NoScheduleForClass",
    "NoTariffInForce",
    "RunNotFound",
    "RunNotReady",
    "StartedRun",
    "TenantNotFound",
    "UnknownReviewAction",
    "bill_chunk",
    "credit_invoice",
    "due_today",
    "exceptions",
    "fail_run",
    "finish_run",
    "issue_run",
    "local_date",
    "parse_period",
    "plan_run",
    "previous_period",
    "progress",
    "recent_runs",
    "review_invoice",
    "start_run",
    "tenant_id_for",
    "tenant_slugs",
]
