"""A local stand-in for the Anthropic Messages API (POST /v1/messages), so the real SDK runs against it through
`ANTHROPIC_BASE_URL`. It checks what the real API checks that matters to us (key, model, max_tokens, roles, every
`tool_use` answered by a `tool_result` with its id), records every request body (the PII scanner reads them), and
plays scripted turns per conversation (`metadata.user_id`):

* `{"text": "..."}` → an `end_turn` reply;
* `{"tool": "name", "input": {...}}` (or `{"tools": [...]}` for parallel calls) → `tool_use` blocks;
* `{"sleep": 2}` → answers after that many seconds (timeouts);
* `{"error": 529}` (429, 500, 400...) → that status with the API's error body (retried by the SDK when retryable);
* `{"raw_input": "..."}` with `tool` → a tool_use whose input is not an object (malformed input from the model).

Strings in a step may use templates filled from the request, as a model would read it: `{{tok:CUENTA}}` (the first
token of that kind in the latest customer text, else anywhere in the conversation), `{{amount}}` (the last money
amount the customer wrote), `{{result:a.b}}` (a field of the latest tool result), `{{rule}}` (the refusal rule of
the latest tool result). Usage is estimated (characters / 4) and the cached prefix (tools + system with
`cache_control`) is reported as cache creation on first sight and cache read afterwards. Loopback only.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEMPLATE_RE = re.compile(r"\{\{(tok:[A-Z]+|amount|result:[\w.]+|rule)\}\}")
TOKEN_RE = re.compile(r"\[([A-Z]+)_\d+\]")
AMOUNT_RE = re.compile(r"\$\s?(\d{1,7}(?:[.,]\d{1,2})?)")
DEFAULT_REPLY = "¿Hay algo más en lo que pueda ayudarle?"


def _tokens(n_chars: int) -> int:
    return max(1, n_chars // 4)


class ClaudeFake:
    def __init__(self, *, api_key: str = "test-anthropic-key") -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.raw_bodies: list[str] = []
        self._scripts: dict[str, list[dict[str, Any]]] = {}
        self._seen_prefixes: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="claude-fake")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ClaudeFake:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, user_id: str, steps: Sequence[dict[str, Any]]) -> None:
        """Queue the model's next replies for the conversation whose metadata.user_id is `user_id` ("*": for any
        conversation without a script of its own, when the test cannot know the id in advance)."""
        with self._lock:
            self._scripts.setdefault(user_id, []).extend(steps)

    def remaining(self, user_id: str) -> int:
        with self._lock:
            return len(self._scripts.get(user_id, []))

    # -- request handling -------------------------------------------------------------------------------------

    def _problem(self, body: dict[str, Any]) -> str | None:  # noqa: PLR0911 (one return per API check)
        if not isinstance(body.get("model"), str) or not body["model"]:
            return "model: field required"
        if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
            return "max_tokens: field required"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or messages[0].get("role") != "user":
            return "messages: the first message must use the user role"
        pending: set[str] = set()
        for message in messages:
            content = message.get("content")
            blocks = content if isinstance(content, list) else [{"type": "text", "text": str(content)}]
            if message.get("role") == "user":
                answered = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
                if pending - answered:
                    return "messages: tool_use ids were found without tool_result blocks immediately after"
                pending = set()
            elif message.get("role") == "assistant":
                pending = {b["id"] for b in blocks if b.get("type") == "tool_use"}
            else:
                return "messages: roles must be user or assistant"
        for tool in body.get("tools") or []:
            if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", str(tool.get("name", ""))) or "input_schema" not in tool:
                return "tools: each tool needs a valid name and an input_schema"
        return None

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        prefix = json.dumps([body.get("tools"), body.get("system")], sort_keys=True, ensure_ascii=False)
        rest = json.dumps(body.get("messages"), ensure_ascii=False)
        cached = any(isinstance(b, dict) and "cache_control" in b for b in body.get("system") or [])
        digest = hashlib.sha256(prefix.encode()).hexdigest()
        usage = {"input_tokens": _tokens(len(rest)), "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        if not cached:
            usage["input_tokens"] += _tokens(len(prefix))
        elif digest in self._seen_prefixes:
            usage["cache_read_input_tokens"] = _tokens(len(prefix))
        else:
            self._seen_prefixes.add(digest)
            usage["cache_creation_input_tokens"] = _tokens(len(prefix))
        return usage

    def _reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        user_id = str((body.get("metadata") or {}).get("user_id") or "")
        with self._lock:
            queue = self._scripts.get(user_id) or self._scripts.get("*") or []
            step: dict[str, Any] = queue.pop(0) if queue else {"text": DEFAULT_REPLY}
            usage = self._usage(body)
        if "sleep" in step:  # a slow model: the client's timeout fires first
            time.sleep(float(step["sleep"]))
            step = {k: v for k, v in step.items() if k != "sleep"} or {"text": DEFAULT_REPLY}
        if "error" in step:
            status = int(step["error"])
            kind = {429: "rate_limit_error", 529: "overloaded_error", 400: "invalid_request_error"}.get(
                status, "api_error"
            )
            return status, {"type": "error", "error": {"type": kind, "message": "scripted failure"}}
        view = _RequestView(body)
        content: list[dict[str, Any]] = []
        if step.get("text"):
            content.append({"type": "text", "text": view.fill(str(step["text"]))})
        calls: list[dict[str, Any]] = step.get("tools") or ([step] if "tool" in step else [])
        for call in calls:
            tool_input: Any = call.get("raw_input") if "raw_input" in call else view.fill_value(call.get("input", {}))
            content.append(
                {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:20]}", "name": call["tool"], "input": tool_input}
            )
        stop = "tool_use" if calls else "end_turn"
        usage["output_tokens"] = _tokens(len(json.dumps(content, ensure_ascii=False)))
        return 200, {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("request-id", f"req_{uuid.uuid4().hex[:16]}")
                if status in (429, 529):
                    self.send_header("retry-after-ms", "1")
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (its timeout fired)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                auth = self.headers.get("Authorization") or ""
                key = self.headers.get("x-api-key") or auth.removeprefix("Bearer ")
                if key != fake.api_key:
                    self._answer(401, {"type": "error", "error": {"type": "authentication_error", "message": "x"}})
                    return
                if self.path.split("?")[0] != "/v1/messages":
                    self._answer(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._answer(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "json"}})
                    return
                with fake._lock:
                    fake.raw_bodies.append(raw)
                    fake.requests.append(body)
                problem = fake._problem(body)
                if problem is not None:
                    self._answer(400, {"type": "error", "error": {"type": "invalid_request_error", "message": problem}})
                    return
                status, reply = fake._reply(body)
                self._answer(status, reply)

        return Handler


class _RequestView:
    """What a model would read from the request, for the templates."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.user_texts: list[str] = []
        self.results: list[Any] = []
        for message in body.get("messages") or []:
            if message.get("role") != "user":
                continue
            content = message.get("content")
            blocks = content if isinstance(content, list) else [{"type": "text", "text": str(content)}]
            for b in blocks:
                if b.get("type") == "text":
                    self.user_texts.append(str(b.get("text", "")))
                elif b.get("type") == "tool_result":
                    raw = b.get("content")
                    text = raw if isinstance(raw, str) else "".join(x.get("text", "") for x in raw or [])
                    try:
                        self.results.append(json.loads(text))
                    except ValueError:
                        self.results.append({"text": text})

    def _token(self, kind: str) -> str:
        for text in reversed(self.user_texts):
            for m in TOKEN_RE.finditer(text):
                if m.group(1) == kind:
                    return m.group(0)
        return ""

    def _amount(self) -> str:
        for text in reversed(self.user_texts):
            found = AMOUNT_RE.findall(text)
            if found:
                return found[-1].replace(",", ".")
        return "0"

    def _result(self, path: str) -> str:
        if not self.results:
            return ""
        value: Any = self.results[-1]
        for part in path.split("."):
            if isinstance(value, list) and part.isdigit():
                value = value[int(part)] if int(part) < len(value) else None
            else:
                value = value.get(part) if isinstance(value, dict) else None
        return "" if value is None else str(value)

    def fill(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            if name.startswith("tok:"):
                return self._token(name[4:])
            if name == "amount":
                return self._amount()
            if name == "rule":
                return self._result("rule")
            return self._result(name[len("result:") :])

        return TEMPLATE_RE.sub(one, text)

    def fill_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.fill_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill_value(v) for v in value]
        if isinstance(value, str):
            return self.fill(value)
        return value
