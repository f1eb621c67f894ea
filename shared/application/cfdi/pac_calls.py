"""Calls to the PAC for already signed documents: concurrent, with a breaker that stops sending after the first
retryable failure (the documents not sent stay 'signed' and the next round re-sends the same bytes)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared.adapters.pac import PacPermanentError, PacRetryableError
from shared.application.cfdi.services import CfdiServices


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

    def row(self) -> tuple[Any, ...]:
        attempts = 0 if self.status == "signed" else 1
        return (self.doc_id, self.status, self.uuid, self.xml, self.fecha_timbrado, self.code, self.message,
                attempts, self.sent_xml)


def fecha_timbrado(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def send_all(services: CfdiServices, jobs: list[tuple[int, bytes]]) -> list[Outcome]:
    """Stamp signed documents concurrently. After the first retryable failure (the client has already retried
    with backoff) the breaker opens: documents not yet sent stay 'signed'."""
    if not jobs:
        return []
    breaker = threading.Event()

    def one(job: tuple[int, bytes]) -> Outcome:
        doc_id, xml = job
        if breaker.is_set():
            return Outcome(doc_id, "signed")
        try:
            result = services.pac.stamp(xml)
        except PacRetryableError as exc:
            breaker.set()
            return Outcome(doc_id, "failed_retryable", code=exc.incidence.code, message=exc.incidence.message)
        except PacPermanentError as exc:
            return Outcome(doc_id, "rejected", code=exc.incidence.code, message=exc.incidence.message)
        return Outcome(doc_id, "stamped", uuid=result.uuid, xml=result.xml,
                       fecha_timbrado=fecha_timbrado(result.fecha_timbrado), sent_xml=xml)

    workers = max(1, min(services.workers, len(jobs)))
    if workers == 1:
        return [one(j) for j in jobs]
    with ThreadPoolExecutor(workers, thread_name_prefix="pac") as pool:
        return list(pool.map(one, jobs))
