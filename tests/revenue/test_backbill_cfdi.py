"""The CFDI trail of a back-bill, end to end: an inspection confirms a fraud → the fraud case posts the back-bill
adjustment and `revenue.back_billed` is recorded in the same transaction → the event, delivered as the queue
trigger does, becomes an Ingreso signed with a test CSD and stamped by the local PAC simulator, for exactly the
adjustment's amount; a redelivery (and a direct second call) creates no second document."""

# ruff: noqa: F811  (the CFDI fixtures are imported from tests/cfdi_flow/conftest.py and used as arguments)
from __future__ import annotations

import datetime as dt
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree
from psycopg.types.json import Jsonb

from shared.application import consumers, outbox
from shared.application.cfdi import backbill
from shared.application.cfdi.services import CfdiServices, use_services
from shared.application.operations import work_orders
from shared.application.revenue import inspections
from tests.billing.builders import add_account, make_utility, monthly
from tests.cfdi_flow.conftest import (  # noqa: F401 - fixtures
    ISSUER_NAME,
    ISSUER_RFC,
    cfdi_signer,
    csd_files,
    installed,
    services,
    simulator,
)
from tests.revenue.helpers import issued_invoice, principal

NOW = datetime(2026, 11, 5, 12, tzinfo=UTC)
OCT = date(2026, 10, 1)
START = date(2025, 10, 1)
CFDI = "{http://www.sat.gob.mx/cfd/4}"


def cumulative(per_month):
    out, total = [], 1000
    for m3 in [0, *per_month]:
        total += m3
        out.append(total)
    return monthly(START, out)


@pytest.fixture(autouse=True)
def app_consumers():
    before = outbox.registered_consumers()
    consumers.install()
    yield
    outbox.register_consumers(before)


@pytest.fixture
def town(fresh_db, installed: CfdiServices):
    u = make_utility(fresh_db, "cea-bb", sectors=("S01",))
    with fresh_db.owner() as conn:
        conn.execute(
            """UPDATE tenants SET rfc = %s, fiscal_name = %s, regimen_fiscal = '601', postal_code = '76000',
                                  config = %s WHERE id = %s""",
            (ISSUER_RFC, ISSUER_NAME, Jsonb({"revenue": {"back_billing_surcharge": "0.10"}}), u.tenant_id),
        )
    use_services(str(u.tenant_id), installed)
    u.p = principal(u.tenant_id, u.slug)
    u.drop = add_account(fresh_db, u, sector="S01", reads=cumulative([22] * 9 + [3, 2, 3]))
    return u


def inspected(town, account_id: int) -> int:
    wo = inspections.create_inspection_orders(principal=town.p, period=OCT, account_ids=[account_id], now=NOW)[
        "work_order_ids"
    ][0]
    for status, who in (("assigned", "insp-1"), ("in_progress", None)):
        work_orders.change_status(principal=town.p, work_order_id=wo, status=status, assigned_to=who, now=NOW)
    return wo


def back_billed_events(db) -> list[dict]:  # type: ignore[type-arg]
    with db.owner() as conn:
        rows = conn.execute(
            """SELECT tenant_id::text, event_type, event_key, payload FROM domain_events
               WHERE event_type = 'revenue.back_billed' ORDER BY id"""
        ).fetchall()
    return [{"tenant_id": r[0], "type": r[1], "key": r[2], "payload": r[3]} for r in rows]


def documents(db) -> list[tuple]:  # type: ignore[type-arg]
    with db.owner() as conn:
        return conn.execute(
            """SELECT id, invoice_id, account_id, kind, purpose, status, serie, total, cfdi_stamped_xml(d)
               FROM cfdi_documents d ORDER BY id"""
        ).fetchall()


