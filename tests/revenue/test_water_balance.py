"""Sector water balance: macro-read import (whole batch or nothing, row-numbered errors), the balance arithmetic
against hand-computed sectors, the ranking, the 12-month trend, CSV and PNG."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from psycopg.types.json import Jsonb

from shared.application import revenue
from shared.domain.errors import Forbidden
from shared.domain.revenue.balance import monthly_supply
from shared.domain.revenue.macro_reads import MacroInterval, MacroReadsRejected, UnbilledRejected
from tests.billing.builders import add_account, make_utility
from tests.revenue.helpers import issued_invoice, principal

NOW = datetime(2026, 11, 5, 12, tzinfo=UTC)
OCT, SEP = date(2026, 10, 1), date(2026, 9, 1)


def row(sector, meter, read_from, read_to, start, end):
    return {
        "sector": sector,
        "meter": meter,
        "read_from": read_from,
        "read_to": read_to,
        "start_read": str(start),
        "end_read": str(end),
    }


@pytest.fixture
def utility(fresh_db):
    u = make_utility(fresh_db, "cea-rev", sectors=("S01", "S02", "S03"))
    with fresh_db.owner() as conn:
        conn.execute(
            "UPDATE tenants SET config = %s WHERE id = %s",
            (Jsonb({"revenue": {"meter_under_registration": "0.04", "unauthorised_use": "0.01"}}), u.tenant_id),
        )
    a1 = add_account(fresh_db, u, sector="S01", reads=[])
    a2 = add_account(fresh_db, u, sector="S01", reads=[])
    a3 = add_account(fresh_db, u, sector="S02", reads=[])
    for period in (SEP, OCT):
        issued_invoice(fresh_db, u.tenant_id, account_id=a1, period=period, m3="6000")
        issued_invoice(fresh_db, u.tenant_id, account_id=a2, period=period, m3="1500", estimated=True)
        issued_invoice(fresh_db, u.tenant_id, account_id=a3, period=period, m3="9000")
    u.p = principal(u.tenant_id, u.slug)
    return u


def count_reads(db):
    with db.owner() as conn:
        return conn.execute("SELECT count(*) FROM macro_meter_reads").fetchone()[0]


def test_monthly_supply_splits_an_interval_by_days_and_keeps_its_total():
    r = MacroInterval("S01", "M1", date(2026, 9, 16), date(2026, 10, 16), Decimal(0), Decimal("3000.000"))
    split = monthly_supply(intervals=[r], months=[SEP, OCT])
    # 15 days in September, 15 in October of a 30-day interval
    assert split == {("S01", SEP): Decimal("1500.000"), ("S01", OCT): Decimal("1500.000")}
    odd = MacroInterval("S01", "M1", date(2026, 9, 30), date(2026, 10, 3), Decimal(0), Decimal("1.000"))
    pieces = monthly_supply(intervals=[odd], months=[SEP, OCT])
    assert pieces[("S01", SEP)] == Decimal("0.333") and sum(pieces.values()) == Decimal("1.000")


def test_balance_matches_hand_computed_sectors(fresh_db, utility):
    revenue.import_macro_reads(
        principal=utility.p,
        rows=[
            row("S01", "MM-1", "2026-09-01", "2026-10-01", 0, 9000),
            row("S01", "MM-1", "2026-10-01", "2026-11-01", 9000, 19000),
            row("S02", "MM-2", "2026-10-01", "2026-11-01", 500, 12500),
        ],
        batch="b1",
        now=NOW,
    )
    revenue.record_unbilled(
        principal=utility.p,
        rows=[
            {"sector": "S01", "period": "2026-10", "category": "fire_fighting", "volume_m3": "200"},
            {"sector": "S01", "period": "2026-10", "category": "mains_flushing", "volume_m3": "300"},
        ],
        now=NOW,
    )
    report = revenue.water_balance(principal=utility.p, period=OCT)
    s1 = next(b for b in report.balances if b.sector == "S01" and b.period == OCT)
    # supplied 10000; billed 6000 metered + 1500 estimated; unbilled 500 → NRW 2000 = 20 %
    assert (s1.supplied_m3, s1.billed_metered_m3, s1.billed_estimated_m3) == (10000, 6000, 1500)
    assert s1.unbilled_authorised_m3 == 500 and s1.nrw_m3 == 2000 and s1.nrw_pct == Decimal("20.00")
    assert s1.iwa_nrw_m3 == 2500 and s1.iwa_nrw_pct == Decimal("25.00")
    # under-registration 6000 × 0.04 / 0.96 = 250; unauthorised 1 % of 10000 = 100; real = 2000 − 350
    assert s1.meter_under_registration_m3 == Decimal("250.000") and s1.unauthorised_use_m3 == Decimal("100.000")
    assert s1.apparent_losses_m3 == 350 and s1.real_losses_m3 == 1650 and s1.warnings == ()
    s2 = next(b for b in report.balances if b.sector == "S02" and b.period == OCT)
    assert s2.supplied_m3 == 12000 and s2.nrw_m3 == 3000 and s2.nrw_pct == Decimal("25.00")
    s3 = next(b for b in report.balances if b.sector == "S03" and b.period == OCT)
    assert s3.warnings == ("no_macro_reads",) and s3.nrw_pct is None
    assert [r.sector for r in report.ranking] == ["S02", "S01", "S03"]
    s1_sep = next(b for b in report.balances if b.sector == "S01" and b.period == SEP)
    assert s1_sep.nrw_m3 == 1500  # 9000 − 7500, no unbilled in September
    assert next(r for r in report.ranking if r.sector == "S01").pct_change_points == Decimal("20.00") - Decimal("16.67")
    assert len(report.months) == 12 and len(report.balances) == 36
    table = list(csv.DictReader(io.StringIO(revenue.balance_csv(report))))
    assert len(table) == 36
    assert {r["nrw_m3"] for r in table if r["sector"] == "S01" and r["period"] == "2026-10"} == {"2000.000"}
    png = revenue.balance_png(report, sector="S01")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_a_backwards_or_overlapping_batch_is_refused_whole_with_its_rows(fresh_db, utility):
    revenue.import_macro_reads(
        principal=utility.p, rows=[row("S01", "MM-1", "2026-09-01", "2026-10-01", 0, 9000)], batch="b1", now=NOW
    )
    bad = [
        row("S02", "MM-2", "2026-10-01", "2026-11-01", 500, 12500),  # fine alone
        row("S01", "MM-1", "2026-09-20", "2026-10-20", 9000, 9500),  # overlaps the stored September interval
        row("S01", "MM-1", "2026-10-20", "2026-11-01", 9400, 9800),  # register back from 9500 to 9400
        row("S02", "MM-3", "2026-10-01", "2026-11-01", 800, 700),  # end below start
        row("S09", "MM-4", "2026-10-01", "2026-11-01", 1, 2),  # unknown sector
    ]
    with pytest.raises(MacroReadsRejected) as raised:
        revenue.import_macro_reads(principal=utility.p, rows=bad, batch="b2", now=NOW)
    found = {(p.row, p.code) for p in raised.value.problems}
    assert found == {
        (3, "overlapping_interval"),
        (4, "read_goes_backwards"),
        (5, "read_goes_backwards"),
        (6, "unknown_sector"),
    }
    assert "fila 3" in raised.value.detail_es
    assert count_reads(fresh_db) == 1  # nothing of the batch was written


def test_resending_a_batch_is_a_no_op_and_a_period_without_reads_is_a_clear_error(fresh_db, utility):
    rows = [row("S01", "MM-1", "2026-09-01", "2026-10-01", 0, 9000)]
    assert revenue.import_macro_reads(principal=utility.p, rows=rows, batch="b1", now=NOW)["written"] == 1
    again = revenue.import_macro_reads(principal=utility.p, rows=rows, batch="b1-again", now=NOW)
    assert again == {"rows": 1, "written": 0, "already_stored": 1}
    assert count_reads(fresh_db) == 1
    with pytest.raises(revenue.NoMacroReads) as raised:
        revenue.water_balance(principal=utility.p, period=OCT)
    assert "2026-10" in raised.value.detail_es


def test_unbilled_categories_are_the_tenants(fresh_db, utility):
    with pytest.raises(UnbilledRejected) as raised:
        revenue.record_unbilled(
            principal=utility.p,
            rows=[
                {"sector": "S01", "period": "2026-10", "category": "riego_parques", "volume_m3": "10"},
                {"sector": "S01", "period": "2026-13", "category": "fire_fighting", "volume_m3": "10"},
            ],
            now=NOW,
        )
    assert [(p.row, p.code) for p in raised.value.problems] == [(2, "unknown_category"), (3, "invalid_period")]
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM sector_unbilled_authorised").fetchone()[0] == 0


def test_customers_cannot_see_or_import_the_balance(fresh_db, utility):
    customer = principal(utility.tenant_id, utility.slug, "customer")
    with pytest.raises(Forbidden):
        revenue.water_balance(principal=customer, period=OCT)
    with pytest.raises(Forbidden):
        revenue.import_macro_reads(principal=customer, rows=[], batch="x", now=NOW)
