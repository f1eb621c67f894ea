"""Addresses, tomas and meters."""

from __future__ import annotations

from typing import Any

from shared.application.access.errors import not_found
from shared.application.access.principal import PLACES_WRITE, Principal
from shared.data.records import places as q
from shared.data.sql import Conn, Row


def list_addresses(conn: Conn, p: Principal, **filters: Any) -> list[Row]:
    return q.list_addresses(conn, person_scope=p.person_scope, **filters)


def get_address(conn: Conn, p: Principal, *, address_id: int) -> Row:
    row = q.get_address(conn, address_id=address_id, person_scope=p.person_scope)
    if row is None:
        raise not_found("el domicilio")
    return row


def create_address(conn: Conn, p: Principal, *, data: dict[str, Any]) -> Row:
    p.require(PLACES_WRITE)
    return q.insert_address(conn, tenant_id=p.tenant_id, data=data)


def list_tomas(conn: Conn, p: Principal, **filters: Any) -> list[Row]:
    return q.list_tomas(conn, person_scope=p.person_scope, **filters)


def get_toma(conn: Conn, p: Principal, *, toma_id: int) -> Row:
    row = q.get_toma(conn, toma_id=toma_id, person_scope=p.person_scope)
    if row is None:
        raise not_found("la toma")
    return row


def list_meters(conn: Conn, p: Principal, **filters: Any) -> list[Row]:
    return q.list_meters(conn, person_scope=p.person_scope, **filters)


def get_meter(conn: Conn, p: Principal, *, meter_id: int) -> Row:
    row = q.get_meter(conn, meter_id=meter_id, person_scope=p.person_scope)
    if row is None:
        raise not_found("el medidor")
    return row
