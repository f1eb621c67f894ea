"""The review policy and the approval against the real database: hold rules per tenant config, the estimated
share that holds a whole run, period windows, bad input that changes nothing, and two approvals at once."""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from psycopg.types.json import Jsonb

from shared.application.billing import chunk, periods, runs
from shared.domain.billing.review import InvalidReviewPolicy, ReviewPolicy, decide_run, review_policy
from tests.billing.builders import add_account, make_utility, monthly

MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)
NOW = datetime(2026, 5, 6, 15, tzinfo=UTC)


def bill(u, period):
    started = runs.start_run(tenant_slug=u.slug, period=period, now=NOW)
    plan = runs.plan_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW)
    for s in plan["sectors"]:
        for n in range(s["chunks"]):
            chunk.bill_chunk(tenant_id=u.tenant_id, run_id=started.run_id, sector_id=s["sector_id"], chunk_no=n)
    runs.finish_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW)
    return started


def set_review(fresh_db, u, review):
    with fresh_db.owner() as conn:
        conn.execute(
            "UPDATE tenants SET config = %s WHERE id = %s", (Jsonb({"billing": {"review": review}}), u.tenant_id)
        )


@pytest.fixture
def utility(fresh_db):
    u = make_utility(fresh_db, "cea-review", sectors=("S01",))
    for _ in range(8):  # 10 m³ a month for a year, then 10 m³ in April
        add_account(fresh_db, u, sector="S01", reads=monthly(date(2025, 3, 1), [10 * m for m in range(14)]))
    # April jumps to 200 m³ (high), drops to 1 m³ (low), stays flat (zero on an occupied toma)
    for april in (120 + 200, 120 + 1, 120):
        reads = monthly(date(2025, 3, 1), [10 * m for m in range(13)]) + [(date(2026, 4, 20), april)]
        add_account(fresh_db, u, sector="S01", reads=reads)
    return u


def test_hold_rules_flag_high_low_and_zero_then_the_run_waits_for_approval(fresh_db, utility):
    march = bill(utility, MARCH)
    runs.issue_run(tenant_id=utility.tenant_id, run_id=march.run_id, now=NOW, reviewer="a")  # history to compare
    april = bill(utility, APRIL)
    decided = runs.review_run(tenant_id=utility.tenant_id, run_id=april.run_id, now=NOW)
    assert decided["status"] == "awaiting_approval" and decided["review_reason"] is None
    held = {
        r["account_id"]: r["exception_codes"] for r in runs.exceptions(tenant_id=utility.tenant_id, run_id=april.run_id)
    }
    high, low, zero = utility.accounts[8:]
    assert "HIGH_CONSUMPTION" in held[high] and "AMOUNT_OVER_AVERAGE" in held[high]
    assert held[low] == ["LOW_CONSUMPTION"] and held[zero] == ["ZERO_ON_OCCUPIED"]
    assert set(held) == {high, low, zero}
    again = runs.review_run(tenant_id=utility.tenant_id, run_id=april.run_id, now=NOW)  # a rerun holds nothing twice
    assert again["review"] == decided["review"]
    with fresh_db.owner() as conn:  # a vacant toma: zero is expected there, a new review would not hold it
        conn.execute(
            "UPDATE tomas SET occupied = false WHERE id = (SELECT toma_id FROM accounts WHERE id = %s)", (zero,)
        )
    with pytest.raises(runs.RunNotApproved):
        runs.issue_run(tenant_id=utility.tenant_id, run_id=april.run_id, now=NOW, reviewer="a")


def test_auto_issue_policy_approves_and_a_disabled_rule_holds_nothing(fresh_db, utility):
    set_review(fresh_db, utility, {"auto_issue": True, "high_factor": None, "low_factor": None, "amount_factor": None})
    march = bill(utility, MARCH)
    decided = runs.review_run(tenant_id=utility.tenant_id, run_id=march.run_id, now=NOW)
    assert decided["status"] == "approved"
    issued = runs.issue_run(tenant_id=utility.tenant_id, run_id=march.run_id, now=NOW, reviewer="orchestrator")
    assert issued["issued"] == 11 and issued["held"] == 0


