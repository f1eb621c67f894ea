"""ARCO requests: intake with the legal clock, identity verification, resolution and execution of each right.

access        -> a complete structured export of everything held about the person (GET .../export)
rectification -> the person is changed; the previous data is kept as a version with the evidence
cancellation  -> blocking: the data stays only for fiscal retention and the privacy timer erases it afterwards
opposition    -> per-purpose opt-outs (WhatsApp notices, surveys, ...), never the essential service
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.application.access.errors import Conflict, Invalid, NotFound, not_found
from shared.application.access.principal import ARCO_MANAGE, ARCO_REQUEST, Principal
from shared.application.customers import persons
from shared.application.privacy.pii import audit_read
from shared.data.db import use_case_transaction
from shared.data.records import persons as persons_q
from shared.data.records import platform as platform_q
from shared.data.records import privacy as q
from shared.data.sql import Conn, Row
from shared.domain.casework.arco import (
    PURPOSES,
    ExtensionRefused,
    InvalidArcoStep,
    InvalidRectification,
    answer_due,
    check_step,
    extended_due,
    rectification_changes,
    retain_until,
)
from shared.domain.timezone import UTILITY_TZ


def _extra_holidays(conn: Conn) -> list[date]:
    days = platform_q.tenant_config(conn).get("non_working_days", [])
    out = []
    for d in days if isinstance(days, list) else []:
        try:
            out.append(date.fromisoformat(str(d)))
        except ValueError:
            continue  # a malformed entry in tenant config does not stop the clock; it is ignored
    return out


def list_requests(
    *,
    principal: Principal,
    person_id: int | None,
    status: str | None,
    arco_right: str | None,
    overdue: bool,
    after: int | None,
    limit: int,
    now: datetime,
) -> list[Row]:
    """`overdue`: only open requests whose answer was due before today (local date of `now`)."""
    if not principal.is_staff:
        principal.require(ARCO_REQUEST)
    today = now.astimezone(UTILITY_TZ).date() if overdue else None
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_requests(
            conn,
            person_scope=principal.person_scope,
            person_id=person_id,
            status=status,
            arco_right=arco_right,
            overdue_on=today,
            after=after,
            limit=limit,
        )


def _visible_request(conn: Conn, p: Principal, *, request_id: int, lock: bool = False) -> Row:
    row = q.get_request(conn, request_id=request_id, person_scope=p.person_scope, lock=lock)
    if row is None:
        raise not_found("la solicitud ARCO")
    return row


def get_request(*, principal: Principal, request_id: int) -> Row:
    with use_case_transaction(principal.tenant_id) as conn:
        return _visible_request(conn, principal, request_id=request_id)


def create_request(*, principal: Principal, person_id: int, data: dict[str, Any], now: datetime) -> Row:
    principal.require(ARCO_REQUEST)
    with use_case_transaction(principal.tenant_id) as conn:
        return _create(conn, principal, person_id=person_id, data=data, now=now)


def _create(conn: Conn, p: Principal, *, person_id: int, data: dict[str, Any], now: datetime) -> Row:
    person = persons.visible_person(conn, principal=p, person_id=person_id)
    right = data["arco_right"]
    changes: dict[str, Any] = data.get("changes") or {}
    purposes: list[str] = sorted(set(data.get("purposes") or []))
    if right == "rectification":
        try:
            changed = rectification_changes(current=person, requested=changes)
        except InvalidRectification as error:
            raise Invalid("invalid_rectification", "La rectificación no es válida: " + str(error)) from error
        persons.validate_identity(data={**person, **changed})
    elif changes:
        raise Invalid("changes_only_for_rectification", "Solo una rectificación lleva cambios (changes).")
    if right == "opposition":
        unknown = sorted(set(purposes) - set(PURPOSES))
        if not purposes or unknown:
            raise Invalid("invalid_purposes", f"Indique finalidades válidas: {', '.join(PURPOSES)}.")
    elif purposes:
        raise Invalid("purposes_only_for_opposition", "Solo una oposición lleva finalidades (purposes).")
    due = answer_due(received_on=now.astimezone(UTILITY_TZ).date(), extra_holidays=_extra_holidays(conn))
    return q.insert_request(
        conn,
        tenant_id=p.tenant_id,
        data={
            "person_id": person_id,
            "arco_right": right,
            "channel": data["channel"],
            "description": data["description"],
            "requester_name": data["requester_name"],
            "representative": data.get("representative"),
            "delivery_mode": data.get("delivery_mode", "electronic"),
            "changes": changes,
            "purposes": purposes,
            "evidence": data.get("evidence") or [],
            "received_at": now,
            "due_on": due,
            "created_by": p.subject,
        },
    )


def _step(row: Row, target: str) -> None:
    try:
        check_step(current=row["status"], target=target)
    except InvalidArcoStep as error:
        raise Conflict(
            "invalid_transition", f"La solicitud está en estado '{error.current}' y no puede pasar a '{error.target}'."
        ) from error


def verify_identity(*, principal: Principal, request_id: int, now: datetime) -> Row:
    principal.require(ARCO_MANAGE)
    with use_case_transaction(principal.tenant_id) as conn:
        row = _visible_request(conn, principal, request_id=request_id, lock=True)
        _step(row, "identity_verified")
        return q.update_request(
            conn,
            request_id=request_id,
            changes={
                "status": "identity_verified",
                "identity_verified_at": now,
                "identity_verified_by": principal.subject,
            },
        )


_EXTENSION_REFUSALS = {
    "already_extended": "El plazo de respuesta ya se amplió una vez; no puede ampliarse de nuevo.",
    "closed": "La solicitud ya fue resuelta; no hay plazo que ampliar.",
    "term_ended": "El plazo de respuesta ya venció; la ampliación debe notificarse dentro de él.",
}


def extend(*, principal: Principal, request_id: int, reason: str, now: datetime) -> Row:
    """Extend the answer term once by 10 business days (LGPDPPSO art. 51), with the justification that is notified
    to the titular."""
    principal.require(ARCO_MANAGE)
    with use_case_transaction(principal.tenant_id) as conn:
        row = _visible_request(conn, principal, request_id=request_id, lock=True)
        try:
            due = extended_due(
                status=row["status"],
                due_on=row["due_on"],
                already_extended=row["extended_at"] is not None,
                today=now.astimezone(UTILITY_TZ).date(),
                extra_holidays=_extra_holidays(conn),
            )
        except ExtensionRefused as refused:
            raise Conflict(f"extension_{refused.reason}", _EXTENSION_REFUSALS[refused.reason]) from refused
        return q.update_request(
            conn,
            request_id=request_id,
            changes={"due_on": due, "extended_at": now, "extended_by": principal.subject, "extension_reason": reason},
        )


def resolve(*, principal: Principal, request_id: int, decision: str, resolution: str, now: datetime) -> Row:
    """Deny, or grant and make the right effective in the same transaction (status `completed`)."""
    principal.require(ARCO_MANAGE)
    with use_case_transaction(principal.tenant_id) as conn:
        return _resolve(conn, principal, request_id=request_id, decision=decision, resolution=resolution, now=now)


def _resolve(conn: Conn, p: Principal, *, request_id: int, decision: str, resolution: str, now: datetime) -> Row:
    row = _visible_request(conn, p, request_id=request_id, lock=True)
    if decision == "denied":
        _step(row, "denied")
        return q.update_request(
            conn,
            request_id=request_id,
            changes={"status": "denied", "resolved_at": now, "resolved_by": p.subject, "resolution": resolution},
        )
    _step(row, "granted")
    result = _execute(conn, p, row, now)
    return q.update_request(
        conn,
        request_id=request_id,
        changes={
            "status": "completed",
            "resolved_at": now,
            "resolved_by": p.subject,
            "resolution": resolution,
            "result": result,
        },
    )


def _execute(conn: Conn, p: Principal, row: Row, now: datetime) -> dict[str, Any]:
    person_id = row["person_id"]
    person = persons_q.lock_person(conn, person_id=person_id)
    if person is None:
        raise not_found("la persona")
    right = row["arco_right"]
    if right == "access":
        sections = q.export_person(conn, person_id=person_id)
        return {"sections": {name: len(rows) for name, rows in sections.items()}}
    if right == "rectification":
        try:
            changed = rectification_changes(current=person, requested=row["changes"])
        except InvalidRectification as error:
            raise Conflict("rectification_outdated", "Los datos ya no corresponden a la solicitud.") from error
        normalized = persons.validate_identity(data={**person, **changed})
        changed = {k: normalized[k] for k in changed}
        before = {k: person.get(k) for k in changed}
        persons_q.insert_version(
            conn,
            tenant_id=p.tenant_id,
            person_id=person_id,
            data=before,
            changed_fields=sorted(changed),
            evidence=row["evidence"],
            arco_request_id=row["id"],
            changed_by=p.subject,
        )
        persons_q.update_person(conn, person_id=person_id, changes={**changed, "updated_at": now})
        return {"changed_fields": sorted(changed)}
    if right == "cancellation":
        until = retain_until(
            blocked_on=now.astimezone(UTILITY_TZ).date(),
            last_fiscal_record=persons_q.last_fiscal_record(conn, person_id=person_id),
        )
        persons_q.block_person(conn, person_id=person_id, at=now, retain_until=until)
        return {"blocked": True, "retain_until": until.isoformat()}
    persons_q.add_opt_outs(
        conn, tenant_id=p.tenant_id, person_id=person_id, purposes=list(row["purposes"]), arco_request_id=row["id"]
    )
    return {"opted_out": list(row["purposes"])}


def export(*, principal: Principal, request_id: int) -> dict[str, Any]:
    """The access export of a completed access request: the person in full and every section."""
    with use_case_transaction(principal.tenant_id) as conn:
        return _export(conn, principal, request_id=request_id)


def _export(conn: Conn, p: Principal, *, request_id: int) -> dict[str, Any]:
    row = _visible_request(conn, p, request_id=request_id)
    if row["arco_right"] != "access" or row["status"] != "completed":
        raise NotFound("export_not_available", "La exportación solo existe para solicitudes de acceso concluidas.")
    person = persons_q.get_person(conn, person_id=row["person_id"], person_scope=None)
    if person is None:
        raise not_found("la persona")
    sections = q.export_person(conn, person_id=row["person_id"])
    audit_read(
        conn,
        principal=p,
        entity="person",
        rows=[(row["person_id"], ["rfc", "curp", "email", "phone"])],
        action="arco_export",
    )
    return {"request_id": row["id"], "person": person, "sections": sections}
