"""Tariff what-if: a draft equal to the tariff in force reproduces the real invoices to the centavo (invoices billed
by the real billing run, with late fees and estimates); a dearer draft moves revenue, bill changes and
affordability as computed by hand; bad drafts and empty spans are clear errors that write nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from psycopg.types.json import Jsonb

from shared.application.billing import chunk, runs
from shared.application.revenue import whatif
from shared.domain.revenue.whatif import InvalidDraft
from tests.billing.builders import TARIFFS, add_account, make_utility, monthly
from tests.revenue.helpers import principal

SEP, OCT = date(2026, 9, 1), date(2026, 10, 1)
NOW = datetime(2026, 11, 3, 18, tzinfo=UTC)


def bill(u, period):
    started = runs.start_run(tenant_slug=u.slug, period=period, now=NOW, back_billing=True)
    plan = runs.plan_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW)
    for s in plan["sectors"]:
        for n in range(s["chunks"]):
            chunk.bill_chunk(tenant_id=u.tenant_id, run_id=started.run_id, sector_id=s["sector_id"], chunk_no=n)
    runs.finish_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW)
    runs.issue_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW, reviewer="test")


@pytest.fixture
def billed(fresh_db):
    u = make_utility(fresh_db, "cea-wi", sectors=("S01", "S02"))
    with fresh_db.owner() as conn:
        conn.execute(
            "UPDATE tenants SET config = %s WHERE id = %s", (Jsonb({"billing": {"late_fee_rate": "0.02"}}), u.tenant_id)
        )
    start = date(2025, 9, 1)
    for i in range(8):
        add_account(
            fresh_db,
            u,
            sector="S01" if i % 2 else "S02",
            reads=monthly(start, [500 + (7 + 4 * i) * m for m in range(14)]),
        )
    add_account(
        fresh_db, u, sector="S01", tariff_class="comercial", reads=monthly(start, [100 + 55 * m for m in range(14)])
    )
    add_account(fresh_db, u, sector="S02", reads=monthly(start, [300 + 12 * m for m in range(12)]))  # estimated
    with fresh_db.owner() as conn:
        conn.execute(
            "UPDATE tomas SET status = 'restricted' WHERE id = (SELECT toma_id FROM accounts WHERE id = %s)",
            (u.accounts[0],),
        )
    bill(u, SEP)
    bill(u, OCT)
    u.p = principal(u.tenant_id, u.slug)
    return u


def in_force_draft():
    return json.dumps([json.loads((TARIFFS / f"{c}_2026.json").read_text()) for c in ("domestico", "comercial")])


def run(u, draft, months=2):
    started = whatif.start_whatif(principal=u.p, draft_text=draft, period=OCT, months=months, now=NOW)
    whatif.run_inline(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW, chunk_size=3)
    return whatif.get_whatif(principal=u.p, run_id=started.run_id)


def test_the_tariff_in_force_reproduces_the_invoices_to_the_centavo(fresh_db, billed):
    with fresh_db.owner() as conn:
        real = conn.execute("SELECT sum(total), count(*) FROM invoices WHERE status = 'issued'").fetchone()
        per_account = dict(
            conn.execute(
                "SELECT account_id, sum(total) FROM invoices WHERE status = 'issued' GROUP BY account_id"
            ).fetchall()
        )
        fees = conn.execute("SELECT count(*) FROM invoice_lines WHERE code = 'recargo'").fetchone()[0]
    assert real[1] == 20 and fees > 0  # the replay meets late fees (non-tariff lines) too
    found = run(billed, in_force_draft())
    report = found["report"]
    assert found["status"] == "completed"
    assert Decimal(report["totals"]["whatif_revenue"]) == real[0] == Decimal(report["totals"]["real_revenue"])
    assert report["totals"]["invoices"] == 20 and report["totals"]["change"] == "0.00"
    assert report["bill_changes"]["deciles_pct"]["p90"] == "0.00"
    with fresh_db.owner() as conn:
        replay = dict(conn.execute("SELECT account_id, whatif_total FROM whatif_accounts").fetchall())
    assert replay == per_account
    assert report["art74_restricted"]["accounts"] == 1


def test_a_dearer_draft_changes_revenue_as_computed_by_hand(fresh_db, billed):
    domestico = json.loads((TARIFFS / "domestico_2026.json").read_text())
    domestico["name"] = "Domestico 2027 propuesta"
    domestico["fixed_charges"][0]["amount"] = "55.00"  # +10 MXN a month, IVA 0
    found = run(billed, json.dumps(domestico))
    report = found["report"]
    # 9 domestic accounts × 2 invoices × +10.00; the late fee of the second month is as billed (2 % of the first)
    assert Decimal(report["by_class"]["domestico"]["change"]) == Decimal("180.00")
    assert report["by_class"]["comercial"]["change"] == "0.00"
    assert Decimal(report["totals"]["change"]) == Decimal("180.00")
    assert report["bill_changes"]["share_lower"] == "0.0000"
    assert len(report["affordability"]) == 10
    assert whatif.whatif_csv(found).splitlines()[1].startswith("total,,10,20,")
    for chart in whatif.CHARTS:
        assert whatif.whatif_png(found, chart=chart).startswith(b"\x89PNG")
    again = whatif.start_whatif(principal=billed.p, draft_text=json.dumps(domestico), period=OCT, months=2, now=NOW)
    assert again.run_id == found["run_id"] and again.status == "completed"


def test_bad_drafts_and_empty_spans_write_nothing(fresh_db, billed):
    broken = json.loads((TARIFFS / "domestico_2026.json").read_text())
    broken["pricing"]["blocks"][1]["from_m3"] = 12  # a gap between blocks
    with pytest.raises(InvalidDraft) as raised:
        whatif.start_whatif(principal=billed.p, draft_text=json.dumps(broken), period=OCT, months=1, now=NOW)
    assert "schedules[0]" in raised.value.detail_es
    with pytest.raises(InvalidDraft):
        whatif.start_whatif(principal=billed.p, draft_text="{not json", period=OCT, months=1, now=NOW)
    with pytest.raises(whatif.NoInvoices):
        whatif.start_whatif(principal=billed.p, draft_text=in_force_draft(), period=date(2025, 1, 1), months=1, now=NOW)
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM whatif_runs").fetchone()[0] == 0
