"""Pure rules: RFC/CURP check digits and masking, payment identifiers, work-order and fraud workflows, the ARCO
clock in business days and the retention of blocked data."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.casework import arco, fraud, work_orders
from shared.domain.cfdi.rfc import with_check_digit as rfc_with_digit
from shared.domain.identity.curp import CurpProblem, curp_problem
from shared.domain.identity.curp import with_check_digit as curp_with_digit
from shared.domain.identity.operations import InvalidIdentifier, mask_curp, mask_rfc, validate_curp, validate_rfc
from shared.domain.identity.references import account_identifiers, clabe_is_valid, luhn_check_digit

LETTERS = st.text(string.ascii_uppercase, min_size=1, max_size=1)
CONSONANTS = st.sampled_from("BCDFGHJKLMNPQRSTVWXYZ")
BIRTH = st.dates(min_value=date(1930, 1, 1), max_value=date(2019, 12, 31))


@st.composite
def curp17(draw: st.DrawFn) -> str:
    born = draw(BIRTH)
    head = draw(LETTERS) + draw(st.sampled_from("AEIOUX")) + draw(LETTERS) + draw(LETTERS)
    diff = draw(st.sampled_from("0123456789")) if born.year < 2000 else draw(LETTERS)
    return (
        f"{head}{born:%y%m%d}{draw(st.sampled_from('HM'))}{draw(st.sampled_from(['QT', 'DF', 'NE', 'JC']))}"
        f"{draw(CONSONANTS)}{draw(CONSONANTS)}{draw(CONSONANTS)}{diff}"
    )


@given(curp17())
def test_every_generated_curp_validates_and_any_changed_check_digit_fails(body: str) -> None:
    curp = curp_with_digit(curp17=body)
    assert curp_problem(curp=curp) is None
    assert validate_curp(curp=curp.lower()) == curp
    wrong = curp[:17] + str((int(curp[17]) + 1) % 10)
    assert curp_problem(curp=wrong) is CurpProblem.CHECK_DIGIT


def test_curp_problems_are_specific() -> None:
    good = curp_with_digit(curp17="LOMA850315MQTPRN0")
    assert curp_problem(curp=good[:4] + "851315" + good[10:]) in (CurpProblem.DATE, CurpProblem.CHECK_DIGIT)
    assert curp_problem(curp="LOMA850315MZZPRN04") is CurpProblem.STATE
    assert curp_problem(curp="NOT-A-CURP") is CurpProblem.FORMAT


def test_rfc_validation_uses_the_sat_check_digit_and_person_type() -> None:
    fisica = rfc_with_digit(rfc_without_digit="LOMA850315H2")
    moral = rfc_with_digit(rfc_without_digit="CEQ850101AA")
    assert validate_rfc(rfc=fisica, kind="fisica") == fisica
    assert validate_rfc(rfc=moral, kind="moral") == moral
    with pytest.raises(InvalidIdentifier) as wrong_type:
        validate_rfc(rfc=moral, kind="fisica")
    assert wrong_type.value.code == "rfc_person_type_mismatch"
    bad_digit = fisica[:-1] + ("1" if fisica[-1] != "1" else "2")
    with pytest.raises(InvalidIdentifier) as bad:
        validate_rfc(rfc=bad_digit)
    assert bad.value.code == "invalid_rfc_check_digit" and "dígito" in bad.value.message_es


def test_masks_keep_only_the_ends() -> None:
    assert mask_rfc(rfc="LOMA850315H28") == "LOMA******H28"
    assert mask_curp(curp="LOMA850315MQTPRN04") == "LOMA************04"


@given(st.integers(min_value=1, max_value=10**8 - 1))
def test_account_identifiers_carry_valid_check_digits(account_id: int) -> None:
    ids = account_identifiers(account_id=account_id)
    ref = ids["payment_reference"]
    assert len(ref) == 12 and luhn_check_digit(digits=ref[:-1]) == ref[-1]
    assert clabe_is_valid(clabe=ids["clabe"]) and len(ids["account_number"]) == 9


def test_work_order_workflow_and_sla() -> None:
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert work_orders.due_at(kind="reconnection", priority="normal", created_at=now) == now + timedelta(hours=24)
    assert work_orders.due_at(kind="leak_report", priority="urgent", created_at=now) == now + timedelta(hours=6)
    assert work_orders.transition(current="assigned", target="in_progress", assigned_to=None, now=now) == {
        "status": "in_progress",
        "started_at": now,
    }
    with pytest.raises(work_orders.AssigneeRequired):
        work_orders.transition(current="open", target="assigned", assigned_to=None, now=now)
    with pytest.raises(work_orders.InvalidTransition):
        work_orders.transition(current="done", target="open", assigned_to=None, now=now)


def test_fraud_back_billing_only_when_confirming_and_rounded() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    changes = fraud.transition(
        current="investigating",
        target="confirmed",
        outcome="Toma clandestina",
        back_billing_amount=Decimal("1234.565"),
        now=now,
    )
    assert changes["back_billing_amount"] == Decimal("1234.57")
    with pytest.raises(fraud.BackBillingNotAllowed):
        fraud.transition(
            current="investigating", target="dismissed", outcome="x", back_billing_amount=Decimal(1), now=now
        )
    with pytest.raises(fraud.OutcomeRequired):
        fraud.transition(current="investigating", target="confirmed", outcome=None, back_billing_amount=None, now=now)


def test_arco_answer_due_counts_business_days_and_rest_days() -> None:
    # Received Friday 2026-03-13; Monday 16 March 2026 is a rest day (third Monday of March).
    due = arco.answer_due(received_on=date(2026, 3, 13))
    assert due == date(2026, 4, 13)
    assert arco.answer_due(received_on=date(2026, 3, 13), extra_holidays=[date(2026, 4, 2)]) == date(2026, 4, 14)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
def test_answer_due_is_a_business_day_with_exactly_20_business_days_between(received: date) -> None:
    due = arco.answer_due(received_on=received)
    assert arco.is_business_day(day=due)
    days = [received + timedelta(days=i) for i in range(1, (due - received).days + 1)]
    assert sum(arco.is_business_day(day=d) for d in days) == arco.ANSWER_BUSINESS_DAYS


def test_the_answer_term_is_extended_once_by_ten_business_days_before_it_ends() -> None:
    due = date(2026, 4, 13)  # Monday
    new = arco.extended_due(status="received", due_on=due, already_extended=False, today=date(2026, 4, 10))
    assert new == date(2026, 4, 27)  # ten business days after the original due date
    assert arco.extended_due(
        status="identity_verified", due_on=due, already_extended=False, today=due, extra_holidays=[date(2026, 4, 20)]
    ) == date(2026, 4, 28)
    for status, extended, today, reason in [
        ("received", True, date(2026, 4, 1), "already_extended"),
        ("completed", False, date(2026, 4, 1), "closed"),
        ("denied", False, date(2026, 4, 1), "closed"),
        ("received", False, date(2026, 4, 14), "term_ended"),
    ]:
        with pytest.raises(arco.ExtensionRefused) as refused:
            arco.extended_due(status=status, due_on=due, already_extended=extended, today=today)
        assert refused.value.reason == reason


def test_retention_runs_five_years_from_the_last_fiscal_record() -> None:
    assert arco.retain_until(blocked_on=date(2026, 5, 1), last_fiscal_record=date(2026, 4, 1)) == date(2031, 4, 1)
    assert arco.retain_until(blocked_on=date(2026, 5, 1), last_fiscal_record=None) == date(2026, 5, 1)
    assert arco.retain_until(blocked_on=date(2026, 5, 1), last_fiscal_record=date(2024, 2, 29)) == date(2029, 3, 1)
