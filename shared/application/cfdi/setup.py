"""A tenant's CFDI configuration, the services (signer, PAC client) that go with it, the tenants to run CFDI jobs
for, and a local test CSD for developers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from shared.adapters import csd
from shared.application.cfdi.services import CfdiServices, SignerRfcMismatch, services_for
from shared.application.cfdi.tenant_config import TenantCfdiConfig, tenant_config
from shared.application.outbox import ConsumerSkipped
from shared.data import cfdi as data
from shared.data import db
from shared.data.db import tenant_transaction
from shared.platform.config import get_settings
from shared.platform.secrets import SecretNotFound


def load_config(tenant_id: UUID | str) -> TenantCfdiConfig:
    with tenant_transaction(tenant_id) as conn:
        return tenant_config(data.tenant_fiscal(conn, tenant_id))


def services_of(config: TenantCfdiConfig) -> CfdiServices:
    """The tenant's signer and PAC client; with ENVIRONMENT=production a test CSD is refused (csd.NotASatCsd)."""
    services = services_for(tenant_id=config.tenant_id, slug=config.slug, rfc=config.issuer.rfc)
    if get_settings().ENVIRONMENT == "production":
        csd.refuse_test_csd(signer=services.signer.signer)
    return services


class CsdNotConfigured(ConsumerSkipped):
    """An event consumer has a CFDI to sign and the tenant has no usable CSD: skipped with this reason (one error
    log and metric, no retry storm); `manage.py events rerun` issues it once the CSD is installed."""


F = TypeVar("F", bound=Callable[..., Any])


def csd_required(run: F) -> F:
    """For CFDI event consumers: a missing CSD secret or a CSD of another RFC is a skip with its reason (retrying
    cannot fix it), never a failure the queue retries five times."""

    @wraps(run)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return run(*args, **kwargs)
        except SecretNotFound as error:
            if "csd" not in str(error):
                raise
            raise CsdNotConfigured("csd_not_configured", f"no CSD configured: {error}") from error
        except SignerRfcMismatch as error:
            raise CsdNotConfigured("csd_rfc_mismatch", str(error)) from error

    return wrapper  # type: ignore[return-value]


def tenant_ids() -> list[UUID]:
    """Every tenant, for the CFDI timers (cancellation polling, factura global)."""
    return db.tenant_ids()


@dataclass(frozen=True)
class CsdSummary:
    certificate_path: Path
    key_path: Path
    password_path: Path
    certificate_number: str
    rfc: str
    legal_name: str


def create_test_csd(
    *, rfc: str, name: str, out_dir: Path, password: str | None, days: int, now: dt.datetime
) -> CsdSummary:
    """A self-signed, SAT-shaped test CSD written to `out_dir` (valid from `now`), read back as a signer would."""
    files = csd.create_test_csd(rfc=rfc, name=name, out_dir=out_dir, password=password, valid_from=now, days=days)
    signer = csd.load_signer_from_files(
        certificate_path=files.certificate_path, key_path=files.key_path, password=files.password_path.read_text()
    )
    return CsdSummary(
        certificate_path=files.certificate_path,
        key_path=files.key_path,
        password_path=files.password_path,
        certificate_number=signer.certificate_number,
        rfc=signer.rfc,
        legal_name=signer.legal_name,
    )
