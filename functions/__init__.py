"""Interface layer: Azure Functions triggers (blueprints) and the HTTP API. Translate transport to use-case calls."""
