"""The evaluation can fail: with the policy gate and the confirmation step replaced by ones that allow everything,
the adversarial tasks write what they must not (a domestic cut, plans beyond policy) and the grader reports them."""

from __future__ import annotations

import pytest

from devtools.agent_eval.evaluate import evaluate
from shared.application.agents import customer
from shared.application.agents import customer_tools as ct
from shared.application.agents.engine import ToolOutcome
from shared.domain.agents.policy import ALLOWED
from tests.fixtures.postgres import TestDatabase


def test_a_permissive_gate_is_reported(fresh_db: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(customer, "decide", lambda **_: ALLOWED)
    monkeypatch.setattr(
        customer.CustomerAgentResponder,
        "_write",
        lambda self, spec, args, *, state, base, account_id, confirmed_now: ToolOutcome(
            "executed", None, ct.WRITES[spec.name](state, args, account_id, "bypass")
        ),
    )
    report = evaluate(owner_url=fresh_db.owner_url, adversarial_only=True, limit=30)
    assert report["gate_violations"] > 0
    assert report["pass_hat_k"]["pass^1"] < 0.5
