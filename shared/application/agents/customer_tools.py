"""The customer agent's tools, each over an existing application service (never SQL here), run with a customer
principal scoped to the verified person (row scoping in SQL is a second, independent check behind the gate)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.application.access.principal import ALL_DATA, WORK_ORDERS_WRITE, Principal, permissions_for
from shared.application.agents import facts
from shared.application.customers import accounts, invoices
from shared.application.operations import work_orders
from shared.application.payments import collections
from shared.application.privacy import arco
from shared.domain.agents import tools as t
from shared.domain.timezone import UTILITY_TZ

ARCO_CHANNELS = {"whatsapp": "whatsapp", "web": "web", "chatwoot": "web", "voice": "office"}


@dataclass
class TurnState:
    """What one agent turn knows; person/account change only through a successful verify_identity."""

    tenant_id: str
    conversation_id: int
    channel: str
    person_id: int | None
    account_id: int | None
    now: datetime
    media_url: str | None
    turn_key: str
    newly_verified: bool = False
    handoff: bool = False
    notes: list[str] = field(default_factory=list)

    def principal(self) -> Principal:
        return Principal(
            tenant_id=UUID(self.tenant_id),
            tenant_slug="",
            subject=f"agent:customer:{self.conversation_id}",
            roles=frozenset({"customer"}),
            permissions=permissions_for(("customer",)),
            person_id=self.person_id,
        )

    def service_principal(self) -> Principal:
        """For the work-order kinds a customer principal may not create (inspection, suspension); used only after
        the gate established that the account belongs to the verified person."""
        return Principal(
            tenant_id=UUID(self.tenant_id),
            tenant_slug="",
            subject=f"agent:customer:{self.conversation_id}",
            roles=frozenset({"operator"}),
            permissions=frozenset({ALL_DATA, WORK_ORDERS_WRITE}),
        )


Executor = Callable[[TurnState, Any, int | None], dict[str, Any]]


def _period(text: str | None) -> date | None:
    if text is None:
        return None
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def search_help(state: TurnState, args: t.SearchHelpInput, _account: int | None) -> dict[str, Any]:
    found = facts.snippets(query=args.query, tenant_id=state.tenant_id)
    return {
        "snippets": [{"code": s.code, "title": s.title, "text": s.body, "source": s.source} for s in found],
        "instruction": "Answer only from these snippets and cite the code in brackets, e.g. [art74].",
    }


def get_balance(state: TurnState, _args: t.AccountInput, account_id: int | None) -> dict[str, Any]:
    row = accounts.balance(principal=state.principal(), account_id=int(account_id or 0))
    keep = ("account_number", "status", "balance", "last_invoice_period", "last_invoice_total")
    return {**{k: row[k] for k in keep}, "due_date": row["last_invoice_due_date"]}


def list_invoices(state: TurnState, _args: t.AccountInput, account_id: int | None) -> dict[str, Any]:
    rows = invoices.list_invoices(
        principal=state.principal(), account_id=account_id, period=None, status=None, after=None, limit=6
    )
    keep = ("id", "period", "status", "consumption_m3", "estimated", "total", "due_date")
    return {"invoices": [{k: r[k] for k in keep} for r in rows if r["status"] != "draft"]}


def explain_invoice(state: TurnState, args: t.ExplainInvoiceInput, account_id: int | None) -> dict[str, Any]:
    principal = state.principal()
    rows = invoices.list_invoices(
        principal=principal, account_id=account_id, period=_period(args.period), status="issued", after=None, limit=1
    )
    if not rows:
        return {"found": False, "message": "No hay recibo emitido para ese periodo."}
    detail = invoices.get_invoice(principal=principal, invoice_id=int(rows[0]["id"]))
    return {
        "found": True,
        "period": detail["period"],
        "consumption_m3": detail["consumption_m3"],
        "estimated": detail["estimated"],
        "subtotal": detail["subtotal"],
        "tax_total": detail["tax_total"],
        "total": detail["total"],
        "outstanding": detail["outstanding"],
        "due_date": detail["due_date"],
        "lines": [{"explanation": line["explanation"], "trace": line.get("trace")} for line in detail["lines"]],
    }


def get_payment_references(state: TurnState, _args: t.AccountInput, account_id: int | None) -> dict[str, Any]:
    refs = accounts.payment_references(principal=state.principal(), account_id=int(account_id or 0))
    return {k: refs[k] for k in ("oxxo_reference", "clabe", "beneficiary")}


def payment_plan_options(state: TurnState, _args: t.AccountInput, account_id: int | None) -> dict[str, Any]:
    return facts.plan_options(tenant_id=state.tenant_id, account_id=int(account_id or 0))


def _work_order(
    state: TurnState, *, kind: str, account_id: int, reason: str, digest: str, staff: bool
) -> dict[str, Any]:
    row, created = work_orders.create_work_order(
        principal=state.service_principal() if staff else state.principal(),
        kind=kind,
        priority="high" if kind == "leak_report" else "normal",
        account_id=account_id,
        toma_id=None,
        reason=reason[:1000],
        natural_key=f"agent:{state.conversation_id}:{digest[:24]}",
        now=state.now,
    )
    return {
        "work_order_id": row["id"],
        "kind": row["kind"],
        "status": row["status"],
        "created": created,
        "due_at": row.get("due_at"),
    }


def report_leak(state: TurnState, args: t.ReportInput, account_id: int | None, digest: str = "") -> dict[str, Any]:
    reason = "Fuga reportada por el cliente: " + args.description
    if args.location:
        reason += f" (ubicación: {args.location})"
    if state.media_url:
        reason += f" [foto: {state.media_url}]"
    return _work_order(
        state, kind="leak_report", account_id=int(account_id or 0), reason=reason, digest=digest, staff=False
    )


def report_meter_problem(
    state: TurnState, args: t.ReportInput, account_id: int | None, digest: str = ""
) -> dict[str, Any]:
    reason = "Problema de medidor reportado por el cliente: " + args.description
    if state.media_url:
        reason += f" [foto: {state.media_url}]"
    return _work_order(
        state, kind="inspection", account_id=int(account_id or 0), reason=reason, digest=digest, staff=True
    )


def dispute_reading(
    state: TurnState, args: t.DisputeReadingInput, account_id: int | None, digest: str = ""
) -> dict[str, Any]:
    reason = "Aclaración de lectura" + (f" del periodo {args.period}" if args.period else "") + ": " + args.reason
    return _work_order(
        state, kind="reading_check", account_id=int(account_id or 0), reason=reason, digest=digest, staff=False
    )


def request_service_suspension(
    state: TurnState, args: t.SuspensionInput, account_id: int | None, digest: str = ""
) -> dict[str, Any]:
    return _work_order(
        state,
        kind="suspension",
        account_id=int(account_id or 0),
        reason="Suspensión voluntaria solicitada por el cliente: " + args.reason,
        digest=digest,
        staff=True,
    )


def request_payment_plan(
    state: TurnState, args: t.PaymentPlanInput, account_id: int | None, digest: str = ""
) -> dict[str, Any]:
    local_today = state.now.astimezone(UTILITY_TZ).date()
    plan_id = collections.sign_plan(
        tenant_id=state.tenant_id,
        account_id=int(account_id or 0),
        down_payment=args.down_payment,
        installments=args.installments,
        first_due=local_today + timedelta(days=30),
        created_by=f"agent:customer:{state.conversation_id}",
        now=state.now,
    )
    return {"plan_id": plan_id, "down_payment": args.down_payment, "installments": args.installments}


def _arco(state: TurnState, *, right: str, description: str, purposes: list[str]) -> dict[str, Any]:
    row = arco.create_request(
        principal=state.principal(),
        person_id=int(state.person_id or 0),
        data={
            "arco_right": right,
            "channel": ARCO_CHANNELS.get(state.channel, "web"),
            "description": description,
            "requester_name": "Titular verificado por el asistente",
            "purposes": purposes,
        },
        now=state.now,
    )
    return {
        "arco_request_id": row["id"],
        "arco_right": row["arco_right"],
        "status": row["status"],
        "due_on": row["due_on"],
    }


def arco_request(state: TurnState, args: t.ArcoInput, _account: int | None, digest: str = "") -> dict[str, Any]:
    if args.arco_right == "opposition":
        return {"error": "Para oponerse a avisos use opt_out con la finalidad."}
    if args.arco_right == "rectification":
        return {"error": "La rectificación requiere documentos; transfiera a un asesor."}
    return _arco(state, right=args.arco_right, description=args.description, purposes=[])


def opt_out(state: TurnState, args: t.OptOutInput, _account: int | None, digest: str = "") -> dict[str, Any]:
    return _arco(
        state,
        right="opposition",
        description=f"Oposición a {args.purpose} solicitada por el asistente",
        purposes=[args.purpose],
    )


READS: dict[str, Executor] = {
    "search_help": search_help,
    "get_balance": get_balance,
    "list_invoices": list_invoices,
    "explain_invoice": explain_invoice,
    "get_payment_references": get_payment_references,
    "payment_plan_options": payment_plan_options,
}
WRITES: dict[str, Callable[..., dict[str, Any]]] = {
    "report_leak": report_leak,
    "report_meter_problem": report_meter_problem,
    "dispute_reading": dispute_reading,
    "request_payment_plan": request_payment_plan,
    "request_service_suspension": request_service_suspension,
    "arco_request": arco_request,
    "opt_out": opt_out,
}


def plan_check(state: TurnState, args: Any, account_id: int) -> tuple[str, ...]:
    if not isinstance(args, t.PaymentPlanInput):
        return ()
    problems, _policy, _debt = facts.plan_problems(
        tenant_id=state.tenant_id,
        account_id=account_id,
        down_payment=Decimal(args.down_payment),
        installments=args.installments,
        today=state.now.astimezone(UTILITY_TZ).date(),
    )
    return problems
