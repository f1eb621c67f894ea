"""Local PAC simulator: a real HTTP server speaking Finkok's stamp.wsdl / cancel.wsdl SOAP envelopes.

What it does on `stamp` / `quick_stamp`, like a PAC: parse (301), SAT XSD validation (705), NoCertificado vs
certificate (712), Sello verification with the certificate embedded in the XML (302), no previous TFD (707), the
72-hour Fecha window (401, optional), and duplicate detection by Sello (307, optionally carrying the previous XML).
`stamped` returns the earlier stamp for the same Sello or 603. `cancel_signature` and `get_sat_status` keep a
per-UUID state (201/202/205, Vigente/Cancelado/No Encontrado).

It does NOT sign with RSA (that would double the CPU of a billing run). The TimbreFiscalDigital's SelloSAT is 256
bytes derived with HMAC-SHA256 from a per-instance secret over the TFD cadena, base64-encoded: same shape as a
real SelloSAT, but it verifies against no certificate. The UUID is derived the same way from the CFDI Sello, so a
given signed XML always gets the same UUID from one simulator instance.

Fault injection, for the next N matching calls (constructor `faults=[Fault(...)]`, `inject(...)`, or
`POST /_control/faults` with JSON `{"kind": "timeout", "count": 1, "seconds": 2.0, "operation": "stamp"}`):
  * `timeout`: process the call, then sleep `seconds` before answering (a stamp that happened but whose answer the
    client never got: the retry then sees 307 and must recover);
  * `http_error`: answer HTTP `status` (default 500) without processing;
  * `incidence`: answer with incidence `code` (e.g. "708" retryable, "305" permanent) without processing.
`DELETE /_control/faults` clears them; `GET /_control/stats` returns call counters. Loopback only.

Like a PAC across the Internet (`--pac-latency-ms 200 --pac-jitter-ms 100`): every SOAP answer is held back
latency ± jitter (uniform, never below 0) without blocking other connections, so throughput depends on how many calls
the client keeps in flight. Rate limit (`--rate-limit 100/s`, a token bucket holding one second's worth): a call
over the limit is answered at once with HTTP 429 (`--rate-limit-status 503` for nginx's default) and `Retry-After`,
WITHOUT being processed, as a front end in front of the stamping service would. Finkok publishes neither its limits
nor the shape of that answer (docs: /work/shared/reference/performance.md §5); 429 + Retry-After is the common one.

Use from tests or `make demo`: `url, stop = start_simulator()`; or `python -m devtools.fakes.pac_simulator --port 8799`.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import math
import random
import secrets
import threading
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from devtools.fakes.async_http import AsyncHttpServer, Reply
from shared.adapters.pac import soap
from shared.adapters.pac.checks import NS_CFDI, CfdiCheckError, check_cfdi, check_structure, warm_up
from shared.domain.timezone import UTILITY_TZ

NS_TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
TFD_SCHEMA_LOCATION = (
    f"{NS_TFD} http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"
)
SIM_RFC_PROV_CERTIF = "CVD110412TF6"  # the RfcProvCertif Finkok's demo environment shows
SIM_NO_CERTIFICADO_SAT = "30001000000500003456"

_MESSAGES = {
    "300": "Usuario o contraseña inválidos",
    "307": "El CFDI contiene un timbre previo",
    "401": "Fecha y hora de generación fuera de rango",
    "603": "El CFDI no contiene un timbre previo",
    "707": "El XML ya contiene un nodo TimbreFiscalDigital",
}


@dataclass
class Fault:
    kind: str  # "timeout" | "http_error" | "incidence"
    count: int = 1
    seconds: float = 2.0
    status: int = 500
    code: str = "708"
    operation: str | None = None  # None: any SOAP operation


@dataclass
class _Stamp:
    uuid: str
    xml: bytes
    fecha: str
    sat_seal: str
    issuer_rfc: str
    cancelled: bool = False


@dataclass
class _State:
    stamps_by_sello: dict[str, _Stamp] = field(default_factory=dict)
    stamps_by_uuid: dict[str, _Stamp] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)


class PacSimulator:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: list[Fault] | None = None,
        credentials: tuple[str, str] | None = None,
        max_age_hours: float | None = None,
        include_xml_on_duplicate: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
        full_check_every: int = 1,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        rate_limit: float | None = None,
        rate_limit_status: int = 429,
    ) -> None:
        """`full_check_every`: every n-th document gets the full PAC check (SAT XSD, XSLT cadena, RSA verify of the
        Sello); the others get the structural checks only. 1 (the default, used by tests and the demo) checks every
        document; load tests raise it so the simulator's own CPU does not dominate a 2-core benchmark."""
        if full_check_every < 1:
            raise ValueError("full_check_every must be >= 1")
        if latency_ms < 0 or jitter_ms < 0 or (rate_limit is not None and rate_limit <= 0):
            raise ValueError("latency and jitter must be >= 0 and the rate limit > 0")
        if rate_limit_status not in (429, 503):
            raise ValueError("rate_limit_status must be 429 or 503")
        self.latency = latency_ms / 1000
        self.jitter = jitter_ms / 1000
        self.rate_limit = rate_limit
        self.rate_limit_status = rate_limit_status
        self._tokens = float(rate_limit or 0)
        self._refilled = time.monotonic()
        self._secret = secrets.token_bytes(32)
        self._state = _State(faults=list(faults or []))
        self._lock = threading.Lock()
        self.credentials = credentials
        self.max_age_hours = max_age_hours
        self.include_xml_on_duplicate = include_xml_on_duplicate
        self.full_check_every = full_check_every
        self._received = 0
        self._clock = clock or (lambda: dt.datetime.now(UTILITY_TZ).replace(tzinfo=None, microsecond=0))
        self._server = AsyncHttpServer(self.route, host=host, port=port)

    # ---------------------------------------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        host, port = self._server.address
        return f"http://{host}:{port}"

    def start(self) -> PacSimulator:
        warm_up()  # compile the SAT schemas and XSLT now, not inside the first request's timeout
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> PacSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------------------------------------- control
    def inject(self, kind: str, *, count: int = 1, **options: Any) -> None:
        with self._lock:
            self._state.faults.append(Fault(kind=kind, count=count, **options))

    def clear_faults(self) -> None:
        with self._lock:
            self._state.faults.clear()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._state.calls) | {"stamped_documents": len(self._state.stamps_by_uuid)}

    def _over_limit(self) -> int | None:
        """None when the call may go on; else the Retry-After seconds (token bucket of `rate_limit` per second)."""
        if self.rate_limit is None:
            return None
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.rate_limit, self._tokens + (now - self._refilled) * self.rate_limit)
            self._refilled = now
            if self._tokens >= 1:
                self._tokens -= 1
                return None
            self._state.calls["throttled"] = self._state.calls.get("throttled", 0) + 1
            return max(1, math.ceil((1 - self._tokens) / self.rate_limit))

    def _latency(self) -> float:
        if not self.jitter:
            return self.latency
        return max(0.0, self.latency + random.uniform(-self.jitter, self.jitter))  # noqa: S311 - simulation

    def _take_fault(self, operation: str) -> Fault | None:
        with self._lock:
            self._state.calls[operation] = self._state.calls.get(operation, 0) + 1
            for fault in self._state.faults:
                if fault.count > 0 and fault.operation in (None, operation):
                    fault.count -= 1
                    if fault.count == 0:
                        self._state.faults.remove(fault)
                    return fault
        return None

    # ---------------------------------------------------------------------------------------------- derivations
    def _derive(self, label: bytes, data: bytes, size: int) -> bytes:
        """`size` pseudo-random bytes bound to (secret, label, data): SHAKE-256 over an HMAC-SHA256 of them."""
        return hashlib.shake_256(hmac.digest(self._secret, label + b"\0" + data, "sha256")).digest(size)

    def _uuid_for(self, sello: str) -> str:
        return str(uuidlib.UUID(bytes=self._derive(b"uuid", sello.encode(), 16), version=4)).upper()

    # ---------------------------------------------------------------------------------------------- operations
    def _check(self, xml: bytes) -> etree._Element:
        with self._lock:
            self._received += 1
            full = self._received % self.full_check_every == 0
        return check_cfdi(xml) if full else check_structure(xml)

    def _stamp(self, xml: bytes, *, duplicate_ok: bool) -> tuple[_Stamp | None, str | None, str]:
        """Returns (stamp, incidence code, message)."""
        try:
            root = self._check(xml)
        except CfdiCheckError as exc:
            return None, exc.code, exc.detail
        if root.find(f"{{{NS_CFDI}}}Complemento/{{{NS_TFD}}}TimbreFiscalDigital") is not None:
            return None, "707", _MESSAGES["707"]
        now = self._clock()
        if self.max_age_hours is not None:
            fecha = dt.datetime.fromisoformat(root.get("Fecha", ""))
            if fecha > now + dt.timedelta(minutes=5) or now - fecha > dt.timedelta(hours=self.max_age_hours):
                return None, "401", _MESSAGES["401"]
        sello = root.get("Sello", "")
        with self._lock:
            existing = self._state.stamps_by_sello.get(sello)
        if existing is not None:
            return (existing if duplicate_ok else None), "307", _MESSAGES["307"]
        stamp = self._make_stamp(root, xml, sello, now)
        with self._lock:
            existing = self._state.stamps_by_sello.setdefault(sello, stamp)
            if existing is not stamp:  # a concurrent identical request won the race
                return None, "307", _MESSAGES["307"]
            self._state.stamps_by_uuid[stamp.uuid] = stamp
        return stamp, None, "Comprobante timbrado satisfactoriamente"

    def _make_stamp(self, root: etree._Element, xml: bytes, sello: str, now: dt.datetime) -> _Stamp:
        uuid = self._uuid_for(sello)
        fecha = now.isoformat(timespec="seconds")
        cadena = f"||1.1|{uuid}|{fecha}|{SIM_RFC_PROV_CERTIF}|{sello}|{SIM_NO_CERTIFICADO_SAT}||"
        sat_seal = base64.b64encode(self._derive(b"sello-sat", cadena.encode(), 256)).decode("ascii")
        tfd = {
            "Version": "1.1",
            "UUID": uuid,
            "FechaTimbrado": fecha,
            "RfcProvCertif": SIM_RFC_PROV_CERTIF,
            "SelloCFD": sello,
            "NoCertificadoSAT": SIM_NO_CERTIFICADO_SAT,
            "SelloSAT": sat_seal,
        }
        stamped = _append_tfd_text(root, xml, tfd) or _append_tfd_tree(root, tfd)
        issuer = root.find(f"{{{NS_CFDI}}}Emisor")
        return _Stamp(uuid, stamped, fecha, sat_seal, issuer.get("Rfc", "") if issuer is not None else "")

    def _stamped(self, xml: bytes) -> _Stamp | None:
        try:
            root = soap.parse_envelope(xml)
        except etree.XMLSyntaxError:
            return None
        with self._lock:
            return self._state.stamps_by_sello.get(root.get("Sello", ""))

    @staticmethod
    def _parse_cancel_request(request_xml: bytes) -> tuple[str | None, str | None, str]:
        """(error EstatusUUID or None, uuid, rfc) from a signed Cancelacion (the XMLDSig is not verified)."""
        try:
            root = soap.parse_envelope(request_xml)
        except etree.XMLSyntaxError:
            return "301", None, ""
        rfc = root.get("RfcEmisor", "")
        folio = next(iter(soap.find_all(root, "Folio")), None)
        if folio is None or not soap.find_all(root, "Signature"):
            return "301", None, rfc
        uuid = (folio.get("UUID") or "").upper()
        motivo = folio.get("Motivo")
        if motivo not in ("01", "02", "03", "04") or (motivo == "01" and not folio.get("FolioSustitucion")):
            return "207", uuid, rfc
        return None, uuid, rfc

    def _cancel(self, request_xml: bytes) -> tuple[str, str | None, str]:
        """Returns (EstatusUUID, uuid, rfc)."""
        error, uuid, rfc = self._parse_cancel_request(request_xml)
        if error is not None or uuid is None:
            return error or "301", uuid, rfc
        with self._lock:
            stamp = self._state.stamps_by_uuid.get(uuid)
            if stamp is None:
                status = "205"
            elif stamp.issuer_rfc != rfc:
                status = "203"
            elif stamp.cancelled:
                status = "202"
            else:
                stamp.cancelled = True
                status = "201"
        return status, uuid, rfc

    # ---------------------------------------------------------------------------------------------- SOAP
    def handle_soap(self, body: bytes) -> tuple[int, bytes, float]:
        """(HTTP status, response body, seconds to sleep before answering)."""
        try:
            root = soap.parse_envelope(body)
            operation_el = root.find(f"{{{soap.NS_SOAP}}}Body")[0]  # type: ignore[index]
        except (etree.XMLSyntaxError, TypeError, IndexError):
            return 500, _fault("Bad SOAP request"), 0.0
        operation = etree.QName(operation_el).localname
        fault = self._take_fault(operation)
        if fault is not None and fault.kind == "http_error":
            return fault.status, b"simulated server error", 0.0
        if fault is not None and fault.kind == "incidence":
            return 200, _stamp_response(operation, None, fault.code, f"Incidencia simulada {fault.code}"), 0.0
        delay = fault.seconds if fault is not None and fault.kind == "timeout" else 0.0
        fields = {etree.QName(el).localname: (el.text or "") for el in operation_el}
        if self.credentials and (fields.get("username"), fields.get("password")) != self.credentials:
            return 200, _stamp_response(operation, None, "300", _MESSAGES["300"]), delay
        handler = {
            "stamp": self._op_stamp,
            "quick_stamp": self._op_stamp,
            "stamped": self._op_stamped,
            "cancel_signature": self._op_cancel,
            "get_sat_status": self._op_status,
        }.get(operation)
        if handler is None:
            return 500, _fault(f"Operación no soportada: {operation}"), 0.0
        return 200, handler(operation, fields), delay

    def _op_stamp(self, operation: str, fields: dict[str, str]) -> bytes:
        try:
            xml = base64.b64decode(fields.get("xml", ""), validate=True)
        except ValueError:
            return _stamp_response(operation, None, "301", "XML no es base64")
        stamp, code, message = self._stamp(xml, duplicate_ok=self.include_xml_on_duplicate)
        return _stamp_response(operation, stamp, code, message)

    def _op_stamped(self, operation: str, fields: dict[str, str]) -> bytes:
        try:
            found = self._stamped(base64.b64decode(fields.get("xml", ""), validate=True))
        except ValueError:
            found = None
        if found is None:
            return _stamp_response(operation, None, "603", _MESSAGES["603"])
        return _stamp_response(operation, found, None, "")

    def _op_cancel(self, operation: str, fields: dict[str, str]) -> bytes:
        try:
            xml = base64.b64decode(fields.get("xml", ""), validate=True)
        except ValueError:
            xml = b""
        status, uuid, rfc = self._cancel(xml)
        return _cancel_response(status, uuid, rfc, self._clock())

    def _op_status(self, operation: str, fields: dict[str, str]) -> bytes:
        with self._lock:
            stamp = self._state.stamps_by_uuid.get(fields.get("uuid", "").upper())
        return _status_response(stamp)

    def route(self, method: str, path: str, body: bytes) -> Reply:
        """The HTTP surface: SOAP on Finkok's two service paths, plus `/_control/...` and `/_health`."""
        if method == "POST" and path.split("?", maxsplit=1)[0] in (soap.STAMP_PATH, soap.CANCEL_PATH):
            wait = self._over_limit()
            if wait is not None:
                return Reply(
                    self.rate_limit_status, b"rate limit exceeded", "text/plain", headers=(("Retry-After", str(wait)),)
                )
            status, response, delay = self.handle_soap(body)
            return Reply(status, response, delay=delay + self._latency())
        if method == "GET" and path == "/_health":
            return Reply(200, b'{"status":"ok"}', "application/json")
        return self._control(method, path, body) or Reply(404, b"not found", "text/plain")

    def _control(self, method: str, path: str, body: bytes) -> Reply | None:
        if method == "GET" and path == "/_control/stats":
            return Reply(200, json.dumps(self.stats()).encode(), "application/json")
        if method == "DELETE" and path == "/_control/faults":
            self.clear_faults()
            return Reply(204, b"", "text/plain")
        if method == "POST" and path == "/_control/faults":
            try:
                spec = json.loads(body)
                self.inject(spec.pop("kind"), **spec)
            except (ValueError, KeyError, TypeError) as exc:
                return Reply(400, json.dumps({"error": str(exc)}).encode(), "application/json")
            return Reply(204, b"", "text/plain")
        return None


