"""RFC 9457 problem details: every error the API returns is application/problem+json with a stable `code`
and a Spanish (es-MX) `detail` a person can act on."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.domain.errors import SupraError
from shared.platform import context

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_DETAILS_ES = {
    404: "El recurso solicitado no existe.",
    405: "Método no permitido para este recurso.",
    401: "Se requiere autenticación.",
    403: "No tiene permiso para esta operación.",
}


# The one place an error kind becomes an HTTP status.
STATUS_BY_KIND = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 422, "unauthenticated": 401}


class ProblemError(Exception):
    """Raise from a route to answer with a problem+json body."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.title = title or _TITLES.get(status, "Error")
        self.extra = extra or {}
        self.headers = headers or {}


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://supra.ceaqueretaro.gob.mx/problems/{code}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        "correlation_id": context.correlation_id.get(),
    }
    if instance:
        body["instance"] = instance
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_for(error: SupraError) -> ProblemError:
    """The problem+json answer for a business error: status from its kind, its code and Spanish detail."""
    return ProblemError(STATUS_BY_KIND.get(error.kind, 422), error.code, error.detail_es)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(SupraError)
    async def _business(request: Request, exc: SupraError) -> JSONResponse:
        problem = problem_for(exc)
        return problem_response(
            problem.status, problem.code, problem.detail, title=problem.title, instance=request.url.path
        )

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.code,
            exc.detail,
            title=exc.title,
            instance=request.url.path,
            extra=exc.extra,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return problem_response(
            422,
            "validation_error",
            "La solicitud tiene datos inválidos; revise `errors`.",
            instance=request.url.path,
            extra={"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = _DETAILS_ES.get(exc.status_code, str(exc.detail))
        return problem_response(
            exc.status_code,
            f"http_{exc.status_code}",
            detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return internal_error(instance=request.url.path)


INTERNAL_ERROR_DETAIL = "Ocurrió un error interno. Intente de nuevo; si persiste, reporte el correlation_id."


def internal_error(*, instance: str | None) -> JSONResponse:
    """The one 500 answer: problem+json with the request's correlation id (RequestContextMiddleware answers it for
    every unhandled exception inside the app, functions.api.middleware.ProblemBoundary for anything outside)."""
    return problem_response(500, "internal_error", INTERNAL_ERROR_DETAIL, instance=instance)
