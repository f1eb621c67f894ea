"""What the policy gate and the tools need from the database, each in its own short transaction (the agents never
hold a connection while the model thinks)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.adapters import local_embeddings
from shared.data import agents as data
from shared.data.db import tenant_transaction
from shared.domain.agents.pii_tokens import Vault
from shared.domain.payments import plans

CENT = Decimal("0.01")


def account(
    *, tenant_id: str, account_number: str | None = None, account_id: int | None = None
) -> data.AccountFacts | None:
    with tenant_transaction(tenant_id) as conn:
        if account_number is not None:
            return data.account_by_number(conn, account_number=account_number.strip())
        if account_id is not None:
            return data.account_by_id(conn, account_id=account_id)
        return None


def identity_matches(*, tenant_id: str, account_number: str, last_bill_amount: Decimal) -> data.AccountFacts | None:
    """The account when BOTH factors match: the number exists and its last issued bill's total is the amount."""
    with tenant_transaction(tenant_id) as conn:
        found = data.account_by_number(conn, account_number=account_number.strip())
        if found is None or found.person_id is None:
            return None
        total = data.last_bill_total(conn, account_id=found.id)
    if total is None or total.quantize(CENT) != last_bill_amount.quantize(CENT):
        return None
    return found


def plan_problems(
    *, tenant_id: str, account_id: int, down_payment: Decimal, installments: int, today: date
) -> tuple[tuple[str, ...], plans.PlanPolicy, Decimal]:
    """Why this plan is outside the tenant's policy (empty when it is inside), the policy, and the debt."""
    with tenant_transaction(tenant_id) as conn:
        facts = data.plan_facts(conn, account_id=account_id)
    policy = plans.policy_from_config(facts.plan_config)
    problems = plans.eligibility_problems(
        debt=facts.debt,
        down_payment=down_payment,
        installments=installments,
        vulnerable=facts.vulnerable,
        has_active_plan=facts.has_active_plan,
        last_broken_on=facts.last_broken_on,
        today=today,
        policy=policy,
    )
    return tuple(problems), policy, facts.debt


def plan_options(*, tenant_id: str, account_id: int) -> dict[str, Any]:
    with tenant_transaction(tenant_id) as conn:
        facts = data.plan_facts(conn, account_id=account_id)
    policy = plans.policy_from_config(facts.plan_config)
    ratio = policy.vulnerable_min_down_payment_ratio if facts.vulnerable else policy.min_down_payment_ratio
    max_n = policy.vulnerable_max_installments if facts.vulnerable else policy.max_installments
    return {
        "debt": facts.debt,
        "eligible": facts.debt >= policy.min_debt and not facts.has_active_plan,
        "has_active_plan": facts.has_active_plan,
        "min_debt": policy.min_debt,
        "min_down_payment": (facts.debt * ratio).quantize(CENT),
        "max_installments": max_n,
    }


def seed_vault(*, tenant_id: str, person_id: int, vault: Vault) -> None:
    """Teach the vault the verified person's data, so any mention of it is tokenised."""
    with tenant_transaction(tenant_id) as conn:
        person = data.person_pii(conn, person_id=person_id)
        accounts = data.accounts_pii(conn, person_id=person_id)
    if person is not None:
        full = " ".join(p for p in (person.first_name, person.paternal_surname, person.maternal_surname) if p)
        vault.learn(kind="NOMBRE", value=full)
        if person.paternal_surname and person.maternal_surname:
            vault.learn(kind="NOMBRE", value=f"{person.paternal_surname} {person.maternal_surname}")
        for kind, value in (
            ("NOMBRE", person.legal_name),
            ("RFC", person.rfc),
            ("CURP", person.curp),
            ("CORREO", person.email),
            ("TELEFONO", person.phone),
        ):
            vault.learn(kind=kind, value=value)
    for a in accounts:
        vault.learn(kind="CUENTA", value=a.account_number)
        vault.learn(kind="REFERENCIA", value=a.payment_reference)
        vault.learn(kind="CLABE", value=a.clabe)
        if a.street:
            vault.learn(kind="DIRECCION", value=f"{a.street} {a.ext_number or ''}".strip())


def usage(*, tenant_id: str, agent: str, conversation_id: int) -> data.ConversationUsage:
    with tenant_transaction(tenant_id) as conn:
        return data.conversation_usage(conn, agent=agent, conversation_id=conversation_id)


def args_hash(*, tool: str, args: dict[str, Any], account_id: int | None) -> str:
    canonical = json.dumps({"tool": tool, "args": args, "account": account_id}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def pending(*, tenant_id: str, conversation_id: int, digest: str) -> data.PendingAction | None:
    with tenant_transaction(tenant_id) as conn:
        return data.pending(conn, conversation_id=conversation_id, args_hash=digest)


def propose(
    *, tenant_id: str, conversation_id: int, tool: str, args: dict[str, Any], digest: str, turn_key: str, now: datetime
) -> None:
    with tenant_transaction(tenant_id) as conn:
        data.propose(
            conn,
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            tool=tool,
            args=json.loads(json.dumps(args, default=str)),
            args_hash=digest,
            turn_key=turn_key,
            now=now,
        )


def claim(*, tenant_id: str, action_id: int, now: datetime) -> bool:
    with tenant_transaction(tenant_id) as conn:
        return data.claim(conn, action_id=action_id, now=now)


def release(*, tenant_id: str, action_id: int) -> None:
    with tenant_transaction(tenant_id) as conn:
        data.release(conn, action_id=action_id)


def store_result(*, tenant_id: str, action_id: int, result: dict[str, Any]) -> None:
    with tenant_transaction(tenant_id) as conn:
        data.store_result(conn, action_id=action_id, result=json.loads(json.dumps(result, default=str)))


def record(*, tenant_id: str, decisions: list[data.Decision]) -> None:
    with tenant_transaction(tenant_id) as conn:
        data.record_decisions(conn, tenant_id=tenant_id, decisions=decisions)


# multilingual-e5-small cosines are compressed (unrelated es-MX snippets score 0.76-0.82): only the single best
# snippet is added, and only when it is both close (>= 0.84) and clearly ahead of the next one (calibrated on the
# ten snippets of migration 0030; see docs/agents.md).
SEMANTIC_MIN_SIMILARITY = 0.84
SEMANTIC_MIN_MARGIN = 0.01


def snippets(*, query: str, tenant_id: str, limit: int = 3, semantic: bool | None = None) -> list[data.Snippet]:
    """Full-text hits (Spanish stemming, accents ignored); when there are none and local embeddings are installed,
    the snippet whose meaning is clearly closest (a question with none of the snippet's words)."""
    with tenant_transaction(tenant_id) as conn:
        found = data.search_snippets(conn, query=query, limit=limit)
        use = local_embeddings.available() if semantic is None else semantic
        if found or not use:
            return found
        pool = data.all_snippets(conn)
    scores = local_embeddings.similarities(query=query, passages={s.code: f"{s.title}. {s.body}" for s in pool})
    ranked = sorted(pool, key=lambda s: -scores[s.code])
    if not ranked or scores[ranked[0].code] < SEMANTIC_MIN_SIMILARITY:
        return []
    if len(ranked) > 1 and scores[ranked[0].code] - scores[ranked[1].code] < SEMANTIC_MIN_MARGIN:
        return []
    return [ranked[0]._replace(rank=scores[ranked[0].code])]
