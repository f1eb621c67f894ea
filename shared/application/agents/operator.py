"""The operator agent: for billing analysts, explains why a draft invoice was held (exception codes, line traces,
previous bills) and records ONE proposal — release, hold or re-estimate — with its evidence. It never changes the
invoice: `decide` (the API's approve/reject) is the only path that applies a proposal, and only for a caller with
the billing permission."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.adapters.claude import ModelError, client_for
from shared.application.access.errors import Conflict, not_found
from shared.application.access.principal import BILLING_RUN, Principal
from shared.application.agents.audit import TurnAudit
from shared.application.agents.engine import ModelClient, ToolOutcome, opaque_user_id, run_turn
from shared.application.agents.prompts import OPERATOR_POLICY
from shared.application.billing import runs
from shared.data import agents as data
from shared.data.db import tenant_transaction
from shared.domain.agents.cost import parse_prices
from shared.domain.agents.pii_tokens import Vault
from shared.domain.agents.tools import BY_NAME, Effect, ProposalInput, ToolSpec
from shared.platform.config import Settings

AGENT = "operator"


class ProposalNotOpen(Conflict):
    default_code = "proposal_not_open"


@dataclass
class _Session:
    principal: Principal
    invoice_id: int
    now: datetime
    model: str
    proposal: data.Proposal | None = None


def held_invoice_facts(*, tenant_id: str, invoice_id: int) -> dict[str, Any]:
    with tenant_transaction(tenant_id) as conn:
        inv = data.held_invoice(conn, invoice_id=invoice_id)
        if inv is None:
            raise not_found("la factura")
        lines = data.invoice_line_traces(conn, invoice_id=invoice_id)
        history = data.prior_totals(conn, account_id=inv.account_id, before=inv.period)
    return {"invoice": inv._asdict(), "lines": lines, "previous_bills": history}


def _conversation_id(invoice_id: int, now: datetime) -> int:
    return int(hashlib.sha256(f"{invoice_id}:{now.isoformat()}".encode()).hexdigest()[:12], 16)


def explain_held_invoice(
    *, principal: Principal, invoice_id: int, now: datetime, settings: Settings, client: ModelClient | None = None
) -> dict[str, Any]:
    """The agent's explanation and its (open) proposal for the invoice; nothing about the invoice changes."""
    principal.require(BILLING_RUN)
    tenant = str(principal.tenant_id)
    held_invoice_facts(tenant_id=tenant, invoice_id=invoice_id)  # NotFound before any model call
    try:
        model = client or client_for(settings=settings)
    except ModelError as error:  # no key or a bad configuration: a clear answer, nothing recorded
        return {
            "invoice_id": invoice_id,
            "explanation": f"El asistente no está disponible ({error.code}).",
            "proposal": None,
            "cost_usd": 0,
            "model_calls": 0,
        }
    session = _Session(principal, invoice_id, now, model.model)
    conversation = _conversation_id(invoice_id, now)
    audit = TurnAudit(
        tenant_id=tenant,
        agent=AGENT,
        conversation_id=conversation,
        turn_key=f"op:{conversation}",
        now=now,
        prices=parse_prices(text=settings.AGENT_PRICES_USD_PER_MTOK),
    )
    vault = Vault()

    def run_tool(spec: ToolSpec | None, args: Any) -> ToolOutcome:
        return _run_tool(spec, args, session=session)

    messages = [
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": f"Factura retenida id={invoice_id}. Explique por qué se retuvo y proponga una acción.",
                }
            ],
        }
    ]
    try:
        text = run_turn(
            client=model,
            system=OPERATOR_POLICY,
            specs=BY_NAME[AGENT],
            messages=messages,
            vault=vault,
            audit=audit,
            user_id=opaque_user_id(tenant_id=tenant, agent=AGENT, conversation_id=conversation),
            run_tool=run_tool,
        )
    except ModelError as error:
        text = f"El asistente no está disponible ({error.code}); revise la factura manualmente."
    finally:
        audit.flush()
    if session.proposal is not None:
        with tenant_transaction(tenant) as conn:
            data.set_explanation(conn, proposal_id=session.proposal.id, explanation=text[:4000])
    return {
        "invoice_id": invoice_id,
        "explanation": text,
        "proposal": session.proposal._asdict() if session.proposal else None,
        "cost_usd": audit.cost,
        "model_calls": audit.model_calls,
    }


