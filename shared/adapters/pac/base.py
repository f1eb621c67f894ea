"""The PAC port: results, errors and the `PacClient` protocol every PAC adapter implements.

Idempotency rule for callers: sign once, persist the exact signed XML (and a request id) before the first
`stamp` call, and on any retry send the same bytes again. The client recovers an existing stamp with `stamped`
on incidence 307; never re-sign (a new Fecha/Sello means a new UUID, i.e. a duplicate invoice).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from shared.adapters.pac.incidences import PacIncidence


@dataclass(frozen=True, slots=True)
class StampResult:
    uuid: str
    xml: bytes  # the stamped CFDI (with tfd:TimbreFiscalDigital)
    fecha_timbrado: str | None = None
    no_certificado_sat: str | None = None
    sat_seal: str | None = None
    recovered: bool = False  # True when the stamp already existed and was fetched with `stamped`
    warnings: tuple[PacIncidence, ...] = ()


@dataclass(frozen=True, slots=True)
class CancelResult:
    uuid: str | None
    status_code: str | None  # EstatusUUID: 201 received, 202 already requested, ...
    cancel_status: str | None  # EstatusCancelacion as reported
    acuse: bytes | None  # store your own copy of the acuse


@dataclass(frozen=True, slots=True)
class SatStatus:
    codigo_estatus: str | None
    estado: str | None  # Vigente / Cancelado / No Encontrado
    es_cancelable: str | None
    estatus_cancelacion: str | None


class PacError(Exception):
    """A PAC call failed; `incidence.retryable` tells whether trying again later can succeed."""

    def __init__(self, incidence: PacIncidence) -> None:
        self.incidence = incidence
        super().__init__(f"{incidence.code}: {incidence.message}")

    @property
    def retryable(self) -> bool:
        return self.incidence.retryable


class PacPermanentError(PacError):
    """Rejected: fix the data (or account) and issue again; retrying the same XML will not help."""


class PacRetryableError(PacError):
    """Transient (timeout, 5xx, SAT unreachable) and retries were exhausted; retry the same XML later."""


class PacClient(Protocol):
    def stamp(self, xml: bytes) -> StampResult:
        """Stamp a signed CFDI; on 307 returns the existing stamp (recovered=True)."""
        ...

    def stamped(self, xml: bytes, *, fresh: bool = True) -> StampResult:
        """Fetch the stamp previously issued for exactly these bytes. `fresh=False` (a document signed long ago):
        "no stamp" is an answer, not the PAC's indexing lag, so it is not waited out."""
        ...

    def cancel(self, signed_request: bytes) -> CancelResult:
        """Send a CSD-signed Cancelacion request (see `shared.adapters.csd.build_cancellation_request`)."""
        ...

    def status(self, uuid: str, *, issuer_rfc: str, receiver_rfc: str, total: Decimal) -> SatStatus:
        """SAT status of a stamped CFDI (Vigente/Cancelado, cancellability)."""
        ...
