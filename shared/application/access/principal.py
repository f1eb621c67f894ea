"""Principals, roles and permissions.

Roles: customer (only their own person and accounts), operator, billing_admin, admin. API clients carry scopes,
which are permission names. A principal without `data:all` is scoped to its person's accounts in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from shared.application.access.errors import Forbidden

ALL_DATA = "data:all"  # see every account of the tenant, not only one's own
PII_FULL = "pii:full"  # RFC and CURP unmasked
PERSONS_WRITE = "persons:write"
ACCOUNTS_WRITE = "accounts:write"
PLACES_WRITE = "places:write"
READINGS_WRITE = "readings:write"
TARIFFS_WRITE = "tariffs:write"
WORK_ORDERS_WRITE = "work_orders:write"
WORK_ORDERS_MANAGE = "work_orders:manage"
CONTACTS_READ = "contacts:read"
CONTACTS_WRITE = "contacts:write"
FRAUD_READ = "fraud:read"
FRAUD_WRITE = "fraud:write"
BACK_BILLING = "billing:adjust"
ARCO_REQUEST = "arco:request"
ARCO_MANAGE = "arco:manage"
API_KEYS_MANAGE = "api_keys:manage"
BILLING_RUN = "billing:run"  # start, review and issue billing runs

PERMISSIONS = frozenset(
    {
        ALL_DATA,
        PII_FULL,
        PERSONS_WRITE,
        ACCOUNTS_WRITE,
        PLACES_WRITE,
        READINGS_WRITE,
        TARIFFS_WRITE,
        WORK_ORDERS_WRITE,
        WORK_ORDERS_MANAGE,
        CONTACTS_READ,
        CONTACTS_WRITE,
        FRAUD_READ,
        FRAUD_WRITE,
        BACK_BILLING,
        ARCO_REQUEST,
        ARCO_MANAGE,
        API_KEYS_MANAGE,
        BILLING_RUN,
    }
)

_CUSTOMER = frozenset({READINGS_WRITE, WORK_ORDERS_WRITE, CONTACTS_READ, ARCO_REQUEST})
_OPERATOR = frozenset(
    {
        ALL_DATA,
        PERSONS_WRITE,
        ACCOUNTS_WRITE,
        PLACES_WRITE,
        READINGS_WRITE,
        WORK_ORDERS_WRITE,
        WORK_ORDERS_MANAGE,
        CONTACTS_READ,
        CONTACTS_WRITE,
        FRAUD_READ,
        FRAUD_WRITE,
        ARCO_REQUEST,
        ARCO_MANAGE,
    }
)
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "customer": _CUSTOMER,
    "operator": _OPERATOR,
    "billing_admin": _OPERATOR | {PII_FULL, TARIFFS_WRITE, BACK_BILLING, BILLING_RUN},
    "admin": PERMISSIONS,
}
ROLES = tuple(ROLE_PERMISSIONS)


class UnknownRole(ValueError):
    pass


def permissions_for(roles: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    unknown = [r for r in roles if r not in ROLE_PERMISSIONS]
    if unknown:
        raise UnknownRole(f"unknown role(s): {', '.join(unknown)}")
    out: frozenset[str] = frozenset()
    for role in roles:
        out |= ROLE_PERMISSIONS[role]
    return out


@dataclass(frozen=True)
class Principal:
    tenant_id: UUID
    tenant_slug: str
    subject: str  # "user:<sub>", "api_client:<id>"
    roles: frozenset[str]
    permissions: frozenset[str]
    person_id: int | None = None  # the customer's person
    correlation_id: str | None = field(default=None, compare=False)

    @property
    def person_scope(self) -> int | None:
        """None: sees the whole tenant. Else the person whose accounts the caller may see (-1: nobody's)."""
        if ALL_DATA in self.permissions:
            return None
        return self.person_id if self.person_id is not None else -1

    @property
    def is_staff(self) -> bool:
        return ALL_DATA in self.permissions

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden("forbidden", "Su rol no tiene permiso para esta operación.")
