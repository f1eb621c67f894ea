"""One-time verification codes (pure): the code's shape, its salted hash and the verdict on an attempt. The code and
the salt are drawn by the application (this module has no randomness and no clock); only `code_hash` is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

CODE_RE = re.compile(r"^\d{6}$")
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 3  # wrong tries per code; the conversation's own lock (3 failed verifications) also applies
MAX_SENDS_PER_CONVERSATION = 3
_N, _R, _P = 2**14, 8, 1  # scrypt cost: a 10^6 code space costs hours per stolen hash, not seconds


def hash_code(*, code: str, salt: bytes) -> str:
    digest = hashlib.scrypt(code.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def code_matches(*, code: str, stored: str) -> bool:
    if not CODE_RE.match(code):
        return False
    try:
        scheme, salt_hex, _digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    return hmac.compare_digest(hash_code(code=code, salt=bytes.fromhex(salt_hex)), stored)


class CodeState(NamedTuple):
    expires_at: datetime
    attempts: int
    consumed: bool


Verdict = Literal["ok", "no_code", "expired", "consumed", "too_many_attempts", "wrong"]


def verdict(*, state: CodeState | None, matches: bool, now: datetime) -> Verdict:
    """Why an attempt with a code succeeds or not; every failure gets the same answer to the customer."""
    if state is None:
        return "no_code"
    if state.consumed:
        return "consumed"
    if now >= state.expires_at:
        return "expired"
    if state.attempts >= MAX_ATTEMPTS:
        return "too_many_attempts"
    return "ok" if matches else "wrong"
