"""Calls to the PAC for already signed documents: concurrent, with a breaker that stops sending after the first
retryable failure (the documents not sent stay 'signed' and the next round re-sends the same bytes)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import Future, wait
from dataclasses import dataclass

from shared.adapters.pac import PacPermanentError, PacRetryableError
from shared.application.cfdi.services import CfdiServices
from shared.data.cfdi import PacOutcome


@dataclass(frozen=True)
class Outcome:
    doc_id: int
    status: str  # stamped | failed_retryable | rejected | signed (not sent: breaker open)
    uuid: str | None = None
    xml: bytes | None = None
    fecha_timbrado: dt.datetime | None = None
    code: str | None = None
    message: str | None = None
    sent_xml: bytes | None = None  # the signed bytes the PAC stamped (the stamped XML is stored relative to them)

    def row(self) -> PacOutcome:
        attempts = 0 if self.status == "signed" else 1
        return PacOutcome(
            self.doc_id,
            self.status,
            self.uuid,
            self.xml,
            self.fecha_timbrado,
            self.code,
            self.message,
            attempts,
            self.sent_xml,
        )


def fecha_timbrado(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


class PacSender:
    """Sends signed documents to the PAC on a thread pool while the caller goes on (signing the next batch: RSA
    releases the GIL). After the first retryable failure (the client has already retried with backoff) the breaker
    opens and documents not yet sent stay 'signed'. `results()` waits for everything and returns the outcomes in
    submission order."""

    def __init__(self, services: CfdiServices) -> None:
        self._services = services
        self._breaker = threading.Event()
        self._pool = services.pac_pool() if services.workers > 1 else None
        self._pending: list[Future[Outcome] | Outcome] = []

    def submit(self, jobs: list[tuple[int, bytes]]) -> PacSender:
        for job in jobs:
            self._pending.append(self._pool.submit(self._one, job) if self._pool is not None else self._one(job))
        return self

    def results(self) -> list[Outcome]:
        return [p.result() if isinstance(p, Future) else p for p in self._pending]

    def abandon(self) -> None:
        """Stop sending and wait for the calls in flight (the caller failed: what they stamped is recovered by the
        next round, whose `stamp` of the same bytes gets 307 and fetches the stamp with `stamped`)."""
        self._breaker.set()
        futures = [p for p in self._pending if isinstance(p, Future)]
        for future in futures:
            future.cancel()
        wait(futures)

    def _one(self, job: tuple[int, bytes]) -> Outcome:
        doc_id, xml = job
        if self._breaker.is_set():
            return Outcome(doc_id, "signed")
        try:
            result = self._services.pac.stamp(xml)
        except PacRetryableError as exc:
            self._breaker.set()
            return Outcome(doc_id, "failed_retryable", code=exc.incidence.code, message=exc.incidence.message)
        except PacPermanentError as exc:
            return Outcome(doc_id, "rejected", code=exc.incidence.code, message=exc.incidence.message)
        return Outcome(
            doc_id,
            "stamped",
            uuid=result.uuid,
            xml=result.xml,
            fecha_timbrado=fecha_timbrado(result.fecha_timbrado),
            sent_xml=xml,
        )


def send_all(services: CfdiServices, jobs: list[tuple[int, bytes]]) -> list[Outcome]:
    """Stamp signed documents concurrently and wait for all of them (see `PacSender`)."""
    if not jobs:
        return []
    return PacSender(services).submit(jobs).results()