def _run_tool(spec: ToolSpec | None, args: Any, *, session: _Session) -> ToolOutcome:
    tenant = str(session.principal.tenant_id)
    if spec is None:
        return ToolOutcome("refused", "unknown_tool", {"status": "refused", "rule": "unknown_tool"})
    if spec.name == "get_held_invoice":
        if args.invoice_id != session.invoice_id:
            return ToolOutcome("refused", "other_invoice", {"status": "refused", "rule": "other_invoice"})
        return ToolOutcome("executed", None, held_invoice_facts(tenant_id=tenant, invoice_id=args.invoice_id))
    if spec.effect is Effect.PUBLIC:
        with tenant_transaction(tenant) as conn:
            found = data.search_snippets(conn, query=args.query)
        return ToolOutcome("executed", None, {"snippets": [s._asdict() for s in found]})
    assert isinstance(args, ProposalInput)
    if args.invoice_id != session.invoice_id:
        return ToolOutcome("refused", "other_invoice", {"status": "refused", "rule": "other_invoice"})
    with tenant_transaction(tenant) as conn:
        session.proposal = data.insert_proposal(
            conn,
            tenant_id=tenant,
            invoice_id=args.invoice_id,
            action=args.action,
            evidence=args.evidence,
            requested_by=session.principal.subject,
            model=session.model,
            now=session.now,
        )
    return ToolOutcome(
        "executed",
        "proposal_only",
        {
            "proposal_id": session.proposal.id,
            "status": "proposed",
            "note": "An analyst must approve it through the API.",
        },
    )


def list_proposals(*, principal: Principal, status: str | None, limit: int) -> list[dict[str, Any]]:
    principal.require(BILLING_RUN)
    with tenant_transaction(principal.tenant_id) as conn:
        return [p._asdict() for p in data.list_proposals(conn, status=status, limit=limit)]


def decide(*, principal: Principal, proposal_id: int, approve: bool, now: datetime) -> dict[str, Any]:
    """An analyst approves or rejects a proposal. The decision is claimed first (one conditional UPDATE: of two
    concurrent approvals exactly one proceeds, the other is a Conflict), then applied once through the billing use
    case (release → `runs.review_invoice`; hold → it stays held), then audited (one `agent_decisions` row per
    proposal). If applying fails the proposal is open again and the error propagates. A re-estimate is approved but
    NOT applied: the billing package has no re-estimation use case for a held invoice yet."""
    principal.require(BILLING_RUN)
    tenant = principal.tenant_id
    with tenant_transaction(tenant) as conn:
        row = data.claim_proposal(
            conn,
            proposal_id=proposal_id,
            status="approved" if approve else "rejected",
            decided_by=principal.subject,
            now=now,
        )
        existing = data.proposal_by_id(conn, proposal_id=proposal_id) if row is None else None
    if row is None:
        if existing is None:
            raise not_found("la propuesta")
        raise ProposalNotOpen(detail_es=f"La propuesta ya fue {existing.status}.")
    applied = False
    try:
        if approve and row.action == "release":
            runs.review_invoice(
                tenant_id=tenant, invoice_id=row.invoice_id, action="release", reviewer=principal.subject, now=now
            )
            applied = True
        elif approve and row.action == "hold":
            applied = True  # it is held already; approving keeps it held with the analyst's name on the decision
    except BaseException:
        with tenant_transaction(tenant) as conn:
            data.reopen_proposal(conn, proposal_id=proposal_id)
        raise
    outcome, rule = (
        ("executed", None)
        if applied
        else ("allowed", "re_estimate_not_applied")
        if approve
        else ("refused", "rejected_by_analyst")
    )
    with tenant_transaction(tenant) as conn:
        done = data.mark_applied(conn, proposal_id=proposal_id, applied=applied)
        data.record_decisions(
            conn,
            tenant_id=tenant,
            decisions=[
                data.Decision(
                    AGENT,
                    proposal_id,
                    f"proposal:{proposal_id}:decision",
                    0,
                    f"approve_{row.action}",
                    outcome,
                    rule,
                    {"proposal_id": proposal_id, "invoice_id": row.invoice_id, "action": row.action},
                    row.model,
                    0,
                    0,
                    0,
                    0,
                    Decimal(0),
                    0,
                    now,
                )
            ],
        )
    return done._asdict()
