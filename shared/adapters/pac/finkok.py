"""Finkok PAC client over SOAP: timeouts, exponential backoff, and idempotent recovery.

Not satcfdi's Finkok class: that one posts with `requests` and no timeout, raises on 307, and cannot be pointed
at a local simulator. This client speaks the same envelopes (stamp.wsdl, cancel.wsdl) to any base URL:
`https://demo-facturacion.finkok.com` (test), `https://facturacion.finkok.com` (production), or the simulator.

Retry policy: transport errors, timeouts, HTTP 5xx and retryable incidences are retried with exponential
backoff and jitter, always with the same bytes. Incidence 307 (already stamped) is not an error: the existing
stamp is fetched with `stamped` (retrying 603 for the few seconds Finkok may lag).

Rate limits: Finkok publishes no per-second limit nor how it answers above one; a front end answers HTTP 429 (or
503, nginx's default) before the request reaches the stamping service, so the call did not happen and sending the
same bytes again is safe (a stamp that did happen would answer 307 anyway). A throttled answer pauses every thread
of this client until its Retry-After (or the backoff delay) has passed, plus a little jitter so they do not all
come back at once, and is retried on its own budget (`RetryPolicy.throttled_attempts`): being slowed down is not
an outage, so it does not open the stamping breaker early. `max_in_flight` caps the calls this client has on the
wire at once (threads waiting for a slot or sleeping out a backoff do not hold one).
"""

from __future__ import annotations

import base64
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from lxml import etree

from shared.adapters.pac import soap
from shared.adapters.pac.base import (
    CancelResult,
    PacError,
    PacPermanentError,
    PacRetryableError,
    SatStatus,
    StampResult,
)
from shared.adapters.pac.incidences import (
    ALREADY_STAMPED,
    CANCEL_ACCEPTED,
    CANCEL_STATUSES,
    NOT_STAMPED_YET,
    PacIncidence,
    incidence,
)
from shared.adapters.pac.transport import KeepAliveTransport, TransportFailure, TransportTimeout

log = logging.getLogger(__name__)
T = TypeVar("T")

FINKOK_TEST_URL = "https://demo-facturacion.finkok.com"
FINKOK_PRODUCTION_URL = "https://facturacion.finkok.com"
STAMPED_OK = "Comprobante timbrado satisfactoriamente"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # total tries per call, including the first
    base_delay: float = 0.5  # seconds before the 2nd try; doubles each time
    max_delay: float = 8.0
    jitter: float = 0.2  # ± fraction of the delay
    throttled_attempts: int = 30  # tries of one call answered 429/503 "slow down" (its own budget)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number `attempt` (1-based)."""
        raw = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return max(0.0, raw * (1 + random.uniform(-self.jitter, self.jitter)))  # noqa: S311 - jitter, not crypto


class _Retry(Exception):
    def __init__(self, incidence: PacIncidence, *, throttled: bool = False, retry_after: float | None = None) -> None:
        self.incidence = incidence
        self.throttled = throttled  # 429, or 503 with Retry-After: the PAC is asking us to slow down
        self.retry_after = retry_after
        super().__init__(incidence.message)


def _transport_incidence(code: str, message: str, detail: str) -> PacIncidence:
    return PacIncidence(code=code, message=message, retryable=True, detail=detail)


