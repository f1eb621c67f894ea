"""Accounts: list, detail, open (contract), balance, statement, payment references, payments, plans, readings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from shared.application.access.errors import Conflict, Invalid, not_found
from shared.application.access.principal import ACCOUNTS_WRITE, READINGS_WRITE, Principal
from shared.application.readings import vee
from shared.data import readings as readings_sql
from shared.data.db import use_case_transaction
from shared.data.records import accounts as q
from shared.data.records import persons as persons_q
from shared.data.records import places as places_q
from shared.data.records import platform as platform_q
from shared.data.sql import Conn, Row
from shared.domain.identity.references import account_identifiers
from shared.domain.timezone import UTILITY_TZ

MAX_STATEMENT_DAYS = 731
MAX_STATEMENT_MOVEMENTS = 1000
SELF_READ_MAX_AGE = timedelta(days=62)
SELF_READ_FUTURE_SKEW = timedelta(minutes=5)


def list_accounts(
    *,
    principal: Principal,
    person_id: int | None,
    toma_id: int | None,
    status: str | None,
    account_number: str | None,
    payment_reference: str | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_accounts(
            conn,
            person_scope=principal.person_scope,
            person_id=person_id,
            toma_id=toma_id,
            status=status,
            account_number=account_number,
            payment_reference=payment_reference,
            after=after,
            limit=limit,
        )


def visible_account(conn: Conn, *, principal: Principal, account_id: int) -> Row:
    """The account if the caller may see it (else NotFound), inside a use case's transaction."""
    row = q.get_account(conn, account_id=account_id, person_scope=principal.person_scope)
    if row is None:
        raise not_found("la cuenta")
    return row


def get_account(*, principal: Principal, account_id: int) -> Row:
    with use_case_transaction(principal.tenant_id) as conn:
        return visible_account(conn, principal=principal, account_id=account_id)


def open_account(
    *, principal: Principal, person_id: int, toma_id: int, tariff_class: str, household_size: int, opened_on: date
) -> Row:
    principal.require(ACCOUNTS_WRITE)
    with use_case_transaction(principal.tenant_id) as conn:
        person = persons_q.get_person(conn, person_id=person_id, person_scope=None)
        if person is None or person["blocked_at"] is not None:
            raise Invalid("person_not_available", "La persona no existe o sus datos están bloqueados.")
        if places_q.get_toma(conn, toma_id=toma_id, person_scope=None) is None:
            raise Invalid("toma_not_found", "La toma indicada no existe.")
        config = platform_q.tenant_config(conn)
        new_id = q.next_account_id(conn)
        ids = account_identifiers(
            account_id=new_id, bank=str(config.get("clabe_bank", "646")), plaza=str(config.get("clabe_plaza", "180"))
        )
        try:
            with conn.transaction():
                return q.insert_account(
                    conn,
                    tenant_id=principal.tenant_id,
                    data={
                        "id": new_id,
                        "person_id": person_id,
                        "toma_id": toma_id,
                        "tariff_class": tariff_class,
                        "household_size": household_size,
                        "opened_on": opened_on,
                        **ids,
                    },
                )
        except psycopg.errors.UniqueViolation as error:
            raise Conflict(
                "account_identifier_taken",
                "El número de cuenta, la referencia o la CLABE ya están asignados; reintente.",
            ) from error


def balance(*, principal: Principal, account_id: int) -> Row:
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.balance(conn, account_id=account_id, person_scope=principal.person_scope)
    if row is None:
        raise not_found("la cuenta")
    return row


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTILITY_TZ)


