"""Issue 13 item 4: the body types every route uses (functions/api/schemas.py), table-driven in both of pydantic's
modes (FastAPI validates the parsed JSON in Python mode): ids are strict ints, required text is never blank or
NUL, amounts use ASCII digits, dates are exactly YYYY-MM-DD."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from functions.api.schemas import AsciiNumber, Id, IsoDate, LongText, ShortText, Text

Amount = Annotated[Decimal, AsciiNumber, Field(ge=0, max_digits=14, decimal_places=2)]
CASES: list[tuple[str, Any, list[Any], list[Any]]] = [
    ("Id", Id, [1, 2**63 - 1], [True, False, 1.0, "1", 0, -1, 2**63, None, "١"]),
    (
        "ShortText",
        ShortText,
        ["a", " a ", "Ñandú", "x" * 80],
        ["", " ", "   ", "\t\n", "\u3000", "\u00a0", "a\x00", "\x00", "a\ud800", "x" * 81],
    ),
    ("Text", Text, ["Av. Zaragoza 12"], ["  \n ", "b\x00"]),
    ("LongText", LongText, ["Fuga en banqueta"], ["\r\n\t", "\udfff"]),
    ("Amount", Amount, ["240.00", "0", 12, "12.5"], ["٢٤٠", "２４０", "𝟚", True, "NaN", "Infinity", "1e400", "-1"]),
    ("IsoDate", IsoDate, ["2026-12-01"], [1767225600, "٢٠٢٦-12-01", "2026-12-01T00:00:00", "20261201", True, ""]),
]


@pytest.mark.parametrize(("name", "kind", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_body_types_accept_and_refuse(name, kind, good, bad):
    adapter = TypeAdapter(kind)
    for value in good:
        adapter.validate_python(value)
    for value in bad:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)
            pytest.fail(f"{name} accepted {value!r}")


def test_iso_date_is_a_date():
    assert TypeAdapter(IsoDate).validate_python("2026-02-28") == date(2026, 2, 28)
    with pytest.raises(ValidationError):
        TypeAdapter(IsoDate).validate_python("2026-02-30")
