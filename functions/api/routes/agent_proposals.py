"""The operator agent over the API: ask it to explain a held invoice (it records a proposal, nothing else), list
proposals, and approve or reject one — approval is the only way a proposal is applied."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from functions.api.deps import Caller, IdPath
from functions.api.schemas import PROBLEM_RESPONSES
from shared.application.agents import operator
from shared.platform.config import get_settings

router = APIRouter(prefix="/api/v1", tags=["agents"], responses=PROBLEM_RESPONSES)


@router.post("/invoices/{invoice_id}/agent-explanation", summary="Operator agent: explain a held invoice, propose")
def explain(p: Caller, invoice_id: IdPath) -> dict[str, Any]:
    return operator.explain_held_invoice(
        principal=p, invoice_id=invoice_id, now=datetime.now(UTC), settings=get_settings()
    )


@router.get("/agent-proposals", summary="Operator agent proposals")
def proposals(
    p: Caller,
    status: Annotated[Literal["proposed", "approved", "rejected"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    return operator.list_proposals(principal=p, status=status, limit=limit)


@router.post("/agent-proposals/{proposal_id}/approve", summary="Approve (and apply) an agent proposal")
def approve(p: Caller, proposal_id: IdPath) -> dict[str, Any]:
    return operator.decide(principal=p, proposal_id=proposal_id, approve=True, now=datetime.now(UTC))


@router.post("/agent-proposals/{proposal_id}/reject", summary="Reject an agent proposal")
def reject(p: Caller, proposal_id: IdPath) -> dict[str, Any]:
    return operator.decide(principal=p, proposal_id=proposal_id, approve=False, now=datetime.now(UTC))
