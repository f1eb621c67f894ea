"""Fixture rows for the payments benchmark: accounts with permanent references and one issued invoice each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg


def create_bench_accounts(
    conn: psycopg.Connection[Any],
    *,
    tenant_id: Any,
    numbers: list[str],
    references: list[str],
    clabes: list[str],
    invoice_total: Decimal,
    period: date,
) -> list[int]:
    """Insert one person/address/toma/account/issued invoice (+ its ledger charge) per number. Returns account ids."""
    t = str(tenant_id)
    sector = conn.execute(
        "INSERT INTO sectores_hidraulicos (tenant_id, code, name) VALUES (%s, 'BENCH', 'Bench')"
        " ON CONFLICT (tenant_id, code) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        (t,),
    ).fetchone()
    assert sector is not None
    ids: list[int] = []
    for number, reference, clabe in zip(numbers, references, clabes, strict=True):
        person = conn.execute(
            "INSERT INTO persons (tenant_id, first_name, paternal_surname) VALUES (%s, 'Bench', 'Pago') RETURNING id",
            (t,),
        ).fetchone()
        address = conn.execute(
            "INSERT INTO addresses (tenant_id, street, postal_code) VALUES (%s, 'Bench', '76000') RETURNING id", (t,)
        ).fetchone()
        assert person is not None and address is not None
        toma = conn.execute(
            "INSERT INTO tomas (tenant_id, toma_number, address_id, sector_id, tariff_class)"
            " VALUES (%s, %s, %s, %s, 'domestico') RETURNING id",
            (t, f"B{number}", address[0], sector[0]),
        ).fetchone()
        assert toma is not None
        account = conn.execute(
            "INSERT INTO accounts (tenant_id, account_number, person_id, toma_id, tariff_class, opened_on,"
            " payment_reference, clabe) VALUES (%s, %s, %s, %s, 'domestico', %s, %s, %s) RETURNING id",
            (t, number, person[0], toma[0], period, reference, clabe),
        ).fetchone()
        assert account is not None
        invoice = conn.execute(
            "INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, total, subtotal, due_date,"
            " issued_at) VALUES (%s, %s, %s, 'issued', 'BENCH', %s, %s, %s, %s, now()) RETURNING id",
            (t, account[0], period, int(number), invoice_total, invoice_total, period),
        ).fetchone()
        assert invoice is not None
        conn.execute(
            "INSERT INTO account_movements (tenant_id, account_id, kind, amount, source_type, source_id,"
            " occurred_at) VALUES (%s, %s, 'charge', %s, 'invoice', %s, now())",
            (t, account[0], invoice_total, invoice[0]),
        )
        ids.append(int(account[0]))
    return ids
