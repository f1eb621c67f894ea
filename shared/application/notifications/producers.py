"""Notice requests from domain events and scheduled jobs. Each producer records a request row (queued, natural key
`<kind>:<id>`, parameters of the fact) in the caller's transaction and sends its key to the notifications queue; the
queue worker (`sender`) decides and sends. Recording twice is a no-op (the key is unique), so redelivered events
and re-run jobs request nothing new.

Events handled: invoice.issued (bill issued), payment.applied (payment received), dunning.restriction_ordered
(Art. 74 notice), dunning.suspension_ordered (non-domestic), dunning.reconnection_ordered (restriction lifted /
reconnection), payment_plan.broken, work_order.status_changed (incl. "reparado" with the crew's photo),
arco.answer_ready. Scheduled: due-date reminders and installment reminders N days before (tenant config).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.application.notifications import sender
from shared.data import db
from shared.data import notifications as store
from shared.data.notifications import NewNotice
from shared.data.records import platform
from shared.data.sql import Conn
from shared.domain.notifications import policy as rules
from shared.domain.notifications.templates import CATALOGUE, long_date, money, month_year
from shared.platform.config import get_settings

__all__ = [
    "CONSUMER",
    "HANDLERS",
    "WORK_ORDER_STATUS_ES",
    "queue_reminders",
    "request",
    "request_bills",
]

log = logging.getLogger(__name__)
CONSUMER = "notifications-requests"

WORK_ORDER_STATUS_ES = {
    "open": "recibido",
    "assigned": "asignado a una cuadrilla",
    "in_progress": "en atención",
    "done": "reparado",
    "cancelled": "cancelado",
}


def request(conn: Conn, *, kind: str, key: str, account_id: int, params: dict[str, str], now: datetime) -> bool:
    """Record one notice request and enqueue it; False when the key was requested before."""
    purpose = CATALOGUE[kind].purpose if kind in CATALOGUE else "whatsapp_notices"
    tenant = conn.execute("SELECT app_current_tenant()").fetchone()
    assert tenant is not None
    inserted = store.insert_requests(conn, notices=[NewNotice(key, kind, purpose, account_id, params, now)])
    if inserted:
        # Sent before the caller commits: a worker that comes too early finds nothing and the release job
        # picks the row up after sender.LOST_AFTER; a rolled-back request leaves a message that finds nothing.
        sender.enqueue_keys(tenant_id=tenant[0], keys=inserted)
    return bool(inserted)


def _pdf_url(invoice_id: int) -> str:
    base = get_settings().PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/api/v1/invoices/{invoice_id}/bill.pdf" if base else ""


def on_invoice_issued(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
    invoice_id = int(envelope["payload"]["invoice_id"])
    invoice = store.invoice_notice(conn, invoice_id=invoice_id)
    if invoice is None:
        log.warning("invoice.issued for a missing invoice", extra={"invoice_id": invoice_id})
        return
    request(
        conn,
        kind="bill_issued",
        key=f"bill_issued:{invoice_id}",
        account_id=invoice.account_id,
        now=now,
        params={
            "period": month_year(invoice.period),
            "total": money(Decimal(invoice.total)),
            "due_date": long_date(invoice.due_date) if invoice.due_date else "",
            "pdf_url": _pdf_url(invoice_id),
        },
    )


def request_bills(*, tenant_id: UUID | str, invoice_ids: Sequence[int], now: datetime, chunk: int = 5000) -> int:
    """Bill-issued notices for many invoices at once (a billing run's issue step or a re-announcement): one
    statement per chunk, keys enqueued in messages of `sender.BATCH`; invoices announced before are skipped."""
    requested = 0
    for start in range(0, len(invoice_ids), chunk):
        with db.tenant_transaction(tenant_id) as conn:
            facts = store.bill_facts(conn, invoice_ids=invoice_ids[start : start + chunk])
            inserted = store.insert_requests(
                conn,
                notices=[
                    NewNotice(
                        f"bill_issued:{f.invoice_id}",
                        "bill_issued",
                        "whatsapp_notices",
                        f.account_id,
                        {
                            "period": month_year(f.period),
                            "total": money(Decimal(f.total)),
                            "due_date": long_date(f.due_date) if f.due_date else "",
                            "pdf_url": _pdf_url(f.invoice_id),
                        },
                        now,
                    )
                    for f in facts
                ],
            )
        sender.enqueue_keys(tenant_id=tenant_id, keys=inserted)
        requested += len(inserted)
    return requested


def on_payment_applied(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
    payment_id = int(envelope["payload"]["payment_id"])
    payment = store.payment_notice(conn, payment_id=payment_id)
    if payment is None or payment.account_id is None:
        log.warning("payment.applied for a missing or unplaced payment", extra={"payment_id": payment_id})
        return
    request(
        conn,
        kind="payment_received",
        key=f"payment_received:{payment_id}",
        account_id=payment.account_id,
        now=now,
        params={"amount": money(Decimal(payment.amount))},
    )


def _cut_ordered(kind: str) -> Any:
    def handler(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
        p = envelope["payload"]
        request(
            conn,
            kind=kind,
            key=f"{kind}:{p['work_order_id']}",
            account_id=int(p["account_id"]),
            now=now,
            params={"periods": str(p.get("unpaid_periods") or "")},
        )

    return handler


def on_reconnection_ordered(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
    p = envelope["payload"]
    account_id = int(p["account_id"])
    kind = "restriction_lifted" if store.last_cut_kind(conn, account_id=account_id) == "restriction" else "reconnection"
    request(conn, kind=kind, key=f"{kind}:{p['work_order_id']}", account_id=account_id, now=now, params={})


def on_plan_broken(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
    p = envelope["payload"]
    request(
        conn,
        kind="plan_broken",
        key=f"plan_broken:{p['plan_id']}",
        account_id=int(p["account_id"]),
        now=now,
        params={"owed": money(Decimal(str(p["owed"])))},
    )


def on_work_order_status(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
    """Customer-facing work orders (leak reports, reading checks) tell the customer each status; "done" goes as
    "reparado" with the crew's photo when there is one."""
    p = envelope["payload"]
    if p.get("kind") not in ("leak_report", "reading_check") or p.get("account_id") is None:
        return
    status, wo = str(p["status"]), int(p["work_order_id"])
    folio = f"OT-{wo}"
    if status == "done" and p.get("photo_url"):
        kind, params = "work_order_repaired", {"folio": folio, "image_url": str(p["photo_url"])}
    else:
        kind, params = "work_order_status", {"folio": folio, "status": WORK_ORDER_STATUS_ES.get(status, status)}
    request(conn, kind=kind, key=f"{kind}:{wo}:{status}", account_id=int(p["account_id"]), now=now, params=params)


def on_arco_answer_ready(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
    p = envelope["payload"]
    if p.get("account_id") is None:
        return
    request(
        conn,
        kind="arco_answer_ready",
        key=f"arco_answer_ready:{p['request_id']}",
        account_id=int(p["account_id"]),
        now=now,
        params={"folio": str(p.get("folio") or p["request_id"])},
    )


HANDLERS = {
    "invoice.issued": on_invoice_issued,
    "payment.applied": on_payment_applied,
    "dunning.restriction_ordered": _cut_ordered("restriction_notice"),
    "dunning.suspension_ordered": _cut_ordered("suspension_notice"),
    "dunning.reconnection_ordered": on_reconnection_ordered,
    "payment_plan.broken": on_plan_broken,
    "work_order.status_changed": on_work_order_status,
    "arco.answer_ready": on_arco_answer_ready,
}


def queue_reminders(*, tenant_id: UUID | str, today: date, now: datetime) -> int:
    """Due-date reminders for open invoices and plan installments due in the tenant's `reminder_days_before`
    days (one request per invoice / installment; re-running the job requests nothing new)."""
    with db.tenant_transaction(tenant_id) as conn:
        policy = rules.policy_from_config(platform.tenant_config(conn).get("notifications"))
        due_on = today + timedelta(days=policy.reminder_days_before)
        notices = [
            NewNotice(
                f"due_reminder:{i.invoice_id}",
                "due_reminder",
                "whatsapp_notices",
                i.account_id,
                {"total": money(Decimal(i.open_amount)), "due_date": long_date(i.due_date)},
                now,
            )
            for i in store.due_invoices(conn, due_on=due_on)
        ] + [
            NewNotice(
                f"installment_due:{i.plan_id}:{i.seq}",
                "installment_due",
                "whatsapp_notices",
                i.account_id,
                {"seq": str(i.seq), "amount": money(Decimal(i.owed)), "due_date": long_date(i.due_date)},
                now,
            )
            for i in store.due_installments(conn, due_on=due_on)
        ]
        inserted = store.insert_requests(conn, notices=notices)
    sender.enqueue_keys(tenant_id=tenant_id, keys=inserted)
    return len(inserted)
