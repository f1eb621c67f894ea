"""Inspection candidates from explainable signals, work orders from the list, the outcome feeding a fraud case,
and back-billing / credits priced month by month (checked against amounts computed by hand from the tariff file)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from psycopg.types.json import Jsonb

from shared.application.operations import work_orders
from shared.application.revenue import inspections
from shared.domain.errors import Conflict
from tests.billing.builders import add_account, make_utility, monthly
from tests.revenue.helpers import issued_invoice, principal

NOW = datetime(2026, 11, 5, 12, tzinfo=UTC)
OCT = date(2026, 10, 1)
START = date(2025, 10, 1)  # 13 monthly reads: Oct 2025 .. Oct 2026 → 12 months of consumption


def cumulative(per_month):
    out, total = [], 1000
    for m3 in [0, *per_month]:
        total += m3
        out.append(total)
    return monthly(START, out)


@pytest.fixture
def town(fresh_db):
    u = make_utility(fresh_db, "cea-insp", sectors=("S01", "S02"))
    u.p = principal(u.tenant_id, u.slug)
    u.normal = [add_account(fresh_db, u, sector="S01", reads=cumulative([20 + i % 3] * 12)) for i in range(10)]
    u.drop = add_account(fresh_db, u, sector="S01", reads=cumulative([22] * 9 + [3, 2, 3]))
    u.zero = add_account(fresh_db, u, sector="S01", reads=cumulative([18] * 8 + [0, 0, 0, 0]))
    u.vacant = add_account(fresh_db, u, sector="S01", reads=cumulative([0] * 12))
    reads = cumulative([20] * 12)
    reads[7] = (reads[7][0], reads[6][1] - 40)  # the register turned back 40 m³ below the previous read
    u.reversed = add_account(fresh_db, u, sector="S02", reads=reads)
    return u


def test_candidates_are_the_planted_accounts_with_their_evidence(fresh_db, town):
    found = inspections.inspection_candidates(principal=town.p, period=OCT)
    assert found.accounts_scanned == 14
    by_account = {c.account_id: c for c in found.candidates}
    assert set(by_account) == {town.drop, town.zero, town.reversed}
    drop = {s.code: s for s in by_account[town.drop].signals}
    assert "sudden_drop" in drop and drop["sudden_drop"].evidence["baseline_m3"] == "22.000"
    assert drop["sudden_drop"].evidence["recent_avg_m3"] == "2.667"
    assert "low_vs_peers" in drop  # 2.7 m³ against a median of 21 m³ among 10+ peers
    zero = {s.code: s for s in by_account[town.zero].signals}
    assert zero["zero_streak"].evidence == {"months_at_zero": 4, "avg_before_m3": "18.000"}
    assert {s.code for s in by_account[town.reversed].signals} == {"reversed_meter"}
    assert [c.score for c in found.candidates] == sorted((c.score for c in found.candidates), reverse=True)


def test_thresholds_are_per_tenant(fresh_db, town):
    with fresh_db.owner() as conn:
        conn.execute(
            "UPDATE tenants SET config = %s WHERE id = %s",
            (Jsonb({"revenue": {"thresholds": {"zero_streak_months": 5}}}), town.tenant_id),
        )
    found = {c.account_id: c for c in inspections.inspection_candidates(principal=town.p, period=OCT).candidates}
    assert {s.code for s in found[town.zero].signals} == {"sudden_drop"}  # 4 months at zero < 5: no zero streak
    assert found[town.zero].score == Decimal("4.500")  # 3 × (0.5 + a 100 % drop)
    with fresh_db.owner() as conn:
        conn.execute(
            "UPDATE tenants SET config = %s WHERE id = %s",
            (Jsonb({"revenue": {"thresholds": {"zero_streak_months": 5, "min_score": "4.6"}}}), town.tenant_id),
        )
    found = {c.account_id: c for c in inspections.inspection_candidates(principal=town.p, period=OCT).candidates}
    assert set(found) == {town.drop}


def start_inspection(town, work_order_id):
    work_orders.change_status(
        principal=town.p, work_order_id=work_order_id, status="assigned", assigned_to="insp-1", now=NOW
    )
    work_orders.change_status(
        principal=town.p, work_order_id=work_order_id, status="in_progress", assigned_to=None, now=NOW
    )


def test_confirmed_fraud_back_bills_each_month_with_its_tariff_and_the_surcharge(fresh_db, town):
    with fresh_db.owner() as conn:
        conn.execute(
            "UPDATE tenants SET config = %s WHERE id = %s",
            (Jsonb({"revenue": {"back_billing_surcharge": "0.10"}}), town.tenant_id),
        )
    months = [date(2026, 8, 1), date(2026, 9, 1), OCT]
    for m in months:
        issued_invoice(fresh_db, town.tenant_id, account_id=town.drop, period=m, m3="3", total="61.50")
    created = inspections.create_inspection_orders(principal=town.p, period=OCT, account_ids=[town.drop], now=NOW)
    again = inspections.create_inspection_orders(principal=town.p, period=OCT, account_ids=[town.drop], now=NOW)
    assert created["work_order_ids"] == again["work_order_ids"] and len(created["work_order_ids"]) == 1
    wo = created["work_order_ids"][0]
    with pytest.raises(Conflict):  # not inspected yet
        inspections.record_inspection_outcome(
            principal=town.p,
            work_order_id=wo,
            outcome="fraud_confirmed",
            assessed=[(m, Decimal(20)) for m in months],
            notes="",
            now=NOW,
        )
    start_inspection(town, wo)
    result = inspections.record_inspection_outcome(
        principal=town.p,
        work_order_id=wo,
        outcome="fraud_confirmed",
        assessed=[(m, Decimal(20)) for m in months],
        notes="Derivación antes del medidor",
        now=NOW,
    )
    # by hand (Domestico 2026): 20 m³ = 10×5.50 + 10×8.75 + 45 fixed = 187.50; 3 m³ = 16.50 + 45 = 61.50
    # 3 months × 126.00 = 378.00, surcharge 10 % = 37.80 → 415.80
    assert result["amount"] == "415.80" and result["assessment"]["surcharge"] == "37.80"
    assert [m["difference"] for m in result["assessment"]["months"]] == ["126.00"] * 3
    with fresh_db.owner() as conn:
        case = conn.execute(
            "SELECT status, source, back_billing_amount FROM fraud_cases WHERE id = %s", (result["fraud_case_id"],)
        ).fetchone()
        assert case == ("closed", "inspection", Decimal("415.80"))
        adj = conn.execute("SELECT amount, natural_key FROM adjustments WHERE account_id = %s", (town.drop,)).fetchall()
        assert adj == [(Decimal("415.80"), f"fraud-back-billing:{result['fraud_case_id']}")]
        assert conn.execute("SELECT status FROM work_orders WHERE id = %s", (wo,)).fetchone()[0] == "done"
    repeat = inspections.record_inspection_outcome(
        principal=town.p,
        work_order_id=wo,
        outcome="fraud_confirmed",
        assessed=[(m, Decimal(20)) for m in months],
        notes="",
        now=NOW,
    )
    assert repeat["amount"] == "415.80"
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM adjustments").fetchone()[0] == 1
    with pytest.raises(Conflict):
        inspections.record_inspection_outcome(
            principal=town.p, work_order_id=wo, outcome="no_finding", assessed=[], notes="", now=NOW
        )


def test_a_fast_meter_credits_the_over_billed_invoices(fresh_db, town):
    months = [date(2026, 9, 1), OCT]
    invoices = [
        issued_invoice(fresh_db, town.tenant_id, account_id=town.zero, period=m, m3="20", total="187.50")
        for m in months
    ]
    wo = inspections.create_inspection_orders(principal=town.p, period=OCT, account_ids=[town.zero], now=NOW)[
        "work_order_ids"
    ][0]
    start_inspection(town, wo)
    result = inspections.record_inspection_outcome(
        principal=town.p,
        work_order_id=wo,
        outcome="meter_fault",
        assessed=[(m, Decimal(3)) for m in months],
        notes="Medidor adelantado",
        now=NOW,
    )
    assert result["amount"] == "-252.00" and len(result["credits"]) == 2
    with fresh_db.owner() as conn:
        rows = conn.execute("SELECT invoice_id, amount FROM adjustments ORDER BY invoice_id").fetchall()
        assert rows == [(invoices[0], Decimal("-126.00")), (invoices[1], Decimal("-126.00"))]
        events = conn.execute("SELECT count(*) FROM domain_events WHERE event_type = 'adjustment.credited'")
        assert events.fetchone()[0] == 2  # each becomes an Egreso through the CFDI consumer
        case = conn.execute(
            "SELECT status, outcome FROM fraud_cases WHERE id = %s", (result["fraud_case_id"],)
        ).fetchone()
        assert case[0] == "closed" and case[1].startswith("Falla de medidor")
