"""CSD (Certificado de Sello Digital): test-certificate generation, loading, and CFDI signing.

* `create_test_csd` makes a locally generated RSA-2048 certificate shaped like a SAT CSD (subject with
  x500UniqueIdentifier = RFC, serialNumber, O/CN = legal name; the 20-digit certificate number encoded in the X.509
  serial as ASCII digits, as SAT does) and a DER PKCS#8 EncryptedPrivateKeyInfo protected by a password. It is NOT
  issued by SAT: a real PAC rejects it (Finkok 308). Use it for tests, the PAC simulator and benchmarks only, and
  never commit the files.
* `load_signer*` return a satcfdi `Signer` (from secrets `csd-certificate` / `csd-private-key` / `csd-password`,
  base64 DER, or from files). satcfdi reads the RFC from x500UniqueIdentifier and calls a certificate with exactly
  two extensions a CSD, which is why the generated certificate carries BasicConstraints + KeyUsage only.
* `CfdiSigner` signs a `ComputedCfdi` on the fast path (native cadena + RSA PKCS#1 v1.5 SHA-256 with
  `cryptography`) or a satcfdi Comprobante on the reference path (SAT XSLT + XSD validation).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets as pysecrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from satcfdi.create.cancela import cancelacion
from satcfdi.models import Signer

from shared.adapters.cfdi_xml import native
from shared.domain.cfdi.models import ComputedCfdi

# Names of the secrets (not their values).
SECRET_CERTIFICATE = "csd-certificate"  # noqa: S105
SECRET_PRIVATE_KEY = "csd-private-key"  # noqa: S105
SECRET_PASSWORD = "csd-password"  # noqa: S105


# ------------------------------------------------------------------------------------------ test CSD creation
@dataclass(frozen=True, slots=True)
class GeneratedCsd:
    certificate_der: bytes
    key_der: bytes  # DER PKCS#8 EncryptedPrivateKeyInfo
    password: str
    certificate_number: str


@dataclass(frozen=True, slots=True)
class CsdFiles:
    certificate_path: Path
    key_path: Path
    password_path: Path
    certificate_number: str


def certificate_serial(*, certificate_number: str) -> int:
    """The X.509 serial SAT uses: the 20 ASCII digits of the certificate number read as a big-endian integer."""
    if len(certificate_number) != 20 or not certificate_number.isdigit():
        raise ValueError("a CSD certificate number has exactly 20 digits")
    return int.from_bytes(certificate_number.encode("ascii"), "big")


def generate_test_csd(
    *,
    rfc: str,
    name: str,
    password: str,
    valid_from: dt.datetime,
    days: int = 4 * 365,
    certificate_number: str | None = None,
    branch: str = "Matriz",
) -> GeneratedCsd:
    """A self-signed SAT-shaped CSD and its encrypted key, in memory (RSA-2048, SHA-256)."""
    number = certificate_number or "30001" + "".join(str(pysecrets.randbelow(10)) for _ in range(15))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.41"), name),  # "name", as SAT sets it
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, f"{rfc} / "),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, " / "),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, branch),
        ]
    )
    issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "SUPRA WATER CSD DE PRUEBA (NO SAT)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SUPRA WATER PRUEBAS"),
        ]
    )
    start = valid_from if valid_from.tzinfo else valid_from.replace(tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(certificate_serial(certificate_number=number))
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_der = key.private_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )
    return GeneratedCsd(
        certificate_der=certificate.public_bytes(serialization.Encoding.DER),
        key_der=key_der,
        password=password,
        certificate_number=number,
    )


def create_test_csd(
    *,
    rfc: str,
    name: str,
    out_dir: Path,
    password: str | None = None,
    valid_from: dt.datetime | None = None,
    days: int = 4 * 365,
) -> CsdFiles:
    """Write `<RFC>.cer`, `<RFC>.key` (encrypted PKCS#8 DER) and `<RFC>.password` (mode 0600) to `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pw = password or pysecrets.token_urlsafe(18)
    csd = generate_test_csd(
        rfc=rfc, name=name, password=pw, valid_from=valid_from or dt.datetime.now(dt.UTC), days=days
    )
    cer_path, key_path, pw_path = (out_dir / f"{rfc}.{ext}" for ext in ("cer", "key", "password"))
    cer_path.write_bytes(csd.certificate_der)
    for path, data in ((key_path, csd.key_der), (pw_path, pw.encode())):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    return CsdFiles(cer_path, key_path, pw_path, csd.certificate_number)


# --------------------------------------------------------------------------------------------------- loading
def load_signer(*, certificate: bytes, key: bytes, password: str) -> Signer:
    """A satcfdi Signer; raises if the key does not decrypt or does not match the certificate."""
    return Signer.load(certificate=certificate, key=key, password=password)


def load_signer_from_files(*, certificate_path: Path, key_path: Path, password: str) -> Signer:
    return load_signer(certificate=certificate_path.read_bytes(), key=key_path.read_bytes(), password=password)


def load_signer_from_secrets(*, get_secret: Callable[[str], str] | None = None) -> Signer:
    """From the secrets csd-certificate and csd-private-key (base64 DER) and csd-password."""
    if get_secret is None:
        from shared.platform.secrets import get_secret as platform_get_secret

        get_secret = platform_get_secret
    return load_signer(
        certificate=base64.b64decode(get_secret(SECRET_CERTIFICATE)),
        key=base64.b64decode(get_secret(SECRET_PRIVATE_KEY)),
        password=get_secret(SECRET_PASSWORD),
    )


class CertificateNotValid(ValueError):
    """Raised by `ensure_certificate_valid` when the CSD is outside its validity period (Finkok 304/305)."""


def ensure_certificate_valid(*, signer: Signer, at: dt.datetime) -> None:
    cert = signer.certificate.to_cryptography()
    moment = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        raise CertificateNotValid(
            f"CSD {signer.certificate_number} valid {cert.not_valid_before_utc:%Y-%m-%d}"
            f" to {cert.not_valid_after_utc:%Y-%m-%d}, not at {moment:%Y-%m-%d}"
        )


# ------------------------------------------------------------------------------------------ production guard
SAT_ISSUER_ORGANIZATION = "SERVICIO DE ADMINISTRACION TRIBUTARIA"
SAT_TEST_CERTIFICATE_PREFIX = "30001"  # SAT's test-kit CSDs (and ours) are numbered 30001...; real ones 00001...


class NotASatCsd(RuntimeError):
    """A test CSD (ours, or SAT's test kit) where a real one is required (ENVIRONMENT=production)."""


def csd_test_reason(*, signer: Signer) -> str | None:
    """Why this CSD is a test one, or None when it looks issued by SAT's production CA: issuer organization SAT,
    issuer not SAT's test CA ("AC UAT") nor ours, certificate number not in the test range, not self-issued."""
    cert = signer.certificate.to_cryptography()

    def names(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
        return [str(a.value).upper() for a in name.get_attributes_for_oid(oid)]

    organization = names(cert.issuer, NameOID.ORGANIZATION_NAME)
    common = " ".join(names(cert.issuer, NameOID.COMMON_NAME))
    if cert.issuer == cert.subject:
        return "self-issued certificate"
    if SAT_ISSUER_ORGANIZATION not in organization:
        return f"issuer is not SAT ({', '.join(organization) or 'no organization'})"
    if "UAT" in common.split() or "PRUEBA" in common:
        return f"issued by SAT's test CA ({common})"
    if str(signer.certificate_number).startswith(SAT_TEST_CERTIFICATE_PREFIX):
        return f"certificate number {signer.certificate_number} is in SAT's test range"
    return None


def refuse_test_csd(*, signer: Signer) -> None:
    """Raise NotASatCsd when the CSD is a test one (see `csd_test_reason`)."""
    reason = csd_test_reason(signer=signer)
    if reason is not None:
        raise NotASatCsd(
            f"CSD {signer.certificate_number} ({signer.rfc}) is a test certificate: {reason}. "
            "ENVIRONMENT=production signs only with the tenant's SAT-issued CSD (csd-certificate secrets)."
        )


# --------------------------------------------------------------------------------------------------- signing
@dataclass(frozen=True, slots=True)
class SignedCfdi:
    xml: bytes  # exact bytes to persist before the first stamp call, and to send to the PAC
    cadena: str
    sello: str


class CfdiSigner:
    """Signs comprobantes with one CSD. Thread-safe (no mutable state)."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        self.rfc = str(signer.rfc)
        self.legal_name = signer.legal_name
        self.certificate_number = signer.certificate_number
        self.certificate_base64 = signer.certificate_base64()
        self._key: rsa.RSAPrivateKey = signer.key

    def sign_bytes(self, data: bytes) -> str:
        """Base64 RSA PKCS#1 v1.5 SHA-256 signature (the Sello)."""
        return base64.b64encode(self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")

    def sign_native(self, cfdi: ComputedCfdi) -> SignedCfdi:
        """Fast path: native cadena, one RSA signature, XML assembled as text."""
        cadena = native.cadena_original(cfdi=cfdi, no_certificado=self.certificate_number)
        sello = self.sign_bytes(cadena.encode("utf-8"))
        xml = native.render_xml(
            cfdi=cfdi, no_certificado=self.certificate_number, certificado=self.certificate_base64, sello=sello
        )
        return SignedCfdi(xml=xml, cadena=cadena, sello=sello)

    def sign_satcfdi(self, comprobante: Any, *, validate: bool = True) -> SignedCfdi:
        """Reference path: satcfdi sets NoCertificado/Certificado, signs the XSLT cadena, validates the XSD."""
        comprobante.sign(self.signer)
        xml = comprobante.xml_bytes(validate=validate)
        return SignedCfdi(xml=xml, cadena=comprobante.cadena_original(), sello=comprobante["Sello"])


def build_cancellation_request(
    *, signer: Signer, uuid: str, motivo: str, folio_sustitucion: str | None = None, fecha: dt.datetime | None = None
) -> bytes:
    """The CSD-signed `Cancelacion` XML (XMLDSig) that `PacClient.cancel` sends. Motivo 01 needs the substitute."""
    if motivo == "01" and not folio_sustitucion:
        raise ValueError("motivo 01 requires folio_sustitucion (the UUID of the replacement CFDI)")
    request = cancelacion.Cancelacion(
        signer, cancelacion.Folio(uuid=uuid, motivo=motivo, folio_sustitucion=folio_sustitucion), fecha=fecha
    )
    return bytes(request.xml_bytes(xml_declaration=True))
