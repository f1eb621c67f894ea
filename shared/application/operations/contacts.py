"""Contacts: every interaction with a customer (phone, WhatsApp, office, ...), linked to person, account or toma."""

from __future__ import annotations

from typing import Any

from shared.application.access.errors import Invalid, not_found
from shared.application.access.principal import CONTACTS_READ, CONTACTS_WRITE, Principal
from shared.data.records import accounts as accounts_q
from shared.data.records import casework as q
from shared.data.records import persons as persons_q
from shared.data.records import places as places_q
from shared.data.sql import Conn, Row


def list_contacts(conn: Conn, p: Principal, **filters: Any) -> list[Row]:
    p.require(CONTACTS_READ)
    return q.list_contacts(conn, person_scope=p.person_scope, **filters)


def get_contact(conn: Conn, p: Principal, *, contact_id: int) -> Row:
    p.require(CONTACTS_READ)
    row = q.get_contact(conn, contact_id=contact_id, person_scope=p.person_scope)
    if row is None:
        raise not_found("el contacto")
    return row


def create_contact(conn: Conn, p: Principal, *, data: dict[str, Any]) -> Row:
    p.require(CONTACTS_WRITE)
    if not any(data.get(k) is not None for k in ("person_id", "account_id", "toma_id")):
        raise Invalid("link_required", "Vincule el contacto a una persona, cuenta o toma.")
    if data.get("person_id") is not None and persons_q.get_person(
            conn, person_id=data["person_id"], person_scope=p.person_scope) is None:
        raise not_found("la persona")
    if data.get("account_id") is not None and accounts_q.get_account(
            conn, account_id=data["account_id"], person_scope=p.person_scope) is None:
        raise not_found("la cuenta")
    if data.get("toma_id") is not None and places_q.get_toma(
            conn, toma_id=data["toma_id"], person_scope=p.person_scope) is None:
        raise not_found("la toma")
    return q.insert_contact(conn, tenant_id=p.tenant_id, data={**data, "created_by": p.subject})