class FinkokClient:
    """`PacClient` for Finkok. Construct once per process and reuse (keeps the HTTP connection pool)."""

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        stamped_retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_in_flight: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self.retry = retry or RetryPolicy()
        # Finkok may answer 603 for a few seconds right after stamping (observed up to ~8 s).
        self.stamped_retry = stamped_retry or RetryPolicy(attempts=6, base_delay=0.5, max_delay=4.0)
        self._http = KeepAliveTransport(self.base_url, timeout=timeout)
        self._sleep = sleep
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.max_in_flight = max_in_flight
        self._slots = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None
        self._throttle_lock = threading.Lock()
        self._throttled_until = 0.0  # time.monotonic() before which no thread sends (the PAC said slow down)
        self.throttled_answers = 0  # 429/503-with-Retry-After answers seen by this client (for benchmarks)

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------------------------------ transport
    def _wait_out_throttle(self) -> None:
        with self._throttle_lock:
            wait = self._throttled_until - time.monotonic()
        if wait > 0:
            self._sleep(wait + random.uniform(0, min(0.25, wait / 4)))  # noqa: S311 - jitter, not crypto

    def _throttle(self, seconds: float) -> None:
        with self._throttle_lock:
            self.throttled_answers += 1
            self._throttled_until = max(self._throttled_until, time.monotonic() + seconds)

    def _send(self, path: str, body: bytes, operation: str) -> tuple[int, bytes, float | None]:
        self._wait_out_throttle()
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": operation}
        if self._slots is None:
            return self._http.exchange(path, body, headers)
        with self._slots:
            return self._http.exchange(path, body, headers)

    def _post(self, path: str, body: bytes, operation: str) -> etree._Element:
        """One HTTP round trip; raises _Retry for transient failures, PacPermanentError for unusable answers."""
        try:
            status, content, retry_after = self._send(path, body, operation)
        except TransportTimeout as exc:
            incident = _transport_incidence("timeout", "El PAC no respondió a tiempo; se reintentará.", str(exc))
            raise _Retry(incident) from exc
        except TransportFailure as exc:
            incident = _transport_incidence("network", "No se pudo conectar con el PAC; se reintentará.", str(exc))
            raise _Retry(incident) from exc
        text = content[:200].decode("utf-8", errors="replace")
        if status == 429 or (status == 503 and retry_after is not None):
            incident = _transport_incidence(
                f"http_{status}", "El PAC limitó la tasa de solicitudes; se reintentará.", text
            )
            raise _Retry(incident, throttled=True, retry_after=retry_after)
        if status >= 500:
            raise _Retry(
                _transport_incidence(f"http_{status}", "El PAC no está disponible temporalmente; se reintentará.", text)
            )
        if status >= 400:
            raise PacPermanentError(PacIncidence(f"http_{status}", "El PAC rechazó la solicitud.", False, text))
        try:
            root = soap.parse_envelope(content)
        except etree.XMLSyntaxError as exc:
            incident = _transport_incidence("bad_response", "Respuesta ilegible del PAC; se reintentará.", str(exc))
            raise _Retry(incident) from exc
        if (fault := soap.fault_string(root)) is not None:
            raise _Retry(_transport_incidence("soap_fault", "Error interno del PAC; se reintentará.", fault))
        return root

    def _with_retries(self, operation: str, policy: RetryPolicy, fn: Callable[[], T]) -> T:
        attempt = throttled = 0
        while True:
            try:
                return fn()
            except _Retry as retry:
                last = retry.incidence
                if retry.throttled:
                    throttled += 1
                    self._throttle(retry.retry_after if retry.retry_after is not None else policy.delay(throttled))
                    if throttled >= policy.throttled_attempts:
                        raise PacRetryableError(last) from retry
                    log.info(
                        "pac throttled: %s %s (throttled %d)",
                        operation,
                        last.code,
                        throttled,
                        extra={"operation": operation, "throttled": throttled, "code": last.code},
                    )
                    continue  # _send waits out the pause before the next try
                attempt += 1
                log.warning(
                    "pac retryable failure: %s %s (attempt %d)",
                    operation,
                    last.code,
                    attempt,
                    extra={"operation": operation, "attempt": attempt, "code": last.code},
                )
                if attempt >= policy.attempts:
                    raise PacRetryableError(last) from retry
                self._sleep(policy.delay(attempt))

    # ------------------------------------------------------------------------------------------ stamping
    @staticmethod
    def _incidences(root: etree._Element) -> list[PacIncidence]:
        found = []
        for node in soap.find_all(root, "Incidencia"):
            code = (soap.find_text(node, "CodigoError") or "").strip()
            detail = (soap.find_text(node, "MensajeIncidencia") or "").strip()
            found.append(incidence(code=code or "unknown", detail=detail))
        return found

    @staticmethod
    def _result(texts: dict[str, str | None], *, recovered: bool, warnings: list[PacIncidence]) -> StampResult | None:
        xml_text, uuid = texts.get("xml"), texts.get("UUID")
        if not xml_text or not uuid:
            return None
        return StampResult(
            uuid=uuid.strip().upper(),
            xml=xml_text.encode("utf-8"),
            fecha_timbrado=texts.get("Fecha"),
            no_certificado_sat=texts.get("NoCertificadoSAT"),
            sat_seal=texts.get("SatSeal"),
            recovered=recovered,
            warnings=tuple(warnings),
        )

    def _stamp_once(self, xml: bytes, operation: str) -> StampResult:
        body = soap.stamp_envelope(operation=operation, xml=xml, username=self._username, password=self._password)
        root = self._post(soap.STAMP_PATH, body, operation)
        texts = soap.first_texts(root)
        issues = self._incidences(root) if "Incidencia" in texts else []
        status = (texts.get("CodEstatus") or "").strip()
        recovering = operation == "stamped"
        if not issues or status == STAMPED_OK:
            result = self._result(texts, recovered=recovering, warnings=issues)
            if result is None:
                raise _Retry(_transport_incidence("empty_response", "El PAC no devolvió el timbre.", status))
            return result
        first = issues[0]
        if first.code == ALREADY_STAMPED:
            raise _AlreadyStamped(self._result(texts, recovered=True, warnings=issues))
        if first.retryable:
            raise _Retry(first)
        raise PacPermanentError(first)

    def stamp(self, xml: bytes) -> StampResult:
        """Stamp the signed CFDI. Retries transient failures with the same bytes; 307 → `stamped`."""
        try:
            result = self._with_retries("stamp", self.retry, lambda: self._stamp_once(xml, "stamp"))
        except _AlreadyStamped as dup:
            log.info("pac duplicate stamp (307), recovering with stamped")
            return dup.result or self.stamped(xml)
        log.info("pac stamped", extra={"uuid": result.uuid})
        return result

    def stamped(self, xml: bytes, *, fresh: bool = True) -> StampResult:
        """Recover the stamp previously issued for exactly these bytes. For a fresh stamp 603 is retried for a few
        seconds (Finkok may lag right after stamping); for an old document (`fresh=False`) a 603 is the answer and
        is raised at once (transport failures are still retried)."""
        if fresh:
            return self._with_retries("stamped", self.stamped_retry, lambda: self._stamp_once(xml, "stamped"))

        def once() -> StampResult:
            try:
                return self._stamp_once(xml, "stamped")
            except _Retry as retry:
                if retry.incidence.code == NOT_STAMPED_YET:
                    raise PacRetryableError(retry.incidence) from retry
                raise

        return self._with_retries("stamped", self.retry, once)

    # ------------------------------------------------------------------------------------------ cancellation
    def _cancel_once(self, signed_request: bytes, store_pending: bool) -> CancelResult:
        body = soap.envelope(
            namespace=soap.NS_CANCEL,
            operation="cancel_signature",
            fields=[
                ("xml", base64.b64encode(signed_request).decode("ascii")),
                ("username", self._username),
                ("password", self._password),
                ("store_pending", "true" if store_pending else "false"),
            ],
        )
        root = self._post(soap.CANCEL_PATH, body, "cancel_signature")
        code = soap.find_text(root, "EstatusUUID")
        request_status = soap.find_text(root, "CodEstatus")
        if code is None and request_status:
            code = request_status.strip().split(" ")[0]
        acuse = soap.find_text(root, "Acuse")
        result = CancelResult(
            uuid=soap.find_text(root, "UUID"),
            status_code=code,
            cancel_status=soap.find_text(root, "EstatusCancelacion"),
            acuse=acuse.encode("utf-8") if acuse else None,
        )
        if code in CANCEL_ACCEPTED:
            return result
        issue = incidence(code=code or "unknown", detail=request_status or "", table=CANCEL_STATUSES)
        if issue.retryable:
            raise _Retry(issue)
        raise PacPermanentError(issue)

    def cancel(self, signed_request: bytes, *, store_pending: bool = False) -> CancelResult:
        """Send a signed Cancelacion (one UUID per request). 201 means received, not yet cancelled: poll status."""
        return self._with_retries("cancel", self.retry, lambda: self._cancel_once(signed_request, store_pending))

    def status(self, uuid: str, *, issuer_rfc: str, receiver_rfc: str, total: Decimal) -> SatStatus:
        def once() -> SatStatus:
            body = soap.envelope(
                namespace=soap.NS_CANCEL,
                operation="get_sat_status",
                fields=[
                    ("username", self._username),
                    ("password", self._password),
                    ("taxpayer_id", issuer_rfc),
                    ("rtaxpayer_id", receiver_rfc),
                    ("uuid", uuid),
                    ("total", format(total, "f")),
                ],
            )
            root = self._post(soap.CANCEL_PATH, body, "get_sat_status")
            if error := soap.find_text(root, "error"):
                raise PacPermanentError(incidence(code="status_error", detail=error))
            return SatStatus(
                codigo_estatus=soap.find_text(root, "CodigoEstatus"),
                estado=soap.find_text(root, "Estado"),
                es_cancelable=soap.find_text(root, "EsCancelable"),
                estatus_cancelacion=soap.find_text(root, "EstatusCancelacion"),
            )

        return self._with_retries("status", self.retry, once)


class _AlreadyStamped(Exception):
    """307 from `stamp`: carries the previous stamp when Finkok included it (it sometimes does)."""

    def __init__(self, result: StampResult | None) -> None:
        self.result = result
        super().__init__("already stamped")


__all__ = ["FINKOK_PRODUCTION_URL", "FINKOK_TEST_URL", "FinkokClient", "PacError", "RetryPolicy"]
