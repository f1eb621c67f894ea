"""Addresses, tomas and meters. A customer sees only what serves one of their accounts."""

from __future__ import annotations

from typing import Any

from shared.data.sql import Conn, Row, Where, fetch_all, fetch_one, page_where

_ADDRESS_SCOPE = (
    "EXISTS (SELECT 1 FROM tomas t JOIN accounts a ON a.toma_id = t.id "
    "WHERE t.address_id = ad.id AND a.person_id = %(scope)s)"
)
_TOMA_SCOPE = "EXISTS (SELECT 1 FROM accounts a WHERE a.toma_id = t.id AND a.person_id = %(scope)s)"
_METER_SCOPE = (
    "EXISTS (SELECT 1 FROM meter_installations mi JOIN accounts a ON a.toma_id = mi.toma_id "
    "WHERE mi.meter_id = m.id AND a.person_id = %(scope)s)"
)


def list_addresses(
    conn: Conn, *, person_scope: int | None, postal_code: str | None, colonia: str | None, after: int | None, limit: int
) -> list[Row]:
    w = Where().when(person_scope, _ADDRESS_SCOPE, "scope").when(postal_code, "ad.postal_code = %(cp)s", "cp")
    w.when(colonia, "ad.colonia = %(colonia)s", "colonia")
    page_where(w, after=after, column="ad.id")
    return fetch_all(
        conn,
        f"SELECT ad.* FROM addresses ad WHERE {w.sql()} ORDER BY ad.id DESC LIMIT %(limit)s",
        {**w.params, "limit": limit},
    )


def get_address(conn: Conn, *, address_id: int, person_scope: int | None) -> Row | None:
    w = Where().add("ad.id = %(id)s", id=address_id).when(person_scope, _ADDRESS_SCOPE, "scope")
    return fetch_one(conn, f"SELECT ad.* FROM addresses ad WHERE {w.sql()}", w.params)


def insert_address(conn: Conn, *, tenant_id: Any, data: dict[str, Any]) -> Row:
    row = fetch_one(
        conn,
        """
        INSERT INTO addresses (tenant_id, street, ext_number, int_number, colonia, municipality, state, postal_code)
        VALUES (%(tenant_id)s, %(street)s, %(ext_number)s, %(int_number)s, %(colonia)s, %(municipality)s, %(state)s,
                %(postal_code)s) RETURNING *""",
        {"tenant_id": tenant_id, **data},
    )
    assert row is not None
    return row


def list_tomas(
    conn: Conn,
    *,
    person_scope: int | None,
    status: str | None,
    sector_id: int | None,
    toma_number: str | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    w = Where().when(person_scope, _TOMA_SCOPE, "scope").when(status, "t.status = %(status)s", "status")
    w.when(sector_id, "t.sector_id = %(sector)s", "sector").when(toma_number, "t.toma_number = %(num)s", "num")
    page_where(w, after=after, column="t.id")
    return fetch_all(
        conn,
        f"SELECT t.* FROM tomas t WHERE {w.sql()} ORDER BY t.id DESC LIMIT %(limit)s",
        {**w.params, "limit": limit},
    )


def get_toma(conn: Conn, *, toma_id: int, person_scope: int | None) -> Row | None:
    w = Where().add("t.id = %(id)s", id=toma_id).when(person_scope, _TOMA_SCOPE, "scope")
    return fetch_one(conn, f"SELECT t.* FROM tomas t WHERE {w.sql()}", w.params)


_METER_SELECT = """
    SELECT m.*, cur.toma_id AS current_toma_id, cur.installed_at AS installed_at
    FROM meters m
    LEFT JOIN LATERAL (SELECT mi.toma_id, mi.installed_at FROM meter_installations mi
                       WHERE mi.meter_id = m.id AND mi.removed_at IS NULL
                       ORDER BY mi.installed_at DESC LIMIT 1) cur ON TRUE"""


def list_meters(
    conn: Conn, *, person_scope: int | None, serial: str | None, toma_id: int | None, after: int | None, limit: int
) -> list[Row]:
    w = Where().when(person_scope, _METER_SCOPE, "scope").when(serial, "m.serial = %(serial)s", "serial")
    w.when(toma_id, "cur.toma_id = %(toma)s", "toma")
    page_where(w, after=after, column="m.id")
    return fetch_all(
        conn, f"{_METER_SELECT} WHERE {w.sql()} ORDER BY m.id DESC LIMIT %(limit)s", {**w.params, "limit": limit}
    )


def get_meter(conn: Conn, *, meter_id: int, person_scope: int | None) -> Row | None:
    w = Where().add("m.id = %(id)s", id=meter_id).when(person_scope, _METER_SCOPE, "scope")
    return fetch_one(conn, f"{_METER_SELECT} WHERE {w.sql()}", w.params)
