"""Twilio Voice over real HTTP: a stand-in places signed calls against the API and follows the TwiML; the
transcripts go into the conversation model and the same bot; a handoff dials the call centre."""

from datetime import UTC, datetime

import httpx
import pytest

from devtools.fakes.twilio_server import TwilioFake
from shared.adapters.twilio import Twiml
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache
from tests.billing.builders import make_utility


@pytest.fixture
def world(fresh_db):
    return make_utility(fresh_db, "cea-voz", sectors=("S01",), tariffs=False)


@pytest.fixture
def twilio(monkeypatch, api_server):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "test-twilio-token")
    monkeypatch.setenv("CALL_CENTER_NUMBER", "+524422111000")
    reset_settings_cache()
    reset_secret_cache()
    fake = TwilioFake(voice_url=f"{api_server}/api/v1/channels/voice")
    yield fake
    fake.close()


def test_a_caller_hears_the_menu_asks_for_a_person_and_is_dialled_to_the_call_centre(fresh_db, twilio, pump, world):
    call = twilio.call(
        from_="+524421234567",
        to="+524422000000",
        say=["quiero reportar una fuga", "hablar con un asesor"],
        between=lambda: pump(datetime.now(UTC)),
    )
    assert set(call.statuses) == {200}
    assert "Bienvenido a la CEA Querétaro" in call.said[0] and "Diga el número de la opción" not in call.said[0]
    assert any("asesor" in s for s in call.said) and call.dialed == "+524422111000"
    with fresh_db.owner() as conn:
        channel, external, status = conn.execute("SELECT channel, external_id, status FROM conversations").fetchone()
        turns = conn.execute("SELECT direction, text FROM conversation_messages ORDER BY id").fetchall()
    assert (channel, external, status) == ("voice", call.call_sid, "human")
    assert turns[0] == ("inbound", "quiero reportar una fuga") and turns[2] == ("inbound", "hablar con un asesor")
    assert turns[1][0] == "outbound" and "1. Consultar" in turns[1][1]  # the same menu bot answered


def test_a_bad_signature_is_refused_and_nothing_is_stored(fresh_db, twilio, world):
    call = twilio.call(from_="+524421234567", to="+524422000000", say=[], signature="bm9wZQ==")
    assert call.statuses == [401] and call.said == []
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0


def test_a_malformed_call_is_a_400(api_server, twilio, world):
    from shared.adapters.twilio import sign

    url = f"{api_server}/api/v1/channels/voice"
    params = {"CallSid": "not-a-call", "From": "+52"}
    answer = httpx.post(
        url,
        timeout=60,
        data=params,
        headers={"X-Twilio-Signature": sign(url=url, params=params, auth_token="test-twilio-token")},
    )
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("application/problem+json")


def test_twiml_escapes_what_it_says():
    xml = Twiml().say('Tarifa <50 m³> & "más"').xml()
    assert "&lt;50 m³&gt; &amp;" in xml and xml.startswith(
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="es-MX">'
    )
