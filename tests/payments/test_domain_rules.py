"""References and check digits, matching keys, SPEI parsing, plan schedules and dunning decisions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.payments import dunning, plans, spei
from shared.domain.payments.matching import AmountCandidate, lookup_keys, pick_by_amount
from shared.domain.payments.model import PaymentHints
from shared.domain.payments.references import (
    clabe_check_digit,
    find_references,
    is_valid_clabe,
    is_valid_reference,
    make_clabe,
    make_reference,
)


def test_clabe_check_digit_of_published_clabes():
    # Conekta's SPEI sample CLABE (reference doc §4) and a CLABE used in public CLABE-validator examples
    for clabe in ("646180111805034237", "032180000118359719"):
        assert clabe_check_digit(body=clabe[:17]) == clabe[17]
        assert is_valid_clabe(clabe=clabe)
    assert not is_valid_clabe(clabe="646180111805034238")
    assert not is_valid_clabe(clabe="64618011180503423")


def test_reference_uses_luhn():
    assert make_reference(account_number="7992739871", prefix="") == "79927398713"  # the classic Luhn example
    assert is_valid_reference(reference="79927398713")


@settings(max_examples=200, deadline=None)
@given(
    number=st.integers(min_value=0, max_value=999_999_999),
    pos=st.integers(min_value=0, max_value=11),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_error_is_caught(number, pos, delta):
    ref = make_reference(account_number=f"{number:09d}")
    bad = ref[:pos] + str((int(ref[pos]) + delta) % 10) + ref[pos + 1 :]
    assert is_valid_reference(reference=ref) and not is_valid_reference(reference=bad)
    clabe = make_clabe(bank="646", plaza="180", account=f"7{number:010d}")
    p = pos + 6
    bad_clabe = clabe[:p] + str((int(clabe[p]) + delta) % 10) + clabe[p + 1 :]
    assert is_valid_clabe(clabe=clabe) and not is_valid_clabe(clabe=bad_clabe)


def test_lookup_keys_skip_references_with_bad_check_digits():
    good = make_reference(account_number="000000123")
    keys, problems = lookup_keys(
        hints=PaymentHints(
            reference=good[:-1] + "0" if good[-1] != "0" else good[:-1] + "1",
            clabe="646180700000001239",
            concept=f"pago agua ref {good}",
        )
    )
    assert [k.method for k in keys] == ["concept_reference"] and keys[0].value == good
    assert set(problems) <= {"reference_check_digit", "clabe_check_digit"} and "reference_check_digit" in problems
    assert find_references(text="sin referencia 12345") == []


def test_amount_heuristic_needs_exactly_one_candidate():
    day = date(2026, 3, 10)
    one = [AmountCandidate(1, Decimal("10.00"), day)]
    assert pick_by_amount(amount=Decimal("10.00"), paid_on=day, candidates=one) == 1
    two = [*one, AmountCandidate(2, Decimal("10.00"), day)]
    assert pick_by_amount(amount=Decimal("10.00"), paid_on=day, candidates=two) is None
    far = [AmountCandidate(1, Decimal("10.00"), day - timedelta(days=200))]
    assert pick_by_amount(amount=Decimal("10.00"), paid_on=day, candidates=far) is None


def test_spei_abono_parsing_and_answers():
    clabe = make_clabe(bank="646", plaza="180", account="70000000042")
    payload = {
        "id": 3191365,
        "fechaOperacion": 20260127,
        "monto": 324.5,
        "cuentaBeneficiario": clabe,
        "claveRastreo": "ABC123",
        "referenciaNumerica": 1234567,
        "conceptoPago": "agua",
        "tsLiquidacion": "1769540000000",
    }
    fact = spei.parse_abono(payload=payload)
    assert fact.amount == Decimal("324.5") and fact.provider_payment_id == "3191365" and fact.channel == "spei"
    assert spei.answer_for(payload=payload) == {"mensaje": "confirmar"}
    assert spei.answer_for(payload={**payload, "cuentaBeneficiario": clabe[:-1] + str((int(clabe[-1]) + 1) % 10)}) == {
        "mensaje": "devolver",
        "id": 1,
    }
    for broken in (
        {**payload, "monto": "-1"},
        {**payload, "monto": "1.001"},
        {"id": 1},
        {k: v for k, v in payload.items() if k != "id"},
    ):
        with pytest.raises(spei.MalformedSpeiNotification):
            spei.parse_abono(payload=broken)


@settings(max_examples=200, deadline=None)
@given(
    debt=st.integers(min_value=1000, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2)),
    n=st.integers(min_value=1, max_value=24),
    down_ratio=st.integers(min_value=0, max_value=90),
)
def test_plan_schedule_adds_up(debt, n, down_ratio):
    down = (debt * down_ratio / 100).quantize(Decimal("0.01"))
    try:
        items = plans.schedule(
            debt=debt, down_payment=down, installments=n, signed_on=date(2026, 1, 31), first_due=date(2026, 1, 31)
        )
    except ValueError:
        assert (debt - down) / n < Decimal("0.01") * 2
        return
    assert sum(i.amount for i in items) == debt
    assert all(i.amount > 0 for i in items)
    dues = [i.due_date for i in items]
    assert dues == sorted(dues) and dues[-1] == plans._add_months(date(2026, 1, 31), n - 1)


def test_plan_eligibility():
    policy = plans.PlanPolicy()
    ok = plans.eligibility_problems(
        debt=Decimal("1000"),
        down_payment=Decimal("200"),
        installments=6,
        vulnerable=False,
        has_active_plan=False,
        last_broken_on=None,
        today=date(2026, 5, 1),
        policy=policy,
    )
    assert ok == []
    bad = plans.eligibility_problems(
        debt=Decimal("1000"),
        down_payment=Decimal("50"),
        installments=30,
        vulnerable=False,
        has_active_plan=True,
        last_broken_on=date(2026, 3, 1),
        today=date(2026, 5, 1),
        policy=policy,
    )
    assert len(bad) == 4
    vulnerable = plans.eligibility_problems(
        debt=Decimal("1000"),
        down_payment=Decimal("100"),
        installments=18,
        vulnerable=True,
        has_active_plan=False,
        last_broken_on=None,
        today=date(2026, 5, 1),
        policy=policy,
    )
    assert vulnerable == []
    states = [plans.InstallmentState(1, date(2026, 4, 1), Decimal("10"), Decimal("5"))]
    assert plans.is_broken(installments=states, today=date(2026, 4, 20), grace_days=10)
    assert not plans.is_broken(installments=states, today=date(2026, 4, 5), grace_days=10)


def _standing(tariff="domestico", vulnerable=False, periods=2, plan=False, cut="none"):
    inv = [
        dunning.OverdueInvoice(i, date(2026, i, 1), date(2026, i, 20), Decimal("100")) for i in range(1, periods + 1)
    ]
    return dunning.AccountStanding(tariff, vulnerable, 3, inv, plan, cut)  # type: ignore[arg-type]


def test_dunning_decisions():
    policy, today = dunning.DunningPolicy(), date(2026, 6, 1)
    domestic = dunning.decide(standing=_standing(), policy=policy, today=today)
    assert domestic.cut == "restriction" and "50 litros por persona" in (domestic.notice_es or "")
    assert "150 litros" in (domestic.notice_es or "") and "no se suspende" in (domestic.notice_es or "")
    assert {r.level for r in domestic.reminders} == {1, 2}
    assert dunning.decide(standing=_standing(tariff="comercial"), policy=policy, today=today).cut == "suspension"
    protected = dunning.decide(standing=_standing(vulnerable=True), policy=policy, today=today)
    assert protected.cut is None and protected.protected
    assert dunning.decide(standing=_standing(periods=1), policy=policy, today=today).cut is None
    assert dunning.decide(standing=_standing(cut="pending"), policy=policy, today=today).cut is None
    paid = dunning.decide(standing=_standing(periods=0, cut="executed"), policy=policy, today=today)
    assert paid.reconnect and paid.cut is None
    planned = dunning.decide(standing=_standing(plan=True, cut="pending"), policy=policy, today=today)
    assert planned.cancel_pending_cut and planned.cut is None
