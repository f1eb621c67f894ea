"""Persons: list and search (operators), detail (customers: only themselves), create with RFC/CURP check digits,
rectification history and purpose opt-outs. RFC/CURP are masked unless the role needs them; staff reads of
personal data are audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey, IdPath, TextQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, LocalDateTime, Out, Page, ShortText, Text
from shared.application.customers import persons

router = APIRouter(prefix="/api/v1/persons", tags=["persons"], responses=PROBLEM_RESPONSES)


class PersonOut(Out):
    id: int
    person_type: Literal["fisica", "moral"]
    first_name: str | None
    paternal_surname: str | None
    maternal_surname: str | None
    legal_name: str | None
    rfc: str | None = Field(description="Enmascarado salvo para roles con pii:full")
    curp: str | None = Field(description="Enmascarada salvo para roles con pii:full")
    identifiers_masked: bool
    email: str | None
    phone: str | None
    regimen_fiscal: str | None
    uso_cfdi: str | None
    fiscal_postal_code: str | None
    vulnerable: bool
    blocked_at: LocalDateTime | None
    retain_until: date | None = None
    created_at: LocalDateTime
    updated_at: LocalDateTime


class PersonIn(BaseModel):
    person_type: Literal["fisica", "moral"] = "fisica"
    first_name: ShortText | None = None
    paternal_surname: ShortText | None = None
    maternal_surname: ShortText | None = None
    legal_name: Text | None = None
    rfc: Annotated[str, Field(pattern=r"^[A-Za-zÑñ&]{3,4}[0-9]{6}[A-Za-z0-9]{3}$")] | None = None
    curp: Annotated[str, Field(pattern=r"^[A-Za-z]{4}[0-9]{6}[HMXhmx][A-Za-z]{5}[0-9A-Za-z][0-9]$")] | None = None
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[A-Za-z]{2,}$")] | None = None
    phone: Annotated[str, Field(pattern=r"^[0-9]{10}$")] | None = None
    regimen_fiscal: Annotated[str, Field(pattern=r"^[0-9]{3}$")] | None = None
    uso_cfdi: Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}$|^S01$|^CP01$")] | None = None
    fiscal_postal_code: Annotated[str, Field(pattern=r"^[0-9]{5}$")] | None = None
    vulnerable: bool = False


class VersionOut(Out):
    version: int
    data: dict[str, Any]
    changed_fields: list[str]
    evidence: list[Any]
    arco_request_id: int | None
    changed_by: str
    changed_at: LocalDateTime


class OptOutOut(Out):
    purpose: str
    arco_request_id: int | None
    opted_out_at: LocalDateTime


@router.get("", response_model=Page[PersonOut], summary="List or search persons")
def list_persons(
    *,
    p: Caller,
    rfc: TextQuery = None,
    curp: TextQuery = None,
    email: TextQuery = None,
    phone: TextQuery = None,
    name: TextQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = persons.list_persons(
        principal=p, rfc=rfc, curp=curp, email=email, phone=phone, name=name, after=after_id(cursor), limit=limit + 1
    )
    return page(rows, limit)


@router.post("", response_model=PersonOut, status_code=201, summary="Register a person (RFC/CURP validated)")
def create_person(
    *, p: Caller, body: PersonIn, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=PersonOut,
        action=lambda: persons.create_person(principal=p, data=body.model_dump(exclude_none=True, mode="json")),
    )


@router.get("/{person_id}", response_model=PersonOut, summary="A person")
def get_person(*, p: Caller, person_id: IdPath) -> dict[str, Any]:
    return persons.get_person(principal=p, person_id=person_id)


@router.get("/{person_id}/versions", response_model=list[VersionOut], summary="Rectification history")
def list_versions(*, p: Caller, person_id: IdPath) -> list[dict[str, Any]]:
    return list(persons.list_versions(principal=p, person_id=person_id))


@router.get("/{person_id}/opt-outs", response_model=list[OptOutOut], summary="Purposes the person opposed")
def list_opt_outs(*, p: Caller, person_id: IdPath) -> list[dict[str, Any]]:
    return list(persons.list_opt_outs(principal=p, person_id=person_id))
