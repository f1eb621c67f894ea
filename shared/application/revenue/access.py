"""The principal of an operator command (CLI): the tenant resolved from its slug, acting with one staff role."""

from __future__ import annotations

from shared.application.access.principal import Principal, permissions_for
from shared.data import db
from shared.domain.errors import NotFound


class TenantNotFound(NotFound):
    default_code = "tenant_not_found"

    def __init__(self, slug: str) -> None:
        super().__init__(None, f"No existe el organismo '{slug}'.")


def operator_principal(*, tenant_slug: str, role: str = "billing_admin", subject: str = "cli:operator") -> Principal:
    tenant_id = db.resolve_tenant(tenant_slug)
    if tenant_id is None:
        raise TenantNotFound(tenant_slug)
    return Principal(
        tenant_id=tenant_id,
        tenant_slug=tenant_slug,
        subject=subject,
        roles=frozenset({role}),
        permissions=permissions_for([role]),
    )
