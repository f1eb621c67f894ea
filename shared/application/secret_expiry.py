"""Rotation reminders: once a day every secret of the inventory is checked in Key Vault (its expiry date only, never
its value); `keyvault_secrets_expiring` records how many expire within 30 days, have no expiry date (the policy
should refuse those) or are missing, and the keyvault-secrets-expiring alert fires while that is above 0. Each
such secret is logged by name (names are not personal data) with the days left; docs/runbook.md "Rotate secrets"."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from shared.platform.metrics import keyvault_secrets_expiring
from shared.platform.secrets import SECRET_INVENTORY, ExpiryUnknown, SecretNotFound, secret_expiry

log = logging.getLogger(__name__)
WARN_BEFORE = timedelta(days=30)


class SecretDue(NamedTuple):
    name: str
    reason: str  # "expires_soon" | "no_expiry" | "missing"
    days_left: int | None


def check_secret_expiry(
    *, now: datetime, read_expiry: Callable[[str], datetime | None] = secret_expiry
) -> list[SecretDue] | None:
    """The secrets to rotate now, also recorded as the gauge; None (and nothing recorded) without a Key Vault."""
    due: list[SecretDue] = []
    for name in SECRET_INVENTORY:
        try:
            expires = read_expiry(name)
        except ExpiryUnknown:
            log.info("secret expiry not checked: no Key Vault configured")
            return None
        except SecretNotFound:
            due.append(SecretDue(name, "missing", None))
            continue
        if expires is None:
            due.append(SecretDue(name, "no_expiry", None))
        elif expires - now <= WARN_BEFORE:
            due.append(SecretDue(name, "expires_soon", (expires - now).days))
    keyvault_secrets_expiring.set(len(due))
    for item in due:
        log.warning(
            "secret needs rotation", extra={"secret": item.name, "reason": item.reason, "days_left": item.days_left}
        )
    return due
