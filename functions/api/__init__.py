"""The FastAPI application served through the HTTP trigger (functions/http_api.py)."""
