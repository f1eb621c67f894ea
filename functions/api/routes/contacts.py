"""Contacts: every interaction with a customer, linked to a person, an account or a toma (CRM, WhatsApp)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey, IdPath, IdQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, Id, LocalDateTime, LongText, Out, Page, Text
from shared.application.operations import contacts

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"], responses=PROBLEM_RESPONSES)
Channel = Literal["phone", "whatsapp", "web", "office", "email", "field"]
OptionalId = Id | None


class ContactOut(Out):
    id: int
    person_id: int | None
    account_id: int | None
    toma_id: int | None
    channel: Channel
    direction: Literal["inbound", "outbound"]
    subject: str
    body: str | None
    created_by: str | None
    created_at: LocalDateTime


class ContactIn(BaseModel):
    person_id: OptionalId = None
    account_id: OptionalId = None
    toma_id: OptionalId = None
    channel: Channel
    direction: Literal["inbound", "outbound"]
    subject: Text
    body: LongText | None = None


@router.get("", response_model=Page[ContactOut], summary="List contacts")
def list_contacts(
    *,
    p: Caller,
    person_id: IdQuery = None,
    account_id: IdQuery = None,
    toma_id: IdQuery = None,
    channel: Channel | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = contacts.list_contacts(
        principal=p,
        person_id=person_id,
        account_id=account_id,
        toma_id=toma_id,
        channel=channel,
        after=after_id(cursor),
        limit=limit + 1,
    )
    return page(rows, limit)


@router.post("", response_model=ContactOut, status_code=201, summary="Record a contact")
def create_contact(
    *, p: Caller, body: ContactIn, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=ContactOut,
        action=lambda: contacts.create_contact(principal=p, data=body.model_dump()),
    )


@router.get("/{contact_id}", response_model=ContactOut, summary="A contact")
def get_contact(*, p: Caller, contact_id: IdPath) -> dict[str, Any]:
    return contacts.get_contact(principal=p, contact_id=contact_id)
