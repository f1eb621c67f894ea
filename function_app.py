"""Azure Functions entry point: one DFApp composed from the blueprints in functions/, and the domain-event
consumers installed."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from functions import billing, cfdi, http_api, monitoring, notifications, outbox, payments, poison, privacy, revenue
from shared.application import consumers
from shared.platform.config import get_settings
from shared.platform.gc_tuning import tune_for_batch_work
from shared.platform.logging import configure_logging
from shared.platform.telemetry import setup_telemetry

configure_logging(get_settings().LOG_LEVEL)
setup_telemetry()

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (
    http_api.bp,
    outbox.bp,
    billing.bp,
    payments.bp,
    privacy.bp,
    cfdi.bp,
    poison.bp,
    monitoring.bp,
    notifications.bp,
    revenue.bp,
):
    app.register_functions(blueprint)
consumers.install()  # the domain-events queue's consumers, explicitly (no module registers one on import)

tune_for_batch_work()  # last: everything imported so far is long-lived
