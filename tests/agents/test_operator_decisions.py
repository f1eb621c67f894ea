"""Approving an operator-agent proposal: claimed by one conditional UPDATE (of concurrent approvals exactly one
applies), applied once through the billing use case, audited once; a re-estimate is approved but not applied (no
billing re-estimation use case exists yet) and the invoice stays held."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest

from devtools.agent_eval.world import World
from shared.application.access.principal import Principal, permissions_for
from shared.application.agents import operator
from shared.data import agents as data
from shared.data.db import tenant_transaction
from tests.fixtures.postgres import TestDatabase

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _analyst(world: World, n: int = 0) -> Principal:
    return Principal(
        UUID(str(world.tenant_id)),
        "cea-eval",
        f"user:analyst{n}",
        frozenset({"billing_admin"}),
        permissions_for(("billing_admin",)),
    )


def _held_with_proposal(world: World, fresh_db: TestDatabase, customer: int, action: str) -> tuple[int, int]:
    c = world.customers[customer]
    with psycopg.connect(fresh_db.owner_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO invoices (tenant_id, account_id, period, status, consumption_m3, total, exception_codes, "
            "held_reason) VALUES (%s, %s, '2026-11-01', 'held', 95, 980.00, '{high_consumption}', 'consumo 5x') "
            "RETURNING id",
            (world.tenant_id, c.account_id),
        ).fetchone()
    assert row is not None
    with tenant_transaction(str(world.tenant_id)) as conn:
        proposal = data.insert_proposal(
            conn,
            tenant_id=str(world.tenant_id),
            invoice_id=row[0],
            action=action,
            evidence="consumo 95 m³ vs 18",
            requested_by="user:analyst",
            model="claude-test",
            now=NOW,
        )
    return int(row[0]), proposal.id


def _state(fresh_db: TestDatabase, invoice_id: int, proposal_id: int) -> tuple[Any, ...]:
    with psycopg.connect(fresh_db.owner_url) as conn:
        inv = conn.execute("SELECT status FROM invoices WHERE id = %s", (invoice_id,)).fetchone()
        audit = conn.execute(
            "SELECT tool, decision, rule FROM agent_decisions WHERE agent = 'operator' AND turn_key = %s",
            (f"proposal:{proposal_id}:decision",),
        ).fetchall()
    assert inv is not None
    return inv[0], audit


def test_concurrent_approvals_apply_a_release_exactly_once(world: World, fresh_db: TestDatabase) -> None:
    invoice_id, proposal_id = _held_with_proposal(world, fresh_db, 0, "release")
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def approve(n: int) -> None:
        barrier.wait()
        try:
            operator.decide(principal=_analyst(world, n), proposal_id=proposal_id, approve=True, now=NOW)
            outcomes.append("applied")
        except operator.ProposalNotOpen:
            outcomes.append("conflict")

    threads = [threading.Thread(target=approve, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["applied", "conflict", "conflict", "conflict"]
    status, audit = _state(fresh_db, invoice_id, proposal_id)
    assert status == "draft"
    assert audit == [("approve_release", "executed", None)]


def test_a_failed_application_reopens_the_proposal(world: World, fresh_db: TestDatabase) -> None:
    invoice_id, proposal_id = _held_with_proposal(world, fresh_db, 1, "release")
    with psycopg.connect(fresh_db.owner_url, autocommit=True) as conn:  # someone released it by hand meanwhile
        conn.execute("UPDATE invoices SET status = 'draft' WHERE id = %s", (invoice_id,))
    with pytest.raises(Exception, match="no está en estado held"):
        operator.decide(principal=_analyst(world), proposal_id=proposal_id, approve=True, now=NOW)
    with tenant_transaction(str(world.tenant_id)) as conn:
        again = data.proposal_by_id(conn, proposal_id=proposal_id)
    assert again is not None and again.status == "proposed" and not again.applied
    assert _state(fresh_db, invoice_id, proposal_id)[1] == []


def test_a_re_estimate_is_approved_but_not_applied_and_rejections_are_audited(
    world: World, fresh_db: TestDatabase
) -> None:
    invoice_id, proposal_id = _held_with_proposal(world, fresh_db, 2, "re_estimate")
    done = operator.decide(principal=_analyst(world), proposal_id=proposal_id, approve=True, now=NOW)
    assert (done["status"], done["applied"]) == ("approved", False)
    assert _state(fresh_db, invoice_id, proposal_id) == (
        "held",
        [("approve_re_estimate", "allowed", "re_estimate_not_applied")],
    )
    other_invoice, rejected = _held_with_proposal(world, fresh_db, 3, "release")
    operator.decide(principal=_analyst(world), proposal_id=rejected, approve=False, now=NOW)
    assert _state(fresh_db, other_invoice, rejected) == (
        "held",
        [("approve_release", "refused", "rejected_by_analyst")],
    )
