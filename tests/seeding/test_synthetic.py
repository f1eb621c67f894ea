"""Synthetic utility: deterministic, realistic in its distributions, consistent across tables, valid identifiers."""

import datetime as dt
import re
from decimal import Decimal

import numpy as np
import pytest

from devtools.seeding import catalog
from devtools.seeding.plan import DOMESTICO, SyntheticSpec, build_plan
from devtools.seeding.synthetic import TenantAlreadySeeded, TenantMissing, reset_order, seed_synthetic
from shared.domain.cfdi.rfc import rfc_problem
from shared.domain.identity.curp import curp_problem
from shared.domain.payments.references import is_valid_clabe, is_valid_reference, make_reference
from tests.seeding.conftest import SMALL, seed_into

TENANT = catalog.TENANT_ID
SEEDED_TABLES = (
    "sectores_hidraulicos",
    "persons",
    "addresses",
    "tomas",
    "acometidas",
    "meters",
    "meter_installations",
    "accounts",
    "adjustments",
    "account_movements",
    "meter_readings",
)


def _checksums(db) -> dict[str, str]:
    with db.owner() as conn:
        return {
            table: conn.execute(f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} t").fetchone()[0]
            for table in SEEDED_TABLES
        }


def _scalar(db, query, *params):
    with db.owner() as conn:
        return conn.execute(query, params).fetchone()[0]


def test_same_seed_same_rows_in_two_databases_parallel_or_not(seeded, extra_database):
    db, _ = seeded
    seed_into(extra_database, parallel=False)
    first, second = _checksums(db), _checksums(extra_database)
    assert all(first.values())
    assert first == second


def test_another_seed_gives_other_rows(seeded, extra_database):
    db, _ = seeded
    seed_into(extra_database, SyntheticSpec(accounts=300, sectors=6, months=6, seed=SMALL.seed + 1, until=SMALL.until))
    first, other = _checksums(db), _checksums(extra_database)
    assert first["persons"] != other["persons"] and first["meter_readings"] != other["meter_readings"]


def test_row_counts_are_consistent(seeded):
    db, report = seeded
    n = SMALL.accounts
    with db.owner() as conn:
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t} WHERE tenant_id = %s", (TENANT,)).fetchone()[0]
            for t in SEEDED_TABLES
        }
        public = conn.execute("SELECT count(*) FROM accounts WHERE tariff_class = 'publico'").fetchone()[0]
        institutions = conn.execute(
            "SELECT count(DISTINCT person_id) FROM accounts WHERE tariff_class = 'publico'"
        ).fetchone()[0]
        drainage = conn.execute("SELECT count(*) FROM tomas WHERE service_drainage").fetchone()[0]
        mismatched = conn.execute(
            "SELECT count(*) FROM meter_readings r JOIN accounts a ON a.id = r.account_id"
            " JOIN meter_installations i ON i.toma_id = a.toma_id AND i.removed_at IS NULL"
            " WHERE i.meter_id <> r.meter_id OR r.read_at < i.installed_at"
        ).fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM meter_readings r LEFT JOIN accounts a ON a.id = r.account_id WHERE a.id IS NULL"
        ).fetchone()[0]
    assert counts["addresses"] == counts["tomas"] == counts["meters"] == counts["meter_installations"] == n
    assert counts["accounts"] == n and counts["sectores_hidraulicos"] == SMALL.sectors
    assert counts["persons"] == n - public + institutions
    assert counts["acometidas"] == n + drainage
    assert counts["adjustments"] == counts["account_movements"] > 0
    assert counts["meter_readings"] <= n * SMALL.months
    assert (mismatched, orphans) == (0, 0)
    assert {table: report.rows(table) for table in SEEDED_TABLES} == counts


def test_tariff_mix_follows_the_target_shares(seeded):
    db, _ = seeded
    with db.owner() as conn:
        mix = dict(conn.execute("SELECT tariff_class, count(*) FROM accounts GROUP BY 1").fetchall())
    for tariff_class, share in catalog.TARIFF_MIX:
        assert abs(mix.get(tariff_class, 0) / SMALL.accounts - share) <= 0.01, (tariff_class, mix)


def test_about_three_percent_of_reads_are_missing_and_reads_stay_in_their_month(seeded):
    db, _ = seeded
    reads = _scalar(db, "SELECT count(*) FROM meter_readings")
    missing = 1 - reads / (SMALL.accounts * SMALL.months)
    assert 0.015 <= missing <= 0.05
    window = _scalar(
        db,
        "SELECT count(*) FROM meter_readings WHERE read_at < %s OR read_at >= %s",
        SMALL.first_month,
        SMALL.end_month,
    )
    assert window == 0
    per_account_month = _scalar(
        db,
        "SELECT max(c) FROM (SELECT count(*) c FROM meter_readings"
        " GROUP BY account_id, date_trunc('month', read_at)) x",
    )
    assert per_account_month == 1