def test_confirmed_fraud_back_bill_gets_a_stamped_ingreso_once(fresh_db, town, installed):
    months = [date(2026, 8, 1), date(2026, 9, 1), OCT]
    for m in months:
        issued_invoice(fresh_db, town.tenant_id, account_id=town.drop, period=m, m3="3", total="61.50")
    wo = inspected(town, town.drop)
    result = inspections.record_inspection_outcome(
        principal=town.p,
        work_order_id=wo,
        outcome="fraud_confirmed",
        assessed=[(m, Decimal(20)) for m in months],
        notes="Derivación antes del medidor",
        now=NOW,
    )
    # by hand (Domestico 2026): 3 × (187.50 − 61.50) = 378.00, surcharge 10 % = 37.80 → 415.80
    assert result["amount"] == "415.80"
    assert documents(fresh_db) == []  # the CFDI is the consumer's work, after the commit
    (event,) = back_billed_events(fresh_db)
    with fresh_db.owner() as conn:
        adjustment_id, amount = conn.execute(
            "SELECT id, amount FROM adjustments WHERE natural_key = %s",
            (f"fraud-back-billing:{result['fraud_case_id']}",),
        ).fetchone()
    assert event["key"] == f"revenue.back_billed:{adjustment_id}"
    assert event["payload"]["consumption"] == "378.00" and event["payload"]["surcharge"] == "37.80"
    now = dt.datetime.now(dt.UTC)  # the CFDI's Fecha: the PAC refuses one outside its 72-hour window
    assert outbox.handle(event, now=now) >= 1
    assert outbox.handle(event, now=now) == 0  # redelivery: the consumer already ran
    (doc,) = documents(fresh_db)
    doc_id, invoice_id, account_id, kind, purpose, status, serie, total, xml = doc
    assert (invoice_id, account_id, kind, purpose, status, serie) == (
        None,
        town.drop,
        "I",
        f"backbill:{adjustment_id}",
        "stamped",
        "RF",
    )
    assert total == amount == Decimal("415.80")
    root = etree.fromstring(bytes(xml))
    assert root.get("TipoDeComprobante") == "I" and root.get("Total") == "415.80"
    assert root.get("MetodoPago") == "PPD" and root.get("Serie") == "RF"
    assert root.find(f"{CFDI}Receptor").get("Rfc") == "XAXX010101000"  # no RFC on file: público en general
    assert root.find(f"{CFDI}InformacionGlobal") is not None
    concepts = [(c.get("Descripcion"), c.get("Importe")) for c in root.iter(f"{CFDI}Concepto")]
    assert concepts == [
        ("Refacturación de consumo no facturado (2026-08 a 2026-10)", "378.00"),
        ("Recargo por uso no autorizado", "37.80"),
    ]
    assert root.find(".//{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital") is not None
    # The same back-bill issued again by any path (a replayed event under another consumer key, an operator
    # retry) finds the document by its natural key: nothing new is signed or stamped.
    again = backbill.issue_back_bill(
        tenant_id=town.tenant_id,
        adjustment_id=adjustment_id,
        consumption=Decimal("378.00"),
        surcharge=Decimal("37.80"),
        months="2026-08 a 2026-10",
        now=now,
        services=installed,
    )
    assert again["id"] == doc_id and len(documents(fresh_db)) == 1
    # Recording the outcome again records no second event.
    inspections.record_inspection_outcome(
        principal=town.p,
        work_order_id=wo,
        outcome="fraud_confirmed",
        assessed=[(m, Decimal(20)) for m in months],
        notes="",
        now=NOW,
    )
    assert len(back_billed_events(fresh_db)) == 1


def test_meter_fault_that_under_billed_gets_its_ingreso(fresh_db, town, installed):
    issued_invoice(fresh_db, town.tenant_id, account_id=town.drop, period=OCT, m3="3", total="61.50")
    wo = inspected(town, town.drop)
    result = inspections.record_inspection_outcome(
        principal=town.p,
        work_order_id=wo,
        outcome="meter_fault",
        assessed=[(OCT, Decimal(20))],
        notes="Medidor frenado",
        now=NOW,
    )
    assert result["amount"] == "126.00"  # no surcharge on a fault
    (event,) = back_billed_events(fresh_db)
    assert Decimal(event["payload"]["surcharge"]) == 0 and event["payload"]["months"] == "2026-10"
    assert outbox.handle(event, now=dt.datetime.now(dt.UTC)) >= 1
    ((_, _, _, kind, _, status, _, total, xml),) = documents(fresh_db)
    assert (kind, status, total) == ("I", "stamped", Decimal("126.00"))
    assert etree.fromstring(bytes(xml)).get("Total") == "126.00"


def test_a_back_bill_that_does_not_match_its_adjustment_is_refused(fresh_db, town, installed):
    issued_invoice(fresh_db, town.tenant_id, account_id=town.drop, period=OCT, m3="3", total="61.50")
    wo = inspected(town, town.drop)
    inspections.record_inspection_outcome(
        principal=town.p, work_order_id=wo, outcome="meter_fault", assessed=[(OCT, Decimal(20))], notes="", now=NOW
    )
    (event,) = back_billed_events(fresh_db)
    with pytest.raises(backbill.CorrectionError):
        backbill.issue_back_bill(
            tenant_id=town.tenant_id,
            adjustment_id=int(event["payload"]["adjustment_id"]),
            consumption=Decimal("126.01"),
            surcharge=Decimal(0),
            months="2026-10",
            now=dt.datetime.now(dt.UTC),
            services=installed,
        )
    assert documents(fresh_db) == []
