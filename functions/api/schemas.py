"""Models shared by the v1 routes: problem details, cursor pages, local date-times, and the standard error
responses every v1 operation documents (they feed the OpenAPI document and the schemathesis run)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict

from shared.domain.timezone import UTILITY_TZ

T = TypeVar("T")


def _local(value: datetime) -> datetime:
    return value.astimezone(UTILITY_TZ) if value.tzinfo is not None else value


LocalDateTime = Annotated[datetime, AfterValidator(_local)]
"""A timestamp rendered in America/Mexico_City (ISO 8601 with offset)."""


class Out(BaseModel):
    """Base of response models: built from database rows (extra columns are ignored)."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")


class Problem(BaseModel):
    """RFC 9457 problem details with a stable `code` and a Spanish `detail`."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    code: str = Field(description="Stable machine-readable error code")
    detail: str = Field(description="Explicación en español (es-MX)")
    correlation_id: str | None = None
    instance: str | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last page")


def _problem(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Solicitud mal formada (por ejemplo, cursor inválido)"),
    401: _problem("Sin credenciales válidas"),
    403: _problem("El rol no permite la operación"),
    404: _problem("No existe o no es visible para quien llama"),
    409: _problem("El estado actual no permite la operación"),
    413: _problem("Cuerpo demasiado grande"),
    422: _problem("Datos inválidos"),
    429: _problem("Demasiadas solicitudes"),
}


NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
ShortText = Annotated[str, Field(min_length=1, max_length=80, pattern=NOT_BLANK)]
Text = Annotated[str, Field(min_length=1, max_length=250, pattern=NOT_BLANK)]
LongText = Annotated[str, Field(min_length=1, max_length=4000, pattern=NOT_BLANK)]
"""Body strings never carry NUL characters (PostgreSQL text cannot hold them) and are never only whitespace; a
pattern-constrained string also refuses lone surrogates (pydantic-core cannot read them as UTF-8)."""

MAX_ID = 2**63 - 1
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
"""A row id in a JSON body: an integer, never `true` (bool is an int in Python), `1.0` or `"1"`."""


def _ascii_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("un importe no puede ser booleano")
    if isinstance(value, str) and not value.isascii():
        raise ValueError("use dígitos ASCII (0-9)")
    return value


AsciiNumber = BeforeValidator(_ascii_number)


def _iso_date(value: Any) -> Any:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("use una fecha AAAA-MM-DD")
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
"""A date in a JSON body: exactly YYYY-MM-DD in ASCII digits (never a Unix timestamp or a date-time)."""
"""Add to an Annotated Decimal: pydantic reads "١٢" as 12; amounts are written with ASCII digits only."""


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def refuse_unstorable_text(value: Any) -> Any:
    """For free-form JSON fields (dict[str, Any], list[Any]): refuse NUL and lone surrogates in any key or string
    (PostgreSQL text cannot hold NUL; a lone surrogate is not UTF-8). Use as an AfterValidator."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise ValueError("el texto contiene NUL (\\u0000) o un sustituto UTF-16 sin pareja")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return value
