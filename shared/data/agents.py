"""SQL of the Claude agents: the decision audit (append-only), pending writes awaiting confirmation, the facts the
policy gate needs (account owner and class, last bill, failed verifications, plan eligibility inputs), the
personal data a turn must tokenise, held invoices for the operator agent, and snippet search (Spanish FTS)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, fetch_all, fetch_typed, fetch_typed_one


class Decision(NamedTuple):
    agent: str
    conversation_id: int
    turn_key: str
    seq: int
    tool: str
    decision: str
    rule: str | None
    masked_input: dict[str, Any]
    model: str
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost_usd: Decimal
    latency_ms: int
    decided_at: datetime


def record_decisions(conn: Conn, *, tenant_id: Any, decisions: list[Decision]) -> None:
    """Append the turn's decisions in one pipelined batch; a redelivered turn (same turn key and seq) adds nothing."""
    if not decisions:
        return
    with conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO agent_decisions (tenant_id, agent, conversation_id, turn_key, seq, tool, decision, rule,
                masked_input, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
                cost_usd, latency_ms, decided_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (tenant_id, agent, turn_key, seq) DO NOTHING
            """,
            [(tenant_id, *d[:7], Jsonb(d.masked_input), *d[8:]) for d in decisions],
        )


class ConversationUsage(NamedTuple):
    turns: int
    tokens: int
    failed_verifications: int


def conversation_usage(conn: Conn, *, agent: str, conversation_id: int) -> ConversationUsage:
    row = fetch_typed_one(
        conn,
        ConversationUsage,
        """
        SELECT count(DISTINCT turn_key)::int AS turns,
               coalesce(sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens), 0)::int
                   AS tokens,
               count(*) FILTER (WHERE tool = 'verify_identity' AND rule = 'verification_failed')::int
                   AS failed_verifications
          FROM agent_decisions WHERE agent = %s AND conversation_id = %s
        """,
        (agent, conversation_id),
    )
    return row or ConversationUsage(0, 0, 0)


def decisions_of(conn: Conn, *, agent: str, conversation_id: int) -> list[dict[str, Any]]:
    return fetch_all(
        conn,
        "SELECT tool, decision, rule, masked_input, model, input_tokens, output_tokens, cache_creation_tokens, "
        "cache_read_tokens, cost_usd, latency_ms FROM agent_decisions WHERE agent = %(a)s AND conversation_id = %(c)s "
        "ORDER BY decided_at, turn_key, seq",
        {"a": agent, "c": conversation_id},
    )


class PendingAction(NamedTuple):
    id: int
    tool: str
    args: dict[str, Any]
    proposed_turn: str
    proposed_at: datetime
    consumed_at: datetime | None
    result: dict[str, Any] | None


def propose(
    conn: Conn,
    *,
    tenant_id: Any,
    conversation_id: int,
    tool: str,
    args: dict[str, Any],
    args_hash: str,
    turn_key: str,
    now: datetime,
) -> None:
    conn.execute(
        """
        INSERT INTO agent_pending_actions (tenant_id, conversation_id, tool, args, args_hash, proposed_turn,
                                           proposed_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (tenant_id, conversation_id, args_hash) DO UPDATE
            SET proposed_turn = EXCLUDED.proposed_turn, proposed_at = EXCLUDED.proposed_at
            WHERE agent_pending_actions.consumed_at IS NULL
        """,
        (tenant_id, conversation_id, tool, Jsonb(args), args_hash, turn_key, now),
    )


def pending(conn: Conn, *, conversation_id: int, args_hash: str) -> PendingAction | None:
    return fetch_typed_one(
        conn,
        PendingAction,
        "SELECT id, tool, args, proposed_turn, proposed_at, consumed_at, result FROM agent_pending_actions "
        "WHERE conversation_id = %s AND args_hash = %s",
        (conversation_id, args_hash),
    )


def claim(conn: Conn, *, action_id: int, now: datetime) -> bool:
    """Mark the action consumed; False when another delivery consumed it first."""
    cur = conn.execute(
        "UPDATE agent_pending_actions SET consumed_at = %s WHERE id = %s AND consumed_at IS NULL", (now, action_id)
    )
    return cur.rowcount == 1


def release(conn: Conn, *, action_id: int) -> None:
    conn.execute("UPDATE agent_pending_actions SET consumed_at = NULL WHERE id = %s AND result IS NULL", (action_id,))


def store_result(conn: Conn, *, action_id: int, result: dict[str, Any]) -> None:
    conn.execute("UPDATE agent_pending_actions SET result = %s WHERE id = %s", (Jsonb(result), action_id))


class AccountFacts(NamedTuple):
    id: int
    account_number: str
    person_id: int | None
    tariff_class: str
    status: str


_ACCOUNT = "SELECT id, account_number, person_id, tariff_class, status FROM accounts"


def account_by_number(conn: Conn, *, account_number: str) -> AccountFacts | None:
    return fetch_typed_one(conn, AccountFacts, _ACCOUNT + " WHERE account_number = %s", (account_number,))


def account_by_id(conn: Conn, *, account_id: int) -> AccountFacts | None:
    return fetch_typed_one(conn, AccountFacts, _ACCOUNT + " WHERE id = %s", (account_id,))


def last_bill_total(conn: Conn, *, account_id: int) -> Decimal | None:
    row = conn.execute(
        "SELECT total FROM invoices WHERE account_id = %s AND status = 'issued' ORDER BY period DESC, id DESC LIMIT 1",
        (account_id,),
    ).fetchone()
    return None if row is None else Decimal(row[0])


class PlanFacts(NamedTuple):
    debt: Decimal
    vulnerable: bool
    has_active_plan: bool
    last_broken_on: date | None
    plan_config: dict[str, Any] | None


def plan_facts(conn: Conn, *, account_id: int) -> PlanFacts:
    row = fetch_typed_one(
        conn,
        PlanFacts,
        """
        SELECT coalesce((SELECT sum(b.open_amount) FROM invoice_balances b
                          WHERE b.account_id = a.id AND b.status = 'issued' AND b.open_amount > 0
                            AND b.plan_id IS NULL), 0)::numeric(14, 2) AS debt,
               coalesce(p.vulnerable, false) AS vulnerable,
               EXISTS (SELECT 1 FROM payment_plans pp WHERE pp.account_id = a.id AND pp.status = 'active')
                   AS has_active_plan,
               (SELECT max(broken_at)::date FROM payment_plans pp WHERE pp.account_id = a.id
                   AND pp.status = 'broken') AS last_broken_on,
               (SELECT t.config -> 'payment_plans' FROM tenants t WHERE t.id = a.tenant_id) AS plan_config
          FROM accounts a LEFT JOIN persons p ON p.id = a.person_id
         WHERE a.id = %s
        """,
        (account_id,),
    )
    if row is None:
        raise LookupError(f"account {account_id} not found")
    return row


class PersonPii(NamedTuple):
    first_name: str | None
    paternal_surname: str | None
    maternal_surname: str | None
    legal_name: str | None
    rfc: str | None
    curp: str | None
    email: str | None
    phone: str | None


def person_pii(conn: Conn, *, person_id: int) -> PersonPii | None:
    return fetch_typed_one(
        conn,
        PersonPii,
        "SELECT first_name, paternal_surname, maternal_surname, legal_name, rfc, curp, email, phone FROM persons "
        "WHERE id = %s",
        (person_id,),
    )


class AccountPii(NamedTuple):
    account_number: str
    payment_reference: str | None
    clabe: str | None
    street: str | None
    ext_number: str | None
    colonia: str | None
    postal_code: str | None


def accounts_pii(conn: Conn, *, person_id: int) -> list[AccountPii]:
    return fetch_typed(
        conn,
        AccountPii,
        """
        SELECT a.account_number, a.payment_reference, a.clabe, ad.street, ad.ext_number, ad.colonia, ad.postal_code
          FROM accounts a JOIN tomas t ON t.id = a.toma_id LEFT JOIN addresses ad ON ad.id = t.address_id
         WHERE a.person_id = %s
        """,
        (person_id,),
    )


class HeldInvoice(NamedTuple):
    id: int
    account_id: int
    period: date
    status: str
    consumption_m3: Decimal
    estimated: bool
    exception_codes: list[str]
    held_reason: str | None
    total: Decimal
    tariff_class: str


def held_invoice(conn: Conn, *, invoice_id: int) -> HeldInvoice | None:
    return fetch_typed_one(
        conn,
        HeldInvoice,
        "SELECT i.id, i.account_id, i.period, i.status, i.consumption_m3, i.estimated, i.exception_codes, "
        "i.held_reason, i.total, a.tariff_class FROM invoices i JOIN accounts a ON a.id = i.account_id "
        "WHERE i.id = %s",
        (invoice_id,),
    )


def invoice_line_traces(conn: Conn, *, invoice_id: int) -> list[dict[str, Any]]:
    return fetch_all(
        conn,
        "SELECT line_no, code, description, quantity, unit_price, amount, trace FROM invoice_lines "
        "WHERE invoice_id = %(i)s ORDER BY line_no",
        {"i": invoice_id},
    )


def prior_totals(conn: Conn, *, account_id: int, before: date, limit: int = 6) -> list[dict[str, Any]]:
    return fetch_all(
        conn,
        "SELECT period, consumption_m3, total, estimated FROM invoices WHERE account_id = %(a)s AND period < %(p)s "
        "AND status = 'issued' ORDER BY period DESC LIMIT %(n)s",
        {"a": account_id, "p": before, "n": limit},
    )


class Snippet(NamedTuple):
    code: str
    title: str
    body: str
    source: str
    rank: float


_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def search_snippets(conn: Conn, *, query: str, limit: int = 3) -> list[Snippet]:
    """Best snippets for a free-text question: any of its words (stemmed, accents ignored), ranked."""
    words = sorted(set(_WORD.findall(query.lower())))[:24]
    if not words:
        return []
    return fetch_typed(
        conn,
        Snippet,
        """
        SELECT code, title, body, source, ts_rank(tsv, q)::float AS rank
          FROM agent_snippets, to_tsquery('spanish_unaccent', %s) AS q
         WHERE tsv @@ q ORDER BY rank DESC, code LIMIT %s
        """,
        (" | ".join(words), limit),
    )


def all_snippets(conn: Conn) -> list[Snippet]:
    return fetch_typed(
        conn, Snippet, "SELECT code, title, body, source, 0::float AS rank FROM agent_snippets ORDER BY code"
    )


class Proposal(NamedTuple):
    id: int
    invoice_id: int
    action: str
    evidence: str
    explanation: str
    model: str
    requested_by: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    applied: bool
    created_at: datetime


_PROPOSAL = (
    "SELECT id, invoice_id, action, evidence, explanation, model, requested_by, status, decided_by, decided_at, "
    "applied, created_at FROM agent_proposals"
)


def open_proposal(conn: Conn, *, invoice_id: int) -> Proposal | None:
    return fetch_typed_one(conn, Proposal, _PROPOSAL + " WHERE invoice_id = %s AND status = 'proposed'", (invoice_id,))


def insert_proposal(
    conn: Conn,
    *,
    tenant_id: Any,
    invoice_id: int,
    action: str,
    evidence: str,
    requested_by: str,
    model: str,
    now: datetime,
) -> Proposal:
    """The open proposal for the invoice: this one, or the one already waiting (never two)."""
    conn.execute(
        "INSERT INTO agent_proposals (tenant_id, invoice_id, action, evidence, requested_by, model, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (tenant_id, invoice_id) WHERE status = 'proposed' "
        "DO NOTHING",
        (tenant_id, invoice_id, action, evidence, requested_by, model, now),
    )
    found = open_proposal(conn, invoice_id=invoice_id)
    if found is None:
        raise LookupError("proposal vanished")
    return found


def set_explanation(conn: Conn, *, proposal_id: int, explanation: str) -> None:
    conn.execute("UPDATE agent_proposals SET explanation = %s WHERE id = %s", (explanation, proposal_id))


def proposal_for_update(conn: Conn, *, proposal_id: int) -> Proposal | None:
    return fetch_typed_one(conn, Proposal, _PROPOSAL + " WHERE id = %s FOR UPDATE", (proposal_id,))


def decide_proposal(
    conn: Conn, *, proposal_id: int, status: str, decided_by: str, applied: bool, now: datetime
) -> Proposal:
    conn.execute(
        "UPDATE agent_proposals SET status = %s, decided_by = %s, decided_at = %s, applied = %s WHERE id = %s",
        (status, decided_by, now, applied, proposal_id),
    )
    row = fetch_typed_one(conn, Proposal, _PROPOSAL + " WHERE id = %s", (proposal_id,))
    if row is None:
        raise LookupError("proposal vanished")
    return row


def list_proposals(conn: Conn, *, status: str | None, limit: int) -> list[Proposal]:
    if status is None:
        return fetch_typed(conn, Proposal, _PROPOSAL + " ORDER BY id DESC LIMIT %s", (limit,))
    return fetch_typed(conn, Proposal, _PROPOSAL + " WHERE status = %s ORDER BY id DESC LIMIT %s", (status, limit))


class VerificationCode(NamedTuple):
    id: int
    account_id: int
    code_hash: str
    expires_at: datetime
    attempts: int
    consumed_at: datetime | None


def insert_code(
    conn: Conn,
    *,
    tenant_id: Any,
    conversation_id: int,
    account_id: int,
    code_hash: str,
    now: datetime,
    expires_at: datetime,
) -> int:
    row = conn.execute(
        """
        INSERT INTO agent_verification_codes (tenant_id, conversation_id, account_id, code_hash, created_at, expires_at)
        VALUES (%s, %s, %s, %s, %s, %s) RETURNING id
        """,
        (tenant_id, conversation_id, account_id, code_hash, now, expires_at),
    ).fetchone()
    assert row is not None
    return int(row[0])


def codes_sent(conn: Conn, *, conversation_id: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM agent_verification_codes WHERE conversation_id = %s", (conversation_id,)
    ).fetchone()
    return int(row[0]) if row else 0


def latest_code(conn: Conn, *, conversation_id: int, account_id: int) -> VerificationCode | None:
    """The newest code of this conversation for this account, locked (attempts and consumption are serialised)."""
    return fetch_typed_one(
        conn,
        VerificationCode,
        """
        SELECT id, account_id, code_hash, expires_at, attempts, consumed_at FROM agent_verification_codes
         WHERE conversation_id = %s AND account_id = %s ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE
        """,
        (conversation_id, account_id),
    )


def count_attempt(conn: Conn, *, code_id: int) -> None:
    conn.execute("UPDATE agent_verification_codes SET attempts = attempts + 1 WHERE id = %s", (code_id,))


def consume_code(conn: Conn, *, code_id: int, now: datetime) -> bool:
    """Single use: True only for the one caller that consumed it."""
    row = conn.execute(
        "UPDATE agent_verification_codes SET consumed_at = %s, attempts = attempts + 1 "
        "WHERE id = %s AND consumed_at IS NULL AND expires_at > %s RETURNING id",
        (now, code_id, now),
    ).fetchone()
    return row is not None


def claim_proposal(conn: Conn, *, proposal_id: int, status: str, decided_by: str, now: datetime) -> Proposal | None:
    """Decide an open proposal: one conditional UPDATE, so of concurrent deciders exactly one wins (None: lost)."""
    return fetch_typed_one(
        conn,
        Proposal,
        "UPDATE agent_proposals SET status = %s, decided_by = %s, decided_at = %s "
        "WHERE id = %s AND status = 'proposed' "
        "RETURNING id, invoice_id, action, evidence, explanation, model, requested_by, status, decided_by, decided_at, "
        "applied, created_at",
        (status, decided_by, now, proposal_id),
    )


def proposal_by_id(conn: Conn, *, proposal_id: int) -> Proposal | None:
    return fetch_typed_one(conn, Proposal, _PROPOSAL + " WHERE id = %s", (proposal_id,))


def reopen_proposal(conn: Conn, *, proposal_id: int) -> None:
    conn.execute(
        "UPDATE agent_proposals SET status = 'proposed', decided_by = NULL, decided_at = NULL WHERE id = %s",
        (proposal_id,),
    )


def mark_applied(conn: Conn, *, proposal_id: int, applied: bool) -> Proposal:
    conn.execute("UPDATE agent_proposals SET applied = %s WHERE id = %s", (applied, proposal_id))
    row = proposal_by_id(conn, proposal_id=proposal_id)
    if row is None:
        raise LookupError("proposal vanished")
    return row
