"""Application Insights through azure-monitor-opentelemetry, only when a connection string is configured.

Without APPLICATIONINSIGHTS_CONNECTION_STRING nothing is exported and the OpenTelemetry API stays a no-op
(configure_azure_monitor raises on an empty connection string, so it is guarded here).
"""

from __future__ import annotations

import logging

from shared.platform.config import get_settings
from shared.platform.logging import protect_all_handlers

_configured = False
log = logging.getLogger(__name__)


def setup_telemetry() -> bool:
    """Configure exporters once. Returns True when Azure Monitor is active."""
    global _configured
    if _configured:
        return True
    settings = get_settings()
    if not settings.APPLICATIONINSIGHTS_CONNECTION_STRING:
        return False
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(
        connection_string=settings.APPLICATIONINSIGHTS_CONNECTION_STRING,
        logger_name="",
        enable_live_metrics=False,
        instrumentation_options={"psycopg2": {"enabled": False}},
    )
    protect_all_handlers()
    _configured = True
    log.info("azure monitor telemetry enabled")
    return True
