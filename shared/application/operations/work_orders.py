"""Work orders: leak reports, meter exchanges, inspections, restriction/suspension/reconnection; status and SLA."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.application.access.errors import Conflict, Forbidden, Invalid, not_found
from shared.application.access.principal import WORK_ORDERS_MANAGE, WORK_ORDERS_WRITE, Principal
from shared.application.outbox import DomainEvent, record
from shared.data.db import use_case_transaction
from shared.data.records import accounts as accounts_q
from shared.data.records import casework as q
from shared.data.records import places as places_q
from shared.data.sql import Row
from shared.domain.casework.work_orders import AssigneeRequired, InvalidTransition, due_at, transition

CUSTOMER_KINDS = frozenset({"leak_report", "reading_check"})


def list_work_orders(
    *,
    principal: Principal,
    status: str | None,
    kind: str | None,
    account_id: int | None,
    toma_id: int | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_work_orders(
            conn,
            person_scope=principal.person_scope,
            status=status,
            kind=kind,
            account_id=account_id,
            toma_id=toma_id,
            after=after,
            limit=limit,
        )


def get_work_order(*, principal: Principal, work_order_id: int) -> Row:
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_work_order(conn, work_order_id=work_order_id, person_scope=principal.person_scope)
    if row is None:
        raise not_found("la orden de trabajo")
    return row


def create_work_order(
    *,
    principal: Principal,
    kind: str,
    priority: str,
    account_id: int | None,
    toma_id: int | None,
    reason: str,
    natural_key: str,
    now: datetime,
) -> tuple[Row, bool]:
    """The work order for `natural_key`: created now, or the one created before with that key. (row, created)."""
    principal.require(WORK_ORDERS_WRITE)
    if not principal.is_staff and kind not in CUSTOMER_KINDS:
        raise Forbidden("kind_not_allowed", "Solo puede reportar fugas o pedir revisión de lectura.")
    if account_id is None and toma_id is None:
        raise Invalid("target_required", "Indique la cuenta o la toma de la orden de trabajo.")
    scope = principal.person_scope
    with use_case_transaction(principal.tenant_id) as conn:
        if account_id is not None:
            account = accounts_q.get_account(conn, account_id=account_id, person_scope=scope)
            if account is None:
                raise not_found("la cuenta")
            if toma_id is not None and toma_id != account["toma_id"]:
                raise Invalid("toma_mismatch", "La toma no corresponde a la cuenta.")
            toma_id = account["toma_id"]
        elif places_q.get_toma(conn, toma_id=toma_id or 0, person_scope=scope) is None:
            raise not_found("la toma")
        return q.insert_work_order(
            conn,
            tenant_id=principal.tenant_id,
            data={
                "kind": kind,
                "priority": priority,
                "account_id": account_id,
                "toma_id": toma_id,
                "reason": reason,
                "natural_key": natural_key,
                "created_at": now,
                "due_at": due_at(kind=kind, priority=priority, created_at=now),
            },
        )


def change_status(
    *,
    principal: Principal,
    work_order_id: int,
    status: str,
    assigned_to: str | None,
    now: datetime,
    photo_url: str | None = None,
) -> Row:
    """Move the order to `status` and record work_order.status_changed (the customer's notice; "done" with the
    crew's `photo_url` goes out as "reparado" with the photo)."""
    principal.require(WORK_ORDERS_MANAGE)
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_work_order(conn, work_order_id=work_order_id, person_scope=principal.person_scope, lock=True)
        if row is None:
            raise not_found("la orden de trabajo")
        try:
            changes = transition(current=row["status"], target=status, assigned_to=assigned_to, now=now)
        except InvalidTransition as error:
            raise Conflict(
                "invalid_transition", f"La orden está en estado '{error.current}' y no puede pasar a '{error.target}'."
            ) from error
        except AssigneeRequired as error:
            raise Invalid("assignee_required", "Para asignar la orden indique a quién (assigned_to).") from error
        updated = q.update_work_order(conn, work_order_id=work_order_id, changes=changes)
        record(
            conn,
            DomainEvent(
                UUID(str(principal.tenant_id)),
                "work_order.status_changed",
                f"work_order.status_changed:{work_order_id}:{status}",
                "work_order",
                str(work_order_id),
                now,
                {
                    "work_order_id": work_order_id,
                    "kind": updated["kind"],
                    "account_id": updated["account_id"],
                    "status": status,
                    "photo_url": photo_url,
                },
            ),
        )
        return updated
