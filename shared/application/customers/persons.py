"""Persons: list, read (masked and audited), create with validated RFC and CURP, versions and opt-outs."""

from __future__ import annotations

from typing import Any

from shared.application.access.errors import Invalid, not_found
from shared.application.access.principal import PERSONS_WRITE, Principal
from shared.application.privacy.pii import persons_for
from shared.data.records import persons as q
from shared.data.sql import Conn, Row
from shared.domain.identity.operations import InvalidIdentifier, validate_curp, validate_rfc


def list_persons(conn: Conn, p: Principal, *, rfc: str | None, curp: str | None, email: str | None,
                 phone: str | None, name: str | None, after: int | None, limit: int) -> list[dict[str, Any]]:
    rows = q.list_persons(conn, person_scope=p.person_scope, rfc=rfc.upper() if rfc else None,
                          curp=curp.upper() if curp else None, email=email, phone=phone, name=name, after=after,
                          limit=limit)
    return persons_for(conn, p, rows, action="list")


def get_person(conn: Conn, p: Principal, *, person_id: int) -> dict[str, Any]:
    row = _visible(conn, p, person_id)
    return persons_for(conn, p, [row])[0]


def _visible(conn: Conn, p: Principal, person_id: int) -> Row:
    row = q.get_person(conn, person_id=person_id, person_scope=p.person_scope)
    if row is None or row["erased_at"] is not None:
        raise not_found("la persona")
    return row


def validate_identity(data: dict[str, Any]) -> dict[str, Any]:
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


def create_person(conn: Conn, p: Principal, *, data: dict[str, Any]) -> dict[str, Any]:
    p.require(PERSONS_WRITE)
    row = q.insert_person(conn, tenant_id=p.tenant_id, data=validate_identity(data))
    return persons_for(conn, p, [row], action="create")[0]


def list_versions(conn: Conn, p: Principal, *, person_id: int) -> list[Row]:
    _visible(conn, p, person_id)
    return q.list_versions(conn, person_id=person_id)


def list_opt_outs(conn: Conn, p: Principal, *, person_id: int) -> list[Row]:
    _visible(conn, p, person_id)
    return q.list_opt_outs(conn, person_id=person_id)


def visible_person(conn: Conn, p: Principal, person_id: int) -> Row:
    return _visible(conn, p, person_id)

