"""The signer (tenant CSD) and PAC client a process uses, built once and cached.

CSD secrets: `csd-certificate-<tenant slug>` (and -private-key, -password) when the tenant has its own, else the
shared `csd-certificate` / `csd-private-key` / `csd-password` (Key Vault in Azure; environment variables locally,
filled from a test CSD made with `manage.py csd create-test`). PAC: `PAC_PROVIDER` + `PAC_URL` (the local
simulator's URL, or empty for Finkok's demo/production host by ENVIRONMENT) with `finkok-username` /
`finkok-password`, chosen and guarded by `shared.adapters.pac.select` (ENVIRONMENT=production refuses the simulator,
another host and the demo account); `PAC_MAX_IN_FLIGHT` caps the client's calls on the wire and sizes the stamping
thread pool. Tests and the benchmark install their own with `use_services`.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from shared.adapters.csd import (
    SECRET_CERTIFICATE,
    SECRET_PASSWORD,
    SECRET_PRIVATE_KEY,
    CfdiSigner,
    load_signer_from_secrets,
)
from shared.adapters.pac import PacClient
from shared.adapters.pac.select import pac_client_for
from shared.platform.config import get_settings
from shared.platform.secrets import SecretNotFound, get_secret

PAC_WORKERS = 8  # concurrent PAC calls of services built by hand (tests); the app's come from PAC_MAX_IN_FLIGHT


@dataclass
class CfdiServices:
    signer: CfdiSigner
    pac: PacClient
    workers: int = PAC_WORKERS
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False, compare=False)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def pac_pool(self) -> ThreadPoolExecutor:
        """The threads that call the PAC, one pool per services object for the life of the process: each thread
        keeps its keep-alive connection from chunk to chunk (a pool per chunk opened new connections, TLS
        handshakes included, every chunk and left the old ones open)."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="pac")
            return self._pool


class SignerRfcMismatch(RuntimeError):
    """The CSD belongs to another RFC than the tenant's: nothing can be stamped."""


_lock = threading.Lock()
_by_tenant: dict[str, CfdiServices] = {}
_pac: PacClient | None = None


def use_services(tenant_id: str, services: CfdiServices | None) -> None:
    """Install (or with None, forget) the services of a tenant in this process."""
    with _lock:
        if services is None:
            _by_tenant.pop(str(tenant_id), None)
        else:
            _by_tenant[str(tenant_id)] = services


def reset_services() -> None:
    global _pac
    with _lock:
        _by_tenant.clear()
        _pac = None


def _tenant_secret(name: str, slug: str) -> str:
    try:
        return get_secret(f"{name}-{slug}")
    except SecretNotFound:
        return get_secret(name)


def pac_client() -> PacClient:
    global _pac
    with _lock:
        if _pac is None:
            settings = get_settings()
            _pac = pac_client_for(
                provider=settings.PAC_PROVIDER,
                environment=settings.ENVIRONMENT,
                url=settings.PAC_URL,
                username=get_secret("finkok-username", "demo"),
                password=get_secret("finkok-password", "demo"),
                timeout=settings.PAC_TIMEOUT_SECONDS,
                max_in_flight=settings.PAC_MAX_IN_FLIGHT,
            )
        return _pac


def services_for(*, tenant_id: str, slug: str, rfc: str) -> CfdiServices:
    with _lock:
        found = _by_tenant.get(str(tenant_id))
    if found is not None:
        return found
    signer = CfdiSigner(load_signer_from_secrets(get_secret=lambda name: _tenant_secret(name, slug)))
    if signer.rfc != rfc:
        raise SignerRfcMismatch(f"the CSD is for RFC {signer.rfc}, the tenant's RFC is {rfc}")
    services = CfdiServices(signer=signer, pac=pac_client(), workers=get_settings().PAC_MAX_IN_FLIGHT)
    use_services(tenant_id, services)
    return services


__all__ = [
    "PAC_WORKERS",
    "SECRET_CERTIFICATE",
    "SECRET_PASSWORD",
    "SECRET_PRIVATE_KEY",
    "CfdiServices",
    "SignerRfcMismatch",
    "pac_client",
    "reset_services",
    "services_for",
    "use_services",
]
