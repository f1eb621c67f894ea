"""Golden test of the fast path: on thousands of varied invoices the native cadena equals the SAT XSLT output
(through satcfdi and directly on the native XML), the native XML equals satcfdi's byte for byte, every Sello
verifies with the certificate, and every invoice the pre-PAC validation accepts is valid against the SAT XSD."""

from __future__ import annotations

import base64
import datetime as dt
import random
from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from shared.adapters.cfdi_xml import native
from shared.adapters.cfdi_xml.satcfdi_build import to_satcfdi
from shared.adapters.csd import CfdiSigner
from shared.adapters.pac import checks
from shared.domain.cfdi.amounts import compute_cfdi
from shared.domain.cfdi.models import (
    CfdiRequest,
    ConceptInput,
    GlobalInformation,
    Issuer,
    Receiver,
    RelatedCfdis,
)
from shared.domain.cfdi.requests import publico_en_general_receiver
from shared.domain.cfdi.text import normalize_space
from shared.domain.cfdi.validation import validate_request

N_INVOICES = 2000

TRICKY_TEXTS = [
    "Suministro de agua potable",
    "  espacios   al inicio y al final  ",
    "múltiples     espacios\tcon\ttabuladores",
    "salto\nde línea\r\ny retorno\r",
    "AGUA & SANEAMIENTO <DOMÉSTICO> \"comillas\" 'apóstrofo'",
    "tubería | con | pipes",
    "JOSÉ PÉREZ ÑÚÑEZ MÜLLER",
    "espacio\u00a0no\u00a0separable y\u2003em",
    "emoji 💧 agua",
    "&amp; ya escapado &lt;",
    "x",
    "A" * 1000,
    " \t ",
]
NAMES = ["XOCHILT CASAS CHAVEZ", "JOSÉ  PÉREZ & HIJOS", " MARÍA  O'NEIL ", "AGUAS <DEL> CENTRO", "ÑANDÚ | PIPE"]
RECEIVERS = [
    ("CACX7605101P8", "612", "G03"),
    ("KIJ0906199R1", "601", "G01"),
    ("JES900109Q90", "603", "S01"),
    ("CACX7605101P8", "605", "D01"),
]
KEYS = [("83101501", "MTQ"), ("83101500", "E48"), ("76121701", "E48"), ("83101508", "MTQ")]
RATES = [Decimal("0"), Decimal("0.16"), None, Decimal("0.08"), Decimal("0.160000")]


def _maybe(rng: random.Random, value: str, p: float = 0.5) -> str | None:
    return value if rng.random() < p else None


def _concept(rng: random.Random) -> ConceptInput:
    clave, unidad = rng.choice(KEYS)
    quantity = Decimal(rng.randint(1, 200_000)).scaleb(-rng.randint(0, 4))
    unit_value = Decimal(rng.randint(0, 9_999_999)).scaleb(-rng.randint(0, 6))
    importe = (quantity * unit_value).quantize(Decimal("0.01"))
    discount = None
    if rng.random() < 0.2 and importe > Decimal("0.10"):
        discount = (importe * Decimal(rng.randint(1, 50)) / 100).quantize(Decimal("0.01"))
    return ConceptInput(
        clave_prod_serv=clave,
        clave_unidad=unidad,
        description=rng.choice(TRICKY_TEXTS),
        quantity=quantity,
        unit_value=unit_value,
        iva_rate=rng.choice(RATES),
        no_identificacion=_maybe(rng, rng.choice(["CTA-000123", " TOMA  77 ", "R&D<1>"])),
        unidad=_maybe(rng, rng.choice(["m3", "Servicio", "  m³ "]), 0.3),
        discount=discount,
    )


def _request(rng: random.Random, issuer: Issuer, i: int) -> CfdiRequest:
    kind = rng.random()
    fecha = dt.datetime(2026, 1, 1, 8, 0, 0) + dt.timedelta(seconds=rng.randint(0, 86400 * 300))
    concepts = tuple(_concept(rng) for _ in range(rng.randint(1, 6)))
    serie = _maybe(rng, rng.choice(["AGUA", " A G ", "NC&1"]), 0.7)
    folio = _maybe(rng, str(1_000_000 + i), 0.8)
    if kind < 0.2:  # factura global to the público en general
        periodicidad = rng.choice(["01", "04", "05"])
        meses = rng.choice(["13", "14", "18"]) if periodicidad == "05" else f"{rng.randint(1, 12):02d}"
        return CfdiRequest(
            issuer=issuer,
            receiver=publico_en_general_receiver(issuer=issuer),
            fecha=fecha,
            concepts=concepts,
            metodo_pago="PUE",
            forma_pago=rng.choice(["01", "03", "04", "28"]),
            serie=serie,
            folio=folio,
            global_information=GlobalInformation(periodicidad=periodicidad, meses=meses, year=rng.choice([2025, 2026])),
        )
    rfc, regimen, uso = rng.choice(RECEIVERS)
    receiver = Receiver(
        rfc=rfc,
        name=rng.choice(NAMES),
        regimen_fiscal=regimen,
        postal_code=rng.choice(["10740", "76000", "01000"]),
        uso_cfdi=uso,
    )
    related: tuple[RelatedCfdis, ...] = ()
    tipo = "I"
    if kind < 0.3:
        tipo = "E"
        uuids = tuple(f"{rng.getrandbits(128):032X}" for _ in range(rng.randint(1, 3)))
        uuids = tuple(f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}" for u in uuids)
        related = (RelatedCfdis(tipo_relacion="01", uuids=uuids),)
    ppd = tipo == "I" and rng.random() < 0.5
    return CfdiRequest(
        issuer=issuer,
        receiver=receiver,
        fecha=fecha,
        concepts=concepts,
        tipo_de_comprobante=tipo,
        metodo_pago="PPD" if ppd else "PUE",
        forma_pago="99" if ppd else rng.choice(["01", "03", "04", "28", "15"]),
        serie=serie,
        folio=folio,
        related=related,
        condiciones_de_pago=_maybe(rng, rng.choice(["Contado", "  30  días ", "Pago | parcial"]), 0.3),
    )


