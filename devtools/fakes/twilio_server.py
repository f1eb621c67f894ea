"""A local stand-in for Twilio Voice: it places a call against the app as Twilio does (form-encoded POSTs signed
with X-Twilio-Signature, I-Twilio-Idempotency-Token), reads the TwiML it gets back and follows it: <Say> is
recorded, <Gather input="speech"> is answered with the next scripted utterance (as SpeechResult with a
Confidence), <Redirect> and <Pause> are followed (calling `between` so a test can run the queue), <Dial> and
<Hangup> end the call. Real HTTP against the app's webhook URL."""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET  # the app's own TwiML, on loopback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx

from shared.adapters.twilio import sign


@dataclass
class CallTranscript:
    call_sid: str
    said: list[str] = field(default_factory=list)  # everything <Say> spoke, in order
    heard: list[str] = field(default_factory=list)  # the utterances given to <Gather>
    dialed: str | None = None
    statuses: list[int] = field(default_factory=list)  # HTTP status of every webhook


class TwilioFake:
    def __init__(self, *, voice_url: str, auth_token: str = "test-twilio-token", account_sid: str = "AC" + "0" * 32):  # noqa: S107
        self.voice_url = voice_url
        self.auth_token = auth_token
        self.account_sid = account_sid
        self.http = httpx.Client(timeout=30)

    def _post(
        self, url: str, params: dict[str, str], transcript: CallTranscript, *, signature: str | None = None
    ) -> str:
        headers = {
            "X-Twilio-Signature": signature
            if signature is not None
            else sign(url=url, params=params, auth_token=self.auth_token),
            "I-Twilio-Idempotency-Token": uuid.uuid4().hex,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        response = self.http.post(url, data=params, headers=headers)
        transcript.statuses.append(response.status_code)
        return response.text if response.status_code == 200 else ""

    def call(
        self,
        *,
        from_: str,
        to: str,
        say: Iterable[str],
        between: Callable[[], None] | None = None,
        max_steps: int = 60,
        signature: str | None = None,
    ) -> CallTranscript:
        """Place a call and follow the TwiML until it ends or the script runs out at a <Gather>."""
        script = list(say)
        transcript = CallTranscript(call_sid="CA" + uuid.uuid4().hex)
        base = {
            "CallSid": transcript.call_sid,
            "AccountSid": self.account_sid,
            "From": from_,
            "To": to,
            "CallStatus": "in-progress",
            "Direction": "inbound",
        }
        xml = self._post(self.voice_url, dict(base), transcript, signature=signature)
        for _ in range(max_steps):
            if not xml:
                return transcript
            next_url, params = None, dict(base)
            for verb in ET.fromstring(xml):  # noqa: S314 (the app's own TwiML on loopback, a test tool)
                if verb.tag == "Say":
                    transcript.said.append(verb.text or "")
                elif verb.tag == "Gather":
                    transcript.said.extend(s.text or "" for s in verb.iter("Say"))
                    if not script:
                        return transcript
                    utterance = script.pop(0)
                    transcript.heard.append(utterance)
                    next_url = urljoin(self.voice_url, verb.get("action") or "")
                    params.update({"SpeechResult": utterance, "Confidence": "0.92"})
                    break
                elif verb.tag == "Pause":
                    time.sleep(min(float(verb.get("length") or 1), 0.2))
                elif verb.tag == "Redirect":
                    if between is not None:
                        between()
                    next_url = urljoin(self.voice_url, verb.text or "")
                    break
                elif verb.tag == "Dial":
                    transcript.dialed = verb.text
                    return transcript
                elif verb.tag == "Hangup":
                    return transcript
            if next_url is None:
                return transcript
            xml = self._post(next_url, params, transcript)
        return transcript

    def close(self) -> None:
        self.http.close()
