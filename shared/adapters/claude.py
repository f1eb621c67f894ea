"""Claude Messages API through the anthropic SDK: one client per process built from settings, prompt caching of
the policy + tools prefix, usage and latency of every call, and the SDK's errors folded into three kinds the agents
act on (unavailable → polite message + handoff; misconfigured → same, logged as an error; bad request).

The key is the secret `anthropic-api-key`; `ANTHROPIC_BASE_URL` points the SDK at another endpoint (the local fake
Messages API in tests and `manage.py agent eval`). This module knows nothing of the database.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import anthropic

from shared.domain.agents.cost import Usage
from shared.domain.errors import SupraError
from shared.platform.config import Settings
from shared.platform.secrets import SecretNotFound, get_secret


class ModelError(SupraError):
    """The model call did not produce a reply."""

    default_code = "model_error"


class ModelUnavailable(ModelError):
    """Rate limited (429), overloaded (529), 5xx, timeout or connection failure after the SDK's retries."""

    default_code = "model_unavailable"


class ModelMisconfigured(ModelError):
    """Missing or rejected API key, unknown model, permission denied."""

    default_code = "model_misconfigured"


class ModelBadRequest(ModelError):
    """The request was refused as malformed or too large (400, 413, 422)."""

    default_code = "model_bad_request"


class TextBlock(NamedTuple):
    text: str


class ToolUse(NamedTuple):
    id: str
    name: str
    input: object  # as the model produced it: validated against the tool's schema by the caller


class ModelTurn(NamedTuple):
    blocks: tuple[TextBlock | ToolUse, ...]
    stop_reason: str
    usage: Usage
    latency_s: float
    model: str
    request_id: str | None

    @property
    def tool_uses(self) -> list[ToolUse]:
        return [b for b in self.blocks if isinstance(b, ToolUse)]

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks if isinstance(b, TextBlock)).strip()

    def assistant_content(self) -> list[dict[str, Any]]:
        """The reply as content blocks to send back in the next request."""
        out: list[dict[str, Any]] = []
        for b in self.blocks:
            if isinstance(b, TextBlock):
                out.append({"type": "text", "text": b.text})
            else:
                out.append({"type": "tool_use", "id": b.id, "name": b.name, "input": b.input})
        return out


class ClaudeClient:
    """A thread-safe wrapper around `anthropic.Anthropic` (the SDK client is itself safe to share)."""

    def __init__(
        self, *, settings: Settings, api_key: str | None = None, recorder: Callable[[str], None] | None = None
    ) -> None:
        """`recorder`, when given, receives every request body as sent (JSON), for the PII scanner of the
        evaluation."""
        self._recorder = recorder
        if api_key is None:
            try:
                api_key = get_secret("anthropic-api-key")
            except SecretNotFound as error:
                raise ModelMisconfigured(
                    "model_key_missing", "La clave de la API de Claude (anthropic-api-key) no está configurada."
                ) from error
        if not api_key.strip():
            raise ModelMisconfigured("model_key_missing", "La clave de la API de Claude está vacía.")
        self.model = settings.ANTHROPIC_MODEL
        self._client = anthropic.Anthropic(
            api_key=api_key,
            base_url=settings.ANTHROPIC_BASE_URL or None,
            timeout=anthropic.Timeout(settings.AGENT_TIMEOUT_SECONDS, connect=5.0),
            max_retries=settings.AGENT_MAX_RETRIES,
        )

    def create(
        self,
        *,
        system: str,
        tools: Sequence[Mapping[str, Any]],
        messages: Sequence[Mapping[str, Any]],
        max_tokens: int,
        user_id: str,
    ) -> ModelTurn:
        """One Messages API call. The system prompt and the tools carry `cache_control`, so the stable prefix (tools,
        then system) is cached; `user_id` must be opaque (it is the conversation's hashed id)."""
        cached_tools = [dict(t) for t in tools]
        if cached_tools:
            cached_tools[-1]["cache_control"] = {"type": "ephemeral"}
        started = time.perf_counter()
        try:
            request: dict[str, Any] = {
                "model": self.model,
                "max_tokens": max_tokens,
                "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
                "tools": cached_tools,
                "messages": list(messages),
                "metadata": {"user_id": user_id},
            }
            if self._recorder is not None:
                self._recorder(json.dumps(request, ensure_ascii=False))
            response = self._client.messages.create(**request)
        except (anthropic.AuthenticationError, anthropic.PermissionDeniedError, anthropic.NotFoundError) as error:
            raise ModelMisconfigured(
                "model_misconfigured", f"Claude rechazó la configuración: {error.status_code}"
            ) from error
        except (anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APIConnectionError) as error:
            raise ModelUnavailable("model_unavailable", "Claude no está disponible por el momento.") from error
        except anthropic.APIStatusError as error:
            if error.status_code >= 500 or error.status_code in (408, 409, 429):
                raise ModelUnavailable("model_unavailable", "Claude no está disponible por el momento.") from error
            raise ModelBadRequest("model_bad_request", f"Claude rechazó la solicitud ({error.status_code}).") from error
        latency = time.perf_counter() - started
        blocks: list[TextBlock | ToolUse] = []
        for block in response.content:
            if block.type == "text":
                blocks.append(TextBlock(block.text))
            elif block.type == "tool_use":
                blocks.append(ToolUse(block.id, block.name, block.input))
        u = response.usage
        usage = Usage(
            input_tokens=int(u.input_tokens or 0),
            output_tokens=int(u.output_tokens or 0),
            cache_creation_input_tokens=int(getattr(u, "cache_creation_input_tokens", 0) or 0),
            cache_read_input_tokens=int(getattr(u, "cache_read_input_tokens", 0) or 0),
        )
        return ModelTurn(
            blocks=tuple(blocks),
            stop_reason=str(response.stop_reason or ""),
            usage=usage,
            latency_s=latency,
            model=str(response.model or self.model),
            request_id=getattr(response, "_request_id", None),
        )


_lock = threading.Lock()
_clients: dict[tuple[str, str, str, float, int], ClaudeClient] = {}


def client_for(*, settings: Settings) -> ClaudeClient:
    """The process's client for these settings (the key is read once per settings shape)."""
    key = (
        settings.ANTHROPIC_MODEL,
        settings.ANTHROPIC_BASE_URL,
        settings.ENVIRONMENT,
        settings.AGENT_TIMEOUT_SECONDS,
        settings.AGENT_MAX_RETRIES,
    )
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = ClaudeClient(settings=settings)
        return client


def reset_clients() -> None:
    with _lock:
        _clients.clear()
