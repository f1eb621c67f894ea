"""Pre-PAC validation: each rule produces a clear rejection; good requests produce none."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from shared.domain.cfdi.models import CfdiRequest, ConceptInput, GlobalInformation, InvoicingModel, Issuer, Receiver
from shared.domain.cfdi.requests import (
    GlobalReceipt,
    InvoicingModelError,
    credit_note_request,
    global_invoice_request,
    invoice_request,
    payment_terms,
    publico_en_general_receiver,
)
from shared.domain.cfdi.validation import CfdiRejected, prepare_cfdi, validate_request

FECHA = dt.datetime(2026, 1, 15, 12, 0, 0)


@pytest.fixture()
def good(issuer: Issuer, receiver: Receiver, water_concepts: list[ConceptInput]) -> CfdiRequest:
    return invoice_request(
        model=InvoicingModel.AT_BILLING,
        issuer=issuer,
        receiver=receiver,
        fecha=FECHA,
        concepts=water_concepts,
        serie="AGUA",
        folio="1",
    )


def _codes(request: CfdiRequest, **kwargs: object) -> set[tuple[str, str]]:
    return {(r.code, r.field) for r in validate_request(request=request, **kwargs)}  # type: ignore[arg-type]


def _with_receiver(request: CfdiRequest, **changes: object) -> CfdiRequest:
    return dataclasses.replace(request, receiver=dataclasses.replace(request.receiver, **changes))  # type: ignore[arg-type]


def test_good_request_has_no_rejections(good: CfdiRequest) -> None:
    assert validate_request(request=good) == ()
    cfdi = prepare_cfdi(request=good)
    assert (cfdi.metodo_pago, cfdi.forma_pago) == ("PPD", "99")


def test_invoicing_models() -> None:
    assert payment_terms(model=InvoicingModel.AT_BILLING, forma_pago=None) == ("PPD", "99")
    assert payment_terms(model=InvoicingModel.ON_PAYMENT, forma_pago="03") == ("PUE", "03")
    with pytest.raises(InvoicingModelError):
        payment_terms(model=InvoicingModel.ON_PAYMENT, forma_pago=None)
    with pytest.raises(InvoicingModelError):
        payment_terms(model=InvoicingModel.ON_PAYMENT, forma_pago="99")
    with pytest.raises(InvoicingModelError):
        payment_terms(model=InvoicingModel.AT_BILLING, forma_pago="01")


def test_missing_postal_code(good: CfdiRequest) -> None:
    assert ("missing_postal_code", "receiver.postal_code") in _codes(_with_receiver(good, postal_code=None))
    assert ("missing_postal_code", "receiver.postal_code") in _codes(_with_receiver(good, postal_code="7600"))
    no_issuer_cp = dataclasses.replace(good, issuer=dataclasses.replace(good.issuer, postal_code=""))
    assert ("missing_postal_code", "issuer.postal_code") in _codes(no_issuer_cp)


def test_invalid_rfc_check_digit_and_format(good: CfdiRequest) -> None:
    assert ("invalid_rfc_check_digit", "receiver.rfc") in _codes(_with_receiver(good, rfc="CACX7605101P9"))
    assert ("invalid_rfc_format", "receiver.rfc") in _codes(_with_receiver(good, rfc="CACX76051"))
    rejection = validate_request(request=_with_receiver(good, rfc="CACX7605101P9"))[0]
    assert "dígito verificador" in rejection.message


def test_regimen_must_fit_persona_type(good: CfdiRequest) -> None:
    # 601 is for personas morales; the receiver's RFC has 13 characters (persona física)
    assert ("regimen_person_mismatch", "receiver.regimen_fiscal") in _codes(_with_receiver(good, regimen_fiscal="601"))
    moral = _with_receiver(good, rfc="KIJ0906199R1", regimen_fiscal="605")
    assert ("regimen_person_mismatch", "receiver.regimen_fiscal") in _codes(moral)


def test_uso_must_fit_regimen_and_persona(good: CfdiRequest) -> None:
    # G03 is not allowed for 605 (sueldos y salarios)
    assert ("uso_regimen_mismatch", "receiver.uso_cfdi") in _codes(_with_receiver(good, regimen_fiscal="605"))
    # D01 (deducciones personales) is for personas físicas only
    moral = _with_receiver(good, rfc="KIJ0906199R1", regimen_fiscal="601", uso_cfdi="D01")
    assert ("uso_regimen_mismatch", "receiver.uso_cfdi") in _codes(moral)
    assert ("unknown_uso_cfdi", "receiver.uso_cfdi") in _codes(_with_receiver(good, uso_cfdi="X99"))
    ok = _with_receiver(good, rfc="KIJ0906199R1", regimen_fiscal="601", uso_cfdi="G03")
    assert _codes(ok) == set()


def test_totals_inconsistent(good: CfdiRequest) -> None:
    wrong_line = dataclasses.replace(good.concepts[0], importe=Decimal("999.99"))
    request = dataclasses.replace(good, concepts=(wrong_line, *good.concepts[1:]))
    assert ("totals_inconsistent", "concepts[0].importe") in _codes(request)
    cfdi = prepare_cfdi(request=good)
    consistent = dataclasses.replace(good, expected_subtotal=cfdi.subtotal, expected_total=cfdi.total)
    assert _codes(consistent) == set()
    off_by_a_cent = dataclasses.replace(good, expected_total=cfdi.total + Decimal("0.01"))
    assert ("totals_inconsistent", "expected_total") in _codes(off_by_a_cent)


def test_publico_en_general_requires_global_information(issuer: Issuer, water_concepts: list[ConceptInput]) -> None:
    receiver = publico_en_general_receiver(issuer=issuer)
    assert (receiver.rfc, receiver.name, receiver.regimen_fiscal, receiver.uso_cfdi, receiver.postal_code) == (
        "XAXX010101000",
        "PUBLICO EN GENERAL",
        "616",
        "S01",
        "76000",
    )
    request = invoice_request(
        model=InvoicingModel.ON_PAYMENT,
        issuer=issuer,
        receiver=receiver,
        fecha=FECHA,
        concepts=water_concepts,
        forma_pago="01",
    )
    assert ("missing_global_information", "global_information") in _codes(request)
    with_info = dataclasses.replace(request, global_information=GlobalInformation("04", "01", 2026))
    assert _codes(with_info) == set()
    wrong_cp = dataclasses.replace(with_info, receiver=dataclasses.replace(receiver, postal_code="10740"))
    assert ("generic_rfc_rules", "receiver.postal_code") in _codes(wrong_cp)
    wrong_uso = dataclasses.replace(with_info, receiver=dataclasses.replace(receiver, uso_cfdi="G03"))
    assert ("generic_rfc_rules", "receiver.uso_cfdi") in _codes(wrong_uso)
    bimonthly_wrong = dataclasses.replace(request, global_information=GlobalInformation("05", "01", 2026))
    assert ("invalid_global_information", "global_information.meses") in _codes(bimonthly_wrong)


def test_global_information_only_for_publico_en_general(good: CfdiRequest) -> None:
    request = dataclasses.replace(good, global_information=GlobalInformation("04", "01", 2026))
    assert ("unexpected_global_information", "global_information") in _codes(request)


def test_global_invoice_builder(issuer: Issuer) -> None:
    request = global_invoice_request(
        issuer=issuer,
        fecha=FECHA,
        periodicidad="04",
        meses="01",
        year=2026,
        forma_pago="01",
        receipts=[GlobalReceipt("R-1", Decimal("150.00"), Decimal("0")), GlobalReceipt("R-2", Decimal("80.50"), None)],
    )
    assert validate_request(request=request) == ()
    assert [c.clave_prod_serv for c in request.concepts] == ["01010101", "01010101"]
    assert {c.clave_unidad for c in request.concepts} == {"ACT"} and request.concepts[0].description == "Venta"
    assert prepare_cfdi(request=request).total == Decimal("230.50")


def test_payment_model_mismatch(good: CfdiRequest) -> None:
    assert ("payment_model_mismatch", "forma_pago") in _codes(dataclasses.replace(good, forma_pago="01"))
    pue = dataclasses.replace(good, metodo_pago="PUE")
    assert ("payment_model_mismatch", "forma_pago") in _codes(pue)


def test_text_and_amount_rules(good: CfdiRequest) -> None:
    bad = dataclasses.replace(
        good.concepts[0], description="agua | drenaje", quantity=Decimal("0"), clave_prod_serv="83101600"
    )
    codes = _codes(dataclasses.replace(good, concepts=(bad,)))
    assert ("forbidden_character", "concepts[0].description") in codes
    assert ("invalid_amount", "concepts[0].quantity") in codes
    assert ("invalid_clave_prod_serv", "concepts[0].clave_prod_serv") in codes
    control = dataclasses.replace(good.concepts[0], description="agua\x07")
    assert ("forbidden_character", "concepts[0].description") in _codes(dataclasses.replace(good, concepts=(control,)))
    bad_rate = dataclasses.replace(good.concepts[0], iva_rate=Decimal("0.15"))
    assert ("invalid_tax_rate", "concepts[0].iva_rate") in _codes(dataclasses.replace(good, concepts=(bad_rate,)))
    untaxed_02 = dataclasses.replace(good.concepts[0], iva_rate=None, objeto_imp="02")
    assert ("invalid_objeto_imp", "concepts[0].objeto_imp") in _codes(dataclasses.replace(good, concepts=(untaxed_02,)))
    assert ("missing_field", "concepts") in _codes(dataclasses.replace(good, concepts=()))


def test_fecha_window(good: CfdiRequest) -> None:
    assert ("invalid_date", "fecha") in _codes(good, now=FECHA - dt.timedelta(minutes=1))
    assert ("invalid_date", "fecha") in _codes(good, now=FECHA + dt.timedelta(hours=73))
    assert _codes(good, now=FECHA + dt.timedelta(hours=71)) == set()
    assert ("invalid_date", "fecha") in _codes(dataclasses.replace(good, fecha=FECHA.replace(microsecond=5)))


def test_credit_note_requires_relation(issuer: Issuer, receiver: Receiver, water_concepts: list[ConceptInput]) -> None:
    request = credit_note_request(
        issuer=issuer,
        receiver=receiver,
        fecha=FECHA,
        forma_pago="15",
        original_uuids=["AF124DC7-1111-4222-8333-444455556666"],
        concepts=water_concepts[:1],
    )
    assert request.tipo_de_comprobante == "E" and request.related[0].tipo_relacion == "01"
    assert validate_request(request=request) == ()
    assert ("missing_related", "related") in _codes(dataclasses.replace(request, related=()))
    bad_uuid = credit_note_request(
        issuer=issuer,
        receiver=receiver,
        fecha=FECHA,
        forma_pago="15",
        original_uuids=["not-a-uuid"],
        concepts=water_concepts[:1],
    )
    assert ("invalid_related", "related[0].uuids") in _codes(bad_uuid)


def test_prepare_raises_with_all_reasons(good: CfdiRequest) -> None:
    bad = _with_receiver(good, rfc="CACX7605101P9", postal_code=None)
    with pytest.raises(CfdiRejected) as info:
        prepare_cfdi(request=bad)
    assert {r.code for r in info.value.rejections} >= {"invalid_rfc_check_digit", "missing_postal_code"}
