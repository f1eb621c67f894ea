"""Test CSD generation and loading: SAT-shaped subject and serial, encrypted key, satcfdi accepts it."""

from __future__ import annotations

import base64
import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_der_private_key
from cryptography.x509.oid import NameOID
from satcfdi.models.certificate import CertificateType
from typer.testing import CliRunner

from cli.csd import csd_app
from shared.adapters.csd import (
    CertificateNotValid,
    CsdFiles,
    certificate_serial,
    ensure_certificate_valid,
    generate_test_csd,
    load_signer,
    load_signer_from_secrets,
)
from shared.adapters.pac.checks import certificate_number


def test_files_are_written_with_private_permissions(csd_files: CsdFiles) -> None:
    for path in (csd_files.key_path, csd_files.password_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert csd_files.certificate_path.name == "EKU9003173C9.cer"


def test_certificate_looks_like_a_sat_csd(csd_files: CsdFiles) -> None:
    cert = x509.load_der_x509_certificate(csd_files.certificate_path.read_bytes())
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)[0].value.startswith("EKU9003173C9")
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "ESCUELA KEMPER URGATE"
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    # serial = the 20 digits of the certificate number as ASCII bytes
    number = certificate_number(cert)
    assert len(number) == 20 and number.isdigit() and number == csd_files.certificate_number
    assert f"{cert.serial_number:x}"[1::2] == number
    assert cert.public_key().key_size == 2048  # type: ignore[union-attr]


def test_key_is_encrypted_pkcs8_der(csd_files: CsdFiles) -> None:
    key_der = csd_files.key_path.read_bytes()
    with pytest.raises(TypeError):
        load_der_private_key(key_der, password=None)
    with pytest.raises(ValueError):
        load_der_private_key(key_der, password=b"not the password")
    assert load_der_private_key(key_der, password=csd_files.password_path.read_bytes()).key_size == 2048  # type: ignore[union-attr]


def test_satcfdi_signer_reads_rfc_name_number(signer, csd_files: CsdFiles) -> None:  # type: ignore[no-untyped-def]
    assert signer.rfc == "EKU9003173C9"
    assert signer.legal_name == "ESCUELA KEMPER URGATE"
    assert signer.certificate_number == csd_files.certificate_number
    assert signer.type is CertificateType.CSD


def test_loader_from_secrets_base64(csd_files: CsdFiles) -> None:
    values = {
        "csd-certificate": base64.b64encode(csd_files.certificate_path.read_bytes()).decode(),
        "csd-private-key": base64.b64encode(csd_files.key_path.read_bytes()).decode(),
        "csd-password": csd_files.password_path.read_text(),
    }
    signer = load_signer_from_secrets(get_secret=values.__getitem__)
    assert signer.certificate_number == csd_files.certificate_number


def test_loader_from_platform_secrets_env(csd_files: CsdFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.platform.secrets import reset_secret_cache

    monkeypatch.setenv("CSD_CERTIFICATE", base64.b64encode(csd_files.certificate_path.read_bytes()).decode())
    monkeypatch.setenv("CSD_PRIVATE_KEY", base64.b64encode(csd_files.key_path.read_bytes()).decode())
    monkeypatch.setenv("CSD_PASSWORD", csd_files.password_path.read_text())
    monkeypatch.delenv("KEY_VAULT_URL", raising=False)
    reset_secret_cache()
    try:
        assert load_signer_from_secrets().rfc == "EKU9003173C9"
    finally:
        reset_secret_cache()


def test_key_of_another_certificate_is_refused() -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    a = generate_test_csd(rfc="EKU9003173C9", name="A", password="pw-a", valid_from=start)
    b = generate_test_csd(rfc="EKU9003173C9", name="B", password="pw-b", valid_from=start)
    with pytest.raises(Exception, match="does not match"):
        load_signer(certificate=a.certificate_der, key=b.key_der, password="pw-b")


def test_validity_window(signer) -> None:  # type: ignore[no-untyped-def]
    ensure_certificate_valid(signer=signer, at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    with pytest.raises(CertificateNotValid):
        ensure_certificate_valid(signer=signer, at=dt.datetime(2024, 12, 31, tzinfo=dt.UTC))


def test_certificate_serial_rejects_bad_numbers() -> None:
    assert certificate_serial(certificate_number="30001000000500003416") == int(
        "3330303031303030303030353030303033343136", 16
    )
    with pytest.raises(ValueError):
        certificate_serial(certificate_number="123")


def test_cli_create_test(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        csd_app,
        [
            "create-test",
            "--rfc",
            "kij0906199r1",
            "--name",
            "KERNEL INDUSTIA JUGUETERA",
            "--out",
            str(tmp_path / "out"),
            "--password",
            "s3cret-pw",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "KIJ0906199R1" in result.output
    signer = load_signer(
        certificate=(tmp_path / "out" / "KIJ0906199R1.cer").read_bytes(),
        key=(tmp_path / "out" / "KIJ0906199R1.key").read_bytes(),
        password="s3cret-pw",
    )
    assert signer.legal_name == "KERNEL INDUSTIA JUGUETERA"
