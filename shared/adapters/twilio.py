"""Twilio Voice: the webhook signature and TwiML.

`X-Twilio-Signature = Base64(HMAC-SHA1(auth_token, URL + every POST parameter name+value sorted by name))`, where
URL is the full public URL Twilio called (scheme, host, path and query). TwiML answers are built here with XML
escaping: <Gather input="speech" language="es-MX">, <Say language="es-MX">, <Dial>, <Redirect>, <Pause>.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Twiml", "sign", "verify_signature"]

LANGUAGE = "es-MX"


def sign(*, url: str, params: Mapping[str, str], auth_token: str) -> str:
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def verify_signature(*, url: str, params: Mapping[str, str], signature: str | None, auth_token: str) -> bool:
    if not signature or not auth_token:
        return False
    return hmac.compare_digest(sign(url=url, params=params, auth_token=auth_token), signature.strip())


class Twiml:
    """A TwiML <Response> built verb by verb."""

    def __init__(self) -> None:
        self._verbs: list[str] = []

    def say(self, text: str) -> Twiml:
        self._verbs.append(f"<Say language={quoteattr(LANGUAGE)}>{escape(text)}</Say>")
        return self

    def gather(self, *, action: str, prompt: str, timeout_s: int = 5) -> Twiml:
        self._verbs.append(
            f'<Gather input="speech" language={quoteattr(LANGUAGE)} action={quoteattr(action)} method="POST" '
            f'speechTimeout="auto" timeout="{timeout_s}"><Say language={quoteattr(LANGUAGE)}>{escape(prompt)}</Say>'
            "</Gather>"
        )
        return self

    def dial(self, number: str) -> Twiml:
        self._verbs.append(f"<Dial>{escape(number)}</Dial>")
        return self

    def pause(self, seconds: int = 1) -> Twiml:
        self._verbs.append(f'<Pause length="{seconds}"/>')
        return self

    def redirect(self, url: str) -> Twiml:
        self._verbs.append(f'<Redirect method="POST">{escape(url)}</Redirect>')
        return self

    def hangup(self) -> Twiml:
        self._verbs.append("<Hangup/>")
        return self

    def xml(self) -> str:
        return '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(self._verbs) + "</Response>"
