"""Small, explicit utilities for billing tests: a tenant with the repository's tariffs, sectors and accounts whose
monthly reads are given per account."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from psycopg.types.json import Jsonb

TARIFFS = Path(__file__).resolve().parents[2] / "shared" / "data" / "tariffs"


@dataclass
class Utility:
    tenant_id: uuid.UUID
    slug: str
    sectors: dict[str, int] = field(default_factory=dict)
    accounts: list[int] = field(default_factory=list)


def load_tariffs(conn, tenant_id, classes=("domestico", "comercial", "industrial", "publico", "social")) -> None:
    for path in sorted(TARIFFS.glob("*_2026.json")):
        definition = json.loads(path.read_text())
        if definition["tariff_class"] not in classes:
            continue
        conn.execute(
            """INSERT INTO tariff_schedules (tenant_id, name, tariff_class, effective_from, effective_to, definition)
               VALUES (%s, %s, %s, %s, %s, %s)""",
            (
                tenant_id,
                definition["name"],
                definition["tariff_class"],
                definition["effective_from"],
                definition.get("effective_to"),
                Jsonb(definition),
            ),
        )


def make_utility(db, slug: str, sectors=("S01", "S02"), tariffs=True) -> Utility:
    with db.owner() as conn:
        tenant_id = conn.execute(
            "INSERT INTO tenants (slug, name, rfc, fiscal_name) VALUES (%s, %s, 'CEQ850101AA0', 'CEA') RETURNING id",
            (slug, slug),
        ).fetchone()[0]
        utility = Utility(tenant_id=tenant_id, slug=slug)
        for code in sectors:
            utility.sectors[code] = conn.execute(
                "INSERT INTO sectores_hidraulicos (tenant_id, code, name) VALUES (%s, %s, %s) RETURNING id",
                (tenant_id, code, f"Sector {code}"),
            ).fetchone()[0]
        if tariffs:
            load_tariffs(conn, tenant_id)
    return utility


def add_account(
    db,
    utility: Utility,
    *,
    sector: str,
    reads: list[tuple[date, Decimal | int]],
    tariff_class: str = "domestico",
    dials: int = 5,
    initial_read: int = 0,
    installed: date = date(2024, 1, 1),
) -> int:
    n = len(utility.accounts) + 1
    t = utility.tenant_id
    with db.owner() as conn:
        person = conn.execute(
            "INSERT INTO persons (tenant_id, first_name) VALUES (%s, %s) RETURNING id", (t, f"Cliente {n}")
        ).fetchone()[0]
        address = conn.execute(
            "INSERT INTO addresses (tenant_id, street, postal_code) VALUES (%s, 'Av. Zaragoza', '76000') RETURNING id",
            (t,),
        ).fetchone()[0]
        toma = conn.execute(
            """INSERT INTO tomas (tenant_id, toma_number, address_id, sector_id, tariff_class)
               VALUES (%s, %s, %s, %s, %s) RETURNING id""",
            (t, f"T{n:06d}", address, utility.sectors[sector], tariff_class),
        ).fetchone()[0]
        meter = conn.execute(
            "INSERT INTO meters (tenant_id, serial, dials) VALUES (%s, %s, %s) RETURNING id", (t, f"M{n:06d}", dials)
        ).fetchone()[0]
        conn.execute(
            """INSERT INTO meter_installations (tenant_id, meter_id, toma_id, installed_at, initial_read)
               VALUES (%s, %s, %s, %s, %s)""",
            (t, meter, toma, datetime(installed.year, installed.month, installed.day, tzinfo=UTC), initial_read),
        )
        account = conn.execute(
            """INSERT INTO accounts (tenant_id, account_number, person_id, toma_id, tariff_class, opened_on,
                                     payment_reference, clabe)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (t, f"C{n:07d}", person, toma, tariff_class, installed, f"REF{n:08d}", f"{n:018d}"),
        ).fetchone()[0]
        for i, (day, value) in enumerate(reads):
            conn.execute(
                """INSERT INTO meter_readings (tenant_id, meter_id, account_id, read_at, value, source, source_id)
                   VALUES (%s, %s, %s, %s, %s, 'handheld', %s)""",
                (
                    t,
                    meter,
                    account,
                    datetime(day.year, day.month, day.day, 17, tzinfo=UTC),
                    Decimal(value),
                    f"h-{account}-{i}",
                ),
            )
    utility.accounts.append(account)
    return account


def monthly(start: date, values: list[int], day: int = 20) -> list[tuple[date, int]]:
    out = []
    for i, v in enumerate(values):
        index = start.year * 12 + start.month - 1 + i
        out.append((date(index // 12, index % 12 + 1, day), v))
    return out