MONTHLY = """
WITH r AS (
    SELECT account_id, value, m.dials,
           lag(value) OVER w AS previous,
           (extract(year FROM read_at) * 12 + extract(month FROM read_at))
             - lag(extract(year FROM read_at) * 12 + extract(month FROM read_at)) OVER w AS months
    FROM meter_readings JOIN meters m ON m.id = meter_id
    WINDOW w AS (PARTITION BY account_id ORDER BY read_at)
)
SELECT account_id, value, previous, months, dials FROM r WHERE previous IS NOT NULL
"""


def test_rollovers_leaks_and_vacant_homes_are_present(seeded):
    db, _ = seeded
    with db.owner() as conn:
        rows = conn.execute(MONTHLY).fetchall()
        vacant = conn.execute(
            "SELECT count(*) FROM (SELECT account_id FROM meter_readings GROUP BY account_id"
            " HAVING count(*) >= 2 AND max(value) = min(value)) x"
        ).fetchone()[0]
    rollovers = [r for r in rows if r[1] < r[2]]
    assert rollovers, "no register went past its maximum"
    for _, value, previous, _, dials in rollovers:
        assert previous > Decimal(10) ** dials * Decimal("0.9") and value < Decimal(10) ** dials * Decimal("0.1")
    per_account: dict[int, list[float]] = {}
    for account, value, previous, months, _ in rows:
        if value >= previous:
            per_account.setdefault(account, []).append(float(value - previous) / float(months))
    leaks = [
        a
        for a, monthly in per_account.items()
        if len(monthly) >= 3
        and max(monthly) > 2 * float(np.median(monthly))
        and max(monthly) - float(np.median(monthly)) >= 15
    ]
    assert leaks, "no leak-like streak of high consumption"
    assert 1 <= vacant <= 0.05 * SMALL.accounts


def test_about_eight_percent_in_arrears_with_ledger_movements(seeded):
    db, _ = seeded
    with db.owner() as conn:
        adjustments = conn.execute("SELECT id, account_id, amount, natural_key FROM adjustments ORDER BY id").fetchall()
        movements = conn.execute(
            "SELECT source_id, account_id, amount, kind, source_type FROM account_movements ORDER BY source_id"
        ).fetchall()
        numbers = dict(conn.execute("SELECT id, account_number FROM accounts").fetchall())
        restricted = conn.execute("SELECT count(*) FROM tomas WHERE status = 'restricted'").fetchone()[0]
    assert abs(len(adjustments) / SMALL.accounts - 0.08) <= 0.01
    assert [(a[0], a[1], a[2], "adjustment", "adjustment") for a in adjustments] == movements
    assert all(a[2] > 0 for a in adjustments)
    assert all(a[3] == f"seed:saldo-inicial:{numbers[a[1]]}" for a in adjustments)
    assert Decimal("50") < sum(a[2] for a in adjustments) / len(adjustments) < Decimal("20000")
    assert restricted <= len(adjustments)


def test_identifiers_carry_valid_check_digits(seeded):
    db, _ = seeded
    with db.owner() as conn:
        people = conn.execute("SELECT person_type, rfc, curp FROM persons").fetchall()
        accounts = conn.execute("SELECT payment_reference, clabe, account_number FROM accounts").fetchall()
    assert sum(1 for _, rfc, _ in people if rfc) > 0.3 * len(people)
    for person_type, rfc, curp in people:
        if rfc:
            assert rfc_problem(rfc=rfc) is None, rfc
            assert len(rfc) == (13 if person_type == "fisica" else 12)
        if curp:
            assert curp_problem(curp=curp) is None, curp
    for reference, clabe, number in accounts:
        assert re.fullmatch(r"10\d{10}", reference) and is_valid_reference(reference=reference)
        assert reference == make_reference(account_number=number)
        assert re.fullmatch(r"646180\d{12}", clabe) and is_valid_clabe(clabe=clabe)
    assert len({a[0] for a in accounts}) == len({a[1] for a in accounts}) == len(accounts)


def test_places_are_in_queretaro(seeded):
    db, _ = seeded
    with db.owner() as conn:
        codes = {r[0] for r in conn.execute("SELECT DISTINCT postal_code FROM addresses")}
        box = conn.execute("SELECT min(latitude), max(latitude), min(longitude), max(longitude) FROM tomas").fetchone()
        sectors = [r[0] for r in conn.execute("SELECT code FROM sectores_hidraulicos ORDER BY code")]
    assert codes <= {c.postal_code for c in catalog.COLONIAS}
    assert all(re.fullmatch(r"76[0-2]\d\d|769\d\d", c) for c in codes)
    assert catalog.BBOX_LAT[0] <= box[0] <= box[1] <= catalog.BBOX_LAT[1]
    assert catalog.BBOX_LON[0] <= box[2] <= box[3] <= catalog.BBOX_LON[1]
    assert sectors == [f"S{k:02d}" for k in range(1, SMALL.sectors + 1)]


