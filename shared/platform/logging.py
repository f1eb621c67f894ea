"""JSON logs with correlation id and tenant; personal data is masked before anything is written."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from shared.platform import context
from shared.platform.pii import mask_text

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "supra-water") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": mask_text(record.getMessage()),
            "correlationId": context.correlation_id.get(),
            "tenant": context.tenant_slug.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _mask(value)
        if record.exc_info:
            entry["exception"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class PiiFilter(logging.Filter):
    """Masks the rendered message in place, so every handler (App Insights exporter included) sees it masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True


def protect_all_handlers() -> None:
    """Attach the PII filter to every handler on the root logger (call again after exporters add handlers)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, PiiFilter) for f in handler.filters):
            handler.addFilter(PiiFilter())


def configure_logging(level: str = "INFO") -> None:
    """Install the JSON formatter on the root logger once (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    protect_all_handlers()
    for noisy in ("azure.core.pipeline.policies.http_logging_policy", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
