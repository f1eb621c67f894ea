"""Tariff schedules: list, detail, versioned insert."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, Row, Where, execute, fetch_all, fetch_one, page_where


def list_schedules(
    conn: Conn, *, tariff_class: str | None, on: date | None, name: str | None, after: int | None, limit: int
) -> list[Row]:
    w = Where().when(tariff_class, "tariff_class = %(cls)s", "cls").when(name, "name = %(name)s", "name")
    w.when(on, "effective_from <= %(on)s AND (effective_to IS NULL OR %(on)s < effective_to)", "on")
    page_where(w, after=after)
    return fetch_all(
        conn,
        f"SELECT * FROM tariff_schedules WHERE {w.sql()} ORDER BY id DESC LIMIT %(limit)s",
        {**w.params, "limit": limit},
    )


def get_schedule(conn: Conn, *, schedule_id: int) -> Row | None:
    return fetch_one(conn, "SELECT * FROM tariff_schedules WHERE id = %(id)s", {"id": schedule_id})


def schedule_in_force(conn: Conn, *, tariff_class: str, on: date) -> Row | None:
    return fetch_one(
        conn,
        """
        SELECT * FROM tariff_schedules WHERE tariff_class = %(cls)s AND effective_from <= %(on)s
        AND (effective_to IS NULL OR %(on)s < effective_to) ORDER BY effective_from DESC LIMIT 1""",
        {"cls": tariff_class, "on": on},
    )


def lock_class(conn: Conn, *, tariff_class: str) -> None:
    """Serialize versioning of one tariff class within the tenant."""
    execute(
        conn,
        "SELECT pg_advisory_xact_lock(hashtext('tariff:' || app_current_tenant()::text || %(c)s))",
        {"c": tariff_class},
    )


def close_open_ended(conn: Conn, *, tariff_class: str, at: date) -> int:
    """End the open-ended schedule of the class that started before `at` at `at` (a new version supersedes it)."""
    return execute(
        conn,
        """
        UPDATE tariff_schedules SET effective_to = %(at)s
        WHERE tariff_class = %(cls)s AND effective_to IS NULL AND effective_from < %(at)s""",
        {"cls": tariff_class, "at": at},
    )


def insert_schedule(
    conn: Conn,
    *,
    tenant_id: Any,
    name: str,
    tariff_class: str,
    effective_from: date,
    effective_to: date | None,
    definition: dict[str, Any],
    created_by: str,
) -> Row:
    row = fetch_one(
        conn,
        """
        INSERT INTO tariff_schedules (tenant_id, name, tariff_class, version, effective_from, effective_to,
                                      definition, created_by)
        SELECT %(tenant_id)s, %(name)s, %(cls)s, coalesce(max(version), 0) + 1, %(from)s, %(to)s, %(def)s, %(by)s
        FROM tariff_schedules WHERE name = %(name)s
        RETURNING *""",
        {
            "tenant_id": tenant_id,
            "name": name,
            "cls": tariff_class,
            "from": effective_from,
            "to": effective_to,
            "def": Jsonb(definition),
            "by": created_by,
        },
    )
    assert row is not None
    return row
