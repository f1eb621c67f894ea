"""A PAC that behaves like one: latency per call, a rate limit answered with 429/503 + Retry-After before anything
is processed, and a client that slows down under it (pauses every thread, retries the same bytes on its own
budget, caps its calls in flight) without ever getting a second UUID for a document."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.fakes.async_http import AsyncHttpServer, Reply
from devtools.fakes.pac_simulator import PacSimulator, _rate
from shared.adapters.csd import CfdiSigner
from shared.adapters.pac import FinkokClient, PacRetryableError, RetryPolicy, soap
from shared.adapters.pac.transport import Response
from shared.domain.cfdi.models import ConceptInput, InvoicingModel, Issuer, Receiver
from shared.domain.cfdi.requests import invoice_request
from shared.domain.cfdi.validation import prepare_cfdi


def _documents(
    cfdi_signer: CfdiSigner, issuer: Issuer, receiver: Receiver, concepts: list[ConceptInput], now: dt.datetime, n: int
) -> list[bytes]:
    out = []
    for i in range(n):
        request = invoice_request(
            model=InvoicingModel.ON_PAYMENT,
            issuer=issuer,
            receiver=receiver,
            fecha=now,
            concepts=concepts,
            forma_pago="03",
            serie="AGUA",
            folio=str(100 + i),
        )
        out.append(cfdi_signer.sign_native(prepare_cfdi(request=request, now=now + dt.timedelta(minutes=1))).xml)
    return out


def _stamp_envelope(xml: bytes) -> bytes:
    return soap.stamp_envelope(operation="stamp", xml=xml, username="demo", password="demo")


@settings(max_examples=50, deadline=None)
@given(latency=st.floats(min_value=0, max_value=2000), jitter=st.floats(min_value=0, max_value=2000))
def test_latency_stays_within_its_band_and_never_below_zero(latency: float, jitter: float) -> None:
    simulator = PacSimulator(latency_ms=latency, jitter_ms=jitter)
    for _ in range(20):
        held = simulator._latency()
        assert max(0.0, (latency - jitter) / 1000) - 1e-9 <= held <= (latency + jitter) / 1000 + 1e-9


def test_every_soap_answer_is_held_back_by_the_latency(signed_xml: bytes) -> None:
    simulator = PacSimulator(latency_ms=200, jitter_ms=0)
    reply = simulator.route("POST", soap.STAMP_PATH, _stamp_envelope(signed_xml))
    assert reply.status == 200 and reply.delay == pytest.approx(0.2)
    assert simulator.route("GET", "/_health", b"").delay == 0  # control endpoints are not delayed


def test_over_the_limit_is_429_with_retry_after_and_nothing_is_stamped(documents: list[bytes]) -> None:
    simulator = PacSimulator(rate_limit=3)  # 3 calls per second, the bucket starts full
    replies = [simulator.route("POST", soap.STAMP_PATH, _stamp_envelope(xml)) for xml in documents[:6]]
    statuses = [r.status for r in replies]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
    throttled = [r for r in replies if r.status == 429]
    assert all(dict(r.headers)["Retry-After"].isdigit() and int(dict(r.headers)["Retry-After"]) >= 1 for r in throttled)
    assert simulator.stats()["stamped_documents"] == 6 - len(throttled)  # throttled calls were not processed
    assert simulator.stats()["throttled"] == len(throttled)


def test_the_503_variant_is_nginx_shaped(documents: list[bytes]) -> None:
    simulator = PacSimulator(rate_limit=1, rate_limit_status=503)
    simulator.route("POST", soap.STAMP_PATH, _stamp_envelope(documents[0]))
    reply = simulator.route("POST", soap.STAMP_PATH, _stamp_envelope(documents[1]))
    assert reply.status == 503 and "Retry-After" in dict(reply.headers)


@pytest.mark.parametrize(("text", "per_second"), [("100/s", 100.0), ("6000/min", 100.0), ("2.5", 2.5)])
def test_rate_option(text: str, per_second: float) -> None:
    assert _rate(text) == per_second


@pytest.mark.parametrize("text", ["0/s", "-3/s", "ten/s", "5/h"])
def test_bad_rate_option_is_refused(text: str) -> None:
    with pytest.raises(Exception, match="not a rate"):
        _rate(text)


def test_client_under_the_rate_limit_stamps_everything_once(documents: list[bytes]) -> None:
    """16 threads against 15 calls/s with 50 ms latency: the client is throttled, waits, resends the same bytes, and
    every document ends with exactly one stamp (the simulator issued as many UUIDs as there are documents)."""
    with PacSimulator(rate_limit=15, latency_ms=50, jitter_ms=25) as simulator:
        client = FinkokClient(
            base_url=simulator.url,
            username="demo",
            password="demo",
            timeout=5,
            retry=RetryPolicy(attempts=2, base_delay=0.05, throttled_attempts=60),
            max_in_flight=16,
        )
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(client.stamp, documents))
        client.close()
        stats = simulator.stats()
    uuids = [r.uuid for r in results]
    assert len(set(uuids)) == len(documents)
    assert stats["stamped_documents"] == len(documents)
    assert stats["throttled"] > 0 and client.throttled_answers > 0
    assert stats["stamp"] == len(documents)  # a throttled call never reached the stamping service
    assert not any(r.recovered for r in results)


def test_throttled_past_its_budget_is_a_retryable_error(signed_xml: bytes) -> None:
    server = AsyncHttpServer(lambda m, p, b: Reply(429, b"slow down", "text/plain", headers=(("Retry-After", "2"),)))
    server.start()
    sleeps: list[float] = []
    try:
        host, port = server.address
        client = FinkokClient(
            base_url=f"http://{host}:{port}",
            username="demo",
            password="demo",
            retry=RetryPolicy(attempts=2, throttled_attempts=5),
            sleep=sleeps.append,
        )
        with pytest.raises(PacRetryableError) as raised:
            client.stamp(signed_xml)
        assert raised.value.incidence.code == "http_429"
        assert client.throttled_answers == 5
        assert len(sleeps) == 4 and all(s >= 2 for s in sleeps)  # each pause waited out the Retry-After
    finally:
        server.stop()


def test_max_in_flight_caps_the_calls_on_the_wire(signed_xml: bytes) -> None:
    """12 threads, a server that holds every answer 50 ms, max_in_flight=3: never more than 3 exchanges at once."""
    server = AsyncHttpServer(lambda m, p, b: Reply(500, b"busy", "text/plain", delay=0.05))
    server.start()
    host, port = server.address
    client = FinkokClient(
        base_url=f"http://{host}:{port}",
        username="demo",
        password="demo",
        retry=RetryPolicy(attempts=1),
        max_in_flight=3,
    )
    lock = threading.Lock()
    inside = {"now": 0, "peak": 0}
    exchange = client._http.exchange

    def counted(path: str, body: bytes, headers: dict[str, str]) -> Response:
        with lock:
            inside["now"] += 1
            inside["peak"] = max(inside["peak"], inside["now"])
        try:
            return exchange(path, body, headers)
        finally:
            with lock:
                inside["now"] -= 1

    client._http.exchange = counted  # type: ignore[method-assign]
    try:
        with ThreadPoolExecutor(12) as pool:
            outcomes = list(pool.map(lambda _: _safe_stamp(client, signed_xml), range(24)))
    finally:
        client.close()
        server.stop()
    assert outcomes == ["retryable"] * 24
    assert 2 <= inside["peak"] <= 3


def _safe_stamp(client: FinkokClient, xml: bytes) -> str:
    try:
        client.stamp(xml)
    except PacRetryableError:
        return "retryable"
    return "stamped"


def test_max_in_flight_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        FinkokClient(base_url="http://127.0.0.1:9", username="u", password="p", max_in_flight=0)


@pytest.fixture()
def documents(
    cfdi_signer: CfdiSigner,
    issuer: Issuer,
    receiver: Receiver,
    water_concepts: list[ConceptInput],
    local_now: dt.datetime,
) -> list[bytes]:
    return _documents(cfdi_signer, issuer, receiver, water_concepts, local_now, 40)


@pytest.fixture()
def signed_xml(documents: list[bytes]) -> bytes:
    return documents[0]
