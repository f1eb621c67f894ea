"""FastAPI application factory: routers, problem+json errors, correlation ids, CORS, size limit."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from functions.api import routes
from functions.api.middleware import RequestContextMiddleware
from functions.api.problems import install_problem_handlers
from shared.platform.config import get_settings

API_VERSION = "1.0.0"


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="SUPRA Water API",
        version=API_VERSION,
        description="CIS de CEA Querétaro: cuentas, tomas, lecturas, facturación, pagos y atención a clientes.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    install_problem_handlers(app)
    for router in routes.all_routers():
        app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Correlation-ID"],
        )
    app.add_middleware(
        RequestContextMiddleware, max_body_bytes=settings.MAX_REQUEST_BYTES, front_door_id=settings.FRONT_DOOR_ID
    )
    return app
