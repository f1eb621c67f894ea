"""Test data for the payments tests: accounts with permanent references, issued invoices with their charge."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import psycopg

from shared.domain.payments.references import make_clabe, make_reference
from tests.fixtures.postgres import TestDatabase

_seq = itertools.count(1)


@dataclass(frozen=True)
class Acct:
    id: int
    number: str
    reference: str
    clabe: str
    toma_id: int


def make_account(
    db: TestDatabase,
    tenant: uuid.UUID,
    *,
    tariff_class: str = "domestico",
    vulnerable: bool = False,
    household: int = 4,
    conn: psycopg.Connection | None = None,
) -> Acct:
    n = next(_seq)
    number = f"{n:09d}"
    own = conn is None
    c = conn or db.owner()
    try:
        t = str(tenant)
        person = c.execute(
            "INSERT INTO persons (tenant_id, first_name, paternal_surname, vulnerable)"
            " VALUES (%s, 'Ana', 'Pérez', %s) RETURNING id",
            (t, vulnerable),
        ).fetchone()[0]
        address = c.execute(
            "INSERT INTO addresses (tenant_id, street, postal_code) VALUES (%s, 'Av. Zaragoza', '76000') RETURNING id",
            (t,),
        ).fetchone()[0]
        sector = c.execute(
            "INSERT INTO sectores_hidraulicos (tenant_id, code, name) VALUES (%s, %s, 'Centro')"
            " ON CONFLICT (tenant_id, code) DO UPDATE SET name = EXCLUDED.name RETURNING id",
            (t, "S01"),
        ).fetchone()[0]
        toma = c.execute(
            "INSERT INTO tomas (tenant_id, toma_number, address_id, sector_id, tariff_class)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (t, f"T{number}", address, sector, tariff_class),
        ).fetchone()[0]
        reference = make_reference(account_number=number)
        clabe = make_clabe(bank="646", plaza="180", account=f"7{number:0>10}")
        account = c.execute(
            "INSERT INTO accounts (tenant_id, account_number, person_id, toma_id, tariff_class, household_size,"
            " opened_on, payment_reference, clabe) VALUES (%s, %s, %s, %s, %s, %s, '2020-01-01', %s, %s)"
            " RETURNING id",
            (t, number, person, toma, tariff_class, household, reference, clabe),
        ).fetchone()[0]
    finally:
        if own:
            c.close()
    return Acct(account, number, reference, clabe, toma)


def make_invoice(
    db: TestDatabase,
    tenant: uuid.UUID,
    account_id: int,
    *,
    period: date,
    total: Decimal | str,
    due_date: date | None = None,
    conn: psycopg.Connection | None = None,
) -> int:
    own = conn is None
    c = conn or db.owner()
    try:
        folio = next(_seq)
        inv = c.execute(
            "INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, total, subtotal, due_date,"
            " issued_at) VALUES (%s, %s, %s, 'issued', 'A', %s, %s, %s, %s, now()) RETURNING id",
            (
                str(tenant),
                account_id,
                period,
                folio,
                Decimal(total),
                Decimal(total),
                due_date or period + timedelta(days=45),
            ),
        ).fetchone()[0]
        c.execute(
            "INSERT INTO account_movements (tenant_id, account_id, kind, amount, source_type, source_id,"
            " occurred_at) VALUES (%s, %s, 'charge', %s, 'invoice', %s, now())",
            (str(tenant), account_id, Decimal(total), inv),
        )
    finally:
        if own:
            c.close()
    return inv


def balance(db: TestDatabase, account_id: int) -> Decimal:
    with db.owner() as c:
        return Decimal(
            c.execute(
                "SELECT coalesce(sum(amount), 0) FROM account_movements WHERE account_id = %s", (account_id,)
            ).fetchone()[0]
        )


def open_amounts(db: TestDatabase, account_id: int) -> dict[int, Decimal]:
    with db.owner() as c:
        rows = c.execute(
            "SELECT invoice_id, open_amount FROM invoice_balances WHERE account_id = %s", (account_id,)
        ).fetchall()
    return {r[0]: Decimal(r[1]) for r in rows}
