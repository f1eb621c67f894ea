"""Addresses, tomas and meters."""

from __future__ import annotations

from typing import Any

from shared.application.access.errors import not_found
from shared.application.access.principal import PLACES_WRITE, Principal
from shared.data.db import use_case_transaction
from shared.data.records import places as q
from shared.data.sql import Row


def list_addresses(
    *, principal: Principal, postal_code: str | None, colonia: str | None, after: int | None, limit: int
) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_addresses(
            conn,
            person_scope=principal.person_scope,
            postal_code=postal_code,
            colonia=colonia,
            after=after,
            limit=limit,
        )


def get_address(*, principal: Principal, address_id: int) -> Row:
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_address(conn, address_id=address_id, person_scope=principal.person_scope)
    if row is None:
        raise not_found("el domicilio")
    return row


def create_address(*, principal: Principal, data: dict[str, Any]) -> Row:
    principal.require(PLACES_WRITE)
    with use_case_transaction(principal.tenant_id) as conn:
        return q.insert_address(conn, tenant_id=principal.tenant_id, data=data)


def list_tomas(
    *,
    principal: Principal,
    status: str | None,
    sector_id: int | None,
    toma_number: str | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_tomas(
            conn,
            person_scope=principal.person_scope,
            status=status,
            sector_id=sector_id,
            toma_number=toma_number,
            after=after,
            limit=limit,
        )


def get_toma(*, principal: Principal, toma_id: int) -> Row:
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_toma(conn, toma_id=toma_id, person_scope=principal.person_scope)
    if row is None:
        raise not_found("la toma")
    return row


def list_meters(
    *, principal: Principal, serial: str | None, toma_id: int | None, after: int | None, limit: int
) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_meters(
            conn, person_scope=principal.person_scope, serial=serial, toma_id=toma_id, after=after, limit=limit
        )


def get_meter(*, principal: Principal, meter_id: int) -> Row:
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_meter(conn, meter_id=meter_id, person_scope=principal.person_scope)
    if row is None:
        raise not_found("el medidor")
    return row
