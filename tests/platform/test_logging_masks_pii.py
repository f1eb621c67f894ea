import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.platform import context
from shared.platform.logging import JsonFormatter, PiiFilter
from shared.platform.pii import mask_text

RFC = "GALM800101AB1"
CURP = "GALM800101MQTRPR01"
EMAIL = "maria.garcia@example.com"
PHONE = "+52 442 123 4567"


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PiiFilter())
    logger = logging.getLogger("test.pii")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.removeHandler(handler)


def test_log_lines_never_carry_personal_data_unmasked(captured):
    logger, stream = captured
    with context.bound(correlation="abc-123", tenant="cea-queretaro"):
        logger.info(
            "persona %s curp %s correo %s tel %s",
            RFC,
            CURP,
            EMAIL,
            PHONE,
            extra={"customer": {"rfc": RFC, "phones": [PHONE]}},
        )
    line = stream.getvalue()
    for secret in (RFC, CURP, EMAIL, "442 123 4567", "4421234567"):
        assert secret not in line
    entry = json.loads(line)
    assert entry["correlationId"] == "abc-123"
    assert entry["tenant"] == "cea-queretaro"
    assert entry["message"].startswith("persona GAL")
    assert entry["customer"]["rfc"].startswith("GAL") and entry["customer"]["rfc"] != RFC


def test_exceptions_are_masked_too(captured):
    logger, stream = captured
    try:
        raise ValueError(f"RFC inválido {RFC}")
    except ValueError:
        logger.exception("fallo")
    assert RFC not in stream.getvalue()


@given(st.from_regex(r"[A-Z]{4}[0-9]{6}[A-Z0-9]{3}", fullmatch=True))
def test_any_rfc_shaped_token_is_masked(rfc):
    assert rfc not in mask_text(f"cliente {rfc} pagó")


@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_any_ten_digit_phone_is_masked(phone):
    assert phone not in mask_text(f"llamar al {phone}")


def test_ordinary_text_is_untouched():
    text = "factura 2026-01 total 245.50 sector S01 toma 123"
    assert mask_text(text) == text
