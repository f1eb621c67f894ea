"""The monthly cycle through the real durable replay engine (local runner), activities in worker processes:
bill per sector → review policy → wait for approval (external event, timeout timer) → issue → stamp (sub-
orchestration, against the PAC simulator process with a throwaway CSD)."""

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from psycopg.types.json import Jsonb

from cli.billing import wake
from devtools.commands.cfdi_local import local_cfdi_env
from devtools.local_runner.host import LocalHost
from functions.billing import RUN_ORCHESTRATOR
from shared.application.billing import runs
from tests.billing.builders import add_account, make_utility, monthly

REPO = Path(__file__).resolve().parents[2]
MARCH = date(2026, 3, 1)


def _host(fresh_db, azurite, hub: str, extra: dict[str, str] | None = None) -> LocalHost:
    return LocalHost(
        "function_app:app",
        host_json=REPO / "host.json",
        app_dir=REPO,
        activity_workers=2,
        duplicate_start="extension",
        env={
            "DATABASE_URL": fresh_db.app_url,
            "AzureWebJobsStorage": azurite,
            "TASKHUB_NAME": hub,
            "BILLING_CHUNK_SIZE": "500",
            **(extra or {}),
        },
    )


@pytest.fixture
def host(fresh_db, azurite, monkeypatch):
    monkeypatch.setenv("BILLING_CHUNK_SIZE", "500")
    h = _host(fresh_db, azurite, "billingtest")
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


@pytest.fixture
def cycle_host(fresh_db, azurite, utility, monkeypatch):
    """A host whose activity workers can stamp (throwaway CSD for the tenant's RFC, PAC simulator process)."""
    monkeypatch.setenv("BILLING_CHUNK_SIZE", "500")
    with local_cfdi_env(utility.tenant_id) as env:
        h = _host(fresh_db, azurite, "cycletest", env)
        h.start()
        yield h
        h.stop()


def start(host, started, **options):
    host.start_orchestration(RUN_ORCHESTRATOR, {**started.orchestration_input(), **options}, started.instance_id)


