"""Batch read ingestion: per-row errors, duplicates, VEE exceptions, nothing half-written."""

from datetime import UTC, date, datetime

import pytest

from shared.application.readings.ingest import BatchTooLarge, ingest_reads
from tests.billing.builders import add_account, make_utility, monthly

NOW = datetime(2026, 3, 25, 18, tzinfo=UTC)


@pytest.fixture
def utility(fresh_db):
    u = make_utility(fresh_db, "cea-lecturas")
    add_account(fresh_db, u, sector="S01", reads=monthly(date(2025, 9, 1), [100 + 20 * m for m in range(6)]))  # M000001
    add_account(
        fresh_db, u, sector="S01", reads=monthly(date(2025, 9, 1), [5000 + 15 * m for m in range(6)])
    )  # M000002
    return u


def row(serial="M000001", at="2026-03-20T10:00:00-06:00", value="222", source="handheld", sid="r1", **kw):
    return {"meter_serial": serial, "read_at": at, "value": value, "source": source, "source_id": sid, **kw}


def test_valid_rows_are_accepted_and_bad_rows_reported(fresh_db, utility):
    report = ingest_reads(
        tenant_id=utility.tenant_id,
        now=NOW,
        rows=[
            row(),
            row(serial="NOPE"),
            row(sid="r2", value="abc"),
            row(sid="r3", value="-4"),
            row(sid="r4", at="2031-01-01T00:00:00Z"),
            row(sid="r5", at="no-date"),
            row(serial="M000002", value="5095", sid="r6"),
            "not an object",
        ],
    )
    assert (report.accepted, report.rejected, report.duplicates) == (2, 6, 0)
    reasons = {r.row: " ".join(r.errors) for r in report.rows if r.status == "rejected"}
    assert "medidor desconocido" in reasons[1]
    assert "no es numérico" in reasons[2]
    assert "negativo" in reasons[3]
    assert "imposible" in reasons[4]
    assert "fecha" in reasons[5]
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM meter_readings WHERE source_id IN ('r1', 'r6')").fetchone() == (2,)


def test_duplicates_are_reported_not_counted_twice(fresh_db, utility):
    ingest_reads(tenant_id=utility.tenant_id, now=NOW, rows=[row()])
    again = ingest_reads(tenant_id=utility.tenant_id, now=NOW, rows=[row()])
    assert again.duplicates == 1 and again.accepted == 0
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM meter_readings WHERE source_id = 'r1'").fetchone() == (1,)


def test_vee_flags_high_consumption_and_negative_reads(fresh_db, utility):
    report = ingest_reads(
        tenant_id=utility.tenant_id,
        now=NOW,
        rows=[
            row(value="900", sid="high"),  # 680 m³ in a month after ~20 m³ months
            row(serial="M000002", value="10", sid="neg"),  # below 5075 on a 5-dial meter, not a rollover
        ],
    )
    codes = {r.row: r.exception_codes for r in report.rows}
    assert "HIGH_CONSUMPTION" in codes[0]
    assert "NEGATIVE_CONSUMPTION" in codes[1]
    with fresh_db.owner() as conn:
        stored = dict(conn.execute("SELECT source_id, status FROM meter_readings WHERE source_id IN ('high', 'neg')"))
    assert stored == {"high": "exception", "neg": "exception"}


def test_a_database_failure_writes_nothing(fresh_db, utility, monkeypatch):
    from shared.data import readings as sql

    def boom(conn, *, rows):
        conn.execute("INSERT INTO meter_readings (tenant_id) VALUES (NULL)")  # violates NOT NULL mid-batch

    monkeypatch.setattr(sql, "insert_reads", boom)
    with pytest.raises(Exception):
        ingest_reads(tenant_id=utility.tenant_id, now=NOW, rows=[row(), row(serial="M000002", value="5095", sid="x")])
    with fresh_db.owner() as conn:
        assert conn.execute(
            "SELECT count(*) FROM meter_readings WHERE source = 'handheld' AND source_id IN ('r1', 'x')"
        ).fetchone() == (0,)


def test_batches_are_bounded():
    with pytest.raises(BatchTooLarge):
        ingest_reads(tenant_id="00000000-0000-0000-0000-000000000001", now=NOW, rows=[{}] * 10_001)
