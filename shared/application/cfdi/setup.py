"""A tenant's CFDI configuration, the services (signer, PAC client) that go with it, the tenants to run CFDI jobs
for, and a local test CSD for developers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from shared.adapters import csd
from shared.application.cfdi.services import CfdiServices, services_for
from shared.application.cfdi.tenant_config import TenantCfdiConfig, tenant_config
from shared.data import cfdi as data
from shared.data import db
from shared.data.db import tenant_transaction


def load_config(tenant_id: UUID | str) -> TenantCfdiConfig:
    with tenant_transaction(tenant_id) as conn:
        return tenant_config(data.tenant_fiscal(conn, tenant_id))


def services_of(config: TenantCfdiConfig) -> CfdiServices:
    return services_for(tenant_id=config.tenant_id, slug=config.slug, rfc=config.issuer.rfc)


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
