"""PII masking against adversarial shapes (separators, spaces, `&`/`Ñ` RFCs, lower-case CURPs, plus-tag e-mails,
phones with +52 / 01 / spaces / dots / parentheses) inside longer text and nested objects of any type, on every path:
the JSON log line, the OpenTelemetry log record (what the Azure Monitor exporter receives) and span attributes."""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from shared.platform.logging import JsonFormatter, PiiFilter
from shared.platform.pii import mask_any, mask_text
from shared.platform.telemetry import PiiLogRecordProcessor, PiiSpanProcessor

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


def _cased(text: str, lower: list[bool]) -> str:
    return "".join(c.lower() if low else c for c, low in zip(text, lower, strict=False))


sep = st.sampled_from(["", " ", "-", " - "])


@st.composite
def rfcs(draw: st.DrawFn) -> str:
    name = draw(st.text(alphabet=LETTERS + "Ñ&", min_size=3, max_size=4))
    birth = draw(st.text(alphabet=DIGITS, min_size=6, max_size=6))
    homoclave = draw(st.text(alphabet=LETTERS + DIGITS, min_size=3, max_size=3))
    raw = f"{name}{draw(sep)}{birth}{draw(sep)}{homoclave}"
    return _cased(raw, draw(st.lists(st.booleans(), min_size=len(raw), max_size=len(raw))))


@st.composite
def curps(draw: st.DrawFn) -> str:
    raw = (
        draw(st.sampled_from(LETTERS))
        + draw(st.sampled_from("AEIOUX"))
        + draw(st.text(alphabet=LETTERS, min_size=2, max_size=2))
        + draw(sep)
        + draw(st.text(alphabet=DIGITS, min_size=6, max_size=6))
        + draw(sep)
        + draw(st.sampled_from("HMX"))
        + draw(st.text(alphabet=LETTERS, min_size=5, max_size=5))
        + draw(st.sampled_from(LETTERS + DIGITS))
        + draw(st.sampled_from(DIGITS))
    )
    if draw(st.booleans()):
        raw = raw.lower()
    return raw


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[a-z][a-z0-9._-]{0,12}", fullmatch=True))
    tag = draw(st.one_of(st.just(""), st.from_regex(r"\+[a-z0-9]{1,8}", fullmatch=True)))
    domain = draw(
        st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,8}){0,2}\.(mx|com|gob\.mx|org)", fullmatch=True)
    )
    return f"{local}{tag}@{domain}"


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, str]:
    """(as written, its 10 national digits)."""
    digits = draw(st.text(alphabet=DIGITS, min_size=10, max_size=10))
    shape = draw(st.sampled_from(["3-3-4", "2-4-4", "3-3-2-2", "2-2-2-2-2", "3-7", "(3)3-4", "(2)4-4", "(3)7", "10"]))
    s = draw(st.sampled_from([" ", ".", "-", " - ", " .", "- "]))  # groups are separated (else: the plain form)
    if shape == "10":
        body = digits
    else:
        parens = shape.startswith("(")
        sizes = [int(x) for x in shape.replace("(", "").replace(")", "-").split("-")]
        groups, at = [], 0
        for size in sizes:
            groups.append(digits[at : at + size])
            at += size
        gap = draw(st.sampled_from(["", " "]))
        body = f"({groups[0]}){gap}" + s.join(groups[1:]) if parens else s.join(groups)
    prefix = draw(st.sampled_from(["", "+52 ", "+52", "+52 1 ", "52 ", "0052 ", "01 ", "01-", "+52."]))
    return prefix + body, digits


surround = st.text(alphabet=st.sampled_from(list("abc xyz:;,=()[]\"'/ñÁé¿?¡!")), max_size=12)
left = surround.map(lambda t: t + " ")
right = surround.map(lambda t: " " + t)


