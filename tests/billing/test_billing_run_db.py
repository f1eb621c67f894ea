"""The billing run's use cases against the real database: plan, bill chunks, finish, issue; idempotency."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.application.billing import chunk, runs
from tests.billing.builders import add_account, make_utility, monthly

MARCH = date(2026, 3, 1)
NOW = datetime(2026, 4, 5, 15, tzinfo=UTC)  # March has ended in Querétaro


@pytest.fixture
def utility(fresh_db, monkeypatch):
    monkeypatch.setenv("BILLING_CHUNK_SIZE", "500")
    u = make_utility(fresh_db, "cea-test")
    for i in range(6):
        add_account(
            fresh_db,
            u,
            sector="S01" if i < 4 else "S02",
            reads=monthly(date(2025, 3, 1), [1000 + 15 * m + i for m in range(13)]),
        )
    add_account(fresh_db, u, sector="S02", reads=monthly(date(2025, 3, 1), [50 * m for m in range(12)]))  # no March
    return u


def bill_everything(u, period=MARCH):
    started = runs.start_run(tenant_slug=u.slug, period=period, now=NOW)
    plan = runs.plan_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW)
    results = [
        chunk.bill_chunk(tenant_id=u.tenant_id, run_id=started.run_id, sector_id=s["sector_id"], chunk_no=n)
        for s in plan["sectors"]
        for n in range(s["chunks"])
    ]
    return started, plan, results


def test_run_bills_each_account_once_with_traces(fresh_db, utility):
    started, plan, _ = bill_everything(utility)
    summary = runs.finish_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=NOW)
    assert plan["accounts"] == 7 and {s["code"] for s in plan["sectors"]} == {"S01", "S02"}
    assert summary["invoices"] == 7 and summary["estimated"] == 1
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM invoice_lines WHERE trace ? 'tariff'").fetchone()[0] > 0
        bad = conn.execute(
            """SELECT count(*) FROM invoices i WHERE total <> (SELECT sum(amount) + sum(tax_amount)
                   FROM invoice_lines l WHERE l.invoice_id = i.id)"""
        ).fetchone()[0]
        assert bad == 0


def test_rerunning_chunks_and_runs_changes_nothing(fresh_db, utility):
    started, plan, _ = bill_everything(utility)
    with fresh_db.owner() as conn:
        before = conn.execute("SELECT id, total, created_at FROM invoices ORDER BY id").fetchall()
    again = runs.start_run(tenant_slug=utility.slug, period=MARCH, now=NOW)
    assert again.run_id == started.run_id and again.instance_id == started.instance_id
    runs.plan_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=NOW)
    repeat = chunk.bill_chunk(
        tenant_id=utility.tenant_id, run_id=started.run_id, sector_id=plan["sectors"][0]["sector_id"], chunk_no=0
    )
    assert repeat["skipped"] is True
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT id, total, created_at FROM invoices ORDER BY id").fetchall() == before
        assert conn.execute("SELECT count(*) FROM billing_chunks").fetchone()[0] == len(plan["sectors"])


def test_a_crash_inside_a_chunk_writes_nothing_and_the_retry_completes(fresh_db, utility, monkeypatch):
    started = runs.start_run(tenant_slug=utility.slug, period=MARCH, now=NOW)
    plan = runs.plan_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=NOW)
    sector = plan["sectors"][0]["sector_id"]
    real_complete = chunk.sql.complete_chunk

    def crash(*a, **k):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(chunk.sql, "complete_chunk", crash)
    with pytest.raises(RuntimeError):
        chunk.bill_chunk(tenant_id=utility.tenant_id, run_id=started.run_id, sector_id=sector, chunk_no=0)
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM invoices").fetchone()[0] == 0
    monkeypatch.setattr(chunk.sql, "complete_chunk", real_complete)
    result = chunk.bill_chunk(tenant_id=utility.tenant_id, run_id=started.run_id, sector_id=sector, chunk_no=0)
    assert result["invoices"] == 4


def test_issue_assigns_gapless_folios_and_posts_charges(fresh_db, utility):
    started, _, _ = bill_everything(utility)
    runs.finish_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=NOW)
    now = datetime(2026, 4, 2, 15, tzinfo=UTC)
    first = runs.issue_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=now, reviewer="analista")
    second = runs.issue_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=now, reviewer="analista")
    assert first["issued"] == 7 and second["issued"] == 0
    with fresh_db.owner() as conn:
        folios = [r[0] for r in conn.execute("SELECT folio FROM invoices ORDER BY folio")]
        assert folios == list(range(1, 8))
        charges = conn.execute("SELECT count(*), sum(amount) FROM account_movements WHERE kind = 'charge'").fetchone()
        total = conn.execute("SELECT sum(total) FROM invoices").fetchone()[0]
        assert charges == (7, total)
        assert conn.execute("SELECT count(*) FROM domain_events WHERE event_type = 'invoice.issued'").fetchone() == (7,)


def test_held_invoices_wait_for_review(fresh_db, utility):
    add_account(
        fresh_db, utility, sector="S01", reads=[(date(2026, 3, 20), 10)], installed=date(2026, 3, 1), initial_read=500
    )  # negative consumption on a 5-dial meter beyond rollover
    started, _, _ = bill_everything(utility)
    runs.finish_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=NOW)
    held = runs.exceptions(tenant_id=utility.tenant_id, run_id=started.run_id)
    assert len(held) == 1 and "NEGATIVE_CONSUMPTION" in held[0]["exception_codes"]
    result = runs.issue_run(
        tenant_id=utility.tenant_id, run_id=started.run_id, now=datetime(2026, 4, 2, tzinfo=UTC), reviewer="a"
    )
    assert result == {**result, "issued": 7, "held": 1}
    runs.review_invoice(tenant_id=utility.tenant_id, invoice_id=held[0]["id"], action="release", reviewer="a", now=NOW)
    with pytest.raises(runs.InvoiceNotInState):  # released already
        runs.review_invoice(
            tenant_id=utility.tenant_id, invoice_id=held[0]["id"], action="release", reviewer="a", now=NOW
        )
    runs.approve_run(tenant_id=utility.tenant_id, run_id=started.run_id, reviewer="a", now=NOW)  # the released one
    with pytest.raises(runs.RunAlreadyApproved):
        runs.approve_run(tenant_id=utility.tenant_id, run_id=started.run_id, reviewer="b", now=NOW)
    assert (
        runs.issue_run(
            tenant_id=utility.tenant_id, run_id=started.run_id, now=datetime(2026, 4, 3, tzinfo=UTC), reviewer="a"
        )["issued"]
        == 1
    )


def test_no_tariff_in_force_fails_fast_and_bills_nothing(fresh_db):
    u = make_utility(fresh_db, "sin-tarifa", tariffs=False)
    add_account(fresh_db, u, sector="S01", reads=monthly(date(2026, 1, 1), [1, 2, 3]))
    with pytest.raises(runs.NoTariffInForce, match="domestico"):
        runs.start_run(tenant_slug=u.slug, period=MARCH, now=NOW)
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM billing_runs").fetchone() == (0,)


def test_march_total_matches_tariff(fresh_db, utility):
    bill_everything(utility)
    with fresh_db.owner() as conn:
        totals = [r[0] for r in conn.execute("SELECT total FROM invoices WHERE NOT estimated ORDER BY account_id")]
    assert totals[0] == Decimal("143.75")  # 15 m³: 10 × 5.50 + 5 × 8.75 + 45.00 fixed
