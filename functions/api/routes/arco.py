"""ARCO requests (LGPDPPSO): access, rectification, cancellation (blocking) and opposition, with the legal clock
(answer due in 20 business days, extendable once by 10). Customers file and follow their own; operators verify
identity, extend the term and resolve."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey, IdPath, IdQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, Id, LocalDateTime, LongText, Out, Page, ShortText, Text
from shared.application.privacy import arco

router = APIRouter(prefix="/api/v1/arco-requests", tags=["personal data (ARCO)"], responses=PROBLEM_RESPONSES)
Right = Literal["access", "rectification", "cancellation", "opposition"]
Status = Literal["received", "identity_verified", "granted", "denied", "completed"]
Purpose = Literal["whatsapp_notices", "email_notices", "sms_notices", "surveys", "marketing"]


class Evidence(BaseModel):
    kind: Literal["id_document", "proof_of_address", "power_of_attorney", "fiscal_certificate", "other"]
    blob: Annotated[str, Field(max_length=300, pattern=r"^[A-Za-z0-9/_.\-]+$")] = Field(
        description="Ruta del documento en el almacenamiento"
    )
    note: Text | None = None


class Changes(BaseModel):
    model_config = {"extra": "forbid"}
    first_name: ShortText | None = None
    paternal_surname: ShortText | None = None
    maternal_surname: ShortText | None = None
    legal_name: Text | None = None
    rfc: Annotated[str, Field(pattern=r"^[A-Za-zÑñ&]{3,4}[0-9]{6}[A-Za-z0-9]{3}$")] | None = None
    curp: Annotated[str, Field(pattern=r"^[A-Za-z]{4}[0-9]{6}[A-Za-z]{6}[0-9A-Za-z][0-9]$")] | None = None
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[A-Za-z]{2,}$")] | None = None
    phone: Annotated[str, Field(pattern=r"^[0-9]{10}$")] | None = None
    fiscal_postal_code: Annotated[str, Field(pattern=r"^[0-9]{5}$")] | None = None


class ArcoIn(BaseModel):
    person_id: Id
    arco_right: Right
    channel: Literal["web", "whatsapp", "office", "email", "mail"]
    description: LongText
    requester_name: Text
    representative: Text | None = None
    delivery_mode: Literal["electronic", "in_person"] = "electronic"
    changes: Changes | None = Field(None, description="Solo rectificación: los datos correctos")
    purposes: list[Purpose] = Field(default_factory=list, max_length=5, description="Solo oposición")
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)


class ArcoOut(Out):
    id: int
    person_id: int
    arco_right: Right
    status: Status
    channel: str
    description: str
    requester_name: str
    representative: str | None
    delivery_mode: str
    changes: dict[str, Any]
    purposes: list[str]
    evidence: list[Any]
    received_at: LocalDateTime
    due_on: date = Field(description="Fecha local límite de respuesta (20 días hábiles, 30 si se amplió)")
    extended_at: LocalDateTime | None = None
    extension_reason: str | None = None
    identity_verified_at: LocalDateTime | None
    resolved_at: LocalDateTime | None
    resolution: str | None
    result: dict[str, Any] | None


class ResolveIn(BaseModel):
    decision: Literal["granted", "denied"]
    resolution: LongText


class ExtendIn(BaseModel):
    reason: LongText = Field(description="Justificación que se notifica al titular")


class ExportOut(BaseModel):
    request_id: int
    person: dict[str, Any]
    sections: dict[str, list[dict[str, Any]]]


@router.get("", response_model=Page[ArcoOut], summary="List ARCO requests")
def list_requests(
    *,
    p: Caller,
    person_id: IdQuery = None,
    status: Status | None = None,
    arco_right: Right | None = None,
    overdue: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = arco.list_requests(
        principal=p,
        person_id=person_id,
        status=status,
        arco_right=arco_right,
        overdue=overdue,
        after=after_id(cursor),
        limit=limit + 1,
        now=datetime.now(UTC),
    )
    return page(rows, limit)


@router.post("", response_model=ArcoOut, status_code=201, summary="File an ARCO request")
def create_request(
    *, p: Caller, body: ArcoIn, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    data = body.model_dump(mode="json")
    data["changes"] = body.changes.model_dump(exclude_none=True) if body.changes else {}
    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=ArcoOut,
        action=lambda: arco.create_request(principal=p, person_id=body.person_id, data=data, now=datetime.now(UTC)),
    )


@router.get("/{request_id}", response_model=ArcoOut, summary="An ARCO request")
def get_request(*, p: Caller, request_id: IdPath) -> dict[str, Any]:
    return arco.get_request(principal=p, request_id=request_id)


@router.post("/{request_id}/verify-identity", response_model=ArcoOut, summary="Record the titular's identity check")
def verify_identity(*, p: Caller, request_id: IdPath) -> dict[str, Any]:
    return arco.verify_identity(principal=p, request_id=request_id, now=datetime.now(UTC))


@router.post(
    "/{request_id}/extend",
    response_model=ArcoOut,
    summary="Extend the answer term once by 10 business days, with the justification for the titular",
)
def extend(*, p: Caller, request_id: IdPath, body: ExtendIn) -> dict[str, Any]:
    return arco.extend(principal=p, request_id=request_id, reason=body.reason, now=datetime.now(UTC))


@router.post(
    "/{request_id}/resolve",
    response_model=ArcoOut,
    summary="Deny, or grant and make the right effective (export, rectify, block, opt out)",
)
def resolve(*, p: Caller, request_id: IdPath, body: ResolveIn) -> dict[str, Any]:
    return arco.resolve(
        principal=p, request_id=request_id, decision=body.decision, resolution=body.resolution, now=datetime.now(UTC)
    )


@router.get(
    "/{request_id}/export",
    response_model=ExportOut,
    summary="Structured export of everything held about the person (completed access requests)",
)
def export(*, p: Caller, request_id: IdPath) -> JSONResponse:
    return JSONResponse(jsonable_encoder(arco.export(principal=p, request_id=request_id)))
