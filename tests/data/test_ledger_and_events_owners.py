"""One owner per invariant: shared/data/ledger.py is the only writer of the ledger, shared/data/events.py the only
writer of domain events, and the set-based issue statement records invoice.issued through the events owner, so
those events carry the correlation id of the request that issued the run like every other event."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from shared.application.billing import chunk, runs
from shared.platform import context
from tests.billing.builders import add_account, make_utility, monthly

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("function_app.py", "functions", "shared", "cli")


def _writers(table: str) -> set[str]:
    pattern = re.compile(rf"INTO\s+{table}\b")
    found = set()
    for top in PRODUCT:
        for path in [REPO / top] if top.endswith(".py") else (REPO / top).rglob("*.py"):
            if pattern.search(path.read_text(encoding="utf-8")):
                found.add(path.relative_to(REPO).as_posix())
    return found


def test_the_ledger_and_the_outbox_have_one_writer_each():
    assert _writers("account_movements") == {"shared/data/ledger.py"}
    assert _writers("adjustments") == {"shared/data/ledger.py"}
    assert _writers("domain_events") == {"shared/data/events.py"}


def test_invoice_issued_events_carry_the_correlation_id_of_the_issue(fresh_db):
    u = make_utility(fresh_db, "cea-correlacion", sectors=("S01",))
    for i in range(3):
        add_account(fresh_db, u, sector="S01", reads=monthly(date(2025, 3, 1), [1000 + 15 * m + i for m in range(13)]))
    started = runs.start_run(tenant_slug=u.slug, period=date(2026, 3, 1), now=datetime(2026, 4, 5, tzinfo=UTC))
    plan = runs.plan_run(tenant_id=u.tenant_id, run_id=started.run_id, now=datetime(2026, 4, 5, tzinfo=UTC))
    for sector in plan["sectors"]:
        for n in range(sector["chunks"]):
            chunk.bill_chunk(tenant_id=u.tenant_id, run_id=started.run_id, sector_id=sector["sector_id"], chunk_no=n)
    runs.finish_run(tenant_id=u.tenant_id, run_id=started.run_id, now=datetime(2026, 4, 5, tzinfo=UTC))
    with context.bound(correlation="issue-run-7f3a") as cid:
        issued = runs.issue_run(
            tenant_id=u.tenant_id, run_id=started.run_id, now=datetime(2026, 4, 2, 15, tzinfo=UTC), reviewer="analista"
        )
    assert issued["issued"] == 3
    with fresh_db.owner() as conn:
        rows = conn.execute(
            "SELECT tenant_id, correlation_id, payload->>'folio' FROM domain_events"
            " WHERE event_type = 'invoice.issued' ORDER BY id"
        ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(u.tenant_id, cid)] * 3
    assert [r[2] for r in rows] == ["1", "2", "3"]
