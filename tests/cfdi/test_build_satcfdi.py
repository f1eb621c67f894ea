"""Reference path with satcfdi: build, sign, XSD-validate; Egreso with CfdiRelacionados; Pagos 2.0."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree
from satcfdi.cfdi import CFDI
from satcfdi.exceptions import SchemaValidationError

from shared.adapters.cfdi_xml.satcfdi_build import PaidDocument, payment_complement, to_satcfdi
from shared.adapters.csd import CfdiSigner
from shared.adapters.pac import FinkokClient
from shared.adapters.pac.checks import check_cfdi
from shared.domain.cfdi.models import ConceptInput, InvoicingModel, Issuer, Receiver
from shared.domain.cfdi.requests import (
    GlobalReceipt,
    credit_note_request,
    global_invoice_request,
    invoice_request,
)
from shared.domain.cfdi.validation import prepare_cfdi

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "pago20": "http://www.sat.gob.mx/Pagos20"}
FECHA = dt.datetime(2026, 1, 15, 12, 0, 0)


def test_at_billing_invoice_builds_signs_and_validates(
    cfdi_signer: CfdiSigner, issuer: Issuer, receiver: Receiver, water_concepts: list[ConceptInput]
) -> None:
    cfdi = prepare_cfdi(
        request=invoice_request(
            model=InvoicingModel.AT_BILLING,
            issuer=issuer,
            receiver=receiver,
            fecha=FECHA,
            concepts=water_concepts,
            serie="AGUA",
            folio="7",
        )
    )
    signed = cfdi_signer.sign_satcfdi(to_satcfdi(cfdi=cfdi), validate=True)
    root = check_cfdi(signed.xml)  # XSD + Sello with the embedded certificate
    assert (root.get("MetodoPago"), root.get("FormaPago"), root.get("Total")) == ("PPD", "99", format(cfdi.total, "f"))
    assert signed == cfdi_signer.sign_native(cfdi)  # same XML, cadena and Sello on both paths


def test_satcfdi_rejects_an_invalid_document(
    cfdi_signer: CfdiSigner, issuer: Issuer, receiver: Receiver, water_concepts: list[ConceptInput]
) -> None:
    bad = ConceptInput(
        clave_prod_serv="83101500",
        clave_unidad="E48",
        description="agua | drenaje",
        quantity=Decimal("1"),
        unit_value=Decimal("10"),
    )
    request = invoice_request(
        model=InvoicingModel.AT_BILLING, issuer=issuer, receiver=receiver, fecha=FECHA, concepts=[bad]
    )
    from shared.domain.cfdi.amounts import compute_cfdi

    with pytest.raises(SchemaValidationError):
        cfdi_signer.sign_satcfdi(to_satcfdi(cfdi=compute_cfdi(request=request)), validate=True)


def test_our_rounding_wins_over_satcfdis(cfdi_signer: CfdiSigner, issuer: Issuer, receiver: Receiver) -> None:
    # 0.125 is a tie: satcfdi's round() gives 0.12, the project's ROUND_HALF_UP gives 0.13
    tie = ConceptInput(
        clave_prod_serv="83101500",
        clave_unidad="E48",
        description="x",
        quantity=Decimal("1"),
        unit_value=Decimal("0.125"),
        iva_rate=Decimal("0.16"),
    )
    cfdi = prepare_cfdi(
        request=invoice_request(
            model=InvoicingModel.AT_BILLING, issuer=issuer, receiver=receiver, fecha=FECHA, concepts=[tie]
        )
    )
    signed = cfdi_signer.sign_satcfdi(to_satcfdi(cfdi=cfdi), validate=True)
    root = etree.fromstring(signed.xml)
    assert root.get("SubTotal") == "0.13"
    assert root.find("cfdi:Conceptos/cfdi:Concepto", NS).get("Importe") == "0.13"  # type: ignore[union-attr]


def test_global_invoice_validates(cfdi_signer: CfdiSigner, issuer: Issuer) -> None:
    request = global_invoice_request(
        issuer=issuer,
        fecha=FECHA,
        periodicidad="04",
        meses="01",
        year=2026,
        forma_pago="01",
        serie="G",
        folio="1",
        receipts=[GlobalReceipt(f"R-{i}", Decimal("100.00") + i, Decimal("0")) for i in range(5)],
    )
    signed = cfdi_signer.sign_satcfdi(to_satcfdi(cfdi=prepare_cfdi(request=request)), validate=True)
    root = check_cfdi(signed.xml)
    info = root.find("cfdi:InformacionGlobal", NS)
    assert info is not None and (info.get("Periodicidad"), info.get("Meses"), info.get("Año")) == ("04", "01", "2026")
    assert root.find("cfdi:Receptor", NS).get("DomicilioFiscalReceptor") == "76000"  # type: ignore[union-attr]


def test_credit_note_and_payment_complement_through_the_simulator(
    cfdi_signer: CfdiSigner,
    pac_client: FinkokClient,
    issuer: Issuer,
    receiver: Receiver,
    water_concepts: list[ConceptInput],
    local_now: dt.datetime,
) -> None:
    # 1. a PPD invoice, stamped
    invoice = prepare_cfdi(
        request=invoice_request(
            model=InvoicingModel.AT_BILLING,
            issuer=issuer,
            receiver=receiver,
            fecha=local_now,
            concepts=water_concepts,
            serie="AGUA",
            folio="100",
        )
    )
    stamped = pac_client.stamp(cfdi_signer.sign_native(invoice).xml)

    # 2. Egreso related to it with TipoRelacion 01, built and signed with satcfdi, stamped
    note = prepare_cfdi(
        request=credit_note_request(
            issuer=issuer,
            receiver=receiver,
            fecha=local_now,
            original_uuids=[stamped.uuid],
            forma_pago="15",
            concepts=[
                ConceptInput(
                    clave_prod_serv="83101500",
                    clave_unidad="E48",
                    description="Bonificación",
                    quantity=Decimal("1"),
                    unit_value=Decimal("20.00"),
                    iva_rate=Decimal("0.16"),
                )
            ],
            serie="NC",
            folio="1",
        )
    )
    note_signed = cfdi_signer.sign_satcfdi(to_satcfdi(cfdi=note), validate=True)
    root = etree.fromstring(pac_client.stamp(note_signed.xml).xml)
    assert root.get("TipoDeComprobante") == "E"
    related = root.find("cfdi:CfdiRelacionados", NS)
    assert related is not None and related.get("TipoRelacion") == "01"
    assert related.find("cfdi:CfdiRelacionado", NS).get("UUID") == stamped.uuid  # type: ignore[union-attr]

    # 3. a partial payment of 200.00 with Pagos 2.0, satcfdi prorates the taxes; stamped (XSD incl. Pagos20)
    pago = payment_complement(
        documents=[
            PaidDocument(
                stamped_xml=stamped.xml, num_parcialidad=1, imp_saldo_ant=invoice.total, imp_pagado=Decimal("200.00")
            )
        ],
        fecha=local_now,
        fecha_pago=local_now - dt.timedelta(hours=1),
        forma_pago="03",
        serie="P",
        folio="1",
        num_operacion="MBAN01002601150001",
    )
    pago_signed = cfdi_signer.sign_satcfdi(pago, validate=True)
    pago_stamped = CFDI.from_string(pac_client.stamp(pago_signed.xml).xml)
    assert pago_stamped["TipoDeComprobante"] == "P" and pago_stamped["Receptor"]["UsoCFDI"] == "CP01"
    p = pago_stamped["Complemento"]["Pagos"]["Pago"][0]
    doc = p["DoctoRelacionado"][0]
    assert doc["IdDocumento"] == stamped.uuid
    assert doc["ImpSaldoInsoluto"] == invoice.total - Decimal("200.00")
    assert p["Monto"] == Decimal("200.00") and p["NumOperacion"] == "MBAN01002601150001"
    # taxes prorated: paid share of the 16% base never exceeds the invoice's 16% base
    base16 = next(t.base for t in invoice.traslados if t.tasa_o_cuota == Decimal("0.160000"))
    totales = pago_stamped["Complemento"]["Pagos"]["Totales"]
    assert Decimal(0) < totales["TotalTrasladosBaseIVA16"] <= base16
    assert totales["MontoTotalPagos"] == Decimal("200.00")
