"""A tenant's CFDI configuration and the services (signer, PAC client) that go with it."""

from __future__ import annotations

from uuid import UUID

from shared.application.cfdi.services import CfdiServices, services_for
from shared.application.cfdi.tenant_config import TenantCfdiConfig, tenant_config
from shared.data import cfdi as data
from shared.data.db import tenant_transaction


def load_config(tenant_id: UUID | str) -> TenantCfdiConfig:
    with tenant_transaction(tenant_id) as conn:
        return tenant_config(data.tenant_fiscal(conn, tenant_id))


def services_of(config: TenantCfdiConfig) -> CfdiServices:
    return services_for(tenant_id=config.tenant_id, slug=config.slug, rfc=config.issuer.rfc)
