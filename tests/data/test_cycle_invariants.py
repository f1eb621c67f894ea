"""The monthly-cycle invariants hold on a real billed-and-issued run, and each one catches the corruption it names
(a check that cannot fail proves nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.application import invariants
from shared.application.billing import chunk, runs
from shared.data import cycle_invariants, ledger
from tests.billing.builders import add_account, make_utility, monthly

NOW = datetime(2026, 4, 5, tzinfo=UTC)


@pytest.fixture
def issued_run(fresh_db):  # type: ignore[no-untyped-def]
    u = make_utility(fresh_db, "cea-invariantes", sectors=("S01",))
    for i in range(4):
        add_account(fresh_db, u, sector="S01", reads=monthly(date(2025, 3, 1), [900 + 12 * m + i for m in range(13)]))
    started = runs.start_run(tenant_slug=u.slug, period=date(2026, 3, 1), now=NOW)
    plan = runs.plan_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW)
    for sector in plan["sectors"]:
        for n in range(sector["chunks"]):
            chunk.bill_chunk(tenant_id=u.tenant_id, run_id=started.run_id, sector_id=sector["sector_id"], chunk_no=n)
    runs.finish_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW)
    runs.issue_run(tenant_id=u.tenant_id, run_id=started.run_id, now=NOW, reviewer="analista")
    return u


def test_a_clean_issued_run_satisfies_every_invariant(issued_run):  # type: ignore[no-untyped-def]
    report = invariants.check_tenant(tenant_id=issued_run.tenant_id)
    assert report.ok, report.failed()
    assert set(report.violations) == set(ledger.INVARIANTS) | set(cycle_invariants.CYCLE_INVARIANTS)


CORRUPTIONS = {
    "folios_gapless_per_series": "UPDATE invoices SET folio = folio + 10 WHERE folio = (SELECT max(folio) FROM invoices)",
    "invoice_single_live_uuid": """
        INSERT INTO cfdi_documents (tenant_id, invoice_id, account_id, kind, purpose, status, uuid)
        SELECT tenant_id, id, account_id, 'I', 'invoice', 'stamped', gen_random_uuid() FROM invoices
        WHERE folio = 1
        UNION ALL
        SELECT tenant_id, id, account_id, 'I', 'substitution', 'stamped', gen_random_uuid() FROM invoices
        WHERE folio = 1""",
    "document_state_consistent": """
        INSERT INTO cfdi_documents (tenant_id, invoice_id, account_id, kind, purpose, status)
        SELECT tenant_id, id, account_id, 'I', 'invoice', 'signed' FROM invoices WHERE folio = 2""",
    "document_total_matches_invoice": """
        INSERT INTO cfdi_documents (tenant_id, invoice_id, account_id, kind, purpose, status, total, signed_xml)
        SELECT tenant_id, id, account_id, 'I', 'invoice', 'signed', total + 0.01, '\\x00' FROM invoices
        WHERE folio = 3""",
}


@pytest.mark.parametrize("invariant", sorted(CORRUPTIONS))
def test_each_cycle_invariant_catches_its_corruption(fresh_db, issued_run, invariant):  # type: ignore[no-untyped-def]
    with fresh_db.owner() as conn:
        conn.execute(CORRUPTIONS[invariant])
    report = invariants.check_tenant(tenant_id=issued_run.tenant_id)
    assert invariant in report.failed()
    assert report.violations[invariant]


def test_a_second_live_invoice_for_an_account_period_is_caught(fresh_db, issued_run):  # type: ignore[no-untyped-def]
    with fresh_db.owner() as conn:
        conn.execute("ALTER TABLE invoices DROP CONSTRAINT invoices_tenant_id_account_id_period_key")
        conn.execute(
            "INSERT INTO invoices (tenant_id, account_id, period, status)"
            " SELECT tenant_id, account_id, period, 'draft' FROM invoices WHERE folio = 1"
        )
    report = invariants.check_tenant(tenant_id=issued_run.tenant_id)
    assert report.failed() == ["account_period_billed_once"]
