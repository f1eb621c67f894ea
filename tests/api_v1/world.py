"""A small two-tenant world for the API tests: tenant `cea` with customers Ana (A) and Beto (B) and an operator
view of everything; tenant `otro` with customer Carla (C). Inserted with the owner role (no RLS)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from shared.domain.cfdi.rfc import with_check_digit as rfc_with_digit
from shared.domain.identity.curp import with_check_digit as curp_with_digit
from shared.domain.identity.references import account_identifiers

RFC_ANA = rfc_with_digit(rfc_without_digit="LOMA850315H2")
CURP_ANA = curp_with_digit(curp17="LOMA850315MQTPRN0")
RFC_BETO = rfc_with_digit(rfc_without_digit="GAHB7001019K")


@dataclass
class Customer:
    person_id: int
    account_id: int
    toma_id: int
    meter_id: int
    address_id: int
    invoice_id: int
    work_order_id: int
    contact_id: int
    fraud_case_id: int
    arco_request_id: int


@dataclass
class World:
    tenant_id: uuid.UUID
    other_tenant_id: uuid.UUID
    a: Customer
    b: Customer
    c: Customer
    tariff_id: int
    extra: dict[str, Any] = field(default_factory=dict)


def _one(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...]) -> Any:
    row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]


def _customer(
    conn: psycopg.Connection[Any],
    tenant: uuid.UUID,
    n: int,
    *,
    first: str,
    surname: str,
    rfc: str | None,
    curp: str | None,
    sector: int,
    now: datetime,
) -> Customer:
    person = _one(
        conn,
        "INSERT INTO persons (tenant_id, first_name, paternal_surname, maternal_surname, rfc, curp, "
        "email, phone) VALUES (%s, %s, %s, 'Pérez', %s, %s, %s, %s) RETURNING id",
        (tenant, first, surname, rfc, curp, f"{first.lower()}@example.com", f"44212345{n:02d}"),
    )
    address = _one(
        conn,
        "INSERT INTO addresses (tenant_id, street, ext_number, colonia, postal_code) "
        "VALUES (%s, 'Calle Hidalgo', %s, 'Centro', '76000') RETURNING id",
        (tenant, str(n)),
    )
    toma = _one(
        conn,
        "INSERT INTO tomas (tenant_id, toma_number, address_id, sector_id, tariff_class) "
        "VALUES (%s, %s, %s, %s, 'domestico') RETURNING id",
        (tenant, f"T-{n:05d}", address, sector),
    )
    meter = _one(
        conn,
        "INSERT INTO meters (tenant_id, serial, brand) VALUES (%s, %s, 'Itron') RETURNING id",
        (tenant, f"M-{n:06d}"),
    )
    conn.execute(
        "INSERT INTO meter_installations (tenant_id, meter_id, toma_id, installed_at) VALUES (%s, %s, %s, %s)",
        (tenant, meter, toma, now - timedelta(days=800)),
    )
    account_id = 1000 + n
    ids = account_identifiers(account_id=account_id)
    account = _one(
        conn,
        "INSERT INTO accounts (id, tenant_id, account_number, person_id, toma_id, tariff_class, "
        "opened_on, payment_reference, clabe) VALUES (%s, %s, %s, %s, %s, 'domestico', '2024-01-01', "
        "%s, %s) RETURNING id",
        (account_id, tenant, ids["account_number"], person, toma, ids["payment_reference"], ids["clabe"]),
    )
    invoice = _one(
        conn,
        "INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, consumption_m3, "
        "subtotal, tax_total, total, due_date, issued_at) VALUES (%s, %s, '2026-01-01', 'issued', "
        "'A', %s, 15, 127.50, 0, 127.50, '2026-02-15', %s) RETURNING id",
        (tenant, account, n, now - timedelta(days=30)),
    )
    conn.execute(
        "INSERT INTO invoice_lines (tenant_id, invoice_id, line_no, code, description, quantity, unit_price, "
        "amount, trace) VALUES (%s, %s, 1, 'agua', 'Agua potable bloque 1', 10, 5.5, 55.00, %s), "
        "(%s, %s, 2, 'agua', 'Agua potable bloque 2', 5, 5.5, 27.50, %s), "
        "(%s, %s, 3, 'cargo_fijo', 'Cargo fijo', 1, 45, 45.00, '{}')",
        (
            tenant,
            invoice,
            Jsonb({"tariff_version": "Domestico 2026 v1", "reads": [100, 115]}),
            tenant,
            invoice,
            Jsonb({"estimation_method": "same_period_last_year"}),
            tenant,
            invoice,
        ),
    )
    # Older draft invoice (customers never see drafts).
    conn.execute(
        "INSERT INTO invoices (tenant_id, account_id, period, status, total) VALUES (%s, %s, '2026-02-01', "
        "'draft', 99)",
        (tenant, account),
    )
    conn.execute(
        "INSERT INTO account_movements (tenant_id, account_id, kind, amount, source_type, source_id, "
        "occurred_at) VALUES (%s, %s, 'charge', 127.50, 'invoice', %s, %s)",
        (tenant, account, invoice, datetime(2026, 1, 10, 12, tzinfo=UTC)),
    )
    payment = _one(
        conn,
        "INSERT INTO payments (tenant_id, provider, provider_payment_id, channel, amount, paid_at, "
        "account_id, status) VALUES (%s, 'conekta', %s, 'oxxo', 100, %s, %s, 'applied') RETURNING id",
        (tenant, f"pay-{n}", datetime(2026, 1, 20, 18, tzinfo=UTC), account),
    )
    conn.execute(
        "INSERT INTO account_movements (tenant_id, account_id, kind, amount, source_type, source_id, "
        "occurred_at) VALUES (%s, %s, 'payment', -100, 'payment', %s, %s)",
        (tenant, account, payment, datetime(2026, 1, 20, 18, tzinfo=UTC)),
    )
    work_order = _one(
        conn,
        "INSERT INTO work_orders (tenant_id, kind, account_id, toma_id, reason, natural_key) "
        "VALUES (%s, 'leak_report', %s, %s, 'Fuga en banqueta', %s) RETURNING id",
        (tenant, account, toma, f"seed-wo-{n}"),
    )
    contact = _one(
        conn,
        "INSERT INTO contacts (tenant_id, person_id, account_id, channel, direction, subject, body) "
        "VALUES (%s, %s, %s, 'whatsapp', 'inbound', 'Consulta de saldo', 'Hola') RETURNING id",
        (tenant, person, account),
    )
    fraud = _one(
        conn,
        "INSERT INTO fraud_cases (tenant_id, account_id, toma_id, source, description) "
        "VALUES (%s, %s, %s, 'anomaly', 'Consumo cero con ocupación') RETURNING id",
        (tenant, account, toma),
    )
    arco = _one(
        conn,
        "INSERT INTO arco_requests (tenant_id, person_id, arco_right, channel, description, "
        "requester_name, due_on, created_by) VALUES (%s, %s, 'access', 'web', 'Quiero mis datos', %s, "
        "'2026-03-01', 'seed') RETURNING id",
        (tenant, person, first),
    )
    return Customer(
        person_id=person,
        account_id=account,
        toma_id=toma,
        meter_id=meter,
        address_id=address,
        invoice_id=invoice,
        work_order_id=work_order,
        contact_id=contact,
        fraud_case_id=fraud,
        arco_request_id=arco,
    )


def build_world(owner_url: str, tenant_id: uuid.UUID, other_tenant_id: uuid.UUID) -> World:
    now = datetime.now(UTC)
    with psycopg.connect(owner_url, autocommit=True) as conn:
        sectors = {}
        for t in (tenant_id, other_tenant_id):
            sectors[t] = _one(
                conn,
                "INSERT INTO sectores_hidraulicos (tenant_id, code, name) VALUES (%s, 'S1', 'Sector 1') RETURNING id",
                (t,),
            )
        a = _customer(
            conn,
            tenant_id,
            1,
            first="Ana",
            surname="López",
            rfc=RFC_ANA,
            curp=CURP_ANA,
            sector=sectors[tenant_id],
            now=now,
        )
        b = _customer(
            conn,
            tenant_id,
            2,
            first="Beto",
            surname="García",
            rfc=RFC_BETO,
            curp=None,
            sector=sectors[tenant_id],
            now=now,
        )
        c = _customer(
            conn,
            other_tenant_id,
            3,
            first="Carla",
            surname="Ruiz",
            rfc=None,
            curp=None,
            sector=sectors[other_tenant_id],
            now=now,
        )
        definition = Jsonb(
            {
                "name": "Domestico 2026",
                "tariff_class": "domestico",
                "effective_from": "2026-01-01",
                "currency": "MXN",
                "pricing": {
                    "method": "incremental_blocks",
                    "unit": "MXN",
                    "blocks": [
                        {"from_m3": "0", "to_m3": "10", "price_per_m3": "5.50"},
                        {"from_m3": "10", "to_m3": None, "price_per_m3": "8.75"},
                    ],
                },
                "fixed_charges": [{"code": "cargo_fijo", "description_es": "Cargo fijo", "amount": "45.00"}],
                "taxes": {"iva_rates": {"agua": "0", "cargo_fijo": "0"}},
            }
        )
        tariff = _one(
            conn,
            "INSERT INTO tariff_schedules (tenant_id, name, tariff_class, effective_from, definition) "
            "VALUES (%s, 'Domestico 2026', 'domestico', '2026-01-01', %s) RETURNING id",
            (tenant_id, definition),
        )
    return World(tenant_id=tenant_id, other_tenant_id=other_tenant_id, a=a, b=b, c=c, tariff_id=tariff)
