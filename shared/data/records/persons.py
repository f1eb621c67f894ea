"""Persons, their versions (rectifications), purpose opt-outs, blocking and erasure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, Row, Where, execute, fetch_all, fetch_one, page_where, update_sql

COLUMNS = (
    "person_type",
    "first_name",
    "paternal_surname",
    "maternal_surname",
    "legal_name",
    "rfc",
    "curp",
    "email",
    "phone",
    "regimen_fiscal",
    "uso_cfdi",
    "fiscal_postal_code",
    "vulnerable",
)
UPDATABLE = frozenset({*COLUMNS, "updated_at"})


def list_persons(
    conn: Conn,
    *,
    person_scope: int | None,
    rfc: str | None,
    curp: str | None,
    email: str | None,
    phone: str | None,
    name: str | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    w = Where().add("erased_at IS NULL")
    w.when(person_scope, "id = %(scope)s", "scope").when(rfc, "rfc = %(rfc)s", "rfc")
    w.when(curp, "curp = %(curp)s", "curp").when(email, "lower(email) = lower(%(email)s)", "email")
    w.when(phone, "phone = %(phone)s", "phone")
    w.when(
        f"%{name}%" if name else None,
        "concat_ws(' ', first_name, paternal_surname, maternal_surname, legal_name) ILIKE %(name)s",
        "name",
    )
    page_where(w, after=after)
    return fetch_all(
        conn, f"SELECT * FROM persons WHERE {w.sql()} ORDER BY id DESC LIMIT %(limit)s", {**w.params, "limit": limit}
    )


def get_person(conn: Conn, *, person_id: int, person_scope: int | None) -> Row | None:
    w = Where().add("id = %(id)s", id=person_id).when(person_scope, "id = %(scope)s", "scope")
    return fetch_one(conn, f"SELECT * FROM persons WHERE {w.sql()}", w.params)


def insert_person(conn: Conn, *, tenant_id: Any, data: dict[str, Any]) -> Row:
    cols = [c for c in COLUMNS if c in data]
    names = ", ".join(["tenant_id", *cols])
    values = ", ".join(["%(tenant_id)s", *(f"%({c})s" for c in cols)])
    row = fetch_one(
        conn,
        f"INSERT INTO persons ({names}) VALUES ({values}) RETURNING *",
        {"tenant_id": tenant_id, **{c: data[c] for c in cols}},
    )
    assert row is not None
    return row


def update_person(conn: Conn, *, person_id: int, changes: dict[str, Any]) -> Row:
    row = fetch_one(conn, update_sql("persons", changes, UPDATABLE), {**changes, "id": person_id})
    assert row is not None
    return row


def lock_person(conn: Conn, *, person_id: int) -> Row | None:
    return fetch_one(conn, "SELECT * FROM persons WHERE id = %(id)s FOR UPDATE", {"id": person_id})


def insert_version(
    conn: Conn,
    *,
    tenant_id: Any,
    person_id: int,
    data: dict[str, Any],
    changed_fields: list[str],
    evidence: list[Any],
    arco_request_id: int | None,
    changed_by: str,
) -> Row:
    row = fetch_one(
        conn,
        """
        INSERT INTO person_versions (tenant_id, person_id, version, data, changed_fields, evidence, arco_request_id,
                                     changed_by)
        SELECT %(tenant_id)s, %(person_id)s, coalesce(max(version), 0) + 1, %(data)s, %(fields)s, %(evidence)s,
               %(arco)s, %(by)s
        FROM person_versions WHERE person_id = %(person_id)s
        RETURNING *""",
        {
            "tenant_id": tenant_id,
            "person_id": person_id,
            "data": Jsonb(data),
            "fields": changed_fields,
            "evidence": Jsonb(evidence),
            "arco": arco_request_id,
            "by": changed_by,
        },
    )
    assert row is not None
    return row


def list_versions(conn: Conn, *, person_id: int) -> list[Row]:
    return fetch_all(
        conn, "SELECT * FROM person_versions WHERE person_id = %(id)s ORDER BY version DESC", {"id": person_id}
    )


def list_opt_outs(conn: Conn, *, person_id: int) -> list[Row]:
    return fetch_all(
        conn, "SELECT * FROM purpose_opt_outs WHERE person_id = %(id)s ORDER BY purpose", {"id": person_id}
    )


def add_opt_outs(conn: Conn, *, tenant_id: Any, person_id: int, purposes: list[str], arco_request_id: int) -> None:
    execute(
        conn,
        """
        INSERT INTO purpose_opt_outs (tenant_id, person_id, purpose, arco_request_id)
        SELECT %(tenant_id)s, %(person_id)s, p, %(arco)s FROM unnest(%(purposes)s::text[]) AS p
        ON CONFLICT (person_id, purpose) DO NOTHING""",
        {"tenant_id": tenant_id, "person_id": person_id, "purposes": purposes, "arco": arco_request_id},
    )


def last_fiscal_record(conn: Conn, *, person_id: int) -> date | None:
    """Date of the person's latest invoice or payment (what fiscal retention runs from)."""
    row = fetch_one(
        conn,
        """
        SELECT greatest(
            (SELECT max(i.period) FROM invoices i JOIN accounts a ON a.id = i.account_id
             WHERE a.person_id = %(id)s AND i.status <> 'draft'),
            (SELECT max(p.paid_at)::date FROM payments p JOIN accounts a ON a.id = p.account_id
             WHERE a.person_id = %(id)s)) AS last""",
        {"id": person_id},
    )
    return row["last"] if row else None


def block_person(conn: Conn, *, person_id: int, at: datetime, retain_until: date) -> None:
    execute(
        conn,
        "UPDATE persons SET blocked_at = coalesce(blocked_at, %(at)s), retain_until = %(until)s, "
        "updated_at = %(at)s WHERE id = %(id)s",
        {"id": person_id, "at": at, "until": retain_until},
    )


def due_erasures(conn: Conn, *, today: date, limit: int) -> list[int]:
    rows = fetch_all(
        conn,
        """
        SELECT id FROM persons WHERE blocked_at IS NOT NULL AND erased_at IS NULL AND retain_until <= %(today)s
        ORDER BY id LIMIT %(limit)s""",
        {"today": today, "limit": limit},
    )
    return [r["id"] for r in rows]


def erase_person(conn: Conn, *, person_id: int, at: datetime) -> None:
    """Suppress a blocked person's data: identifiers and contact data, versions, opt-outs, contact notes."""
    execute(
        conn,
        """
        UPDATE persons SET first_name = NULL, paternal_surname = NULL, maternal_surname = NULL,
               legal_name = 'DATOS SUPRIMIDOS', rfc = NULL, curp = NULL, email = NULL, phone = NULL,
               fiscal_postal_code = NULL, erased_at = %(at)s, updated_at = %(at)s
        WHERE id = %(id)s""",
        {"id": person_id, "at": at},
    )
    execute(conn, "DELETE FROM person_versions WHERE person_id = %(id)s", {"id": person_id})
    execute(conn, "UPDATE contacts SET body = NULL WHERE person_id = %(id)s", {"id": person_id})
