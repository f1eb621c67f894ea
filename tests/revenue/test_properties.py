"""Properties of the pure revenue rules under adversarial input: a macro-read batch is accepted only when no meter's
intervals overlap or run backwards (and then every row is returned), monthly supply splits keep each interval's
volume, the balance identity holds, and the what-if statistics stay within their bounds."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.revenue.balance import SectorMonthInputs, balance_of, monthly_supply
from shared.domain.revenue.macro_reads import MacroInterval, MacroReadsRejected, validate_batch
from shared.domain.revenue.months import window
from shared.domain.revenue.settings import RevenueSettings
from shared.domain.revenue.whatif import AccountOutcome, change_distribution

BASE = date(2026, 1, 1)
volumes = st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False)
row = st.tuples(
    st.sampled_from(["M1", "M2"]),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=-3, max_value=60),
    st.integers(min_value=0, max_value=5000),
    st.integers(min_value=-50, max_value=5000),
)


def _csv(meter, start_day, length, start, delta):
    return {
        "sector": "S01",
        "meter": meter,
        "read_from": (BASE + timedelta(days=start_day)).isoformat(),
        "read_to": (BASE + timedelta(days=start_day + length)).isoformat(),
        "start_read": str(start),
        "end_read": str(start + delta),
    }


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=8))
def test_a_batch_is_accepted_only_when_consistent(rows):
    batch = [_csv(*r) for r in rows]
    try:
        accepted = validate_batch(rows=batch, sectors={"S01": 1}, stored=[])
    except MacroReadsRejected as rejected:
        assert rejected.problems and all(2 <= p.row < 2 + len(batch) for p in rejected.problems)
        return
    assert len(accepted) == len(batch)
    for meter in ("M1", "M2"):
        mine = sorted((r for r in accepted if r.meter_code == meter), key=lambda r: r.read_from)
        assert all(r.read_to > r.read_from and r.end_value >= r.start_value for r in mine)
        for a, b in itertools.pairwise(mine):
            assert b.read_from >= a.read_to and b.start_value >= a.end_value


@settings(max_examples=300, deadline=None)
@given(start=st.integers(min_value=0, max_value=330), length=st.integers(min_value=1, max_value=400), volume=volumes)
def test_monthly_supply_keeps_the_interval_volume(start, length, volume):
    r = MacroInterval(
        "S01", "M", BASE + timedelta(days=start), BASE + timedelta(days=start + length), Decimal(0), volume
    )
    months = window(last=date(2028, 1, 1), months=26)
    pieces = monthly_supply(intervals=[r], months=months)
    assert sum(pieces.values(), Decimal(0)) == volume
    assert all(v >= 0 for v in pieces.values()) or volume == 0


@settings(max_examples=300, deadline=None)
@given(supplied=volumes, metered=volumes, estimated=volumes, unbilled=volumes)
def test_the_balance_identity_holds(supplied, metered, estimated, unbilled):
    b = balance_of(
        inputs=SectorMonthInputs("S01", BASE, supplied, metered, estimated, unbilled, True), settings=RevenueSettings()
    )
    assert b.supplied_m3 == b.billed_authorised_m3 + b.unbilled_authorised_m3 + b.nrw_m3
    assert b.nrw_m3 == b.apparent_losses_m3 + b.real_losses_m3
    assert b.iwa_nrw_m3 == b.nrw_m3 + b.unbilled_authorised_m3
    assert ("billed_exceeds_supplied" in b.warnings) == (b.nrw_m3 < 0)


money = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(money, money), min_size=1, max_size=60))
def test_bill_change_statistics_are_bounded(pairs):
    rows = [AccountOutcome(i, "domestico", "S01", False, 1, Decimal(1), a, b) for i, (a, b) in enumerate(pairs)]
    d = change_distribution(rows)
    measured = [r for r in rows if r.real_total > 0]
    assert d["accounts"] == len(measured)
    if measured:
        deciles = [Decimal(v) for v in d["deciles_pct"].values()]
        assert deciles == sorted(deciles) and Decimal(d["min_pct"]) <= deciles[0] <= deciles[-1] <= Decimal(
            d["max_pct"]
        )
        assert 0 <= Decimal(d["share_above_25pct"]) <= Decimal(d["share_above_10pct"]) <= 1
