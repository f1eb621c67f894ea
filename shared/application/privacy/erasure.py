"""The privacy timer's job: erase blocked persons whose retention period ended, tenant by tenant."""

from __future__ import annotations

from datetime import date, datetime

from shared.data import db
from shared.data.records import persons as q
from shared.data.records import privacy as audit_q

BATCH = 500


def erase_due(*, today: date, now: datetime) -> int:
    """Erase every blocked person with retain_until <= today; one transaction per tenant batch. Returns the count."""
    erased = 0
    for tenant_id in db.tenant_ids():
        while True:
            with db.tenant_transaction(tenant_id) as conn:
                due = q.due_erasures(conn, today=today, limit=BATCH)
                for person_id in due:
                    q.erase_person(conn, person_id=person_id, at=now)
                audit_q.write_audit(
                    conn,
                    tenant_id=tenant_id,
                    actor="system:privacy-timer",
                    action="erase",
                    entity="person",
                    entity_ids=[str(i) for i in due],
                    fields=["names", "rfc", "curp", "email", "phone"],
                    correlation_id=None,
                )
            erased += len(due)
            if len(due) < BATCH:
                break
    return erased
