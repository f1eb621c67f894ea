"""Pure properties of the payload bounds (shared/domain/payments/bounds.py): depth is measured exactly without
parsing, amounts are never flipped or unbounded, moments never overflow, unstorable text is always found."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.payments import bounds
from shared.domain.payments.model import MalformedProviderEvent

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(alphabet=st.sampled_from('ab"\\[]{}:,\x00 \u0663'), max_size=6),
)
_JSON = st.recursive(_SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3))


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(value=_JSON, limit=st.integers(min_value=0, max_value=6))
def test_depth_is_measured_exactly_without_parsing(value, limit):
    body = json.dumps(value).encode()
    if _depth(value) > limit:
        with pytest.raises(bounds.TooDeep):
            bounds.check_depth(body=body, max_depth=limit)
    else:
        bounds.check_depth(body=body, max_depth=limit)


@given(cents=st.one_of(st.integers(min_value=-(2**80), max_value=2**80), st.booleans(), st.floats(), st.text()))
def test_centavos_are_positive_and_within_numeric_14_2_or_refused(cents):
    try:
        amount = bounds.centavos(value=cents, field="amount")
    except MalformedProviderEvent:
        assert isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0 or cents > bounds.MAX_CENTAVOS
        return
    assert Decimal(0) < amount <= bounds.MAX_AMOUNT and amount == Decimal(cents) / 100


@given(value=st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(), st.booleans(), st.text()))
def test_epoch_seconds_never_overflow(value):
    try:
        moment = bounds.epoch_seconds(value=value, field="created_at")
    except MalformedProviderEvent:
        return
    assert 2000 <= moment.year < 2100 and not isinstance(value, bool)
    assert not (isinstance(value, float) and not math.isfinite(value))


@given(prefix=st.text(max_size=5), bad=st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]))
def test_unstorable_text_is_found_anywhere(prefix, bad):
    for payload in ({"k": prefix + bad}, [[prefix + bad]], {prefix + bad: 1}, {"a": {"b": [1, {"c": bad}]}}):
        with pytest.raises(bounds.UnstorableText):
            bounds.check_text(payload)
    bounds.check_text({"k": prefix.replace("\x00", "")})  # hypothesis text never holds surrogates
