"""Cursor pagination: opaque base64url cursors over keyset positions, and the page-building helper."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Query

from functions.api.problems import ProblemError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]


def encode_cursor(position: Sequence[Any]) -> str:
    raw = json.dumps(list(position), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad() -> ProblemError:
    return ProblemError(400, "invalid_cursor", "El cursor de paginación no es válido.")


def decode_cursor(cursor: str | None, *, arity: int = 1) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise _bad() from error
    if not isinstance(value, list) or len(value) != arity:
        raise _bad()
    return value


def after_id(cursor: str | None) -> int | None:
    value = decode_cursor(cursor)
    if value is None:
        return None
    if not isinstance(value[0], int) or isinstance(value[0], bool) or not 0 < value[0] < 2**63:
        raise _bad()
    return value[0]


def page(
    rows: list[dict[str, Any]], limit: int, position: Callable[[dict[str, Any]], Sequence[Any]] = lambda r: [r["id"]]
) -> dict[str, Any]:
    """Rows were fetched with `limit + 1`: the extra row only says there is a next page."""
    items = rows[:limit]
    more = len(rows) > limit
    return {"items": items, "next_cursor": encode_cursor(position(items[-1])) if more and items else None}
