"""The operator agent explains a held invoice and records a proposal; the invoice changes only when an analyst
approves it, and a decided proposal cannot be decided again."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import psycopg
import pytest

from devtools.agent_eval.world import World
from devtools.fakes.claude_server import ClaudeFake
from shared.adapters.claude import ClaudeClient
from shared.application.access.errors import Forbidden
from shared.application.access.principal import Principal, permissions_for
from shared.application.agents import operator
from shared.application.agents.engine import opaque_user_id
from shared.platform.config import Settings
from tests.fixtures.postgres import TestDatabase

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _principal(world: World, role: str) -> Principal:
    return Principal(
        UUID(str(world.tenant_id)), "cea-eval", f"user:{role}", frozenset({role}), permissions_for((role,))
    )


def test_proposal_waits_for_approval(
    world: World, fresh_db: TestDatabase, claude_fake: ClaudeFake, agent_settings: Settings
) -> None:
    c = world.customers[0]
    with psycopg.connect(fresh_db.owner_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO invoices (tenant_id, account_id, period, status, consumption_m3, total, exception_codes, "
            "held_reason) VALUES (%s, %s, '2026-11-01', 'held', 95, 980.00, '{high_consumption}', 'consumo 5x') "
            "RETURNING id",
            (world.tenant_id, c.account_id),
        ).fetchone()
    assert row is not None
    invoice_id = row[0]
    conversation = operator._conversation_id(invoice_id, NOW)
    claude_fake.script(
        opaque_user_id(tenant_id=str(world.tenant_id), agent="operator", conversation_id=conversation),
        [
            {"tool": "get_held_invoice", "input": {"invoice_id": invoice_id}},
            {
                "tool": "propose_action",
                "input": {
                    "invoice_id": invoice_id,
                    "action": "release",
                    "evidence": "Consumo de 95 m³ frente a 18 m³ de los meses previos",
                },
            },
            {"text": "Se retuvo por consumo alto; propongo liberar. Propuesta {{result:proposal_id}}."},
        ],
    )
    client = ClaudeClient(settings=agent_settings, api_key=claude_fake.api_key)
    analyst = _principal(world, "billing_admin")
    out = operator.explain_held_invoice(
        principal=analyst, invoice_id=invoice_id, now=NOW, settings=agent_settings, client=client
    )
    assert out["proposal"]["action"] == "release" and "consumo alto" in out["explanation"]
    with psycopg.connect(fresh_db.owner_url) as conn:
        assert conn.execute("SELECT status FROM invoices WHERE id = %s", (invoice_id,)).fetchone() == ("held",)
    with pytest.raises(Forbidden):
        operator.decide(
            principal=_principal(world, "operator"), proposal_id=out["proposal"]["id"], approve=True, now=NOW
        )
    done = operator.decide(principal=analyst, proposal_id=out["proposal"]["id"], approve=True, now=NOW)
    assert done["status"] == "approved" and done["applied"]
    with psycopg.connect(fresh_db.owner_url) as conn:
        assert conn.execute("SELECT status FROM invoices WHERE id = %s", (invoice_id,)).fetchone() == ("draft",)
    with pytest.raises(operator.ProposalNotOpen):
        operator.decide(principal=analyst, proposal_id=out["proposal"]["id"], approve=False, now=NOW)
