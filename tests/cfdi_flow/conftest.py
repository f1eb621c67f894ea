"""Fixtures for the CFDI lifecycle against real PostgreSQL (fresh_db), Azurite and the local PAC simulator.

`world` builds a tenant whose RFC matches a throwaway test CSD (made in a tmp dir, never committed), sectors,
tomas, customers and an issued billing run with typical water bills; `services` signs with that CSD and stamps
against a simulator with short timeouts and no real sleeping.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from devtools.fakes.pac_simulator import PacSimulator
from shared.adapters.csd import CfdiSigner, CsdFiles, create_test_csd, load_signer_from_files
from shared.adapters.pac import FinkokClient, RetryPolicy
from shared.adapters.storage import reset_clients
from shared.application.cfdi.services import CfdiServices, reset_services, use_services
from shared.platform.config import reset_settings_cache
from tests.fixtures.azurite import azurite, azurite_server  # noqa: F401 - fixtures
from tests.fixtures.postgres import TestDatabase

ISSUER_RFC = "EKU9003173C9"
ISSUER_NAME = "ESCUELA KEMPER URGATE"
PERIOD = dt.date(2026, 10, 1)

# (rfc, regimen, uso, postal code, legal name): valid customers; None rfc = público en general.
GOOD_RECEIVER = ("CACX7605101P8", "612", "G03", "76010", None)
NO_RFC = (None, None, None, None, None)


@pytest.fixture(scope="session")
def csd_files(tmp_path_factory: pytest.TempPathFactory) -> CsdFiles:
    return create_test_csd(
        rfc=ISSUER_RFC,
        name=ISSUER_NAME,
        out_dir=tmp_path_factory.mktemp("csd"),
        valid_from=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        days=6 * 365,
    )


@pytest.fixture(scope="session")
def cfdi_signer(csd_files: CsdFiles) -> CfdiSigner:
    return CfdiSigner(
        load_signer_from_files(
            certificate_path=csd_files.certificate_path,
            key_path=csd_files.key_path,
            password=Path(csd_files.password_path).read_text(),
        )
    )


@pytest.fixture()
def simulator() -> Iterator[PacSimulator]:
    with PacSimulator(max_age_hours=72, credentials=("demo", "secret")) as sim:
        yield sim


def make_client(url: str) -> FinkokClient:
    sleeps: list[float] = []
    return FinkokClient(
        base_url=url,
        username="demo",
        password="secret",
        timeout=0.5,
        retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02),
        stamped_retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02),
        sleep=sleeps.append,
    )


@pytest.fixture()
def services(cfdi_signer: CfdiSigner, simulator: PacSimulator) -> Iterator[CfdiServices]:
    client = make_client(simulator.url)
    yield CfdiServices(signer=cfdi_signer, pac=client, workers=4)
    client.close()


@pytest.fixture()
def storage_env(azurite: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: F811
    monkeypatch.setenv("AzureWebJobsStorage", azurite)
    monkeypatch.setenv("BLOB_CONTAINER_CFDI", f"cfdi{uuid.uuid4().hex[:8]}")
    reset_settings_cache()
    reset_clients()
    yield azurite
    reset_clients()
    reset_settings_cache()


@dataclass
class World:
    db: TestDatabase
    tenant_id: uuid.UUID
    run_id: int
    sectors: list[int]
    invoices: list[int] = field(default_factory=list)
    accounts: list[int] = field(default_factory=list)

    def owner(self) -> Any:
        return self.db.owner()


WATER_LINES = [  # (code, description, qty, unit price, amount, rate, tax)
    ("agua", "Agua potable uso doméstico", "18", "13.631700", "245.37", "0", "0.00"),
    ("alcantarillado", "Alcantarillado", "1", "36.810000", "36.81", "0.16", "5.89"),
    ("saneamiento", "Saneamiento", "1", "24.540000", "24.54", "0.16", "3.93"),
]


def add_invoice(
    conn: Any,
    w: World,
    *,
    sector: int,
    receiver: tuple[Any, ...],
    n: int,
    lines: list[tuple[str, ...]] | None = None,
    period: dt.date = PERIOD,
    estimated: bool = False,
    previous_balance: str = "0",
    account_id: int | None = None,
) -> tuple[int, int]:
    """One issued invoice (and its customer, toma and account unless `account_id` is given)."""
    lines = lines or WATER_LINES
    tid = w.tenant_id
    if account_id is None:
        rfc, regimen, uso, cp, legal = receiver
        person = conn.execute(
            """INSERT INTO persons (tenant_id, person_type, first_name, paternal_surname, maternal_surname,
                                    legal_name, rfc, regimen_fiscal, uso_cfdi, fiscal_postal_code)
               VALUES (%s, %s, 'XOCHILT', 'CASAS', 'CHAVEZ', %s, %s, %s, %s, %s) RETURNING id""",
            (tid, "moral" if rfc and len(rfc) == 12 else "fisica", legal, rfc, regimen, uso, cp),
        ).fetchone()[0]
        address = conn.execute(
            "INSERT INTO addresses (tenant_id, street, ext_number, colonia, postal_code) "
            "VALUES (%s, 'Av. Universidad', %s, 'Centro', '76000') RETURNING id",
            (tid, str(n)),
        ).fetchone()[0]
        toma = conn.execute(
            "INSERT INTO tomas (tenant_id, toma_number, address_id, sector_id, tariff_class) "
            "VALUES (%s, %s, %s, %s, 'domestico') RETURNING id",
            (tid, f"T-{n:05d}", address, sector),
        ).fetchone()[0]
        account_id = conn.execute(
            """INSERT INTO accounts (tenant_id, account_number, person_id, toma_id, tariff_class, opened_on,
                                     payment_reference, clabe)
               VALUES (%s, %s, %s, %s, 'domestico', '2020-01-01', %s, %s) RETURNING id""",
            (tid, f"CTA-{n:06d}", person, toma, f"9300{n:010d}", f"6461801118{n:08d}"),
        ).fetchone()[0]
        w.accounts.append(account_id)
    subtotal = sum(Decimal(line[4]) for line in lines)
    tax = sum(Decimal(line[6]) for line in lines)
    total = subtotal + tax
    invoice = conn.execute(
        """INSERT INTO invoices (tenant_id, account_id, period, billing_run_id, status, serie, folio, consumption_m3,
                                 estimated, subtotal, tax_total, total, previous_balance, amount_due, due_date,
                                 issued_at)
           VALUES (%s, %s, %s, %s, 'issued', 'A', %s, 18, %s, %s, %s, %s, %s, %s, %s, now()) RETURNING id""",
        (
            tid,
            account_id,
            period,
            w.run_id,
            1000 + n,
            estimated,
            subtotal,
            tax,
            total,
            Decimal(previous_balance),
            total + Decimal(previous_balance),
            period + dt.timedelta(days=50),
        ),
    ).fetchone()[0]
    for i, (code, desc, qty, unit, amount, rate, tax_amount) in enumerate(lines, start=1):
        conn.execute(
            """INSERT INTO invoice_lines (tenant_id, invoice_id, line_no, code, description, quantity, unit_price,
                                         amount, tax_rate, tax_amount, trace)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                tid,
                invoice,
                i,
                code,
                desc,
                qty,
                unit,
                amount,
                rate,
                tax_amount,
                '{"consumption": {"reads_used": {"previous": {"on": "2026-09-28", "value": "1200"}, '
                '"current": {"on": "2026-10-29", "value": "1218"}}}}'
                if code == "agua"
                else "{}",
            ),
        )
    w.invoices.append(invoice)
    return invoice, account_id


