"""Binary COPY encoders: every supported type round-trips through PostgreSQL, on both encoding paths."""

import datetime as dt
import uuid
from decimal import Decimal

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.seeding import bulk


@pytest.fixture
def conn(fresh_db):
    with psycopg.connect(fresh_db.owner_url) as c:
        c.execute(
            "CREATE TEMP TABLE t (i8 bigint, i4 integer, i2 smallint, b boolean, u uuid, ts timestamptz,"
            " d date, n numeric(14, 2), n6 numeric(9, 6), n0 numeric, tx text)"
        )
        yield c


def _columns(rows):
    i8, i4, i2, b, u, ts, d, n, n6, n0, tx = zip(*rows, strict=True)
    return {
        "i8": bulk.int8(np.array(i8)),
        "i4": bulk.int4(np.array(i4)),
        "i2": bulk.int2(np.array(i2)),
        "b": bulk.boolean(np.array(b)),
        "u": bulk.uuid_const(u[0], len(rows)),
        "ts": bulk.timestamptz(np.array([bulk.to_pg_us(x) for x in ts])),
        "d": bulk.date(np.array([bulk.to_pg_days(x) for x in d])),
        "n": bulk.numeric(np.array([int(x * 100) for x in n]), 2),
        "n6": bulk.numeric(np.array([int(x * 1_000_000) for x in n6]), 6),
        "n0": bulk.numeric(np.array([int(x) for x in n0]), 0),
        "tx": bulk.text(list(tx)),
    }


def test_every_type_round_trips(conn):
    tenant = uuid.uuid4()
    rows = [
        (
            2**62,
            -(2**31),
            32767,
            True,
            tenant,
            dt.datetime(2026, 5, 1, 15, 30, 1, 250, tzinfo=dt.UTC),
            dt.date(1999, 12, 31),
            Decimal("-1234567890.12"),
            Decimal("-100.392000"),
            Decimal("0"),
            "Querétaro Ñandú",
        ),
        (
            0,
            7,
            -5,
            False,
            tenant,
            dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
            dt.date(2000, 1, 1),
            Decimal("0.01"),
            Decimal("20.593012"),
            Decimal("999999999999"),
            None,
        ),
        (
            -1,
            0,
            0,
            True,
            tenant,
            dt.datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
            dt.date(2038, 1, 19),
            Decimal("45.00"),
            Decimal("0.000001"),
            Decimal("-42"),
            "",
        ),
    ]
    assert bulk.copy_columns(conn, "t", _columns(rows), chunk_rows=2) == 3
    got = conn.execute("SELECT * FROM t ORDER BY i4").fetchall()
    assert got == sorted(rows, key=lambda r: r[1])


def test_fixed_width_fast_path_and_nulls(conn):
    n = 1000
    values = np.arange(n) * 37 - 5000
    columns = {
        "i8": bulk.int8(values),
        "n": bulk.numeric(values, 2),
        "tx": bulk.text_fixed(bulk.digits(np.arange(n), 6)),
    }
    bulk.copy_columns(conn, "t", columns, chunk_rows=300)
    masked = {
        "i8": bulk.with_nulls(bulk.int8(values), values % 2 == 0),
        "n": bulk.numeric(values, 2),
        "tx": bulk.with_nulls(bulk.text([f"x{v}" for v in values]), values % 3 == 0),
    }
    bulk.copy_columns(conn, "t", masked)
    first = conn.execute("SELECT count(*), sum(i8), sum(n), min(tx), max(tx) FROM t WHERE tx ~ '^[0-9]'").fetchone()
    assert first == (n, int(values.sum()), Decimal(int(values.sum())) / 100, "000000", f"{n - 1:06d}")
    nulls = conn.execute(
        "SELECT count(*) FILTER (WHERE i8 IS NULL), count(*) FILTER (WHERE tx IS NULL)"
        " FROM t WHERE n IS NOT NULL AND (tx IS NULL OR tx LIKE 'x%')"
    ).fetchone()
    assert nulls == (int((values % 2 == 0).sum()), int((values % 3 == 0).sum()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(
        st.decimals(
            min_value=Decimal("-999999999999.99"),
            max_value=Decimal("999999999999.99"),
            places=2,
            allow_nan=False,
            allow_infinity=False,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_money_numeric_round_trips_exactly(conn, amounts):
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS money (n numeric(14, 2))")
    conn.execute("TRUNCATE money")
    bulk.copy_columns(conn, "money", {"n": bulk.numeric(np.array([int(a * 100) for a in amounts]), 2)})
    assert [r[0] for r in conn.execute("SELECT n FROM money")] == amounts


def test_encoder_refuses_what_it_cannot_represent():
    with pytest.raises(bulk.BulkEncodingError):
        bulk.numeric(np.array([10**12 * 100]), 2)
    with pytest.raises(bulk.BulkEncodingError):
        bulk.encode_rows([bulk.int8(np.arange(3)), bulk.int8(np.arange(4))])
    with pytest.raises(bulk.BulkEncodingError):
        bulk.digits(np.array([1000]), 3)
    with pytest.raises(bulk.BulkEncodingError):
        bulk.to_pg_us(dt.datetime(2026, 1, 1))


def test_reserved_ids_never_collide_with_existing_or_later_rows(fresh_db):
    with psycopg.connect(fresh_db.owner_url) as c:
        c.execute(
            "INSERT INTO tenants (id, slug, name, rfc, fiscal_name) VALUES (%s, 't', 't', 'X', 'X')",
            (uuid.UUID(int=5),),
        )
        c.execute("INSERT INTO persons (id, tenant_id, first_name) VALUES (500, %s, 'explicit')", (uuid.UUID(int=5),))
        first = bulk.reserve_ids(c, "persons", 100)
        assert first == 501
        later = c.execute("INSERT INTO persons (tenant_id) VALUES (%s) RETURNING id", (uuid.UUID(int=5),)).fetchone()
        assert later == (601,)
        assert bulk.reserve_ids(c, "persons", 10) == 602
