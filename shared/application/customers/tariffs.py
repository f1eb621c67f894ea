"""Tariff schedules: list, read, create a new version (validated by the domain schema), quote and simulate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

from shared.application.access.errors import Conflict, Invalid, NotFound
from shared.application.access.principal import TARIFFS_WRITE, Principal
from shared.data.db import use_case_transaction
from shared.data.records import tariffs as q
from shared.data.sql import Row
from shared.domain.tariffs.operations import InvalidConsumption, TariffNotInForce, UmaValueRequired, quote
from shared.domain.tariffs.schema import InvalidTariffSchedule, TariffSchedule, parse_schedule


def list_schedules(
    *, principal: Principal, tariff_class: str | None, on: date | None, name: str | None, after: int | None, limit: int
) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_schedules(conn, tariff_class=tariff_class, on=on, name=name, after=after, limit=limit)


def get_schedule(*, principal: Principal, schedule_id: int) -> Row:
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_schedule(conn, schedule_id=schedule_id)
    if row is None:
        raise NotFound("not_found", "No existe la tarifa indicada.")
    return row


def _parse(definition: dict[str, Any]) -> TariffSchedule:
    import json

    try:
        return parse_schedule(json.dumps(definition, default=str))
    except InvalidTariffSchedule as error:
        raise Invalid("invalid_tariff", "La tarifa no es válida: " + "; ".join(error.problems)) from error


def create_schedule(*, principal: Principal, definition: dict[str, Any]) -> Row:
    """A new version: the class's open-ended schedule that started earlier ends where this one starts."""
    principal.require(TARIFFS_WRITE)
    schedule = _parse(definition)
    with use_case_transaction(principal.tenant_id) as conn:
        q.lock_class(conn, tariff_class=schedule.tariff_class.value)
        q.close_open_ended(conn, tariff_class=schedule.tariff_class.value, at=schedule.effective_from)
        try:
            with conn.transaction():
                return q.insert_schedule(
                    conn,
                    tenant_id=principal.tenant_id,
                    name=schedule.name,
                    tariff_class=schedule.tariff_class.value,
                    effective_from=schedule.effective_from,
                    effective_to=schedule.effective_to,
                    definition=schedule.model_dump(mode="json"),
                    created_by=principal.subject,
                )
        except (psycopg.errors.ExclusionViolation, psycopg.errors.UniqueViolation) as error:
            raise Conflict("tariff_overlap", "La vigencia se traslapa con otra tarifa de la misma clase.") from error


def _quote(schedule: TariffSchedule, *, m3: Decimal, on: date, uma_value: Decimal | None) -> dict[str, Any]:
    try:
        return quote(schedule=schedule, m3=m3, on=on, uma_value=uma_value).to_dict()
    except TariffNotInForce as error:
        raise Invalid("tariff_not_in_force", "La tarifa no está vigente en la fecha indicada.") from error
    except UmaValueRequired as error:
        raise Invalid("uma_value_required", "La tarifa está en UMA: indique el valor de la UMA.") from error
    except InvalidConsumption as error:
        raise Invalid("invalid_consumption", "El consumo debe ser un número mayor o igual a cero.") from error


def quote_schedule(
    *, principal: Principal, schedule_id: int, m3: Decimal, on: date | None, uma_value: Decimal | None
) -> dict[str, Any]:
    row = get_schedule(principal=principal, schedule_id=schedule_id)
    schedule = _parse(row["definition"])
    return _quote(schedule, m3=m3, on=on or row["effective_from"], uma_value=uma_value)


def simulate(
    *, principal: Principal, tariff_class: str, m3: Decimal, on: date, uma_value: Decimal | None
) -> dict[str, Any]:
    """Price a consumption with the schedule in force for the class on a date."""
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.schedule_in_force(conn, tariff_class=tariff_class, on=on)
    if row is None:
        raise NotFound("no_tariff_in_force", "No hay tarifa vigente para esa clase en la fecha indicada.")
    return _quote(_parse(row["definition"]), m3=m3, on=on, uma_value=uma_value)