# --------------------------------------------------------------------------------------------- the stamp
def _append_tfd_text(root: etree._Element, xml: bytes, tfd: dict[str, str]) -> bytes | None:
    """The usual case at string level (a PAC answers hundreds of thousands of these): a `cfdi:`-prefixed
    Comprobante with no Complemento and no Addenda gets `<cfdi:Complemento>` + the TFD just before its closing
    tag, leaving every other byte as signed. None when the document does not have that shape."""
    closing = b"</cfdi:Comprobante>"
    end = xml.rstrip().rfind(closing)
    if (
        root.prefix != "cfdi"
        or end < 0
        or xml.rstrip()[end + len(closing) :]
        or root.find(f"{{{NS_CFDI}}}Complemento") is not None
        or root.find(f"{{{NS_CFDI}}}Addenda") is not None
        or root.nsmap.get("tfd", NS_TFD) != NS_TFD
        or root.nsmap.get("xsi", NS_XSI) != NS_XSI
    ):
        return None
    xsi = "" if root.nsmap.get("xsi") == NS_XSI else f' xmlns:xsi="{NS_XSI}"'
    attributes = "".join(f' {name}="{_attr(value)}"' for name, value in tfd.items())
    element = (
        f'<cfdi:Complemento><tfd:TimbreFiscalDigital xmlns:tfd="{NS_TFD}"{xsi} '
        f'xsi:schemaLocation="{TFD_SCHEMA_LOCATION}"{attributes}/></cfdi:Complemento>'
    )
    return xml[:end] + element.encode("utf-8") + xml[end:]


