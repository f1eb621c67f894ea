"""What a caller sees of a person, and the audit row every staff read of personal data leaves.

RFC and CURP are shown in full only to roles with `pii:full`; everyone else gets them masked. Contact data
(email, phone) is shown to staff (they call and write to customers) and every such read is audited. A blocked person
(ARCO cancellation) shows no contact data and masked identifiers to anyone.
"""

from __future__ import annotations

from typing import Any

from shared.application.access.principal import PII_FULL, Principal
from shared.data.records import privacy as q
from shared.data.sql import Conn, Row
from shared.domain.identity.operations import mask_curp, mask_rfc

PII_FIELDS = ("rfc", "curp", "email", "phone")


def person_view(*, row: Row, principal: Principal) -> tuple[dict[str, Any], list[str]]:
    """(the person as the caller may see it, the personal-data fields shown unmasked)."""
    out = dict(row)
    blocked = out.get("blocked_at") is not None
    full = principal.can(PII_FULL) and not blocked
    if out.get("rfc") and not full:
        out["rfc"] = mask_rfc(rfc=out["rfc"])
    if out.get("curp") and not full:
        out["curp"] = mask_curp(curp=out["curp"])
    if blocked:
        out["email"] = out["phone"] = None
    out["identifiers_masked"] = not full
    shown = [f for f in PII_FIELDS if row.get(f) and ((f in ("email", "phone") and not blocked) or full)]
    return out, shown


def audit_read(
    conn: Conn, *, principal: Principal, entity: str, rows: list[tuple[int, list[str]]], action: str = "read"
) -> None:
    """One audit row per entity whose personal data a staff caller (not the titular) received (in the caller's
    transaction)."""
    if not principal.is_staff:
        return
    by_fields: dict[tuple[str, ...], list[str]] = {}
    for entity_id, fields in rows:
        if fields:
            by_fields.setdefault(tuple(fields), []).append(str(entity_id))
    for field_names, ids in by_fields.items():
        q.write_audit(
            conn,
            tenant_id=principal.tenant_id,
            actor=principal.subject,
            action=action,
            entity=entity,
            entity_ids=ids,
            fields=list(field_names),
            correlation_id=principal.correlation_id,
        )


def persons_for(conn: Conn, *, principal: Principal, rows: list[Row], action: str = "read") -> list[dict[str, Any]]:
    """The persons as the caller may see them; the staff read is audited in the caller's transaction."""
    views = [person_view(row=r, principal=principal) for r in rows]
    shown = [(r["id"], fields) for r, (_, fields) in zip(rows, views, strict=True)]
    audit_read(conn, principal=principal, entity="person", rows=shown, action=action)
    return [v for v, _ in views]