def test_the_app_role_sees_the_seed_through_row_level_security(seeded):
    db, _ = seeded
    with db.app(TENANT) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (SMALL.accounts,)
    with db.app("00000000-0000-0000-0000-0000000000ff") as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (0,)


def test_consumption_is_seasonal_by_class():
    plan = build_plan(SyntheticSpec(accounts=3000, sectors=10, months=12, seed=3, until=dt.date(2027, 1, 1)))
    consumption = np.diff(plan.reading_value / 1000, axis=1)  # Feb..Dec 2026
    homes = (plan.cls == DOMESTICO) & ~plan.leak & ~plan.rollover & ~plan.vacant
    by_month = np.median(consumption[homes], axis=0)
    may, january_next = by_month[3], by_month[10]  # diffs: index 3 = May, 10 = December
    assert may > 1.15 * january_next


def test_seeding_twice_is_refused_and_reset_replaces_the_data(fresh_db):
    spec = SyntheticSpec(accounts=40, sectors=2, months=2, seed=1, until=SMALL.until)
    seed_into(fresh_db, spec)
    with fresh_db.owner() as conn:
        before = conn.execute(
            "SELECT array_agg(account_number || clabe ORDER BY account_number) FROM accounts"
        ).fetchone()[0]
        reads = conn.execute("SELECT count(*) FROM meter_readings").fetchone()[0]
    with pytest.raises(TenantAlreadySeeded):
        seed_synthetic(fresh_db.owner_url, spec)
    seed_synthetic(fresh_db.owner_url, spec, reset=True)
    with fresh_db.owner() as conn:
        after = conn.execute(
            "SELECT array_agg(account_number || clabe ORDER BY account_number) FROM accounts"
        ).fetchone()[0]
        assert conn.execute("SELECT count(*) FROM meter_readings").fetchone()[0] == reads
        assert conn.execute("SELECT count(*) FROM tariff_schedules").fetchone()[0] > 0
    assert after == before


def test_seeding_needs_the_tenant(fresh_db):
    with pytest.raises(TenantMissing):
        seed_synthetic(fresh_db.owner_url, SMALL)


def test_reset_keeps_other_tenants_rows(fresh_db):
    spec = SyntheticSpec(accounts=30, sectors=2, months=2, seed=5, until=SMALL.until)
    seed_into(fresh_db, spec)
    with fresh_db.owner() as conn:
        other = conn.execute(
            "INSERT INTO tenants (slug, name, rfc, fiscal_name) VALUES ('otro', 'o', 'X', 'X') RETURNING id"
        ).fetchone()[0]
        conn.execute("INSERT INTO sectores_hidraulicos (tenant_id, code, name) VALUES (%s, 'S01', 'ajeno')", (other,))
        order = reset_order(conn)
    assert order.index("meter_readings") < order.index("accounts") and order.index("accounts") < order.index("persons")
    seed_synthetic(fresh_db.owner_url, spec, reset=True)
    with fresh_db.owner() as conn:
        kept = conn.execute("SELECT count(*) FROM sectores_hidraulicos WHERE tenant_id = %s", (other,)).fetchone()
        assert kept == (1,)
        assert conn.execute("SELECT count(*) FROM accounts WHERE tenant_id = %s", (TENANT,)).fetchone() == (30,)


FOREIGN_KEYS = (
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
    " WHERE contype = 'f' ORDER BY 1, 2"
)


def test_foreign_keys_come_back_identical_after_a_seed(seeded, extra_database):
    db, _ = seeded
    with db.owner() as conn, extra_database.owner() as untouched:
        assert conn.execute(FOREIGN_KEYS).fetchall() == untouched.execute(FOREIGN_KEYS).fetchall()


def test_a_failed_load_leaves_neither_rows_nor_schema_changes(fresh_db, monkeypatch):
    from devtools.seeding import synthetic

    def broken(plan, ids):
        raise RuntimeError("generator broke")
        yield  # pragma: no cover

    loads = tuple((name, broken if name == "accounts" else build) for name, build in synthetic.ENTITY_LOADS)
    monkeypatch.setattr(synthetic, "ENTITY_LOADS", loads)
    with fresh_db.owner() as conn:
        keys_before = conn.execute(FOREIGN_KEYS).fetchall()
    seed_reference_only = SyntheticSpec(accounts=40, sectors=2, months=2, seed=2, until=SMALL.until)
    with pytest.raises(RuntimeError, match="generator broke"):
        seed_into(fresh_db, seed_reference_only)
    with fresh_db.owner() as conn:
        assert conn.execute(FOREIGN_KEYS).fetchall() == keys_before
        assert conn.execute(
            "SELECT (SELECT count(*) FROM persons) + (SELECT count(*) FROM meter_readings)"
        ).fetchone() == (0,)
