"""Liveness and readiness probes (Front Door health probe, deploy smoke test)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from functions.api.problems import problem_response
from shared.application.health import check_readiness

router = APIRouter(prefix="/api/health", tags=["health"])


@router.get("", summary="Liveness: the app answers")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: PostgreSQL and Storage answer",
    responses={503: {"description": "A dependency is unavailable", "content": {"application/problem+json": {}}}},
)
async def ready() -> JSONResponse:
    checks = await run_in_threadpool(check_readiness)
    body = {
        c.name: {"ok": c.ok, "ms": round(c.seconds * 1000, 1), **({"error": c.error} if c.error else {})}
        for c in checks
    }
    failed = [c.name for c in checks if not c.ok]
    if failed:
        return problem_response(
            503,
            "dependency_unavailable",
            f"Servicio no disponible: falla en {', '.join(failed)}.",
            extra={"failed": failed, "checks": body},
        )
    return JSONResponse({"status": "ready", "checks": body})
