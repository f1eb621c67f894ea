"""What a provider payload may carry before anything is stored: amounts a payment column holds, moments a
timestamp column holds, and text PostgreSQL can store.

* Amounts: strictly positive, at most 2 decimals, at most NUMERIC(14,2) (999,999,999,999.99). A negative amount is
  refused, never turned positive.
* Moments: epoch seconds between 2000-01-01 and 2100-01-01 (UTC); bools, NaN, Infinity and huge ints are refused.
* Text: no NUL (PostgreSQL text and jsonb cannot hold U+0000) and no lone surrogates (not encodable as UTF-8).
* Nesting: a JSON body deeper than MAX_JSON_DEPTH is refused before it is parsed (a deep body would exhaust the
  parser's recursion).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shared.domain.money import CENT
from shared.domain.payments.model import MalformedProviderEvent

MAX_AMOUNT = Decimal("999999999999.99")
MAX_CENTAVOS = 99_999_999_999_999
MIN_EPOCH = 946_684_800  # 2000-01-01T00:00:00Z
MAX_EPOCH = 4_102_444_800  # 2100-01-01T00:00:00Z
MAX_JSON_DEPTH = 32
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


class UnstorableText(MalformedProviderEvent):
    """A string of the payload holds NUL or a lone surrogate."""


class TooDeep(MalformedProviderEvent):
    """The JSON body nests deeper than MAX_JSON_DEPTH."""


def check_amount(*, amount: Decimal, field: str) -> Decimal:
    """`amount` when it is a storable payment amount, else MalformedProviderEvent naming the field."""
    if not amount.is_finite():
        raise MalformedProviderEvent(f"'{field}' is not a finite number")
    if amount <= 0:
        raise MalformedProviderEvent(f"'{field}' must be greater than zero (got {amount})")
    if amount > MAX_AMOUNT:
        raise MalformedProviderEvent(f"'{field}' exceeds the maximum amount {MAX_AMOUNT}")
    if amount != amount.quantize(CENT):
        raise MalformedProviderEvent(f"'{field}' has more than 2 decimals")
    return amount


def centavos(*, value: Any, field: str) -> Decimal:
    """Integer centavos (Conekta) as a checked amount in pesos."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedProviderEvent(f"'{field}' must be integer centavos")
    if value <= 0:
        raise MalformedProviderEvent(f"'{field}' must be greater than zero (got {value})")
    if value > MAX_CENTAVOS:
        raise MalformedProviderEvent(f"'{field}' exceeds the maximum amount {MAX_AMOUNT}")
    return check_amount(amount=(Decimal(value) / 100).quantize(CENT), field=field)


def epoch_seconds(*, value: Any, field: str) -> datetime:
    """Epoch seconds (int or finite float) within [2000, 2100) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedProviderEvent(f"'{field}' must be epoch seconds")
    if isinstance(value, float) and not math.isfinite(value):
        raise MalformedProviderEvent(f"'{field}' must be a finite number")
    if not MIN_EPOCH <= value < MAX_EPOCH:
        raise MalformedProviderEvent(f"'{field}' is outside 2000-01-01 .. 2100-01-01")
    return datetime.fromtimestamp(value, tz=UTC)


def epoch_millis(*, value: str, field: str) -> datetime:
    """Epoch milliseconds written as ASCII digits, within [2000, 2100)."""
    if not value.isascii() or not value.isdigit() or len(value) > 15:
        raise MalformedProviderEvent(f"'{field}' must be epoch milliseconds")
    return epoch_seconds(value=int(value) / 1000, field=field)


def check_text(value: Any, *, where: str = "body") -> None:
    """Refuse NUL and lone surrogates anywhere in a parsed JSON value (keys included). The caller bounded the depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise UnstorableText(f"{where} contains NUL or an unpaired surrogate")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def check_depth(*, body: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a JSON text nesting arrays/objects deeper than `max_depth`, without parsing it (strings are skipped)."""
    if sum(body.count(c) for c in b"[{") <= max_depth:
        return
    depth = 0
    for ch in _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS):
        if ch in b"[{":
            depth += 1
            if depth > max_depth:
                raise TooDeep(f"the body nests deeper than {max_depth} levels")
        else:
            depth -= 1
