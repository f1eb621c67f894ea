"""JSON logs with correlation id, tenant and user; personal data is masked before anything is written.

`PiiFilter` is the one masking step on the logging side: installed on every handler of the root logger (the
Application Insights handler included, `protect_all_handlers`), it masks the rendered message, every extra field
(any type, recursively) and the exception text, in place, so whichever handler runs next sees masked data only.
`JsonFormatter` renders one JSON object per line with the standard fields (`timestamp`, `level`, `service`,
`logger`, `message`, `correlationId`, `tenant`, `userId`, and the extras such as `duration_ms`).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.platform import context
from shared.platform.pii import mask_any, mask_text

STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}
_MASKED = "_pii_masked"


class MaskedException(Exception):
    """Stands in for a logged exception whose text carried personal data (type name and masked text kept)."""


def _masked_exc_info(exc_info: Any) -> Any:
    exc_type, value, tb = exc_info
    if value is None:
        return exc_info
    text = "".join(traceback.format_exception(exc_type, value, tb))
    masked = mask_text(text)
    if masked == text:
        return exc_info
    stand_in = MaskedException(mask_text(f"{exc_type.__name__}: {value}"))
    return (MaskedException, stand_in, None), masked


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record in place (idempotent): message with its args, extras, exception and stack text."""
    if getattr(record, _MASKED, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not lose the log line
        message = f"{record.msg!r} % {record.args!r}"
    record.msg = mask_text(message)
    record.args = None
    for key, value in list(record.__dict__.items()):
        if key not in STANDARD_ATTRS and not key.startswith("_"):
            record.__dict__[key] = mask_any(value)
    if record.exc_info and record.exc_info[1] is not None:
        replaced = _masked_exc_info(record.exc_info)
        if replaced is not record.exc_info:
            record.exc_info, record.exc_text = replaced
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    setattr(record, _MASKED, True)
    return record


class PiiFilter(logging.Filter):
    """Masks the record in place, so every handler (App Insights exporter included) sees it masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


class ContextFilter(logging.Filter):
    """Copies the bound correlation id, tenant and user onto the record (so exporters carry them as attributes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, var in (
            ("correlationId", context.correlation_id),
            ("tenant", context.tenant_slug),
            ("userId", context.user_id),
        ):
            if key not in record.__dict__:
                record.__dict__[key] = var.get()
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "supra-water") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        mask_record(record)  # also when used without the filter
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlationId": record.__dict__.get("correlationId", context.correlation_id.get()),
            "tenant": record.__dict__.get("tenant", context.tenant_slug.get()),
            "userId": record.__dict__.get("userId", context.user_id.get()),
        }
        for key, value in record.__dict__.items():
            if key not in STANDARD_ATTRS and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = record.exc_text or mask_text(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=lambda v: mask_text(str(v)), ensure_ascii=False)


def _protect(handler: logging.Handler) -> None:
    # Context first (so the fields exist), then masking; both before the handler formats or exports.
    if not any(isinstance(f, ContextFilter) for f in handler.filters):
        handler.filters.insert(0, ContextFilter())
    if not any(isinstance(f, PiiFilter) for f in handler.filters):
        handler.addFilter(PiiFilter())


def protect_all_handlers() -> None:
    """Attach the context and PII filters to every handler on the root logger (call again after exporters add
    handlers)."""
    for handler in logging.getLogger().handlers:
        _protect(handler)


def configure_logging(level: str = "INFO", *, log_file: Path | str | None = None, console: bool | None = None) -> None:
    """Install the JSON formatter on the root logger (idempotent). `log_file` (default: the LOG_FILE setting) also
    appends the JSON lines to that file; `console` (default: LOG_TO_CONSOLE) False keeps them off stderr, and removes
    a stderr handler installed earlier. Both defaults are read from the environment at each call, so the local
    host's processes (function_app calls this on import) follow what the demo put in their environment."""
    from shared.platform.config import Settings  # fresh, not the cached settings: the env may have just changed

    settings = Settings()
    target = log_file if log_file is not None else (settings.LOG_FILE or None)
    to_console = settings.LOG_TO_CONSOLE if console is None else console
    root = logging.getLogger()
    root.setLevel(level.upper())
    consoles = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter) and not _is_file(h)]
    if to_console and not consoles:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    if not to_console:
        for h in consoles:
            root.removeHandler(h)
    if target is not None:
        path = str(Path(target).resolve())
        if not any(_is_file(h) and getattr(h, "baseFilename", None) == path for h in root.handlers):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            file_handler = logging.FileHandler(path, encoding="utf-8")
            file_handler.setFormatter(JsonFormatter())
            root.addHandler(file_handler)
    protect_all_handlers()
    for noisy in ("azure.core.pipeline.policies.http_logging_policy", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _is_file(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.FileHandler)
