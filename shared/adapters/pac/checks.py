"""What a PAC checks on arrival, done locally: SAT XSD validation and Sello verification.

Uses the SAT XSD and XSLT files bundled with satcfdi (offline). The schema set (CFDI 4.0, Pagos 2.0, TFD 1.1) is
compiled once per process; the cadena for verification is produced by the official XSLT, independently of the
native fast path, so verifying here also cross-checks it.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

import satcfdi.transform
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

_SCHEMA_ROOT = os.path.join(os.path.dirname(satcfdi.transform.__file__), "schemas")
_SAT = os.path.join(_SCHEMA_ROOT, "www.sat.gob.mx", "sitio_internet", "cfd")
NS_CFDI = "http://www.sat.gob.mx/cfd/4"
_SCHEMAS = {
    NS_CFDI: os.path.join(_SAT, "4", "cfdv40.xsd"),
    "http://www.sat.gob.mx/Pagos20": os.path.join(_SAT, "Pagos", "Pagos20.xsd"),
    "http://www.sat.gob.mx/TimbreFiscalDigital": os.path.join(
        _SAT, "TimbreFiscalDigital", "TimbreFiscalDigitalv11.xsd"
    ),
}
_XSLT_CFDI40 = os.path.join(_SAT, "4", "cadenaoriginal_4_0", "cadenaoriginal_4_0.xslt")
_XSLT_TFD11 = os.path.join(_SAT, "TimbreFiscalDigital", "cadenaoriginal_TFD_1_1.xslt")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


class CfdiCheckError(ValueError):
    """Raised when a CFDI fails a check; `code` is the Finkok-style incidence code a PAC would return."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="file://{path}"/>' for ns, path in _SCHEMAS.items())
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), base_url=os.path.join(_SCHEMA_ROOT, "wrapper.xsd")))


@lru_cache(maxsize=2)
def _xslt(path: str) -> etree.XSLT:
    return etree.XSLT(etree.parse(path))


def warm_up() -> None:
    """Compile the schemas and transforms once (about a second), e.g. at worker or simulator start."""
    _schema()
    _xslt(_XSLT_CFDI40)
    _xslt(_XSLT_TFD11)


def parse(xml: bytes) -> etree._Element:
    try:
        return etree.fromstring(xml, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise CfdiCheckError("301", f"XML mal formado: {exc}") from exc


def validate_xsd(root: etree._Element) -> None:
    """Raise CfdiCheckError 705 if the document does not satisfy the SAT schemas."""
    schema = _schema()
    if not schema.validate(root):
        raise CfdiCheckError("705", str(schema.error_log.last_error))


def xslt_cadena(root: etree._Element) -> str:
    """Cadena original by the official SAT XSLT (CFDI 4.0)."""
    return str(_xslt(_XSLT_CFDI40)(root))


def tfd_cadena(tfd: etree._Element) -> str:
    return str(_xslt(_XSLT_TFD11)(tfd))


def certificate_from(certificado: str) -> x509.Certificate:
    """The certificate of a Certificado attribute (base64 DER)."""
    try:
        return x509.load_der_x509_certificate(base64.b64decode(certificado))
    except ValueError as exc:
        raise CfdiCheckError("302", "El certificado del comprobante no se puede leer.") from exc


def certificate_of(root: etree._Element) -> x509.Certificate:
    return certificate_from(root.get("Certificado", ""))


def certificate_number(cert: x509.Certificate) -> str:
    """SAT certificate number: the serial's bytes read as ASCII digits."""
    serial = cert.serial_number
    return serial.to_bytes((serial.bit_length() + 7) // 8, "big").decode("ascii", errors="replace")


def verify_sello(root: etree._Element) -> str:
    """Verify Sello against the embedded certificate over the XSLT cadena; returns the cadena."""
    if root.tag != f"{{{NS_CFDI}}}Comprobante":
        raise CfdiCheckError("705", "El documento no es un cfdi:Comprobante 4.0.")
    cert = certificate_of(root)
    if certificate_number(cert) != root.get("NoCertificado"):
        raise CfdiCheckError("712", "NoCertificado no corresponde al certificado.")
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise CfdiCheckError("302", "El certificado no tiene una llave RSA.")
    cadena = xslt_cadena(root)
    try:
        signature = base64.b64decode(root.get("Sello", ""), validate=True)
        public_key.verify(signature, cadena.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as exc:
        raise CfdiCheckError("302", "El sello no corresponde a la cadena original.") from exc
    return cadena


def check_structure(xml: bytes) -> etree._Element:
    """The cheap part of a PAC's checks: well-formed CFDI 4.0 whose certificate number matches its certificate and
    whose Sello is a base64 RSA-2048 signature. (No XSD, no cadena, no RSA verify.)"""
    root = parse(xml)
    if root.tag != f"{{{NS_CFDI}}}Comprobante" or root.get("Version") != "4.0":
        raise CfdiCheckError("705", "El documento no es un cfdi:Comprobante 4.0.")
    if _certificate_number_of(root.get("Certificado", "")) != root.get("NoCertificado"):
        raise CfdiCheckError("712", "NoCertificado no corresponde al certificado.")
    try:
        if len(base64.b64decode(root.get("Sello", ""), validate=True)) != 256:
            raise ValueError("not an RSA-2048 signature")
    except ValueError as exc:
        raise CfdiCheckError("302", "El sello no corresponde a la cadena original.") from exc
    return root


@lru_cache(maxsize=64)
def _certificate_number_of(certificado: str) -> str:
    return certificate_number(certificate_from(certificado))


def check_cfdi(xml: bytes) -> etree._Element:
    """Parse, XSD-validate and verify the Sello, as a PAC does on arrival. Returns the parsed root."""
    root = parse(xml)
    validate_xsd(root)
    verify_sello(root)
    return root
