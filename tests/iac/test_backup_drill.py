"""Local backup/restore drill: pg_dump -Fc of a small schema with RLS and constraints, pg_restore into a new database,
then compare row counts, a content checksum per table, and that RLS and constraints survived.
The same procedure runs against a real server with scripts/backup_drill.sh (docs/runbook.md)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.iac._pgcluster import PgCluster, pg_bin

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE accounts (id bigserial PRIMARY KEY, tenant_id text NOT NULL, rfc text NOT NULL UNIQUE);
CREATE TABLE invoices (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts(id),
    period text NOT NULL,
    total numeric(12, 2) NOT NULL CHECK (total >= 0),
    UNIQUE (account_id, period)
);
CREATE TABLE payments (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), invoice_id bigint REFERENCES invoices(id),
                       amount numeric(12, 2) NOT NULL);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoices
    USING (account_id IN (SELECT id FROM accounts WHERE tenant_id = current_setting('app.tenant', true)));
INSERT INTO accounts (tenant_id, rfc) SELECT 'cea', 'RFC' || lpad(g::text, 9, '0') FROM generate_series(1, 250) g;
INSERT INTO invoices (account_id, period, total)
    SELECT a.id, p, round((a.id * 7.31 + length(p))::numeric, 2)
    FROM accounts a CROSS JOIN (VALUES ('2025-01'), ('2025-02'), ('2025-03')) v(p);
INSERT INTO payments (invoice_id, amount) SELECT id, total FROM invoices WHERE id % 4 = 0;
"""

TABLES = ("accounts", "invoices", "payments")


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    bin_dir = pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb) not installed")
    with PgCluster(bin_dir) as pg:
        yield pg


def _fingerprint(pg: PgCluster, database: str) -> dict[str, tuple[int, str]]:
    out = {}
    for table in TABLES:
        count = int(pg.psql(database, f"SELECT count(*) FROM {table}"))
        digest = pg.psql(
            database, f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
        )
        out[table] = (count, digest)
    return out


def test_dump_and_restore_preserve_every_row(cluster: PgCluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cluster.psql("postgres", "CREATE DATABASE supra_source")
    cluster.psql("supra_source", SCHEMA)
    source = _fingerprint(cluster, "supra_source")
    assert source["accounts"][0] == 250 and source["invoices"][0] == 750 and source["payments"][0] > 0

    dump = tmp_path / "supra.dump"
    subprocess.run(cluster.tool("pg_dump", "-Fc", "-d", "supra_source", "-f", str(dump)), check=True, timeout=120)
    assert dump.stat().st_size > 0

    cluster.psql("postgres", "CREATE DATABASE supra_restored")
    subprocess.run(
        cluster.tool("pg_restore", "--exit-on-error", "--no-owner", "-d", "supra_restored", str(dump)),
        check=True,
        timeout=120,
    )
    assert _fingerprint(cluster, "supra_restored") == source

    # RLS and constraints come back with the data.
    assert cluster.psql("supra_restored", "SELECT relrowsecurity FROM pg_class WHERE relname = 'invoices'") == "t"
    assert cluster.psql("supra_restored", "SELECT count(*) FROM pg_policy WHERE polname = 'tenant_isolation'") == "1"
    with pytest.raises(subprocess.CalledProcessError):
        cluster.psql("supra_restored", "INSERT INTO invoices (account_id, period, total) VALUES (1, '2025-01', 1)")


def test_drill_detects_a_lossy_restore(cluster: PgCluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The comparison is not vacuous: a restore that lost rows is caught."""
    cluster.psql("postgres", "CREATE DATABASE supra_lossy")
    cluster.psql("supra_lossy", SCHEMA)
    before = _fingerprint(cluster, "supra_lossy")
    cluster.psql("supra_lossy", "DELETE FROM payments WHERE ctid IN (SELECT ctid FROM payments LIMIT 1)")
    assert _fingerprint(cluster, "supra_lossy") != before