@st.composite
def secrets_in_text(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A longer text with several PII values and the fragments that must not survive."""
    parts: list[str] = []
    forbidden: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["rfc", "curp", "email", "phone"]))
        if kind == "phone":
            written, digits = draw(phones())
            parts.append(written)
            forbidden += [written, digits[:6]]
        else:
            value = draw({"rfc": rfcs(), "curp": curps(), "email": emails()}[kind])
            parts.append(value)
            forbidden.append(value)
            if kind == "email":
                forbidden.append(value.split("@", 1)[0] + "@")
    text = "".join(draw(left) + p + draw(right) for p in parts)
    return text, forbidden


def _survives(fragment: str, out: str) -> bool:
    if fragment.isdigit():  # a phone's leading digits: look through the separators of each run of digits
        return any(fragment in re.sub(r"\D", "", run) for run in re.findall(r"[\d\s().+-]+", out))
    return fragment.casefold() in out.casefold()


def _assert_clean(out: str, forbidden: list[str]) -> None:
    for fragment in forbidden:
        if len(fragment) >= 2:
            assert not _survives(fragment, out), (fragment, out)


@given(secrets_in_text())
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_free_text_is_masked(sample: tuple[str, list[str]]) -> None:
    text, forbidden = sample
    _assert_clean(mask_text(text), forbidden)


@dataclass
class Contact:
    note: str
    tags: set[str]


class Pair(NamedTuple):
    label: str
    value: Any


class Model(BaseModel):
    comment: str
    extra: dict[str, Any]


nested = st.recursive(
    secrets_in_text(),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda xs: ([x[0] for x in xs], [f for x in xs for f in x[1]])),
        children.map(lambda x: ({"k": {"deep": x[0]}}, x[1])),
        children.map(lambda x: ((Contact(note="ok", tags={str(x[0])})), x[1])),
        children.map(lambda x: (Pair("p", x[0]), x[1])),
        children.map(lambda x: (Model(comment="c", extra={"v": x[0]}), x[1])),
        children.map(lambda x: (frozenset([str(x[0])]), x[1])),
    ),
    max_leaves=4,
)


@given(nested)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_nested_values_of_any_type_are_masked(sample: tuple[Any, list[str]]) -> None:
    value, forbidden = sample
    _assert_clean(json.dumps(mask_any(value), ensure_ascii=False, default=str), forbidden)


def _json_logger() -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PiiFilter())
    logger = logging.getLogger("test.pii.adversarial")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, stream, handler


@given(nested, secrets_in_text())
@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_log_line_masks_message_args_extras_and_exception(sample: tuple[Any, list[str]], exc_text: Any) -> None:
    logger, stream, handler = _json_logger()
    try:
        try:
            raise ValueError(exc_text[0])
        except ValueError:
            logger.exception("aviso %s", exc_text[0], extra={"payload": sample[0], "ids": {1, 2}})
    finally:
        logger.removeHandler(handler)
    _assert_clean(stream.getvalue(), sample[1] + exc_text[1])
    json.loads(stream.getvalue())  # still one valid JSON line


def _otel_logger(with_filter: bool) -> tuple[logging.Logger, InMemoryLogRecordExporter, logging.Handler]:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(PiiLogRecordProcessor())  # first, as setup_telemetry installs it
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    handler = LoggingHandler(logger_provider=provider)
    if with_filter:
        handler.addFilter(PiiFilter())
    logger = logging.getLogger(f"test.pii.otel.{with_filter}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, exporter, handler


@given(secrets_in_text(), st.booleans())
@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_exported_log_records_are_masked_with_or_without_the_filter(sample: Any, with_filter: bool) -> None:
    text, forbidden = sample
    logger, exporter, handler = _otel_logger(with_filter)
    try:
        try:
            raise RuntimeError(text)
        except RuntimeError:
            logger.error("fallo con %s", text, exc_info=True, extra={"customer_note": text, "phones": [text]})
    finally:
        logger.removeHandler(handler)
    exported = exporter.get_finished_logs()
    assert exported
    for item in exported:
        record = item.log_record
        _assert_clean(str(record.body) + json.dumps(dict(record.attributes or {}), default=str), forbidden)


@given(secrets_in_text())
@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_exported_spans_are_masked(sample: Any) -> None:
    text, forbidden = sample
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(PiiSpanProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("phase", attributes={"note": text, "list": [text, "x"]}) as span:
        span.add_event("detail", {"what": text})
        span.record_exception(ValueError(text))
    (finished,) = exporter.get_finished_spans()
    dumped = json.dumps(
        {
            "attributes": dict(finished.attributes or {}),
            "events": [dict(e.attributes or {}) for e in finished.events],
            "status": finished.status.description,
        },
        default=str,
        ensure_ascii=False,
    )
    _assert_clean(dumped, forbidden)


def test_ordinary_operational_text_is_untouched() -> None:
    for text in (
        "factura 2026-01 total 245.50 sector S01 toma 123",
        "period 2026-10 run 42 chunk 7 of 15 took 12.5 s at 2026-12-03T11:54:35Z",
        "inbox 1234 outcome applied, folio A-000123",
        "GET /api/v1/accounts/{account_id} 200",
        "run 2026-10 2026-12-03T11:54:35Z inbox 42 amount 1234.56 ids 12 34 56",
    ):
        assert mask_text(text) == text
