"""One-time codes for the customer agent's identity check (the second factor instead of the last bill's amount).

`send_code` draws a 6-digit code, stores only its salted hash (expiring, single use, attempts counted) and requests a
`verification_code` notice for the account; the notifications worker sends it to the phone REGISTERED on the account
(it resolves the recipient from the account, never from the conversation), so whoever asks only gets a code if they
hold the registered contact. The request is recorded and enqueued exactly as the notification producers do
(`shared.application.notifications.producers.request`), with an injectable queue sender for tests.

`check_code` is the verdict for (conversation, account, code): a code verifies only the account it was sent for, in
the conversation that asked for it, once, before it expires and within its attempts."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import NamedTuple

from shared.application.notifications import sender
from shared.data import agents as data
from shared.data import notifications as store
from shared.data.db import tenant_transaction
from shared.data.notifications import NewNotice
from shared.domain.agents import otp
from shared.domain.notifications.templates import CATALOGUE

NOTICE_KIND = "verification_code"


class SendResult(NamedTuple):
    status: str  # "sent" (a code was requested for the registered contact), "no_contact" or "limit"


def send_code(
    *,
    tenant_id: str,
    conversation_id: int,
    account_id: int | None,
    now: datetime,
    enqueue: sender.Enqueue | None = None,
) -> SendResult:
    """Request a code for `account_id` (None: the account does not exist or has no owner → nothing is sent; the
    caller answers the same either way, so the reply is no oracle of existence)."""
    with tenant_transaction(tenant_id) as conn:
        if data.codes_sent(conn, conversation_id=conversation_id) >= otp.MAX_SENDS_PER_CONVERSATION:
            return SendResult("limit")
        if account_id is None:
            otp.hash_code(code="000000", salt=secrets.token_bytes(16))  # the same work: no timing oracle either
            return SendResult("no_contact")
        code = f"{secrets.randbelow(10**6):06d}"
        code_id = data.insert_code(
            conn,
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            account_id=account_id,
            code_hash=otp.hash_code(code=code, salt=secrets.token_bytes(16)),
            now=now,
            expires_at=now + otp.CODE_TTL,
        )
        purpose = CATALOGUE[NOTICE_KIND].purpose if NOTICE_KIND in CATALOGUE else "whatsapp_notices"
        params = {"code": code, "minutes": str(int(otp.CODE_TTL.total_seconds() // 60))}
        keys = store.insert_requests(
            conn, notices=[NewNotice(f"{NOTICE_KIND}:{code_id}", NOTICE_KIND, purpose, account_id, params, now)]
        )
    # Enqueued after the commit (the worker finds the row); a lost message is picked up by the release job.
    sender.enqueue_keys(tenant_id=tenant_id, keys=keys, enqueue=enqueue)
    return SendResult("sent")


def check_code(*, tenant_id: str, conversation_id: int, account_id: int, code: str, now: datetime) -> otp.Verdict:
    """The verdict on one attempt; a wrong code counts an attempt, the right one consumes the code (once)."""
    with tenant_transaction(tenant_id) as conn:
        row = data.latest_code(conn, conversation_id=conversation_id, account_id=account_id)
        state = None if row is None else otp.CodeState(row.expires_at, row.attempts, row.consumed_at is not None)
        matches = row is not None and otp.code_matches(code=code, stored=row.code_hash)
        result = otp.verdict(state=state, matches=matches, now=now)
        if row is None:
            return result
        if result == "ok":
            return "ok" if data.consume_code(conn, code_id=row.id, now=now) else "consumed"
        if result == "wrong":
            data.count_attempt(conn, code_id=row.id)
        return result
