"""The billing run through the real durable replay engine (local runner), activities in worker processes."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from devtools.local_runner.host import LocalHost
from shared.application.billing import runs
from tests.billing.builders import add_account, make_utility, monthly

REPO = Path(__file__).resolve().parents[2]
MARCH = date(2026, 3, 1)


@pytest.fixture
def host(fresh_db, azurite, monkeypatch):
    monkeypatch.setenv("BILLING_CHUNK_SIZE", "500")
    h = LocalHost(
        "function_app:app",
        host_json=REPO / "host.json",
        app_dir=REPO,
        activity_workers=2,
        duplicate_start="extension",
        env={
            "DATABASE_URL": fresh_db.app_url,
            "AzureWebJobsStorage": azurite,
            "TASKHUB_NAME": "billingtest",
            "BILLING_CHUNK_SIZE": "500",
        },
    )
    h.start()
    yield h
    h.stop()


@pytest.fixture
def utility(fresh_db):
    u = make_utility(fresh_db, "cea-orq", sectors=("S01", "S02", "S03"))
    for i in range(300):
        sector = ("S01", "S02", "S03")[i % 3]
        klass = "comercial" if i % 10 == 0 else "domestico"
        reads = monthly(date(2025, 3, 1), [100 * i + 12 * m for m in range(13)])
        add_account(fresh_db, u, sector=sector, reads=reads, tariff_class=klass, dials=6)
    return u


def run(host, started):
    host.start_orchestration("billing_run_orchestrator", started.orchestration_input(), started.instance_id)
    return host.wait_for(started.instance_id, timeout=120)


@pytest.mark.slow
def test_billing_run_fans_out_per_sector_and_bills_everyone_once(fresh_db, host, utility):
    started = runs.start_run(tenant_slug=utility.slug, period=MARCH)
    record = run(host, started)
    assert record.status.name == "COMPLETED", record.output
    assert record.output["invoices"] == 300
    progress = runs.progress(tenant_id=utility.tenant_id, run_id=started.run_id)
    assert progress["status"] == "completed" and progress["accounts_done"] == 300
    assert [s["sector"] for s in progress["sectors"]] == ["S01", "S02", "S03"]
    assert all(s["chunks"] == 1 and s["chunks_done"] == 1 for s in progress["sectors"])
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(DISTINCT account_id), count(*) FROM invoices").fetchone() == (300, 300)
        events = {r[0] for r in conn.execute("SELECT event_type FROM domain_events")}
    assert {"billing_run.started", "billing_run.completed"} <= events


@pytest.mark.slow
def test_a_run_killed_midway_is_rerun_without_duplicates(fresh_db, host, utility):
    started = runs.start_run(tenant_slug=utility.slug, period=MARCH)
    with fresh_db.owner() as conn:  # the comercial tariff disappears after the start check: its chunks crash
        conn.execute("CREATE TABLE saved AS SELECT * FROM tariff_schedules WHERE tariff_class = 'comercial'")
        conn.execute("DELETE FROM tariff_schedules WHERE tariff_class = 'comercial'")
    failed = run(host, started)
    assert failed.status.name == "FAILED"
    progress = runs.progress(tenant_id=utility.tenant_id, run_id=started.run_id)
    assert progress["status"] == "failed" and "comercial" in progress["error"]
    with fresh_db.owner() as conn:
        conn.execute("INSERT INTO tariff_schedules SELECT * FROM saved")
        partial = conn.execute("SELECT count(*) FROM invoices").fetchone()[0]
    assert partial == 0  # every chunk had a comercial account: each rolled back whole
    again = runs.start_run(tenant_slug=utility.slug, period=MARCH)
    assert again.instance_id == started.instance_id
    completed = run(host, again)
    assert completed.status.name == "COMPLETED"
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(DISTINCT account_id), count(*) FROM invoices").fetchone() == (300, 300)
        lines_per_invoice = conn.execute(
            "SELECT min(c), max(c) FROM (SELECT count(*) c FROM invoice_lines GROUP BY invoice_id) x"
        ).fetchone()
        assert lines_per_invoice[0] >= 1


@pytest.mark.slow
def test_daily_timer_bills_each_tenant_on_its_run_day_once(fresh_db, host):
    from psycopg.types.json import Jsonb

    from shared.application.billing import periods

    today = periods.local_date(datetime.now(UTC))
    u = make_utility(fresh_db, "cea-timer", sectors=("S01",))
    other = make_utility(fresh_db, "otro-dia", sectors=("S01",))
    with fresh_db.owner() as conn:
        for tenant, day in ((u.tenant_id, today.day), (other.tenant_id, today.day % 28 + 1)):
            conn.execute("UPDATE tenants SET config = %s WHERE id = %s", (Jsonb({"billing": {"run_day": day}}), tenant))
    period = periods.previous_period(today)
    for utility in (u, other):
        for i in range(5):
            add_account(
                fresh_db,
                utility,
                sector="S01",
                reads=monthly(periods.add_months(period, -12), [50 * i + 10 * m for m in range(13)]),
            )
    host.fire_timer("billing_timer")
    host.fire_timer("billing_timer")  # a double fire (e.g. past-due + schedule) must not bill twice
    instance = runs.instance_id_for(u.slug, period, "all")
    record = host.wait_for(instance, timeout=120)
    assert record.status.name == "COMPLETED"
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT account_id) FROM invoices").fetchone() == (5, 5)
        assert conn.execute("SELECT tenant_id, period FROM billing_runs").fetchall() == [(u.tenant_id, period)]
