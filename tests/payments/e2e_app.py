"""A Functions app with the HTTP API and the payments blueprint, for the end-to-end test through the local runner."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from functions import http_api, payments

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for blueprint in (http_api.bp, payments.bp):
    app.register_functions(blueprint)
