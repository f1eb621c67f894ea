"""Contacts: every interaction with a customer (phone, WhatsApp, office, ...), linked to person, account or toma."""

from __future__ import annotations

from typing import Any

from shared.application.access.errors import Invalid, not_found
from shared.application.access.principal import CONTACTS_READ, CONTACTS_WRITE, Principal
from shared.data.db import use_case_transaction
from shared.data.records import accounts as accounts_q
from shared.data.records import casework as q
from shared.data.records import persons as persons_q
from shared.data.records import places as places_q
from shared.data.sql import Row


def list_contacts(
    *,
    principal: Principal,
    person_id: int | None,
    account_id: int | None,
    toma_id: int | None,
    channel: str | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    principal.require(CONTACTS_READ)
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_contacts(
            conn,
            person_scope=principal.person_scope,
            person_id=person_id,
            account_id=account_id,
            toma_id=toma_id,
            channel=channel,
            after=after,
            limit=limit,
        )


def get_contact(*, principal: Principal, contact_id: int) -> Row:
    principal.require(CONTACTS_READ)
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_contact(conn, contact_id=contact_id, person_scope=principal.person_scope)
    if row is None:
        raise not_found("el contacto")
    return row


def create_contact(*, principal: Principal, data: dict[str, Any]) -> Row:
    principal.require(CONTACTS_WRITE)
    if not any(data.get(k) is not None for k in ("person_id", "account_id", "toma_id")):
        raise Invalid("link_required", "Vincule el contacto a una persona, cuenta o toma.")
    scope = principal.person_scope
    with use_case_transaction(principal.tenant_id) as conn:
        if (
            data.get("person_id") is not None
            and persons_q.get_person(conn, person_id=data["person_id"], person_scope=scope) is None
        ):
            raise not_found("la persona")
        if (
            data.get("account_id") is not None
            and accounts_q.get_account(conn, account_id=data["account_id"], person_scope=scope) is None
        ):
            raise not_found("la cuenta")
        if (
            data.get("toma_id") is not None
            and places_q.get_toma(conn, toma_id=data["toma_id"], person_scope=scope) is None
        ):
            raise not_found("la toma")
        return q.insert_contact(conn, tenant_id=principal.tenant_id, data={**data, "created_by": principal.subject})
