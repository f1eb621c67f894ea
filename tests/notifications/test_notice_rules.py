"""The pure notice rules: quiet hours in Querétaro time, the rate split, the 24-hour window, template rendering
(never half-filled) and WhatsApp number normalisation; hypothesis drives moments and parameters adversarially."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.notifications import policy, templates
from shared.domain.notifications.messages import whatsapp_number
from shared.domain.timezone import UTILITY_TZ

moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


@given(now=moments)
def test_quiet_hours_are_21_to_8_local_and_end_at_the_next_8(now):
    until = policy.quiet_until(now=now, policy=policy.NoticePolicy())
    local = now.astimezone(UTILITY_TZ)
    assert (until is None) == (time(8) <= local.time() < time(21))
    if until is not None:
        assert until > now and until - now <= timedelta(hours=11)
        assert (
            until.astimezone(UTILITY_TZ).time() == time(8)
            and policy.quiet_until(now=until, policy=policy.NoticePolicy()) is None
        )


@given(wanted=st.integers(0, 500), before=st.integers(0, 2000), limit=st.integers(1, 1000))
def test_the_rate_split_never_exceeds_the_limit(wanted, before, limit):
    allowed = policy.split_by_rate(wanted=wanted, already_sent=before, limit=limit)
    assert 0 <= allowed <= wanted and (allowed == 0 or before + allowed <= limit)
    assert allowed == wanted or before + allowed >= limit


def test_the_service_window_is_24_hours():
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert policy.in_service_window(last_inbound_at=now - timedelta(hours=23, minutes=59), now=now)
    assert not policy.in_service_window(last_inbound_at=now - timedelta(hours=24), now=now)
    assert not policy.in_service_window(last_inbound_at=None, now=now)


def test_bad_tenant_config_is_refused():
    with pytest.raises(ValueError):
        policy.policy_from_config({"rate_per_minute": 0})
    assert policy.policy_from_config({"quiet_start": "22:00"}).quiet_start == time(22)


text = st.text(min_size=1, max_size=40).filter(lambda s: s.strip())


@given(kind=st.sampled_from(sorted(templates.CATALOGUE)), data=st.data())
def test_rendering_fills_every_parameter_or_refuses(kind, data):
    template = templates.CATALOGUE[kind]
    params = {p: data.draw(text) for p in template.params}
    if template.header_image:
        params["image_url"] = "https://fotos.example.mx/1.jpg"
    dropped = data.draw(st.sampled_from([None, *template.params]))
    if dropped is not None:
        params[dropped] = data.draw(st.sampled_from(["", "   "]))
        with pytest.raises(templates.MissingParameter):
            templates.render(kind=kind, params=params)
        return
    rendered = templates.render(kind=kind, params=params)
    assert len(rendered.values) == len(template.params)
    for value in rendered.values:
        assert value in rendered.text


def test_unknown_kinds_and_photo_less_repairs_are_refused():
    with pytest.raises(templates.UnknownTemplate):
        templates.render(kind="nope", params={})
    with pytest.raises(templates.MissingParameter):
        templates.render(kind="work_order_repaired", params={"folio": "OT-1"})


def test_money_is_half_up_to_centavos_and_refuses_floats():
    assert templates.money(Decimal("1234.505")) == "$1,234.51"
    with pytest.raises(TypeError):
        templates.money(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "phone,expected",
    [
        ("442 123 4567", "524421234567"),
        ("+52 442 123 4567", "524421234567"),
        ("5214421234567", "524421234567"),
        ("12345", None),
        (None, None),
        ("+1 415 555 0100", None),
    ],
)
def test_whatsapp_numbers(phone, expected):
    assert whatsapp_number(phone=phone) == expected
