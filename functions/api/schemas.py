"""Models shared by the v1 routes: problem details, cursor pages, local date-times, and the standard error
responses every v1 operation documents (they feed the OpenAPI document and the schemathesis run)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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
ShortText = Annotated[str, Field(min_length=1, max_length=80, pattern=NO_NUL)]
Text = Annotated[str, Field(min_length=1, max_length=250, pattern=NO_NUL)]
LongText = Annotated[str, Field(min_length=1, max_length=4000, pattern=NO_NUL)]
"""Body strings never carry NUL characters (PostgreSQL text cannot hold them)."""
