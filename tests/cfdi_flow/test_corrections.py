"""Corrections and payments: substitution + cancellation (motivo 01 needs the substitute), status polling, credit
notes related to the original UUID, Pagos 2.0 from payment.applied, and the on_payment model."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from shared.application import consumers, outbox
from shared.application.cfdi import corrections, payments
from shared.application.cfdi.services import CfdiServices
from tests.cfdi_flow.conftest import GOOD_RECEIVER, NO_RFC, PERIOD, WATER_LINES, World, add_invoice, build_world, docs
from tests.cfdi_flow.rounds import stamp_round
from tests.fixtures.postgres import TestDatabase

NS = {
    "cfdi": "http://www.sat.gob.mx/cfd/4",
    "pago20": "http://www.sat.gob.mx/Pagos20",
    "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital",
}


def handle(envelope: dict) -> int:  # type: ignore[type-arg]
    """Deliver an event as the domain-events queue trigger does."""
    return outbox.handle(envelope, now=dt.datetime.now(dt.UTC))


@pytest.fixture(autouse=True)
def app_consumers():
    """The domain-event consumers the app installs (function_app.py), for the tests that handle events."""
    before = outbox.registered_consumers()
    consumers.install()
    yield
    outbox.register_consumers(before)


def xml_of(world: World, doc_id: int) -> etree._Element:
    with world.owner() as conn:
        return etree.fromstring(
            bytes(
                conn.execute("SELECT cfdi_stamped_xml(d) FROM cfdi_documents d WHERE id = %s", (doc_id,)).fetchone()[0]
            )
        )


def test_cancel_motivo_01_needs_the_substitute_then_sat_confirms(
    fresh_db: TestDatabase, services: CfdiServices
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER]])
    stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    (original,) = docs(world)
    with pytest.raises(corrections.SubstituteRequired):
        corrections.cancel(tenant_id=world.tenant_id, uuid=original["uuid"], motivo="01", services=services)
    substitute = corrections.issue_substitute(
        tenant_id=world.tenant_id, invoice_id=world.invoices[0], now=dt.datetime.now(dt.UTC), services=services
    )
    assert substitute["status"] == "stamped" and substitute["related_uuids"] == [original["uuid"]]
    related = xml_of(world, substitute["id"]).find("cfdi:CfdiRelacionados", NS)
    assert related.get("TipoRelacion") == "04"
    assert related[0].get("UUID").lower() == original["uuid"]
    requested = corrections.cancel(
        tenant_id=world.tenant_id,
        uuid=original["uuid"],
        motivo="01",
        substitute_uuid=substitute["uuid"],
        services=services,
    )
    assert requested["status"] == "cancel_requested" and requested["cancel_motivo"] == "01"
    polled = corrections.poll_status(tenant_id=world.tenant_id, uuid=original["uuid"], services=services)
    assert polled["status"] == "cancelled" and polled["sat"]["estado"] == "Cancelado"
    with pytest.raises(corrections.CorrectionError):  # a motivo other than 01 never carries a substitute
        corrections.cancel(
            tenant_id=world.tenant_id,
            uuid=substitute["uuid"],
            motivo="02",
            substitute_uuid=original["uuid"],
            services=services,
        )
    cancelled_02 = corrections.cancel(
        tenant_id=world.tenant_id, uuid=substitute["uuid"], motivo="02", services=services
    )
    assert cancelled_02["status"] == "cancel_requested"


def test_over_estimate_credit_becomes_an_egreso_related_to_the_estimated_invoice(
    fresh_db: TestDatabase, services: CfdiServices
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER]])
    estimated_invoice = world.invoices[0]
    with world.owner() as conn:
        conn.execute("UPDATE invoices SET estimated = true WHERE id = %s", (estimated_invoice,))
    stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    (estimated_doc,) = docs(world)
    # Next month: an actual read shows 5 m³ fewer than estimated → a negative credit line on the new invoice.
    credit = (
        "credito_estimacion",
        "Crédito por consumo estimado facturado de más",
        "5",
        "-13.631700",
        "-68.16",
        "0",
        "0.00",
    )
    with world.owner() as conn:
        conn.execute(
            "INSERT INTO billing_runs (tenant_id, period, instance_id, status) VALUES (%s, %s, 'b2', 'completed')",
            (world.tenant_id, dt.date(2026, 11, 1)),
        )
        world.run_id = conn.execute("SELECT max(id) FROM billing_runs").fetchone()[0]
        invoice, _ = add_invoice(
            conn,
            world,
            sector=world.sectors[0],
            receiver=GOOD_RECEIVER,
            n=50,
            lines=[*WATER_LINES, credit],
            period=dt.date(2026, 11, 1),
            account_id=world.accounts[0],
        )
    summary = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    assert summary["stamped"] == 1
    (egreso,) = docs(world, "kind = 'E'")
    assert egreso["status"] == "stamped" and egreso["invoice_id"] == invoice
    assert egreso["related"] == [estimated_doc["uuid"]]
    root = xml_of(world, egreso["id"])
    assert root.get("TipoDeComprobante") == "E" and root.get("Total") == "68.16"
    assert root.find("cfdi:CfdiRelacionados", NS).get("TipoRelacion") == "01"
    ingreso = xml_of(world, docs(world, f"kind = 'I' AND invoice_id = {invoice}")[0]["id"])
    assert ingreso.get("Total") == "316.54"  # the Ingreso carries only the charges; the credit is the Egreso


def test_adjustment_credit_note_prorates_iva_and_is_idempotent(fresh_db: TestDatabase, services: CfdiServices) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER]])
    stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    (ingreso,) = docs(world)
    first = corrections.issue_credit_note(
        tenant_id=world.tenant_id,
        invoice_id=world.invoices[0],
        amount=Decimal("100.00"),
        reason="fuga reparada",
        purpose="adjustment:7",
        now=dt.datetime.now(dt.UTC),
        services=services,
    )
    again = corrections.issue_credit_note(
        tenant_id=world.tenant_id,
        invoice_id=world.invoices[0],
        amount=Decimal("100.00"),
        reason="fuga reparada",
        purpose="adjustment:7",
        now=dt.datetime.now(dt.UTC),
        services=services,
    )
    assert first["status"] == "stamped" and again["id"] == first["id"] and again["uuid"] == first["uuid"]
    root = xml_of(world, first["id"])
    rates = sorted(t.get("TasaOCuota") for t in root.findall("cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado", NS))
    assert rates == ["0.000000", "0.160000"]
    assert abs(Decimal(root.get("Total")) - Decimal("100.00")) <= Decimal("0.01")
    assert first["related_uuids"] == [ingreso["uuid"]]


def _payment(world: World, invoice_id: int, amount: str, n: int) -> int:
    with world.owner() as conn:
        payment_id = conn.execute(
            """INSERT INTO payments (tenant_id, provider, provider_payment_id, channel, amount, paid_at, reference,
                                     account_id, status)
               VALUES (%s, 'spei', %s, 'spei', %s, now() - interval '1 hour', %s, %s, 'applied') RETURNING id""",
            (world.tenant_id, f"p{n}", amount, f"RASTREO{n}", world.accounts[0]),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO payment_allocations (tenant_id, payment_id, target, invoice_id, amount) "
            "VALUES (%s, %s, 'invoice', %s, %s)",
            (world.tenant_id, payment_id, invoice_id, amount),
        )
    return int(payment_id)


def _applied(world: World, payment_id: int) -> dict:  # type: ignore[type-arg]
    return {
        "tenant_id": str(world.tenant_id),
        "type": "payment.applied",
        "key": f"payment.applied:{payment_id}",
        "payload": {"payment_id": payment_id, "account_id": world.accounts[0]},
    }


def test_payment_applied_event_produces_pagos_complements_numbered_per_invoice(
    fresh_db: TestDatabase,
    installed: CfdiServices,
    storage_env: str,  # every consumer of the event runs (the WhatsApp notice one enqueues its sends)
) -> None:
    from tests.cfdi_flow.conftest import install

    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER]])
    install(world, installed)
    stamp_round(tenant_id=world.tenant_id, run_id=world.run_id)
    (ingreso,) = docs(world)
    first = _payment(world, world.invoices[0], "100.00", 1)
    assert handle(_applied(world, first)) >= 1  # the cfdi-pagos consumer (and the event log) ran
    assert handle(_applied(world, first)) == 0  # redelivery: deduplicated, no second complement
    assert len(docs(world, "kind = 'P'")) == 1
    second = _payment(world, world.invoices[0], "216.54", 2)
    handle(_applied(world, second))
    pagos = docs(world, "kind = 'P'")
    assert [p["status"] for p in pagos] == ["stamped", "stamped"] and len({p["uuid"] for p in pagos}) == 2
    parts = []
    for doc in pagos:
        root = xml_of(world, doc["id"])
        assert root.get("TipoDeComprobante") == "P"
        pago = root.find("cfdi:Complemento/pago20:Pagos/pago20:Pago", NS)
        assert pago.get("FormaDePagoP") == "03" and pago.get("NumOperacion", "").startswith("RASTREO")
        rel = pago.find("pago20:DoctoRelacionado", NS)
        assert rel.get("IdDocumento").lower() == ingreso["uuid"]
        parts.append(
            (rel.get("NumParcialidad"), rel.get("ImpSaldoAnt"), rel.get("ImpPagado"), rel.get("ImpSaldoInsoluto"))
        )
    assert parts == [("1", "316.54", "100.00", "216.54"), ("2", "216.54", "216.54", "0.00")]


def test_on_payment_model_stamps_pue_when_paid_and_a_global_invoice_for_publico_en_general(
    fresh_db: TestDatabase, installed: CfdiServices
) -> None:
    from tests.cfdi_flow.conftest import install

    services = installed
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER, NO_RFC]], config={"invoicing_model": "on_payment"})
    install(world, services)
    summary = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    assert summary["stamped"] == 0 and docs(world) == []  # receipts only at billing
    with world.owner() as conn:  # the second customer pays too
        world.accounts.append(
            conn.execute("SELECT account_id FROM invoices WHERE id = %s", (world.invoices[1],)).fetchone()[0]
        )
    paid_rfc = _payment(world, world.invoices[0], "316.54", 1)
    out = payments.handle_payment(
        tenant_id=world.tenant_id, payment_id=paid_rfc, now=dt.datetime.now(dt.UTC), services=services
    )
    assert [d["status"] for d in out] == ["stamped"] and out[0]["metodo_pago"] == "PUE"
    assert out[0]["forma_pago"] == "03"
    paid_publico = _payment(world, world.invoices[1], "316.54", 2)
    now = dt.datetime.now(dt.UTC)
    assert payments.handle_payment(tenant_id=world.tenant_id, payment_id=paid_publico, now=now, services=services) == []
    glob = payments.issue_global_invoice(
        tenant_id=world.tenant_id, year=now.year, month=now.month, now=now, services=services
    )
    assert glob is not None and glob["status"] == "stamped"
    root = xml_of(world, glob["id"])
    assert root.find("cfdi:Receptor", NS).get("Rfc") == "XAXX010101000"
    assert root.find("cfdi:InformacionGlobal", NS).get("Meses") == f"{now.month:02d}"
    assert {c.get("ClaveProdServ") for c in root.findall("cfdi:Conceptos/cfdi:Concepto", NS)} == {"01010101"}
    assert Decimal(root.get("Total")) == Decimal("316.54")
    assert PERIOD.month == 10
    next_month = dt.date(now.year + (now.month == 12), now.month % 12 + 1, 1)  # the monthly timer's job
    again = payments.issue_due_global_invoices(today=next_month, now=now, tenant_ids=[world.tenant_id])
    assert again[str(world.tenant_id)]["id"] == glob["id"]  # the same month never gets a second global invoice


def test_operator_credit_on_an_invoice_becomes_an_egreso_through_its_event(
    fresh_db: TestDatabase, installed: CfdiServices
) -> None:
    from shared.application.billing import adjustments
    from tests.cfdi_flow.conftest import install

    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER]])
    install(world, installed)
    stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=installed)
    (ingreso,) = docs(world)
    now = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    credit = {
        "tenant_id": world.tenant_id,
        "invoice_id": world.invoices[0],
        "reason": "Fuga reparada",
        "by": "ops",
        "now": now,
    }
    adjustment_id = adjustments.credit_invoice(amount=Decimal("50.00"), key="credit-1", **credit)
    assert adjustments.credit_invoice(amount=Decimal("50.00"), key="credit-1", **credit) == adjustment_id
    with pytest.raises(adjustments.InvoiceNotCreditable):
        adjustments.credit_invoice(amount=Decimal("1000000.00"), key="credit-2", **credit)
    with world.owner() as conn:
        envelope = conn.execute(
            """SELECT tenant_id::text, event_type, event_key, payload FROM domain_events
               WHERE event_type = 'adjustment.credited'"""
        ).fetchone()
        movement = conn.execute("SELECT amount FROM account_movements WHERE source_type = 'adjustment'").fetchone()
    assert movement == (Decimal("-50.00"),)
    event = {"tenant_id": envelope[0], "type": envelope[1], "key": envelope[2], "payload": envelope[3]}
    assert handle(event) >= 1
    assert handle(event) == 0  # redelivery: no second credit note
    (egreso,) = docs(world, "kind = 'E'")
    assert egreso["status"] == "stamped" and egreso["related"] == [ingreso["uuid"]]
    assert xml_of(world, egreso["id"]).get("Total") == "50.00"
