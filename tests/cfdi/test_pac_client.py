"""Stamping through the real FinkokClient (httpx, SOAP) against the local PAC simulator over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest
from lxml import etree

from devtools.fakes.pac_simulator import PacSimulator, start_simulator
from shared.adapters.csd import CfdiSigner, SignedCfdi, build_cancellation_request
from shared.adapters.pac import (
    FinkokClient,
    PacPermanentError,
    PacRetryableError,
    RetryPolicy,
)
from shared.adapters.pac.checks import tfd_cadena, validate_xsd
from shared.domain.cfdi.models import ConceptInput, InvoicingModel, Issuer, Receiver
from shared.domain.cfdi.requests import invoice_request
from shared.domain.cfdi.validation import prepare_cfdi

NS_TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"


@pytest.fixture()
def signed(
    cfdi_signer: CfdiSigner,
    issuer: Issuer,
    receiver: Receiver,
    water_concepts: list[ConceptInput],
    local_now: dt.datetime,
) -> SignedCfdi:
    request = invoice_request(
        model=InvoicingModel.ON_PAYMENT,
        issuer=issuer,
        receiver=receiver,
        fecha=local_now,
        concepts=water_concepts,
        forma_pago="03",
        serie="AGUA",
        folio="1",
    )
    return cfdi_signer.sign_native(prepare_cfdi(request=request, now=local_now + dt.timedelta(minutes=1)))


def _tfd(xml: bytes) -> etree._Element:
    tfd = etree.fromstring(xml).find(f".//{NS_TFD}")
    assert tfd is not None
    return tfd


def test_stamp_success_returns_tfd_bound_to_the_sello(pac_client: FinkokClient, signed: SignedCfdi) -> None:
    result = pac_client.stamp(signed.xml)
    tfd = _tfd(result.xml)
    assert tfd.get("UUID") == result.uuid
    assert tfd.get("SelloCFD") == signed.sello
    assert not result.recovered
    assert tfd_cadena(tfd).startswith(f"||1.1|{result.uuid}|")
    assert len(tfd.get("SelloSAT", "")) == 344  # 256 bytes, base64: same shape as a real SelloSAT
    # the stamped document still carries the original signature and is valid with the TFD 1.1 schema
    assert etree.fromstring(result.xml).get("Sello") == signed.sello
    validate_xsd(etree.fromstring(result.xml))


def test_stamp_keeps_every_signed_byte_and_only_appends_the_complemento(
    pac_client: FinkokClient, signed: SignedCfdi
) -> None:
    stamped = pac_client.stamp(signed.xml).xml
    start, end = stamped.index(b"<cfdi:Complemento>"), stamped.index(b"</cfdi:Complemento>")
    assert stamped[:start] + stamped[end + len(b"</cfdi:Complemento>") :] == signed.xml
    assert stamped.rstrip().endswith(b"</cfdi:Complemento></cfdi:Comprobante>")


def test_document_with_an_addenda_gets_the_tfd_in_a_complemento_before_it(signed: SignedCfdi) -> None:
    """The uncommon shape goes through the tree path. (A free-form Addenda fails the strict SAT XSD check, so this
    simulator only runs the structural checks.)"""
    closing = b"</cfdi:Comprobante>"
    addenda = b'<cfdi:Addenda><cea:Nota xmlns:cea="urn:cea-queretaro:addenda">lectura real</cea:Nota></cfdi:Addenda>'
    with PacSimulator(full_check_every=10**6) as sim:
        client = FinkokClient(base_url=sim.url, username="u", password="p", timeout=5)
        root = etree.fromstring(client.stamp(signed.xml.replace(closing, addenda + closing)).xml)
        client.close()
    assert [etree.QName(child).localname for child in root][-2:] == ["Complemento", "Addenda"]
    assert root.find(f".//{NS_TFD}").get("SelloCFD") == signed.sello  # type: ignore[union-attr]


def test_duplicate_stamp_307_is_recovered_with_stamped(
    pac_client: FinkokClient, simulator: PacSimulator, signed: SignedCfdi
) -> None:
    first = pac_client.stamp(signed.xml)
    again = pac_client.stamp(signed.xml)
    assert again.recovered
    assert again.uuid == first.uuid
    assert _tfd(again.xml).get("UUID") == first.uuid
    stats = simulator.stats()
    assert stats["stamp"] == 2 and stats["stamped"] == 1 and stats["stamped_documents"] == 1


def test_duplicate_with_previous_xml_in_the_307_answer_needs_no_stamped_call(signed: SignedCfdi) -> None:
    with PacSimulator(include_xml_on_duplicate=True) as sim:
        client = FinkokClient(base_url=sim.url, username="u", password="p", timeout=2, sleep=lambda s: None)
        first = client.stamp(signed.xml)
        again = client.stamp(signed.xml)
        client.close()
        assert again.recovered and again.uuid == first.uuid
        assert sim.stats().get("stamped", 0) == 0


def test_timeout_then_retry_recovers_the_stamp_made_during_the_timeout(
    pac_client: FinkokClient, simulator: PacSimulator, signed: SignedCfdi
) -> None:
    simulator.inject("timeout", count=1, seconds=1.0, operation="stamp")
    result = pac_client.stamp(signed.xml)
    # the first call was processed but its answer never arrived; the retry saw 307 and recovered it
    assert result.recovered
    assert simulator.stats()["stamped_documents"] == 1
    assert len(pac_client.sleeps) == 1  # type: ignore[attr-defined]


def test_5xx_is_retried_then_succeeds(pac_client: FinkokClient, simulator: PacSimulator, signed: SignedCfdi) -> None:
    simulator.inject("http_error", count=2, status=503)
    result = pac_client.stamp(signed.xml)
    assert not result.recovered
    assert simulator.stats()["stamp"] == 3
    sleeps = pac_client.sleeps  # type: ignore[attr-defined]
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]  # exponential backoff


def test_5xx_exhausting_retries_is_a_retryable_error(
    pac_client: FinkokClient, simulator: PacSimulator, signed: SignedCfdi
) -> None:
    simulator.inject("http_error", count=10, status=500)
    with pytest.raises(PacRetryableError) as info:
        pac_client.stamp(signed.xml)
    assert info.value.retryable and info.value.incidence.code == "http_500"
    assert simulator.stats()["stamp"] == pac_client.retry.attempts


def test_retryable_incidence_708_then_success(
    pac_client: FinkokClient, simulator: PacSimulator, signed: SignedCfdi
) -> None:
    simulator.inject("incidence", count=1, code="708")
    assert pac_client.stamp(signed.xml).uuid
    assert simulator.stats()["stamp"] == 2


def test_permanent_rejection_is_not_retried(
    pac_client: FinkokClient, simulator: PacSimulator, signed: SignedCfdi
) -> None:
    simulator.inject("incidence", count=1, code="305")
    with pytest.raises(PacPermanentError) as info:
        pac_client.stamp(signed.xml)
    incidence = info.value.incidence
    assert (incidence.code, incidence.retryable) == ("305", False)
    assert "vigencia" in incidence.message
    assert simulator.stats()["stamp"] == 1


def test_tampered_document_is_rejected_by_sello_check(pac_client: FinkokClient, signed: SignedCfdi) -> None:
    tampered = signed.xml.replace(b'Folio="1"', b'Folio="2"')
    with pytest.raises(PacPermanentError) as info:
        pac_client.stamp(tampered)
    assert info.value.incidence.code == "302"


def test_xsd_invalid_document_is_rejected(pac_client: FinkokClient, signed: SignedCfdi) -> None:
    with pytest.raises(PacPermanentError) as info:
        pac_client.stamp(signed.xml.replace(b'Exportacion="01"', b'Exportacion="99"'))
    assert info.value.incidence.code == "705"


def test_old_fecha_is_rejected_401(
    pac_client: FinkokClient,
    cfdi_signer: CfdiSigner,
    issuer: Issuer,
    receiver: Receiver,
    water_concepts: list[ConceptInput],
    local_now: dt.datetime,
) -> None:
    request = invoice_request(
        model=InvoicingModel.AT_BILLING,
        issuer=issuer,
        receiver=receiver,
        fecha=local_now - dt.timedelta(hours=80),
        concepts=water_concepts,
    )
    signed = cfdi_signer.sign_native(prepare_cfdi(request=request))
    with pytest.raises(PacPermanentError) as info:
        pac_client.stamp(signed.xml)
    assert info.value.incidence.code == "401"


def test_wrong_credentials_are_permanent(simulator: PacSimulator, signed: SignedCfdi) -> None:
    client = FinkokClient(
        base_url=simulator.url,
        username="demo",
        password="wrong",
        timeout=2,
        retry=RetryPolicy(attempts=2, base_delay=0),
        sleep=lambda s: None,
    )
    with pytest.raises(PacPermanentError) as info:
        client.stamp(signed.xml)
    assert info.value.incidence.code == "300"
    client.close()


def test_stamped_without_previous_stamp_is_603_retryable(pac_client: FinkokClient, signed: SignedCfdi) -> None:
    with pytest.raises(PacRetryableError) as info:
        pac_client.stamped(signed.xml)
    assert info.value.incidence.code == "603"


def test_connection_refused_is_retryable(signed: SignedCfdi) -> None:
    url, stop = start_simulator()
    stop()  # nothing listens there any more
    client = FinkokClient(
        base_url=url,
        username="u",
        password="p",
        timeout=0.5,
        retry=RetryPolicy(attempts=2, base_delay=0),
        sleep=lambda s: None,
    )
    with pytest.raises(PacRetryableError) as info:
        client.stamp(signed.xml)
    assert info.value.incidence.code == "network"
    client.close()


def test_cancel_and_status(pac_client: FinkokClient, signer, signed: SignedCfdi) -> None:  # type: ignore[no-untyped-def]
    result = pac_client.stamp(signed.xml)
    status = pac_client.status(
        result.uuid, issuer_rfc="EKU9003173C9", receiver_rfc="CACX7605101P8", total=Decimal("316.12")
    )
    assert status.estado == "Vigente"
    request = build_cancellation_request(signer=signer, uuid=result.uuid, motivo="02")
    cancel = pac_client.cancel(request)
    assert (cancel.uuid, cancel.status_code) == (result.uuid, "201")
    assert cancel.acuse and result.uuid.encode() in cancel.acuse
    assert pac_client.cancel(request).status_code == "202"
    assert (
        pac_client.status(
            result.uuid, issuer_rfc="EKU9003173C9", receiver_rfc="CACX7605101P8", total=Decimal("316.12")
        ).estado
        == "Cancelado"
    )


def test_cancel_unknown_uuid_is_205_retryable(pac_client: FinkokClient, signer) -> None:  # type: ignore[no-untyped-def]
    request = build_cancellation_request(signer=signer, uuid="AF124DC7-1111-4222-8333-444455556666", motivo="02")
    with pytest.raises(PacRetryableError) as info:
        pac_client.cancel(request)
    assert info.value.incidence.code == "205"


def test_control_endpoint_injects_faults_over_http(
    pac_client: FinkokClient, simulator: PacSimulator, signed: SignedCfdi
) -> None:
    response = httpx.post(
        f"{simulator.url}/_control/faults", content=json.dumps({"kind": "incidence", "code": "718", "count": 1})
    )
    assert response.status_code == 204
    with pytest.raises(PacPermanentError) as info:
        pac_client.stamp(signed.xml)
    assert info.value.incidence.code == "718"
    assert httpx.get(f"{simulator.url}/_control/stats").json()["stamp"] == 1


def test_sampled_full_checks_still_check_structure_on_every_document(signed: SignedCfdi) -> None:
    """With full_check_every=2 the 1st document gets only structural checks, the 2nd the full PAC check."""
    tampered = signed.xml.replace(b'Total="', b'Total="1', 1)  # the Sello no longer matches the cadena
    sim = PacSimulator(full_check_every=2).start()
    client = FinkokClient(
        base_url=sim.url, username="u", password="p", timeout=5, retry=RetryPolicy(attempts=1, base_delay=0)
    )
    try:
        assert client.stamp(tampered).uuid  # structural checks only: accepted
        with pytest.raises(PacPermanentError) as info:
            client.stamp(tampered.replace(b'Total="1', b'Total="11', 1))  # full check: sello verified
        assert info.value.incidence.code == "302"
        with pytest.raises(PacPermanentError):
            client.stamp(b"<no-es-cfdi/>")  # structure is checked on every document
    finally:
        client.close()
        sim.stop()