def wait_run(tenant_id, run_id, statuses, host=None, instance_id=None, timeout=120.0):
    """Poll the run until its status is one of `statuses` (or the orchestration ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        progress = runs.progress(tenant_id=tenant_id, run_id=run_id)
        if progress["status"] in statuses:
            return progress
        record = host.get_status(instance_id) if host is not None and instance_id else None
        if record is not None and record.status.name in ("FAILED", "TERMINATED", "COMPLETED"):
            return {**progress, "orchestration": record.status.name, "output": record.output}
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached {statuses}: {progress['status']}")


def begin(utility):
    return runs.start_run(tenant_slug=utility.slug, period=MARCH, now=datetime.now(UTC), back_billing=True)


@pytest.mark.slow
def test_the_cycle_bills_waits_for_approval_then_issues_and_stamps_in_durable_code(fresh_db, cycle_host, utility):
    started = begin(utility)
    start(cycle_host, started)
    waiting = wait_run(
        utility.tenant_id, started.run_id, {"awaiting_approval", "failed"}, cycle_host, started.instance_id
    )
    assert waiting["status"] == "awaiting_approval" and waiting["accounts_done"] == 300, waiting
    assert [s["sector"] for s in waiting["sectors"]] == ["S01", "S02", "S03"]
    assert all(s["chunks"] == 1 and s["chunks_done"] == 1 for s in waiting["sectors"])
    record = cycle_host.get_status(started.instance_id)
    assert record.status.name == "RUNNING" and record.custom_status["phase"] == "awaiting_approval"
    assert record.custom_status["billing"]["invoices"] == 300
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM invoices WHERE status = 'issued'").fetchone() == (0,)
    approved = runs.approve_run(
        tenant_id=utility.tenant_id, run_id=started.run_id, reviewer="ana", now=datetime.now(UTC)
    )
    assert wake(cycle_host, approved, started.orchestration_input()) == started.instance_id  # raised the event
    done = cycle_host.wait_for(started.instance_id, timeout=180)
    assert done.status.name == "COMPLETED", done.output
    assert done.output["issue"]["issued"] == 300 and done.output["cfdi"]["status"] == "completed"
    assert done.custom_status["phase"] == "done"
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(DISTINCT account_id), count(*) FROM invoices").fetchone() == (300, 300)
        folios = [r[0] for r in conn.execute("SELECT folio FROM invoices ORDER BY folio")]
        assert folios == list(range(1, 301))
        stamped = conn.execute(
            "SELECT count(*), count(DISTINCT uuid) FROM cfdi_documents WHERE kind = 'I' AND status = 'stamped'"
        ).fetchone()
        rejected = conn.execute("SELECT count(*) FROM cfdi_documents WHERE status = 'rejected'").fetchone()[0]
        assert stamped[0] == stamped[1] and stamped[0] + rejected == 300
        events = {r[0]: r[1] for r in conn.execute("SELECT event_type, count(*) FROM domain_events GROUP BY 1")}
        run = conn.execute("SELECT status, approved_by FROM billing_runs").fetchone()
    assert run == ("issued", "ana")
    assert events["invoice.issued"] == 300 and events["billing_run.awaiting_approval"] == 1
    assert {"billing_run.started", "billing_run.completed"} <= set(events)
    # A rerun of the whole orchestration is a no-op: nothing billed, issued or stamped twice.
    again = begin(utility)
    start(cycle_host, again)
    rerun = cycle_host.wait_for(started.instance_id, timeout=180)
    assert rerun.status.name == "COMPLETED" and rerun.output["issue"]["issued"] == 0
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*), max(folio) FROM invoices").fetchone() == (300, 300)
        assert conn.execute("SELECT count(*) FROM cfdi_documents WHERE kind = 'I'").fetchone()[0] == 300


@pytest.mark.slow
def test_an_unanswered_approval_times_out_with_an_alert_and_a_late_approval_still_closes(fresh_db, host, utility):
    started = begin(utility)
    start(host, started, approval_timeout_hours=1)
    wait_run(utility.tenant_id, started.run_id, {"awaiting_approval", "failed"})
    deadline = time.monotonic() + 30
    while host.engine.fast_forward_timers(started.instance_id) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # the orchestration schedules its timer right after the review activity
    record = host.wait_for(started.instance_id, timeout=60)
    assert record.status.name == "COMPLETED" and record.output["status"] == "awaiting_approval"
    assert record.output["timed_out"] is True
    progress = runs.progress(tenant_id=utility.tenant_id, run_id=started.run_id)
    assert progress["status"] == "awaiting_approval"
    with fresh_db.owner() as conn:
        assert conn.execute(
            "SELECT count(*) FROM domain_events WHERE event_type = 'billing_run.approval_timed_out'"
        ).fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM invoices WHERE status = 'issued'").fetchone() == (0,)
    with fresh_db.owner() as conn:  # this tenant stamps on payment: the close issues and opens no stamping round
        conn.execute(
            "UPDATE tenants SET config = %s WHERE id = %s",
            (Jsonb({"cfdi": {"invoicing_model": "on_payment"}}), utility.tenant_id),
        )
    approved = runs.approve_run(
        tenant_id=utility.tenant_id, run_id=started.run_id, reviewer="ana", now=datetime.now(UTC)
    )
    close_id = wake(host, approved, started.orchestration_input())
    assert close_id.startswith(f"{started.instance_id}:close:")
    closed = host.wait_for(close_id, timeout=120)
    assert closed.status.name == "COMPLETED", closed.output
    assert closed.output["issue"]["issued"] == 300 and closed.output["cfdi"] == {"status": "skipped"}


@pytest.mark.slow
def test_a_failed_run_is_rerun_without_duplicates(fresh_db, host, utility):
    started = begin(utility)
    with fresh_db.owner() as conn:  # the comercial tariff disappears after the start check: its chunks fail
        conn.execute("CREATE TABLE saved AS SELECT * FROM tariff_schedules WHERE tariff_class = 'comercial'")
        conn.execute("DELETE FROM tariff_schedules WHERE tariff_class = 'comercial'")
    start(host, started)
    failed = host.wait_for(started.instance_id, timeout=120)
    assert failed.status.name == "FAILED"
    progress = runs.progress(tenant_id=utility.tenant_id, run_id=started.run_id)
    assert progress["status"] == "failed" and "comercial" in progress["error"]
    with pytest.raises(runs.RunFailed):
        runs.approve_run(tenant_id=utility.tenant_id, run_id=started.run_id, reviewer="ana", now=datetime.now(UTC))
    with fresh_db.owner() as conn:
        conn.execute("INSERT INTO tariff_schedules SELECT * FROM saved")
        partial = conn.execute("SELECT count(*) FROM invoices").fetchone()[0]
    assert partial == 0  # every chunk had a comercial account: each rolled back whole
    again = begin(utility)
    assert again.instance_id == started.instance_id
    start(host, again)
    assert wait_run(utility.tenant_id, started.run_id, {"awaiting_approval"})["status"] == "awaiting_approval"
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(DISTINCT account_id), count(*) FROM invoices").fetchone() == (300, 300)


@pytest.mark.slow
def test_daily_timer_bills_each_tenant_on_its_run_day_once(fresh_db, host):
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
    with fresh_db.owner() as conn:
        run_id = conn.execute("SELECT id FROM billing_runs").fetchone()[0]
    instance = runs.instance_id_for(u.slug, period, "all")
    progress = wait_run(u.tenant_id, run_id, {"awaiting_approval", "failed"}, host=host, instance_id=instance)
    assert progress["status"] == "awaiting_approval"
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT account_id) FROM invoices").fetchone() == (5, 5)
        assert conn.execute("SELECT tenant_id, period FROM billing_runs").fetchall() == [(u.tenant_id, period)]