def _append_tfd_tree(root: etree._Element, tfd: dict[str, str]) -> bytes:
    """Any other shape: add the TFD to the (possibly existing) Complemento, before an Addenda, and re-serialize."""
    complemento = root.find(f"{{{NS_CFDI}}}Complemento")
    if complemento is None:
        complemento = etree.Element(f"{{{NS_CFDI}}}Complemento")
        addenda = root.find(f"{{{NS_CFDI}}}Addenda")
        if addenda is not None:
            addenda.addprevious(complemento)
        else:
            root.append(complemento)
    node = etree.SubElement(complemento, f"{{{NS_TFD}}}TimbreFiscalDigital", nsmap={"tfd": NS_TFD, "xsi": NS_XSI})
    node.set(f"{{{NS_XSI}}}schemaLocation", TFD_SCHEMA_LOCATION)
    for name, value in tfd.items():
        node.set(name, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"}) if ("&" in value or "<" in value or '"' in value) else value


# --------------------------------------------------------------------------------------------- responses
def _el(name: str, value: str | None) -> str:
    if value is None:
        return f"<s0:{name}/>"
    return f"<s0:{name}>{escape(value) if ('&' in value or '<' in value or '>' in value) else value}</s0:{name}>"


def _envelope(namespace: str, operation: str, inner: str) -> bytes:
    return (
        f'<senv:Envelope xmlns:senv="{soap.NS_SOAP}" xmlns:tns="{namespace}" xmlns:s0="{soap.NS_APPS}">'
        f"<senv:Body><tns:{operation}Response><tns:{operation}Result>{inner}"
        f"</tns:{operation}Result></tns:{operation}Response></senv:Body></senv:Envelope>"
    ).encode()


def _stamp_response(operation: str, stamp: _Stamp | None, code: str | None, message: str) -> bytes:
    incidences = "<s0:Incidencias/>"
    if code is not None:
        incidences = (
            "<s0:Incidencias><s0:Incidencia><s0:IdIncidencia/>"
            f"{_el('Uuid', stamp.uuid if stamp else None)}{_el('CodigoError', code)}<s0:WorkProcessId/>"
            f"{_el('MensajeIncidencia', message)}<s0:ExtraInfo/><s0:NoCertificadoPac/><s0:FechaRegistro/>"
            "</s0:Incidencia></s0:Incidencias>"
        )
    inner = "".join(
        [
            _el("xml", stamp.xml.decode("utf-8") if stamp else None),
            _el("UUID", stamp.uuid if stamp else None),
            _el("Fecha", stamp.fecha if stamp else None),
            _el("CodEstatus", "Comprobante timbrado satisfactoriamente" if stamp and code is None else None),
            _el("SatSeal", stamp.sat_seal if stamp else None),
            incidences,
            _el("NoCertificadoSAT", SIM_NO_CERTIFICADO_SAT if stamp else None),
        ]
    )
    return _envelope(soap.NS_STAMP, operation, inner)


def _cancel_response(status: str, uuid: str | None, rfc: str, now: dt.datetime) -> bytes:
    fecha = now.isoformat(timespec="seconds")
    acuse = (
        f'<Acuse Fecha="{fecha}" RfcEmisor="{escape(rfc)}"><Folios><UUID>{escape(uuid or "")}</UUID>'
        f"<EstatusUUID>{status}</EstatusUUID></Folios></Acuse>"
    )
    inner = (
        f"<s0:Folios><s0:Folio>{_el('EstatusUUID', status)}{_el('UUID', uuid)}"
        f"{_el('EstatusCancelacion', 'En proceso' if status == '201' else None)}</s0:Folio></s0:Folios>"
        f"{_el('Acuse', acuse)}{_el('Fecha', fecha)}{_el('RfcEmisor', rfc)}"
    )
    return _envelope(soap.NS_CANCEL, "cancel_signature", inner)


def _status_response(stamp: _Stamp | None) -> bytes:
    values: tuple[str, str, str | None, str | None]
    if stamp is None:
        values = ("N - 602: Comprobante no encontrado", "No Encontrado", None, None)
    elif stamp.cancelled:
        values = (
            "S - Comprobante obtenido satisfactoriamente",
            "Cancelado",
            "Cancelable sin aceptación",
            "Cancelado sin aceptación",
        )
    else:
        values = ("S - Comprobante obtenido satisfactoriamente", "Vigente", "Cancelable sin aceptación", None)
    codigo, estado, cancelable, estatus = values
    inner = (
        f"<s0:sat>{_el('CodigoEstatus', codigo)}{_el('EsCancelable', cancelable)}{_el('Estado', estado)}"
        f"{_el('EstatusCancelacion', estatus)}</s0:sat>"
    )
    return _envelope(soap.NS_CANCEL, "get_sat_status", inner)


def _fault(message: str) -> bytes:
    return (
        f'<senv:Envelope xmlns:senv="{soap.NS_SOAP}"><senv:Body><senv:Fault><faultcode>senv:Server</faultcode>'
        f"<faultstring>{escape(message)}</faultstring></senv:Fault></senv:Body></senv:Envelope>"
    ).encode()


# --------------------------------------------------------------------------------------------- helpers
def start_simulator(**kwargs: Any) -> tuple[str, Callable[[], None]]:
    """Start a simulator on a free loopback port; returns (base URL, stop function)."""
    simulator = PacSimulator(**kwargs).start()
    return simulator.url, simulator.stop


def _rate(text: str) -> float:
    """'100/s', '6000/min' or '100' → calls per second."""
    number, _, unit = text.partition("/")
    per = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0}.get(unit.strip().lower())
    try:
        value = float(number)
    except ValueError:
        value = 0.0
    if per is None or value <= 0:
        raise argparse.ArgumentTypeError(f"not a rate: {text!r} (use N/s or N/min)")
    return value / per


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Finkok-compatible PAC simulator (no RSA).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-age-hours", type=float, default=72.0)
    parser.add_argument("--pac-latency-ms", type=float, default=0.0, help="hold every SOAP answer back this long")
    parser.add_argument("--pac-jitter-ms", type=float, default=0.0, help="± uniform jitter around the latency")
    parser.add_argument(
        "--rate-limit",
        type=_rate,
        default=None,
        metavar="N/s",
        help="calls per second (N/s or N/min); above it: 429 + Retry-After, not processed",
    )
    parser.add_argument("--rate-limit-status", type=int, choices=(429, 503), default=429)
    parser.add_argument(
        "--full-check-every",
        type=int,
        default=1,
        help="every n-th document gets the full PAC check (XSD, cadena, Sello), the rest the "
        "structural checks (n > 1 for load tests only)",
    )
    args = parser.parse_args()
    if args.full_check_every < 1:
        parser.error("--full-check-every must be at least 1")
    from shared.platform.gc_tuning import tune_for_batch_work

    if args.pac_latency_ms < 0 or args.pac_jitter_ms < 0:
        parser.error("--pac-latency-ms and --pac-jitter-ms must be >= 0")
    simulator = PacSimulator(
        port=args.port,
        max_age_hours=args.max_age_hours,
        full_check_every=args.full_check_every,
        latency_ms=args.pac_latency_ms,
        jitter_ms=args.pac_jitter_ms,
        rate_limit=args.rate_limit,
        rate_limit_status=args.rate_limit_status,
    ).start()
    tune_for_batch_work()
    print(simulator.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
