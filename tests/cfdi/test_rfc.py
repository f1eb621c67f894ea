"""RFC format and SAT check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.cfdi.rfc import PersonType, RfcProblem, check_digit, person_type, rfc_problem, with_check_digit

# SAT test-kit RFCs (real check digits computed by SAT).
SAT_TEST_RFCS = ["EKU9003173C9", "CACX7605101P8", "JES900109Q90", "KIJ0906199R1", "IIA040805DZ4", "XIQB891116QE4"]


@pytest.mark.parametrize("rfc", SAT_TEST_RFCS)
def test_sat_test_rfcs_are_valid(rfc: str) -> None:
    assert rfc_problem(rfc=rfc) is None
    assert check_digit(rfc_without_digit=rfc[:-1]) == rfc[-1]


@pytest.mark.parametrize("rfc", ["XAXX010101000", "XEXX010101000"])
def test_generic_rfcs_are_valid(rfc: str) -> None:
    assert rfc_problem(rfc=rfc) is None


@pytest.mark.parametrize(
    ("rfc", "problem"),
    [
        ("EKU9003173C8", RfcProblem.CHECK_DIGIT),
        ("EKU900317", RfcProblem.FORMAT),
        ("EKU9013173C9", RfcProblem.DATE),  # month 13
        ("eku9003173c9", RfcProblem.FORMAT),  # callers upper-case first
        ("EKU9003173C9 ", RfcProblem.FORMAT),
        ("XAXX010101001", RfcProblem.CHECK_DIGIT),  # not the generic one
    ],
)
def test_invalid_rfcs(rfc: str, problem: RfcProblem) -> None:
    assert rfc_problem(rfc=rfc) is problem


def test_person_type_by_length() -> None:
    assert person_type(rfc="EKU9003173C9") is PersonType.MORAL
    assert person_type(rfc="CACX7605101P8") is PersonType.FISICA
    assert person_type(rfc="XAXX010101000") is PersonType.FISICA


_letters = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ&Ñ", min_size=3, max_size=4)
_dates = st.dates().map(lambda d: d.strftime("%y%m%d"))
_homoclave = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=2)


@given(_letters, _dates, _homoclave)
def test_completed_rfcs_validate_and_any_other_digit_fails(letters: str, date: str, homoclave: str) -> None:
    rfc = with_check_digit(rfc_without_digit=letters + date + homoclave)
    assert rfc_problem(rfc=rfc) is None
    for other in "0123456789A":
        if other != rfc[-1]:
            assert rfc_problem(rfc=rfc[:-1] + other) is RfcProblem.CHECK_DIGIT
