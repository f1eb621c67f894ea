"""PAC_PROVIDER is read and selects the PAC client; ENVIRONMENT=production refuses the simulator, any host but
Finkok's production one, the demo account, and a test CSD, with errors that say what to change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import ValidationError
from satcfdi.models import Signer

from devtools.fakes.pac_simulator import PacSimulator
from shared.adapters import csd
from shared.adapters.pac import FINKOK_PRODUCTION_URL, FINKOK_TEST_URL, FinkokClient
from shared.adapters.pac.select import PacConfigurationError, pac_base_url, pac_client_for
from shared.application.cfdi import services as cfdi_services
from shared.application.cfdi.services import CfdiServices, use_services
from shared.application.cfdi.setup import services_of
from shared.application.cfdi.tenant_config import TenantCfdiConfig
from shared.domain.cfdi.models import Issuer
from shared.platform.config import Settings, reset_settings_cache
from shared.platform.secrets import reset_secret_cache

SAT = "SERVICIO DE ADMINISTRACION TRIBUTARIA"


@pytest.fixture()
def clean_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("ENVIRONMENT", "PAC_PROVIDER", "PAC_URL", "PAC_MAX_IN_FLIGHT", "FINKOK_USERNAME", "FINKOK_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    reset_settings_cache()
    reset_secret_cache()
    cfdi_services.reset_services()
    yield monkeypatch
    cfdi_services.reset_services()
    reset_settings_cache()
    reset_secret_cache()


# ------------------------------------------------------------------------------------------ provider and host
def test_the_simulator_is_refused_in_production() -> None:
    with pytest.raises(PacConfigurationError, match="PAC_PROVIDER=simulator is refused with ENVIRONMENT=production"):
        pac_base_url(provider="simulator", environment="production", url="http://127.0.0.1:8089")


def test_settings_refuse_the_simulator_in_production_when_they_load() -> None:
    with pytest.raises(ValidationError, match="PAC_PROVIDER=simulator is refused with ENVIRONMENT=production"):
        Settings(ENVIRONMENT="production", PAC_PROVIDER="simulator")
    assert Settings(ENVIRONMENT="production", PAC_PROVIDER="finkok").PAC_PROVIDER == "finkok"
    assert Settings(ENVIRONMENT="staging", PAC_PROVIDER="simulator").PAC_PROVIDER == "simulator"


def test_the_simulator_needs_its_url() -> None:
    with pytest.raises(PacConfigurationError, match="needs PAC_URL"):
        pac_base_url(provider="simulator", environment="local", url="")
    assert pac_base_url(provider="simulator", environment="dev", url="http://127.0.0.1:8089/") == (
        "http://127.0.0.1:8089"
    )


@pytest.mark.parametrize(
    ("environment", "url", "expected"),
    [
        ("production", "", FINKOK_PRODUCTION_URL),
        ("production", "https://facturacion.finkok.com/servicios/soap/stamp.wsdl", FINKOK_PRODUCTION_URL),
        ("staging", "", FINKOK_TEST_URL),
        ("staging", "https://demo-facturacion.finkok.com/servicios/soap/stamp.wsdl", FINKOK_TEST_URL),
        ("dev", "https://demo-facturacion.finkok.com/servicios/soap/cancel.wsdl", FINKOK_TEST_URL),
    ],
)
def test_finkok_host_by_environment(environment: str, url: str, expected: str) -> None:
    """The IaC's service URLs (…/stamp.wsdl) are reduced to the host the client appends its paths to."""
    assert pac_base_url(provider="finkok", environment=environment, url=url) == expected


@pytest.mark.parametrize(
    "url", [FINKOK_TEST_URL, "http://127.0.0.1:8089", "https://facturacion.finkok.com.evil.example", "ftp://x"]
)
def test_production_stamps_with_finkok_production_only(url: str) -> None:
    with pytest.raises(PacConfigurationError):
        pac_base_url(provider="finkok", environment="production", url=url)


def test_an_unknown_provider_is_refused() -> None:
    with pytest.raises(PacConfigurationError, match="not one of finkok, simulator"):
        pac_base_url(provider="sw-sapien", environment="dev", url="")


def test_production_needs_real_finkok_credentials() -> None:
    arguments = {"provider": "finkok", "environment": "production", "url": "", "timeout": 5.0, "max_in_flight": 4}
    with pytest.raises(PacConfigurationError, match="finkok-username and finkok-password"):
        pac_client_for(username="demo", password="demo", **arguments)  # type: ignore[arg-type]
    client = pac_client_for(username="cea", password="s3cret", **arguments)  # type: ignore[arg-type]
    assert isinstance(client, FinkokClient)
    assert client.base_url == FINKOK_PRODUCTION_URL and client.max_in_flight == 4