def statement(*, principal: Principal, account_id: int, start: date, end: date) -> dict[str, Any]:
    """Movements in the local-date range [start, end) with opening, running and closing balances."""
    with use_case_transaction(principal.tenant_id) as conn:
        account = visible_account(conn, principal=principal, account_id=account_id)
        if end <= start or (end - start).days > MAX_STATEMENT_DAYS:
            raise Invalid("invalid_range", "El periodo debe cumplir inicio < fin y abarcar a lo más 2 años.")
        opening = q.opening_balance(conn, account_id=account_id, before=_local_midnight(start))
        rows = q.movements(
            conn,
            account_id=account_id,
            start=_local_midnight(start),
            end=_local_midnight(end),
            limit=MAX_STATEMENT_MOVEMENTS + 1,
        )
    if len(rows) > MAX_STATEMENT_MOVEMENTS:
        raise Invalid("range_too_large", "El periodo tiene demasiados movimientos; consulte un periodo más corto.")
    running = opening
    out = []
    for r in rows:
        running += Decimal(r["amount"])
        out.append({**r, "balance_after": running})
    return {
        "account_id": account["id"],
        "account_number": account["account_number"],
        "start": start,
        "end": end,
        "opening_balance": opening,
        "closing_balance": running,
        "movements": out,
    }


def payment_references(*, principal: Principal, account_id: int) -> dict[str, Any]:
    account = get_account(principal=principal, account_id=account_id)
    return {
        "account_id": account["id"],
        "account_number": account["account_number"],
        "oxxo_reference": account["payment_reference"],
        "clabe": account["clabe"],
        "beneficiary": "Comisión Estatal de Aguas",
    }


def list_payments(*, principal: Principal, account_id: int, after: int | None, limit: int) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        visible_account(conn, principal=principal, account_id=account_id)
        return q.list_payments(conn, account_id=account_id, after=after, limit=limit)


def list_payment_plans(*, principal: Principal, account_id: int) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        visible_account(conn, principal=principal, account_id=account_id)
        return q.list_payment_plans(conn, account_id=account_id)


def list_readings(*, principal: Principal, account_id: int, after: int | None, limit: int) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        visible_account(conn, principal=principal, account_id=account_id)
        return q.list_readings(conn, account_id=account_id, after=after, limit=limit)


def submit_self_read(
    *,
    principal: Principal,
    account_id: int,
    value: Decimal,
    read_at: datetime | None,
    photo_blob: str | None,
    now: datetime,
) -> tuple[Row, bool]:
    """Store a customer's (or an agent's) read as source 'self', validated by the VEE rules on arrival: a read that
    fails them is stored with status 'exception' and its codes. (row, created)."""
    principal.require(READINGS_WRITE)
    with use_case_transaction(principal.tenant_id) as conn:
        account = visible_account(conn, principal=principal, account_id=account_id)
        if account["status"] == "closed":
            raise Conflict("account_closed", "La cuenta está cerrada; no recibe lecturas.")
        at = (read_at or now).astimezone(UTC).replace(microsecond=0)
        if at > now + SELF_READ_FUTURE_SKEW or at < now - SELF_READ_MAX_AGE:
            raise Invalid(
                "read_at_out_of_range", "La fecha de la lectura no puede ser futura ni de hace más de 62 días."
            )
        meter = q.meter_at(conn, toma_id=account["toma_id"], at=at)
        if meter is None:
            raise Conflict("no_meter", "La toma no tenía medidor instalado en la fecha de la lectura.")
        if value >= Decimal(10) ** meter.dials:
            raise Invalid("value_exceeds_dials", f"La lectura excede la capacidad del medidor ({meter.dials} dígitos).")
        codes = vee.exception_codes(conn, meter_id=meter.id, read_at=at, value=value, now=now)
        row, created = q.insert_reading(
            conn,
            tenant_id=principal.tenant_id,
            meter_id=meter.id,
            account_id=account_id,
            read_at=at,
            value=value,
            source="self",
            source_id=principal.subject,
            photo_blob=photo_blob,
        )
        if created and codes:  # the VEE holds it: the billing run will not bill it without review
            readings_sql.mark_exception(conn, reading_id=row["id"], read_at=row["read_at"], codes=codes)
            row = {**row, "status": "exception", "exception_codes": codes}
    return row, created