def test_native_cadena_equals_sat_xslt_on_generated_invoices(cfdi_signer: CfdiSigner, issuer: Issuer) -> None:
    rng = random.Random(20260115)
    cert = x509.load_der_x509_certificate(base64.b64decode(cfdi_signer.certificate_base64))
    public_key = cert.public_key()
    number = cfdi_signer.certificate_number
    seen = {"pipes": 0, "global": 0, "egreso": 0, "valid": 0, "discount": 0, "iva_mix": 0, "no_tax": 0}
    for i in range(N_INVOICES):
        request = _request(rng, issuer, i)
        cfdi = compute_cfdi(request=request)
        signed = cfdi_signer.sign_native(cfdi)

        # 1. native cadena == satcfdi's cadena (SAT XSLT over satcfdi's own XML) for the same document
        reference = to_satcfdi(cfdi=cfdi)
        reference["NoCertificado"] = number
        reference["Certificado"] = cfdi_signer.certificate_base64
        reference["Sello"] = signed.sello
        assert signed.cadena == reference.cadena_original(), f"invoice {i}"
        # 2. the native XML is byte-for-byte satcfdi's serialisation
        assert signed.xml == reference.xml_bytes(), f"invoice {i}"
        # 3. the SAT XSLT applied to the native XML gives the signed cadena
        root = checks.parse(signed.xml)
        assert checks.xslt_cadena(root) == signed.cadena, f"invoice {i}"
        # 4. the Sello verifies with the certificate (raises InvalidSignature otherwise)
        public_key.verify(  # type: ignore[union-attr]
            base64.b64decode(root.get("Sello")),
            signed.cadena.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),  # type: ignore[call-arg, arg-type]
        )
        # 5. whatever the pre-PAC validation accepts, the SAT XSD accepts too
        if not validate_request(request=request):
            checks.validate_xsd(root)
            seen["valid"] += 1
        seen["pipes"] += "|" in "".join(c.description for c in request.concepts) + request.receiver.name
        seen["global"] += request.global_information is not None
        seen["egreso"] += request.tipo_de_comprobante == "E"
        seen["discount"] += cfdi.discount is not None
        seen["iva_mix"] += len(cfdi.traslados) > 1
        seen["no_tax"] += any(not c.traslados for c in cfdi.concepts)
    # The sample really covers the tricky cases.
    assert all(count >= 50 for count in seen.values()), seen


def test_normalize_space_matches_xpath_rules() -> None:
    assert normalize_space("  a \t\r\n b  ") == "a b"
    assert normalize_space("a\u00a0\u00a0b") == "a\u00a0\u00a0b"  # NBSP is not XML whitespace
    assert normalize_space(" \t ") == ""


def test_cadena_of_reference_example(cfdi_signer: CfdiSigner, issuer: Issuer) -> None:
    """The worked example of the reference (§1.8): a global invoice's cadena starts with these fields."""
    request = CfdiRequest(
        issuer=issuer,
        receiver=publico_en_general_receiver(issuer=issuer),
        fecha=dt.datetime(2026, 1, 15, 12, 0, 0),
        concepts=(
            ConceptInput(
                clave_prod_serv="83101500",
                clave_unidad="E48",
                description="Suministro de agua",
                quantity=Decimal("1"),
                unit_value=Decimal("282.18"),
                iva_rate=Decimal("0"),
            ),
        ),
        metodo_pago="PUE",
        forma_pago="01",
        serie="AGUA",
        folio="1000001",
        global_information=GlobalInformation(periodicidad="04", meses="01", year=2026),
    )
    cadena = native.cadena_original(cfdi=compute_cfdi(request=request), no_certificado="30001000000500003416")
    assert cadena.startswith(
        "||4.0|AGUA|1000001|2026-01-15T12:00:00|01|30001000000500003416|282.18|MXN|282.18|I|01|PUE|76000|04|01|2026|"
        "EKU9003173C9|ESCUELA KEMPER URGATE|601|XAXX010101000|PUBLICO EN GENERAL|76000|616|S01|83101500|"
    )
    assert cadena.endswith("|0.00||")