def test_pac_provider_setting_selects_the_client_the_app_uses(clean_process: pytest.MonkeyPatch) -> None:
    """Through the settings, as the function app builds it: the simulator at PAC_URL with PAC_MAX_IN_FLIGHT."""
    with PacSimulator() as simulator:
        clean_process.setenv("PAC_PROVIDER", "simulator")
        clean_process.setenv("PAC_URL", simulator.url)
        clean_process.setenv("PAC_MAX_IN_FLIGHT", "5")
        client = cfdi_services.pac_client()
        assert isinstance(client, FinkokClient)
        assert client.base_url == simulator.url and client.max_in_flight == 5


def test_the_app_refuses_to_build_a_demo_finkok_client_in_production(clean_process: pytest.MonkeyPatch) -> None:
    clean_process.setenv("ENVIRONMENT", "production")
    clean_process.setenv("PAC_PROVIDER", "finkok")
    with pytest.raises(PacConfigurationError, match="finkok-username"):
        cfdi_services.pac_client()
    clean_process.setenv("PAC_URL", "http://127.0.0.1:8089")
    clean_process.setenv("FINKOK_USERNAME", "cea")
    clean_process.setenv("FINKOK_PASSWORD", "s3cret")
    reset_settings_cache()
    reset_secret_cache()
    with pytest.raises(PacConfigurationError, match="production service only"):
        cfdi_services.pac_client()


# ------------------------------------------------------------------------------------------ test CSD
def _signer(*, issuer: list[tuple[x509.ObjectIdentifier, str]], number: str, self_issued: bool = False) -> Signer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "CEA QUERETARO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CEA QUERETARO"),
            x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, "EKU9003173C9 / "),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, " / "),
        ]
    )
    issuer_name = subject if self_issued else x509.Name([x509.NameAttribute(oid, v) for oid, v in issuer])
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(csd.certificate_serial(certificate_number=number))
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=1460))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return csd.load_signer(
        certificate=certificate.public_bytes(serialization.Encoding.DER),
        key=key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"12345678a"),
        ),
        password="12345678a",
    )


SAT_PRODUCTION_CA = [(NameOID.COMMON_NAME, "AC DEL SERVICIO DE ADMINISTRACION TRIBUTARIA"), (NameOID.ORGANIZATION_NAME, SAT)]  # fmt: skip
SAT_TEST_CA = [(NameOID.COMMON_NAME, "AC UAT"), (NameOID.ORGANIZATION_NAME, SAT)]


def test_our_generated_test_csd_is_a_test_one(signer: Signer) -> None:
    reason = csd.csd_test_reason(signer=signer)
    assert reason is not None and "issuer is not SAT" in reason
    with pytest.raises(csd.NotASatCsd, match="is a test certificate"):
        csd.refuse_test_csd(signer=signer)


@pytest.mark.parametrize(
    ("issuer", "number", "self_issued", "why"),
    [
        (SAT_TEST_CA, "30001000000500003416", False, "SAT's test CA"),
        (SAT_TEST_CA, "00001000000500003416", False, "SAT's test CA"),
        (SAT_PRODUCTION_CA, "30001000000500003416", False, "test range"),
        (SAT_PRODUCTION_CA, "00001000000512345678", True, "self-issued"),
    ],
)
def test_sat_test_kit_shapes_are_refused(issuer, number: str, self_issued: bool, why: str) -> None:  # type: ignore[no-untyped-def]
    reason = csd.csd_test_reason(signer=_signer(issuer=issuer, number=number, self_issued=self_issued))
    assert reason is not None and why in reason


def test_a_sat_issued_csd_is_accepted() -> None:
    assert csd.csd_test_reason(signer=_signer(issuer=SAT_PRODUCTION_CA, number="00001000000512345678")) is None


def test_production_refuses_to_sign_with_a_test_csd(
    clean_process: pytest.MonkeyPatch, cfdi_signer: csd.CfdiSigner
) -> None:
    config = TenantCfdiConfig(
        tenant_id="00000000-0000-0000-0000-0000000000aa",
        slug="cea-test",
        issuer=Issuer(rfc=cfdi_signer.rfc, name="ESCUELA KEMPER URGATE", regimen_fiscal="601", postal_code="76000"),
    )
    pac = FinkokClient(base_url="http://127.0.0.1:9", username="u", password="p")
    use_services(config.tenant_id, CfdiServices(signer=cfdi_signer, pac=pac))
    assert services_of(config).signer is cfdi_signer  # outside production the test CSD is what we sign with
    clean_process.setenv("ENVIRONMENT", "production")
    clean_process.setenv("PAC_PROVIDER", "finkok")
    reset_settings_cache()
    with pytest.raises(csd.NotASatCsd, match="ENVIRONMENT=production signs only with the tenant's SAT-issued CSD"):
        services_of(config)
