"""PAC (Proveedor Autorizado de Certificación) port and adapters: `PacClient`, `FinkokClient`, incidences."""

from shared.adapters.pac.base import (
    CancelResult,
    PacClient,
    PacError,
    PacPermanentError,
    PacRetryableError,
    SatStatus,
    StampResult,
)
from shared.adapters.pac.finkok import FINKOK_PRODUCTION_URL, FINKOK_TEST_URL, FinkokClient, RetryPolicy
from shared.adapters.pac.incidences import INCIDENCES, PacIncidence, incidence

__all__ = [
    "FINKOK_PRODUCTION_URL",
    "FINKOK_TEST_URL",
    "INCIDENCES",
    "CancelResult",
    "FinkokClient",
    "PacClient",
    "PacError",
    "PacIncidence",
    "PacPermanentError",
    "PacRetryableError",
    "RetryPolicy",
    "SatStatus",
    "StampResult",
    "incidence",
]
