"""Which PAC client a process uses, from PAC_PROVIDER / PAC_URL / ENVIRONMENT, refusing what must never run.

* `finkok`: Finkok's SOAP services. PAC_URL empty means Finkok's production host in production and its demo host
  elsewhere; a service URL (`.../servicios/soap/stamp.wsdl`) is reduced to its host. With ENVIRONMENT=production
  only the production host and real credentials are accepted.
* `simulator`: the local PAC simulator (devtools/fakes/pac_simulator.py), which speaks Finkok's envelopes, at PAC_URL
  (required). Refused with ENVIRONMENT=production: its stamps are registered with no one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from shared.adapters.pac.base import PacClient
from shared.adapters.pac.finkok import FINKOK_PRODUCTION_URL, FINKOK_TEST_URL, FinkokClient
from shared.adapters.pac.soap import CANCEL_PATH, STAMP_PATH

PROVIDERS = ("finkok", "simulator")
DEMO_CREDENTIAL = "demo"  # the placeholder used when the finkok-username/-password secrets are absent


class PacConfigurationError(RuntimeError):
    """The PAC settings cannot be used in this environment (raised when the process builds its PAC client)."""


def _base_url(url: str) -> str:
    url = url.strip().rstrip("/")
    for service in (STAMP_PATH, CANCEL_PATH):
        if url.endswith(service):
            return url[: -len(service)]
    return url


def pac_base_url(*, provider: str, environment: str, url: str) -> str:
    """The base URL the client calls, or PacConfigurationError with what to change."""
    if provider not in PROVIDERS:
        raise PacConfigurationError(f"PAC_PROVIDER={provider!r} is not one of {', '.join(PROVIDERS)}")
    base = _base_url(url)
    if provider == "simulator":
        if environment == "production":
            raise PacConfigurationError(
                "PAC_PROVIDER=simulator is refused with ENVIRONMENT=production: set PAC_PROVIDER=finkok"
            )
        if not base:
            raise PacConfigurationError("PAC_PROVIDER=simulator needs PAC_URL (the local simulator's URL)")
        return base
    production = environment == "production"
    base = base or (FINKOK_PRODUCTION_URL if production else FINKOK_TEST_URL)
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PacConfigurationError(f"PAC_URL={url!r} is not an http(s) URL")
    if production and base != FINKOK_PRODUCTION_URL:
        raise PacConfigurationError(
            f"ENVIRONMENT=production stamps with Finkok's production service only ({FINKOK_PRODUCTION_URL}), not {base}"
        )
    return base


def pac_client_for(
    *,
    provider: str,
    environment: str,
    url: str,
    username: str,
    password: str,
    timeout: float,
    max_in_flight: int,
) -> PacClient:
    """The process's PAC client for these settings (see the module docstring for what is refused)."""
    base = pac_base_url(provider=provider, environment=environment, url=url)
    if environment == "production" and DEMO_CREDENTIAL in (username, password):
        raise PacConfigurationError(
            "ENVIRONMENT=production needs the finkok-username and finkok-password secrets (not the demo account)"
        )
    return FinkokClient(
        base_url=base, username=username, password=password, timeout=timeout, max_in_flight=max_in_flight
    )


__all__ = ["PROVIDERS", "PacConfigurationError", "pac_base_url", "pac_client_for"]
