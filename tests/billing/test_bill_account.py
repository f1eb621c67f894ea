"""bill_account: actual reads, rollover, estimation, true-up credits, exceptions, late fees, traces."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.billing.model import AccountToBill, BillingPolicy, PriorBill, Read
from shared.domain.billing.operations import bill_account
from shared.domain.readings.model import EstimationPolicy, PeerAverage, Period
from shared.domain.tariffs.operations import quote
from shared.domain.tariffs.schema import parse_schedule

TARIFFS = Path(__file__).resolve().parents[2] / "shared" / "data" / "tariffs"
DOMESTICO = parse_schedule((TARIFFS / "domestico_2026.json").read_text())
MARCH = Period(start=date(2026, 3, 1), end=date(2026, 4, 1))


def price(m3: Decimal):
    return quote(schedule=DOMESTICO, m3=m3, on=MARCH.start)


def account(reads=(), prior=(), balance="0", dials=5, initial="0"):
    return AccountToBill(
        account_id=1,
        tariff_class="domestico",
        sector="S01",
        dials=dials,
        installed_on=date(2024, 1, 10),
        initial_read=Decimal(initial),
        reads=tuple(reads),
        prior_bills=tuple(prior),
        previous_balance=Decimal(balance),
    )


def bill(acc, peers=None, policy=BillingPolicy()):
    return bill_account(
        account=acc,
        period=MARCH,
        schedule=DOMESTICO,
        price=price,
        peers=peers,
        estimation_policy=EstimationPolicy(),
        billing_policy=policy,
    )


def monthly_reads(values, start_month=1, year=2026, day=20):
    return [Read(read_on=date(year, start_month + i, day), value=Decimal(v)) for i, v in enumerate(values)]


def test_actual_read_bills_consumption_since_previous_actual():
    draft = bill(account(monthly_reads([100, 112, 137])))  # Jan, Feb, Mar reads → March used 25 m³
    assert draft.consumption_m3 == Decimal(25)
    assert not draft.estimated and not draft.held
    assert draft.total == Decimal("260.00")  # golden Domestico 2026 at 25 m³
    water = [line for line in draft.lines if line.code == "agua"]
    assert [line.trace["block"]["block"] for line in water] == [1, 2, 3]
    assert water[0].trace["consumption"]["reads_used"]["current"]["value"] == "137"
    assert water[0].trace["tariff"]["name"] == "Domestico 2026"


def test_rollover_is_explained_by_the_dials():
    draft = bill(account(monthly_reads([99990, 99995, 8]), dials=5))
    assert draft.consumption_m3 == Decimal(13)
    assert draft.lines[0].trace["consumption"]["rollover"] is True


def test_impossible_negative_consumption_is_held_and_estimated():
    reads = monthly_reads([500, 520, 540, 560, 580, 600, 620, 640, 660, 680, 700, 720], start_month=1, year=2025)
    reads += monthly_reads([740, 760, 100])
    draft = bill(account(reads))
    assert draft.held and "NEGATIVE_CONSUMPTION" in draft.exception_codes
    assert draft.estimated and draft.consumption_m3 > 0


def test_missing_read_is_estimated_from_history_with_its_method():
    reads = monthly_reads([0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220], start_month=1, year=2025)
    reads += monthly_reads([240, 260])  # nothing in March 2026
    draft = bill(account(reads))
    assert draft.estimated and not draft.held
    assert draft.consumption_m3 > 0
    trace = draft.lines[0].trace["consumption"]
    assert trace["method"] == "estimated"
    assert trace["estimation_method"] in {"same_period_last_year", "average_last_n"}


def test_no_history_uses_peers_else_is_held():
    peers = PeerAverage(sector="S01", tariff_class="domestico", m3_per_day=Decimal("0.5"), accounts=50)
    assert bill(account(), peers=peers).lines[0].trace["consumption"]["estimation_method"] == "class_average"
    held = bill(account())
    assert held.held and "CANNOT_ESTIMATE" in held.exception_codes


def test_over_estimate_becomes_a_credit_line_not_a_rollover():
    reads = monthly_reads([100]) + [Read(read_on=date(2026, 3, 20), value=Decimal(110))]  # Jan read, Mar read
    prior = [PriorBill(period=date(2026, 2, 1), m3=Decimal(30), estimated=True)]  # Feb estimated 30
    draft = bill(account(reads, prior))
    assert draft.consumption_m3 == 0
    credit = [line for line in draft.lines if line.code == "credito_estimacion"]
    assert len(credit) == 1 and credit[0].amount < 0
    assert credit[0].quantity == Decimal(20)


def test_under_estimate_is_trued_up():
    reads = monthly_reads([100]) + [Read(read_on=date(2026, 3, 20), value=Decimal(150))]
    prior = [PriorBill(period=date(2026, 2, 1), m3=Decimal(20), estimated=True)]
    draft = bill(account(reads, prior))
    assert draft.consumption_m3 == Decimal(30)  # 50 used since January's read, 20 already billed


def test_read_exception_holds_the_invoice():
    reads = monthly_reads([100, 112]) + [
        Read(read_on=date(2026, 3, 20), value=Decimal(400), status="exception", exception_codes=("HIGH_CONSUMPTION",))
    ]
    draft = bill(account(reads))
    assert draft.held
    assert draft.exception_codes[:2] == ("READ_EXCEPTION", "HIGH_CONSUMPTION")


def test_late_fee_on_previous_balance_when_configured():
    draft = bill(
        account(monthly_reads([100, 112, 122]), balance="500.00"), policy=BillingPolicy(late_fee_rate=Decimal("0.02"))
    )
    fee = [line for line in draft.lines if line.code == "recargo"]
    assert fee[0].amount == Decimal("10.00")
    assert draft.previous_balance == Decimal("500.00")
    assert bill(account(monthly_reads([100, 112, 122]), balance="500.00")).lines[-1].code != "recargo"


@settings(max_examples=200, deadline=None)
@given(
    prev=st.integers(min_value=0, max_value=5000),
    used=st.integers(min_value=0, max_value=400),
    balance=st.decimals(min_value=0, max_value=10000, places=2),
)
def test_totals_are_sums_of_rounded_lines(prev, used, balance):
    reads = monthly_reads([prev, prev + used // 2, prev + used])
    draft = bill(account(reads, balance=str(balance)), policy=BillingPolicy(late_fee_rate=Decimal("0.0125")))
    assert draft.subtotal == sum((line.amount for line in draft.lines), Decimal(0))
    assert draft.tax_total == sum((line.tax_amount for line in draft.lines), Decimal(0))
    assert draft.total == draft.subtotal + draft.tax_total
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) for line in draft.lines)


@pytest.mark.parametrize("used,total", [(0, "45.00"), (10, "100.00"), (40, "477.50"), (120, "2237.50")])
def test_golden_totals_through_billing(used, total):
    assert bill(account(monthly_reads([1000, 1000, 1000 + used]))).total == Decimal(total)
