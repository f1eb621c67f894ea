"""The tariff what-if through the real durable replay engine (local runner, activities in worker processes): the
orchestration fans out one activity per chunk and its report equals the inline one; a restart is a no-op."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from devtools.local_runner.host import LocalHost
from shared.application.revenue import whatif
from tests.revenue.test_whatif import NOW, OCT, billed, in_force_draft  # noqa: F401  (the fixture)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def host(fresh_db, azurite):
    h = LocalHost(
        "function_app:app",
        host_json=REPO / "host.json",
        app_dir=REPO,
        activity_workers=2,
        duplicate_start="extension",
        env={"DATABASE_URL": fresh_db.app_url, "AzureWebJobsStorage": azurite, "TASKHUB_NAME": "whatiftest"},
    )
    h.start()
    yield h
    h.stop()


def test_the_durable_fan_out_reproduces_the_invoices(fresh_db, billed, host):  # noqa: F811
    started = whatif.start_whatif(principal=billed.p, draft_text=in_force_draft(), period=OCT, months=2, now=NOW)
    host.start_orchestration(whatif.ORCHESTRATOR, started.orchestration_input(chunk_size=3), started.instance_id)
    done = host.wait_for(started.instance_id, timeout=120)
    assert done.status.name == "COMPLETED", done.output
    assert done.custom_status["chunks"] == 4  # 10 accounts in chunks of 3
    report = whatif.get_whatif(principal=billed.p, run_id=started.run_id)["report"]
    with fresh_db.owner() as conn:
        real = conn.execute("SELECT sum(total) FROM invoices WHERE status = 'issued'").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM whatif_chunks WHERE status = 'done'").fetchone()[0] == 4
    assert Decimal(report["totals"]["whatif_revenue"]) == real and report["totals"]["change"] == "0.00"
