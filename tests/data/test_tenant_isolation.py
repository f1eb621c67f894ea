"""Row-level security: tenant A can neither read nor write tenant B's rows through the application role."""

import psycopg
import pytest


@pytest.fixture
def two_tenants(fresh_db, tenant_factory):
    a, b = tenant_factory("tenant-a"), tenant_factory("tenant-b")
    with fresh_db.owner() as conn:
        for tenant, code in ((a, "A-01"), (b, "B-01")):
            conn.execute(
                "INSERT INTO sectores_hidraulicos (tenant_id, code, name) VALUES (%s, %s, %s)",
                (tenant, code, f"Sector {code}"),
            )
            conn.execute(
                "INSERT INTO persons (tenant_id, first_name, rfc) VALUES (%s, %s, 'GALM800101AB1')",
                (tenant, f"Persona {code}"),
            )
    return a, b


def test_reads_see_only_own_tenant(fresh_db, two_tenants):
    a, b = two_tenants
    with fresh_db.app(a) as conn:
        assert [r[0] for r in conn.execute("SELECT code FROM sectores_hidraulicos")] == ["A-01"]
        assert conn.execute("SELECT count(*) FROM persons").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM tenants").fetchone() == (1,)
    with fresh_db.app(b) as conn:
        assert [r[0] for r in conn.execute("SELECT code FROM sectores_hidraulicos")] == ["B-01"]


def test_no_tenant_set_sees_nothing(fresh_db, two_tenants):
    with fresh_db.app() as conn:
        assert conn.execute("SELECT count(*) FROM sectores_hidraulicos").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM persons").fetchone() == (0,)


def test_cannot_insert_into_another_tenant(fresh_db, two_tenants):
    a, b = two_tenants
    with fresh_db.app(a) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO sectores_hidraulicos (tenant_id, code, name) VALUES (%s, 'X', 'x')", (b,))


def test_cannot_update_or_delete_another_tenants_rows(fresh_db, two_tenants):
    a, b = two_tenants
    with fresh_db.app(a) as conn:
        assert conn.execute("UPDATE sectores_hidraulicos SET name = 'hacked' WHERE tenant_id = %s", (b,)).rowcount == 0
        assert conn.execute("DELETE FROM persons WHERE tenant_id = %s", (b,)).rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE sectores_hidraulicos SET tenant_id = %s", (b,))
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT name FROM sectores_hidraulicos WHERE tenant_id = %s", (b,)).fetchone() == (
            "Sector B-01",
        )


def test_partitions_are_not_reachable_directly(fresh_db, two_tenants):
    a, _ = two_tenants
    with fresh_db.app(a) as conn:
        conn.execute("SELECT ensure_month_partitions('meter_readings', '2026-01-01', '2026-02-01')")
        conn.commit()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM meter_readings_y2026m01")
