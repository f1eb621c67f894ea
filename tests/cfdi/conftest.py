"""Fixtures for the CFDI core: a throwaway test CSD (made in a tmp dir, never committed), signers, the PAC
simulator and a FinkokClient pointed at it with short timeouts and no real sleeping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devtools.fakes.pac_simulator import PacSimulator
from shared.adapters.csd import CfdiSigner, CsdFiles, create_test_csd, load_signer_from_files
from shared.adapters.pac import FinkokClient, RetryPolicy
from shared.domain.cfdi.models import ConceptInput, Issuer, Receiver

ISSUER_RFC = "EKU9003173C9"  # SAT test RFC (valid check digit); our certificate is self-generated
ISSUER_NAME = "ESCUELA KEMPER URGATE"


@pytest.fixture(scope="session")
def csd_files(tmp_path_factory: pytest.TempPathFactory) -> CsdFiles:
    return create_test_csd(
        rfc=ISSUER_RFC,
        name=ISSUER_NAME,
        out_dir=tmp_path_factory.mktemp("csd"),
        valid_from=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        days=6 * 365,
    )


@pytest.fixture(scope="session")
def signer(csd_files: CsdFiles):  # type: ignore[no-untyped-def]
    return load_signer_from_files(
        certificate_path=csd_files.certificate_path,
        key_path=csd_files.key_path,
        password=Path(csd_files.password_path).read_text(),
    )


@pytest.fixture(scope="session")
def cfdi_signer(signer) -> CfdiSigner:  # type: ignore[no-untyped-def]
    return CfdiSigner(signer)


@pytest.fixture()
def issuer() -> Issuer:
    return Issuer(rfc=ISSUER_RFC, name=ISSUER_NAME, regimen_fiscal="601", postal_code="76000")


@pytest.fixture()
def receiver() -> Receiver:
    return Receiver(
        rfc="CACX7605101P8", name="XOCHILT CASAS CHAVEZ", regimen_fiscal="612", postal_code="10740", uso_cfdi="G03"
    )


@pytest.fixture()
def water_concepts() -> list[ConceptInput]:
    """A domestic bill: water at 0% IVA, sewer and sanitation at 16%."""
    return [
        ConceptInput(
            clave_prod_serv="83101501",
            clave_unidad="MTQ",
            description="Agua potable uso doméstico",
            quantity=Decimal("18"),
            unit_value=Decimal("13.6317"),
            iva_rate=Decimal("0"),
            no_identificacion="CTA-000123",
        ),
        ConceptInput(
            clave_prod_serv="83101500",
            clave_unidad="E48",
            description="Alcantarillado",
            quantity=Decimal("1"),
            unit_value=Decimal("36.81"),
            iva_rate=Decimal("0.16"),
        ),
        ConceptInput(
            clave_prod_serv="76121701",
            clave_unidad="E48",
            description="Saneamiento",
            quantity=Decimal("1"),
            unit_value=Decimal("24.54"),
            iva_rate=Decimal("0.16"),
        ),
    ]


@pytest.fixture()
def local_now() -> dt.datetime:
    """Current time in Querétaro (Tiempo del Centro), naive, whole seconds, one minute in the past."""
    now = dt.datetime.now(ZoneInfo("America/Mexico_City")).replace(tzinfo=None, microsecond=0)
    return now - dt.timedelta(minutes=1)


@pytest.fixture()
def simulator() -> Iterator[PacSimulator]:
    with PacSimulator(max_age_hours=72, credentials=("demo", "secret")) as sim:
        yield sim


@pytest.fixture()
def pac_client(simulator: PacSimulator) -> Iterator[FinkokClient]:
    sleeps: list[float] = []
    client = FinkokClient(
        base_url=simulator.url,
        username="demo",
        password="secret",
        timeout=0.5,
        retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05),
        stamped_retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05),
        sleep=sleeps.append,
    )
    client.sleeps = sleeps  # type: ignore[attr-defined]
    yield client
    client.close()
