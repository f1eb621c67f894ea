"""One agent turn: tokenised messages out, tool calls through the policy gate, results tokenised back, the final
reply detokenised. Shared by the customer and operator agents; each supplies its tools, executors and facts."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from shared.adapters.claude import ModelError, ModelTurn, ToolUse
from shared.application.agents.audit import TurnAudit
from shared.domain.agents.pii_tokens import Vault
from shared.domain.agents.policy import GateDecision
from shared.domain.agents.tools import InvalidToolInput, ToolSpec, parse_input
from shared.domain.errors import SupraError

log = logging.getLogger(__name__)

MAX_MODEL_CALLS_PER_TURN = 8
MAX_TOKENS_PER_CALL = 1024


class ModelClient(Protocol):
    model: str

    def create(
        self,
        *,
        system: str,
        tools: Sequence[dict[str, Any]],
        messages: Sequence[dict[str, Any]],
        max_tokens: int,
        user_id: str,
    ) -> ModelTurn: ...


def opaque_user_id(*, tenant_id: str, agent: str, conversation_id: int) -> str:
    """metadata.user_id: a hash, never a name, phone or e-mail."""
    return hashlib.sha256(f"{tenant_id}:{agent}:{conversation_id}".encode()).hexdigest()[:32]


def to_json(value: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return f"{o:.2f}" if o == o.quantize(Decimal("0.01")) else str(o)
        if isinstance(o, datetime | date):
            return o.isoformat()
        return str(o)

    return json.dumps(value, ensure_ascii=False, default=default)


@dataclass
class ToolOutcome:
    """What the gate and the executor made of one tool call: the result the model sees (tokenised later)."""

    decision: str  # allowed | refused | confirmation_required | executed | failed
    rule: str | None
    result: dict[str, Any]

    @property
    def is_error(self) -> bool:
        return self.decision in ("refused", "failed")


ToolRunner = Callable[[ToolSpec | None, Any], ToolOutcome]


def refused_outcome(decision: GateDecision) -> ToolOutcome:
    return ToolOutcome(
        decision.outcome,
        decision.rule,
        {"status": decision.outcome, "rule": decision.rule, "message_es": decision.message_es},
    )


def run_turn(
    *,
    client: ModelClient,
    system: str,
    specs: dict[str, ToolSpec],
    messages: list[dict[str, Any]],
    vault: Vault,
    audit: TurnAudit,
    user_id: str,
    run_tool: ToolRunner,
) -> str:
    """Call the model until it answers without tools (or the per-turn call limit); returns the reply, detokenised.
    Raises ModelError when the model cannot be reached (the caller answers politely and hands off)."""
    tools = [spec.schema() for spec in specs.values()]
    for _ in range(MAX_MODEL_CALLS_PER_TURN):
        started = time.perf_counter()
        try:
            turn = client.create(
                system=system, tools=tools, messages=messages, max_tokens=MAX_TOKENS_PER_CALL, user_id=user_id
            )
        except ModelError as error:
            audit.model_error(code=error.code, model=client.model, latency_s=time.perf_counter() - started)
            raise
        audit.model_call(model=turn.model, usage=turn.usage, latency_s=turn.latency_s, stop_reason=turn.stop_reason)
        if not turn.tool_uses:
            return vault.detokenise(turn.text)
        messages.append({"role": "assistant", "content": turn.assistant_content()})
        results = [
            _tool_result(use, specs=specs, vault=vault, audit=audit, run_tool=run_tool) for use in turn.tool_uses
        ]
        messages.append({"role": "user", "content": results})
    audit.tool(tool="model", decision="refused", rule="tool_loop_limit", masked_input={})
    return ""


def _tool_result(
    use: ToolUse, *, specs: dict[str, ToolSpec], vault: Vault, audit: TurnAudit, run_tool: ToolRunner
) -> dict[str, Any]:
    spec = specs.get(use.name)
    masked = use.input if isinstance(use.input, dict) else {"raw": str(use.input)[:200]}
    masked = vault.tokenise_value(masked)  # what the model sent is already tokenised; re-tokenise to be sure
    outcome: ToolOutcome
    if spec is None:
        outcome = ToolOutcome("refused", "unknown_tool", {"status": "refused", "rule": "unknown_tool"})
    elif not isinstance(use.input, dict):
        outcome = ToolOutcome("refused", "invalid_input", {"status": "refused", "rule": "invalid_input"})
    else:
        try:
            args = parse_input(spec=spec, data=vault.detokenise_value(use.input))
        except InvalidToolInput as error:
            outcome = ToolOutcome(
                "refused", "invalid_input", {"status": "refused", "rule": "invalid_input", "problems": str(error)}
            )
        else:
            try:
                outcome = run_tool(spec, args)
            except SupraError as error:
                outcome = ToolOutcome(
                    "failed", error.code, {"status": "failed", "code": error.code, "message_es": error.detail_es}
                )
            except Exception:
                log.exception("agent tool %s failed", use.name)
                outcome = ToolOutcome(
                    "failed",
                    "tool_error",
                    {"status": "failed", "message_es": "No se pudo completar; intente más tarde."},
                )
    audit.tool(tool=use.name, decision=outcome.decision, rule=outcome.rule, masked_input=masked)
    content = to_json(vault.tokenise_value(json.loads(to_json(outcome.result))))
    return {"type": "tool_result", "tool_use_id": use.id, "content": content, "is_error": outcome.is_error}
