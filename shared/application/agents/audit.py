"""The audit of one agent turn: every gate decision and model call, with masked inputs, model, tokens, cost and
latency, written in one batch at the end of the turn, and the agent metrics recorded with it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.application.agents import facts
from shared.data.agents import Decision
from shared.domain.agents.cost import Prices, Usage, cost_usd
from shared.platform import metrics


@dataclass
class TurnAudit:
    tenant_id: str
    agent: str
    conversation_id: int
    turn_key: str
    now: datetime
    prices: Prices
    decisions: list[Decision] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost: Decimal = Decimal(0)
    model_calls: int = 0
    refusals: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def _add(self, **values: Any) -> None:
        self.decisions.append(
            Decision(
                agent=self.agent,
                conversation_id=self.conversation_id,
                turn_key=self.turn_key,
                seq=len(self.decisions),
                decided_at=self.now,
                **{
                    "rule": None,
                    "masked_input": {},
                    "model": "",
                    "input_tokens": 0,
                    "output_tokens": 0,
                    "cache_creation_tokens": 0,
                    "cache_read_tokens": 0,
                    "cost_usd": Decimal(0),
                    "latency_ms": 0,
                    **values,
                },
            )
        )

    def model_call(self, *, model: str, usage: Usage, latency_s: float, stop_reason: str) -> None:
        cost = cost_usd(usage=usage, prices=self.prices)
        self.usage = self.usage + usage
        self.cost += cost
        self.model_calls += 1
        self._add(
            tool="model",
            decision="model_call",
            masked_input={"stop_reason": stop_reason},
            model=model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_creation_tokens=usage.cache_creation_input_tokens,
            cache_read_tokens=usage.cache_read_input_tokens,
            cost_usd=cost,
            latency_ms=round(latency_s * 1000),
        )
        attrs = {"agent": self.agent}
        metrics.ai_agent_calls_total.add(1, {**attrs, "outcome": "ok"})
        metrics.ai_agent_latency_seconds.record(latency_s, attrs)
        for kind, n in (
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
            ("cache_write", usage.cache_creation_input_tokens),
            ("cache_read", usage.cache_read_input_tokens),
        ):
            if n:
                metrics.ai_agent_tokens_total.add(n, {**attrs, "kind": kind})
        metrics.ai_agent_cost_usd_total.add(float(cost), attrs)

    def model_error(self, *, code: str, model: str, latency_s: float) -> None:
        self._add(tool="model", decision="model_error", rule=code, model=model, latency_ms=round(latency_s * 1000))
        metrics.ai_agent_calls_total.add(1, {"agent": self.agent, "outcome": code})

    def tool(self, *, tool: str, decision: str, rule: str | None, masked_input: dict[str, Any]) -> None:
        self._add(tool=tool, decision=decision, rule=rule, masked_input=masked_input)
        metrics.ai_agent_tool_calls_total.add(1, {"agent": self.agent, "tool": tool, "status": decision})
        if decision == "refused":
            self.refusals.append(rule or "")
            metrics.ai_agent_gate_refusals_total.add(1, {"agent": self.agent, "tool": tool, "outcome": rule or ""})

    def flush(self) -> None:
        facts.record(tenant_id=self.tenant_id, decisions=self.decisions)
        metrics.ai_agent_turn_seconds.record(time.perf_counter() - self.started, {"agent": self.agent})