def test_an_estimated_share_over_the_threshold_holds_the_whole_run_with_the_reason(fresh_db):
    u = make_utility(fresh_db, "cea-estimada", sectors=("S01",))
    for i in range(5):  # reads end in February: March is all estimates
        add_account(fresh_db, u, sector="S01", reads=monthly(date(2025, 3, 1), [10 * m + i for m in range(12)]))
    set_review(fresh_db, u, {"auto_issue": True})
    started = bill(u, MARCH)
    decided = runs.review_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW)
    assert decided["status"] == "awaiting_approval"  # auto issue is off for a held run
    assert "5 de 5 facturas" in decided["review_reason"] and "20 %" in decided["review_reason"]
    progress = runs.progress(tenant_id=u.tenant_id, run_id=started.run_id)
    assert progress["review_reason"] == decided["review_reason"] and progress["issued"] == 0


def test_review_policy_refuses_bad_config_and_decides_on_the_share():
    assert review_policy(settings={}) == ReviewPolicy()
    for bad in (
        {"high_factor": 1.5},
        {"high_factor": True},
        {"max_estimated_share": "2"},
        {"approval_timeout_hours": 0},
    ):
        with pytest.raises(InvalidReviewPolicy):
            review_policy(settings=bad)
    policy = ReviewPolicy(auto_issue=True)
    assert decide_run(invoices=10, estimated=2, policy=policy).hold_reason is None
    assert decide_run(invoices=10, estimated=3, policy=policy).hold_reason is not None
    assert decide_run(invoices=0, estimated=0, policy=policy).estimated_share == Decimal(0)


def test_periods_not_ended_or_long_past_and_unknown_sectors_bill_nothing(fresh_db, utility):
    with fresh_db.owner() as conn:  # a one-month back-billing window
        conn.execute(
            "UPDATE tenants SET config = %s WHERE id = %s",
            (Jsonb({"billing": {"back_billing_months": 1}}), utility.tenant_id),
        )
    for period, error in (
        (date(2026, 5, 1), periods.PeriodNotEnded),  # still running on 6 May
        (date(2027, 6, 1), periods.PeriodNotEnded),
        (date(2026, 1, 1), periods.BackBillingRequired),
    ):
        with pytest.raises(error):
            runs.start_run(tenant_slug=utility.slug, period=period, now=NOW)
    with pytest.raises(runs.SectorNotFound):
        runs.start_run(tenant_slug=utility.slug, period=APRIL, now=NOW, sector="S99")
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM billing_runs").fetchone() == (0,)
    assert runs.start_run(tenant_slug=utility.slug, period=date(2026, 1, 1), now=NOW, back_billing=True).run_id
    with pytest.raises(periods.InvalidPeriod):
        periods.parse_period("٢٠٢٦-11")  # Arabic-Indic digits are not a period


def test_bad_review_and_approval_input_is_refused_and_changes_nothing(fresh_db, utility):
    with pytest.raises(runs.InvoiceNotFound):
        runs.review_invoice(tenant_id=utility.tenant_id, invoice_id=999999, action="release", reviewer="a", now=NOW)
    with pytest.raises(runs.RunNotFound):
        runs.exceptions(tenant_id=utility.tenant_id, run_id=999999)
    started = bill(utility, MARCH)
    with pytest.raises(runs.RunNotReady):  # billed but not reviewed yet
        runs.approve_run(tenant_id=utility.tenant_id, run_id=started.run_id, reviewer="a", now=NOW)
    runs.review_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=NOW)
    runs.hold_run(tenant_id=utility.tenant_id, run_id=started.run_id, reviewer="ana", reason="revisar sector", now=NOW)
    assert "revisar sector" in runs.progress(tenant_id=utility.tenant_id, run_id=started.run_id)["review_reason"]


def test_two_approvals_at_once_one_issues_one_is_refused_and_folios_are_gapless(fresh_db, utility):
    started = bill(utility, MARCH)
    runs.review_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=NOW)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def approve_and_issue(who: str) -> None:
        barrier.wait()
        try:
            runs.approve_run(tenant_id=utility.tenant_id, run_id=started.run_id, reviewer=who, now=NOW)
            outcomes.append(runs.issue_run(tenant_id=utility.tenant_id, run_id=started.run_id, now=NOW, reviewer=who))
        except runs.RunAlreadyApproved as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=approve_and_issue, args=(w,)) for w in ("ana", "beto")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [o for o in outcomes if isinstance(o, runs.RunAlreadyApproved)]
    issued = [o for o in outcomes if isinstance(o, dict)]
    assert len(refused) == 1 and len(issued) == 1 and issued[0]["issued"] == 11
    with fresh_db.owner() as conn:
        folios = [r[0] for r in conn.execute("SELECT folio FROM invoices WHERE folio IS NOT NULL ORDER BY folio")]
        assert folios == list(range(1, 12))
        assert conn.execute("SELECT status FROM billing_runs").fetchone() == ("issued",)
