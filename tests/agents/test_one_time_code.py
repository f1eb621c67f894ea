"""One-time codes as the second identity factor: sent (as a notice request) to the contact registered on the account,
stored only as a salted hash, expiring, single use, attempts limited, bound to one account and one conversation; the
code alone or the phone alone never verifies; and a verified customer cannot learn whether another account exists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.agent_eval.tasks import NO_SUCH_ACCOUNT
from devtools.agent_eval.world import World
from devtools.fakes.claude_server import ClaudeFake
from shared.application.agents import otp as app_otp
from shared.application.agents.customer import CustomerAgentResponder
from shared.application.agents.engine import opaque_user_id
from shared.application.conversations.bot import BotContext, ConversationTurn
from shared.data import notifications as store
from shared.data.db import tenant_transaction
from shared.domain.agents import otp
from shared.domain.agents.pii_tokens import find_leaks
from tests.fixtures.postgres import TestDatabase

NOW = datetime(2026, 11, 20, 17, tzinfo=UTC)
SALT = b"0123456789abcdef"


@settings(max_examples=15, deadline=None)
@given(code=st.from_regex(r"\A\d{6}\Z"), other=st.from_regex(r"\A\d{6}\Z"))
def test_the_hash_hides_the_code_and_only_the_code_matches(code: str, other: str) -> None:
    stored = otp.hash_code(code=code, salt=SALT)
    assert code not in stored
    assert otp.code_matches(code=code, stored=stored)
    assert otp.code_matches(code=other, stored=stored) == (other == code)
    assert not otp.code_matches(code=code + "0", stored=stored)


def test_verdicts() -> None:
    live = otp.CodeState(NOW + otp.CODE_TTL, 0, False)
    assert otp.verdict(state=live, matches=True, now=NOW) == "ok"
    assert otp.verdict(state=live, matches=False, now=NOW) == "wrong"
    assert otp.verdict(state=None, matches=True, now=NOW) == "no_code"
    assert otp.verdict(state=live._replace(consumed=True), matches=True, now=NOW) == "consumed"
    assert otp.verdict(state=live, matches=True, now=NOW + otp.CODE_TTL) == "expired"
    assert otp.verdict(state=live._replace(attempts=otp.MAX_ATTEMPTS), matches=True, now=NOW) == "too_many_attempts"


def _last_code(fresh_db: TestDatabase, account_id: int) -> tuple[str, str]:
    with psycopg.connect(fresh_db.owner_url) as conn:
        row = conn.execute(
            "SELECT n.params->>'code', n.natural_key FROM notifications n WHERE kind = 'verification_code' "
            "AND account_id = %s ORDER BY id DESC LIMIT 1",
            (account_id,),
        ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def test_a_code_goes_to_the_registered_contact_hashed_once_and_only_for_its_account(
    fresh_db: TestDatabase, world: World, queued: list[dict[str, Any]]
) -> None:
    tenant, c, o = str(world.tenant_id), world.customers[0], world.customers[1]
    sent = app_otp.send_code(
        tenant_id=tenant, conversation_id=70, account_id=c.account_id, now=NOW, enqueue=queued.append
    )
    assert sent.status == "sent"
    code, key = _last_code(fresh_db, c.account_id)
    assert queued == [{"type": "notices", "tenant_id": tenant, "keys": [key]}]
    with tenant_transaction(tenant) as conn:
        claimed = store.claim(conn, keys=[key], now=NOW, lease=timedelta(minutes=1))
        stored = conn.execute("SELECT code_hash FROM agent_verification_codes").fetchall()
    # the worker sends to the phone registered on the account: the recipient comes from the account, not the chat
    assert [(r.kind, r.account_id, r.phone) for r in claimed] == [("verification_code", c.account_id, c.phone)]
    assert len(stored) == 1 and code not in stored[0][0] and stored[0][0].startswith("scrypt$")

    def check(account_id: int, value: str, *, conversation: int = 70, at: datetime = NOW) -> str:
        return app_otp.check_code(
            tenant_id=tenant, conversation_id=conversation, account_id=account_id, code=value, now=at
        )

    assert check(o.account_id, code) == "no_code"  # a code verifies only the account it was sent for
    assert check(c.account_id, code, conversation=71) == "no_code"  # ...in the conversation that asked for it
    assert check(c.account_id, code, at=NOW + otp.CODE_TTL) == "expired"
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert check(c.account_id, wrong) == "wrong"
    assert check(c.account_id, code) == "ok"
    assert check(c.account_id, code) == "consumed"  # single use


def test_attempts_are_limited_and_sends_per_conversation_too(world: World, queued: list[dict[str, Any]]) -> None:
    tenant, c = str(world.tenant_id), world.customers[2]
    app_otp.send_code(tenant_id=tenant, conversation_id=80, account_id=c.account_id, now=NOW, enqueue=queued.append)
    with tenant_transaction(tenant) as conn:
        row = conn.execute("SELECT id FROM agent_verification_codes WHERE conversation_id = 80").fetchone()
        assert row is not None
        conn.execute("UPDATE agent_verification_codes SET code_hash = %s", (otp.hash_code(code="111111", salt=SALT),))
    for _ in range(otp.MAX_ATTEMPTS):
        assert (
            app_otp.check_code(tenant_id=tenant, conversation_id=80, account_id=c.account_id, code="222222", now=NOW)
            == "wrong"
        )
    right = app_otp.check_code(tenant_id=tenant, conversation_id=80, account_id=c.account_id, code="111111", now=NOW)
    assert right == "too_many_attempts"
    statuses = [
        app_otp.send_code(
            tenant_id=tenant, conversation_id=80, account_id=c.account_id, now=NOW, enqueue=queued.append
        ).status
        for _ in range(otp.MAX_SENDS_PER_CONVERSATION)
    ]
    assert statuses == ["sent"] * (otp.MAX_SENDS_PER_CONVERSATION - 1) + ["limit"]


def _uid(world: World, conversation_id: int) -> str:
    return opaque_user_id(tenant_id=str(world.tenant_id), agent="customer", conversation_id=conversation_id)


def _turn(
    responder: CustomerAgentResponder, world: World, conv: int, text: str, *, at: datetime, person=None, account=None
):
    ctx = BotContext(str(world.tenant_id), conv, "whatsapp", person, account, (), at)
    return responder.respond(context=ctx, message=ConversationTurn("inbound", text, at))


SEND = {"tool": "send_verification_code", "input": {"account_number": "{{tok:CUENTA}}"}}
VERIFY = {"tool": "verify_identity", "input": {"account_number": "{{tok:CUENTA}}", "one_time_code": "{{tok:CODIGO}}"}}
SAY = {"text": "{{result:message_es}}"}


def test_the_agent_verifies_with_account_and_code_and_the_code_never_reaches_the_model(
    responder: CustomerAgentResponder, claude_fake: ClaudeFake, world: World, fresh_db: TestDatabase
) -> None:
    c = world.customers[3]
    claude_fake.script(_uid(world, 90), [SEND, SAY, VERIFY, {"text": "Listo, verificado."}])
    first = _turn(responder, world, 90, f"Mándame un código, mi cuenta es {c.account_number}", at=NOW)
    assert "teléfono registrado" in first.text and first.verified_person_id is None
    code, _key = _last_code(fresh_db, c.account_id)
    second = _turn(responder, world, 90, f"Cuenta {c.account_number}, código {code}", at=NOW + timedelta(minutes=2))
    assert (second.verified_person_id, second.verified_account_id) == (c.person_id, c.account_id)
    for body in claude_fake.raw_bodies:
        assert code not in body and find_leaks(text=body, known_values=world.pii()) == []
    with psycopg.connect(fresh_db.owner_url) as conn:
        audited = conn.execute("SELECT masked_input::text FROM agent_decisions WHERE conversation_id = 90").fetchall()
    assert audited and all(code not in r[0] for r in audited)  # the audit holds the token, not the code


@pytest.mark.parametrize("case", ["code_alone", "phone_alone", "code_of_another_account", "other_conversation"])
def test_one_factor_never_verifies(
    case: str, responder: CustomerAgentResponder, claude_fake: ClaudeFake, world: World, fresh_db: TestDatabase
) -> None:
    c, o = world.customers[4], world.customers[5]
    conv = 100 + ["code_alone", "phone_alone", "code_of_another_account", "other_conversation"].index(case)
    claude_fake.script(_uid(world, conv), [SEND, SAY])
    _turn(responder, world, conv, f"Mándame un código, mi cuenta es {c.account_number}", at=NOW)
    code, _key = _last_code(fresh_db, c.account_id)
    later = NOW + timedelta(minutes=1)
    if case == "code_alone":
        claude_fake.script(_uid(world, conv), [{"tool": "verify_identity", "input": {"one_time_code": code}}, SAY])
        reply = _turn(responder, world, conv, f"El código es {code}", at=later)
    elif case == "phone_alone":
        claude_fake.script(
            _uid(world, conv),
            [{"tool": "verify_identity", "input": {"account_number": "{{tok:TELEFONO}}", "one_time_code": code}}, SAY],
        )
        reply = _turn(responder, world, conv, f"Escribo desde {c.phone}, código {code}", at=later)
    elif case == "code_of_another_account":
        claude_fake.script(_uid(world, conv), [VERIFY, SAY])
        reply = _turn(responder, world, conv, f"Cuenta {o.account_number}, código {code}", at=later)
    else:
        claude_fake.script(_uid(world, conv + 50), [VERIFY, SAY])
        reply = _turn(responder, world, conv + 50, f"Cuenta {c.account_number}, código {code}", at=later)
    assert reply.verified_person_id is None


def test_a_verified_customer_gets_the_same_reply_for_a_missing_and_an_existing_other_account(
    responder: CustomerAgentResponder, claude_fake: ClaudeFake, world: World
) -> None:
    c, o = world.customers[6], world.customers[7]
    amount_verify = {
        "tool": "verify_identity",
        "input": {"account_number": "{{tok:CUENTA}}", "last_bill_amount": "{{amount}}"},
    }
    replies: dict[str, list[str]] = {}
    for conv, (label, number) in enumerate((("other", o.account_number), ("missing", NO_SUCH_ACCOUNT)), start=200):
        claude_fake.script(_uid(world, conv), [amount_verify, {"text": "ok"}])
        first = _turn(responder, world, conv, f"Mi cuenta es {c.account_number}, recibo de ${c.last_total}", at=NOW)
        assert first.verified_person_id == c.person_id
        out: list[str] = []
        for tool in (amount_verify, {**SEND}):
            claude_fake.script(_uid(world, conv), [tool, SAY])
            reply = _turn(
                responder,
                world,
                conv,
                f"Ahora la cuenta {number}, recibo de $100.00",
                at=NOW + timedelta(minutes=1 + len(out)),
                person=c.person_id,
                account=c.account_id,
            )
            out.append(reply.text)
        replies[label] = out
    assert replies["other"] == replies["missing"]
    assert "ya se verificó a un titular" in replies["other"][0]