def build_world(
    db: TestDatabase, *, per_sector: list[list[tuple[Any, ...]]], config: dict[str, Any] | None = None
) -> World:
    with db.owner() as conn:
        tenant_id = conn.execute(
            """INSERT INTO tenants (slug, name, rfc, fiscal_name, regimen_fiscal, postal_code, config)
               VALUES ('cea-test', 'CEA prueba', %s, %s, '601', '76000', %s) RETURNING id""",
            (ISSUER_RFC, ISSUER_NAME, __import__("json").dumps({"cfdi": config or {}})),
        ).fetchone()[0]
        sectors = [
            conn.execute(
                "INSERT INTO sectores_hidraulicos (tenant_id, code, name) VALUES (%s, %s, %s) RETURNING id",
                (tenant_id, f"S{i:02d}", f"Sector {i}"),
            ).fetchone()[0]
            for i in range(1, len(per_sector) + 1)
        ]
        run_id = conn.execute(
            "INSERT INTO billing_runs (tenant_id, period, instance_id, status) "
            "VALUES (%s, %s, 'bill-test', 'completed') RETURNING id",
            (tenant_id, PERIOD),
        ).fetchone()[0]
        world = World(db=db, tenant_id=tenant_id, run_id=run_id, sectors=sectors)
        n = 0
        for sector, receivers in zip(sectors, per_sector, strict=True):
            for receiver in receivers:
                n += 1
                add_invoice(conn, world, sector=sector, receiver=receiver, n=n)
    return world


@pytest.fixture()
def installed(services: CfdiServices) -> Iterator[CfdiServices]:
    """The services installed for every tenant lookup in this process (activities, outbox handlers)."""
    yield services
    reset_services()


def install(world: World, services: CfdiServices) -> None:
    use_services(str(world.tenant_id), services)


def docs(world: World, where: str = "true") -> list[dict[str, Any]]:
    with world.owner() as conn:
        cur = conn.execute(
            f"SELECT id, invoice_id, kind, purpose, status, uuid::text, incidence_code, "
            f"incidence_message, attempts, signed_xml IS NOT NULL AS has_signed, "
            f"cfdi_stamped_xml(d) IS NOT NULL AS has_stamped, stamp_insert IS NOT NULL AS stored_as_insert, "
            f"related_uuids::text[] AS related, xml_blob, pdf_blob FROM cfdi_documents d "
            f"WHERE {where} ORDER BY id"
        )
        cols = [c.name for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
