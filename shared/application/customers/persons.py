"""Persons: list, read (masked and audited), create with validated RFC and CURP, versions and opt-outs."""

from __future__ import annotations

from typing import Any

from shared.application.access.errors import Invalid, not_found
from shared.application.access.principal import PERSONS_WRITE, Principal
from shared.application.privacy.pii import persons_for
from shared.data.db import use_case_transaction
from shared.data.records import persons as q
from shared.data.sql import Conn, Row
from shared.domain.identity.operations import InvalidIdentifier, validate_curp, validate_rfc


def list_persons(
    *,
    principal: Principal,
    rfc: str | None,
    curp: str | None,
    email: str | None,
    phone: str | None,
    name: str | None,
    after: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    with use_case_transaction(principal.tenant_id) as conn:
        rows = q.list_persons(
            conn,
            person_scope=principal.person_scope,
            rfc=rfc.upper() if rfc else None,
            curp=curp.upper() if curp else None,
            email=email,
            phone=phone,
            name=name,
            after=after,
            limit=limit,
        )
        return persons_for(conn, principal=principal, rows=rows, action="list")


def get_person(*, principal: Principal, person_id: int) -> dict[str, Any]:
    with use_case_transaction(principal.tenant_id) as conn:
        row = visible_person(conn, principal=principal, person_id=person_id)
        return persons_for(conn, principal=principal, rows=[row])[0]


def visible_person(conn: Conn, *, principal: Principal, person_id: int) -> Row:
    """The person if the caller may see it and it is not erased (else NotFound), inside a use case's transaction."""
    row = q.get_person(conn, person_id=person_id, person_scope=principal.person_scope)
    if row is None or row["erased_at"] is not None:
        raise not_found("la persona")
    return row


def validate_identity(*, data: dict[str, Any]) -> dict[str, Any]:
    """Normalized identity fields; raises Invalid with the identifier's stable code."""
    out = dict(data)
    kind = out.get("person_type", "fisica")
    try:
        if out.get("rfc"):
            out["rfc"] = validate_rfc(rfc=out["rfc"], kind=kind)
        if out.get("curp"):
            if kind != "fisica":
                raise Invalid("curp_for_moral", "Una persona moral no tiene CURP.")
            out["curp"] = validate_curp(curp=out["curp"])
    except InvalidIdentifier as error:
        raise Invalid(error.code, error.message_es) from error
    if kind == "fisica" and not (out.get("first_name") and out.get("paternal_surname")):
        raise Invalid("name_required", "Una persona física requiere nombre y primer apellido.")
    if kind == "moral" and not out.get("legal_name"):
        raise Invalid("legal_name_required", "Una persona moral requiere su denominación o razón social.")
    return out


def create_person(*, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    principal.require(PERSONS_WRITE)
    identity = validate_identity(data=data)
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.insert_person(conn, tenant_id=principal.tenant_id, data=identity)
        return persons_for(conn, principal=principal, rows=[row], action="create")[0]


def list_versions(*, principal: Principal, person_id: int) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        visible_person(conn, principal=principal, person_id=person_id)
        return q.list_versions(conn, person_id=person_id)


def list_opt_outs(*, principal: Principal, person_id: int) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        visible_person(conn, principal=principal, person_id=person_id)
        return q.list_opt_outs(conn, person_id=person_id)
