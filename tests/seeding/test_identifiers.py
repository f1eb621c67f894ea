"""RFC, CURP, CLABE and payment-reference generation: known published answers and properties."""

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.seeding import catalog
from devtools.seeding.identifiers import (
    clabe_check_digits,
    homoclave,
    luhn_check_digits,
    make_curp,
    make_rfc_fisica,
    make_rfc_moral,
)
from shared.domain.cfdi.rfc import rfc_problem
from shared.domain.identity.curp import curp_problem
from shared.domain.payments.references import clabe_check_digit, reference_check_digit


def test_sat_example_rfc_homoclave_and_check_digit():
    # SAT's worked example: Emma Gómez Díaz, born 1956-12-31 -> GODE561231GR8.
    assert homoclave("GOMEZ DIAZ EMMA") == "GR"
    assert make_rfc_fisica(paternal="Gómez", maternal="Díaz", given="Emma", birth=dt.date(1956, 12, 31)) == (
        "GODE561231GR8"
    )


def test_renapo_example_curp():
    # Luis Raúl Bello Mena, man, born 1992-03-13 in the Estado de México -> BEML920313HMCLNS09.
    curp = make_curp(
        paternal="Bello", maternal="Mena", given="Luis Raúl", birth=dt.date(1992, 3, 13), sex="H", state="MC"
    )
    assert curp == "BEML920313HMCLNS09"
    assert curp_problem(curp=curp) is None
    assert curp_problem(curp="BEML920313HMCLNS08") is not None


def test_curp_rules_compound_names_inconvenient_words_and_2000s_births():
    assert (
        make_curp(
            paternal="Pérez", maternal="López", given="María Guadalupe", birth=dt.date(1990, 1, 1), sex="M", state="QT"
        )[:4]
        == "PELG"
    )
    # BUEY is on the inconvenient-words list: the second letter becomes X.
    assert (
        make_curp(
            paternal="Buendía", maternal="Estrada", given="Yolanda", birth=dt.date(1980, 5, 5), sex="M", state="QT"
        )[:4]
        == "BXEY"
    )
    born_2003 = make_curp(
        paternal="Soto", maternal="Rico", given="Mateo", birth=dt.date(2003, 7, 9), sex="H", state="QT"
    )
    assert born_2003[16].isalpha() and curp_problem(curp=born_2003) is None


def test_known_clabe_and_luhn_answers_of_the_vectorised_versions():
    assert clabe_check_digits(np.array([[int(c) for c in "03218000011835971"]]))[0] == 9  # Banxico's example
    assert luhn_check_digits(np.array([[int(c) for c in "7992739871"]]))[0] == 3  # classic Luhn 79927398713


names = st.tuples(
    st.sampled_from(catalog.SURNAMES),
    st.sampled_from(catalog.SURNAMES),
    st.sampled_from(catalog.MALE_NAMES + catalog.FEMALE_NAMES),
)
dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2012, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    names=names,
    birth=dates,
    state=st.sampled_from([s for s, _ in catalog.BIRTH_STATES]),
    sex=st.sampled_from("HM"),
    diff=st.integers(0, 40),
)
def test_generated_rfc_and_curp_are_valid(names, birth, state, sex, diff):
    paternal, maternal, given_name = names
    rfc = make_rfc_fisica(paternal=paternal, maternal=maternal, given=given_name, birth=birth)
    assert len(rfc) == 13 and rfc_problem(rfc=rfc) is None
    assert rfc[4:10] == f"{birth:%y%m%d}"
    curp = make_curp(
        paternal=paternal,
        maternal=maternal,
        given=given_name,
        birth=birth,
        sex=sex,
        state=state,
        differentiator_index=diff,
    )
    assert curp_problem(curp=curp) is None
    assert curp[4:10] == rfc[4:10] and curp[10] == sex and curp[11:13] == state
    tampered = curp[:17] + str((int(curp[17]) + 1) % 10)
    assert curp_problem(curp=tampered) is not None


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(catalog.BUSINESS_KINDS + catalog.INDUSTRY_KINDS),
    owner=st.sampled_from(catalog.SURNAMES),
    suffix=st.sampled_from(catalog.BUSINESS_SUFFIXES),
    day=dates,
)
def test_generated_moral_rfc_is_valid(kind, owner, suffix, day):
    rfc = make_rfc_moral(legal_name=f"{kind} {owner} {suffix}", incorporated=day)
    assert len(rfc) == 12 and rfc_problem(rfc=rfc) is None


@settings(max_examples=100, deadline=None)
@given(body=st.lists(st.integers(0, 9), min_size=17, max_size=17))
def test_vectorised_check_digits_match_the_scalar_ones(body):
    text = "".join(map(str, body))
    array = np.array([body])
    assert str(clabe_check_digits(array)[0]) == clabe_check_digit(body=text)
    assert str(luhn_check_digits(array)[0]) == reference_check_digit(body=text)
    assert str(luhn_check_digits(array[:, 6:])[0]) == reference_check_digit(body=text[6:])
