"""ARCO requests, the audit log of personal-data reads, and the access export (everything held about a person)."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, Row, Where, execute, fetch_all, fetch_one, page_where, update_sql


def list_requests(
    conn: Conn,
    *,
    person_scope: int | None,
    person_id: int | None,
    status: str | None,
    arco_right: str | None,
    overdue_on: Any,
    after: int | None,
    limit: int,
) -> list[Row]:
    w = Where().when(person_scope, "person_id = %(scope)s", "scope").when(person_id, "person_id = %(p)s", "p")
    w.when(status, "status = %(status)s", "status").when(arco_right, "arco_right = %(r)s", "r")
    w.when(overdue_on, "status IN ('received', 'identity_verified') AND due_on < %(today)s", "today")
    page_where(w, after=after)
    return fetch_all(
        conn,
        f"SELECT * FROM arco_requests WHERE {w.sql()} ORDER BY id DESC LIMIT %(limit)s",
        {**w.params, "limit": limit},
    )


def get_request(conn: Conn, *, request_id: int, person_scope: int | None, lock: bool = False) -> Row | None:
    w = Where().add("id = %(id)s", id=request_id).when(person_scope, "person_id = %(scope)s", "scope")
    return fetch_one(conn, f"SELECT * FROM arco_requests WHERE {w.sql()}{' FOR UPDATE' if lock else ''}", w.params)


def insert_request(conn: Conn, *, tenant_id: Any, data: dict[str, Any]) -> Row:
    row = fetch_one(
        conn,
        """
        INSERT INTO arco_requests (tenant_id, person_id, arco_right, channel, description, requester_name,
                                   representative, delivery_mode, changes, purposes, evidence, received_at, due_on,
                                   created_by)
        VALUES (%(tenant_id)s, %(person_id)s, %(arco_right)s, %(channel)s, %(description)s, %(requester_name)s,
                %(representative)s, %(delivery_mode)s, %(changes)s, %(purposes)s, %(evidence)s, %(received_at)s,
                %(due_on)s, %(created_by)s) RETURNING *""",
        {"tenant_id": tenant_id, **data, "changes": Jsonb(data["changes"]), "evidence": Jsonb(data["evidence"])},
    )
    assert row is not None
    return row


_UPDATABLE = frozenset(
    {
        "status",
        "due_on",
        "extended_at",
        "extended_by",
        "extension_reason",
        "identity_verified_at",
        "identity_verified_by",
        "resolved_at",
        "resolved_by",
        "resolution",
        "result",
    }
)


def update_request(conn: Conn, *, request_id: int, changes: dict[str, Any]) -> Row:
    params = {k: (Jsonb(v) if k == "result" and v is not None else v) for k, v in changes.items()}
    row = fetch_one(conn, update_sql("arco_requests", changes, _UPDATABLE), {**params, "id": request_id})
    assert row is not None
    return row


def write_audit(
    conn: Conn,
    *,
    tenant_id: Any,
    actor: str,
    action: str,
    entity: str,
    entity_ids: list[str],
    fields: list[str],
    correlation_id: str | None,
) -> None:
    if not entity_ids:
        return
    execute(
        conn,
        """
        INSERT INTO audit_log (tenant_id, actor, action, entity, entity_id, fields, correlation_id)
        SELECT %(t)s, %(actor)s, %(action)s, %(entity)s, e, %(fields)s, %(cid)s FROM unnest(%(ids)s::text[]) AS e""",
        {
            "t": tenant_id,
            "actor": actor,
            "action": action,
            "entity": entity,
            "ids": entity_ids,
            "fields": fields,
            "cid": correlation_id,
        },
    )


def audit_for(conn: Conn, *, entity: str, entity_id: str) -> list[Row]:
    return fetch_all(
        conn,
        "SELECT actor, action, entity, entity_id, fields, correlation_id, at FROM audit_log "
        "WHERE entity = %(e)s AND entity_id = %(id)s ORDER BY id",
        {"e": entity, "id": entity_id},
    )


# The access export: each section is one query over what the person's accounts hold.
_EXPORT_SECTIONS: dict[str, str] = {
    "accounts": "SELECT * FROM accounts WHERE person_id = %(p)s ORDER BY id",
    "tomas": "SELECT t.* FROM tomas t WHERE t.id IN (SELECT toma_id FROM accounts WHERE person_id = %(p)s) ORDER BY id",
    "addresses": "SELECT ad.* FROM addresses ad WHERE ad.id IN (SELECT t.address_id FROM tomas t JOIN accounts a "
    "ON a.toma_id = t.id WHERE a.person_id = %(p)s) ORDER BY id",
    "meter_readings": "SELECT r.id, r.meter_id, r.account_id, r.read_at, r.value, r.source, r.status "
    "FROM meter_readings r JOIN accounts a ON a.id = r.account_id WHERE a.person_id = %(p)s "
    "ORDER BY r.read_at",
    "invoices": "SELECT i.* FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE a.person_id = %(p)s "
    "AND i.status <> 'draft' ORDER BY i.period",
    "invoice_lines": "SELECT l.* FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id JOIN accounts a "
    "ON a.id = i.account_id WHERE a.person_id = %(p)s AND i.status <> 'draft' "
    "ORDER BY l.invoice_id, l.line_no",
    "payments": "SELECT p.id, p.provider, p.channel, p.amount, p.currency, p.paid_at, p.reference, p.status "
    "FROM payments p JOIN accounts a ON a.id = p.account_id WHERE a.person_id = %(p)s ORDER BY p.paid_at",
    "account_movements": "SELECT m.* FROM account_movements m JOIN accounts a ON a.id = m.account_id "
    "WHERE a.person_id = %(p)s ORDER BY m.occurred_at, m.id",
    "payment_plans": "SELECT pp.* FROM payment_plans pp JOIN accounts a ON a.id = pp.account_id "
    "WHERE a.person_id = %(p)s ORDER BY pp.id",
    "work_orders": "SELECT w.* FROM work_orders w JOIN accounts a ON a.id = w.account_id WHERE a.person_id = %(p)s "
    "ORDER BY w.id",
    "contacts": "SELECT c.* FROM contacts c WHERE c.person_id = %(p)s OR c.account_id IN "
    "(SELECT id FROM accounts WHERE person_id = %(p)s) ORDER BY c.id",
    "person_versions": "SELECT * FROM person_versions WHERE person_id = %(p)s ORDER BY version",
    "purpose_opt_outs": "SELECT * FROM purpose_opt_outs WHERE person_id = %(p)s ORDER BY purpose",
    "arco_requests": "SELECT id, arco_right, status, channel, description, received_at, due_on, resolved_at, "
    "resolution FROM arco_requests WHERE person_id = %(p)s ORDER BY id",
    "audit_log": "SELECT actor, action, fields, at FROM audit_log WHERE entity = 'person' "
    "AND entity_id = %(ps)s ORDER BY id",
}


def export_person(conn: Conn, *, person_id: int) -> dict[str, list[Row]]:
    params = {"p": person_id, "ps": str(person_id)}
    return {name: fetch_all(conn, query, params) for name, query in _EXPORT_SECTIONS.items()}
