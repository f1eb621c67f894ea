import psycopg
import pytest

from shared.data.migrate import MigrationChecksumMismatch, discover, migrate


def test_rerunning_migrations_is_a_noop(fresh_db):
    assert migrate(fresh_db.owner_url) == []
    with fresh_db.owner() as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m.version for m in discover()]


def test_an_edited_applied_migration_is_refused(fresh_db, tmp_path):
    for m in discover():
        (tmp_path / f"{m.version}_{m.name}.sql").write_text(m.sql)
    first = discover()[0]
    (tmp_path / f"{first.version}_{first.name}.sql").write_text(first.sql + "\n-- edited\n")
    with pytest.raises(MigrationChecksumMismatch):
        migrate(fresh_db.owner_url, tmp_path)


def test_a_failing_migration_leaves_nothing_half_applied(fresh_db, tmp_path):
    for m in discover():
        (tmp_path / f"{m.version}_{m.name}.sql").write_text(m.sql)
    (tmp_path / "9999_broken.sql").write_text("CREATE TABLE half_done (id int); SELECT no_such_function();")
    with pytest.raises(psycopg.errors.UndefinedFunction):
        migrate(fresh_db.owner_url, tmp_path)
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM schema_migrations WHERE version = '9999'").fetchone() == (0,)


def test_app_role_is_neither_superuser_nor_owner(fresh_db):
    with fresh_db.app() as conn:
        superuser, bypass = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        owned = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        ).fetchone()
    assert (superuser, bypass) == (False, False)
    assert owned == (0,)


def test_every_tenant_table_has_rls_enabled(fresh_db):
    with fresh_db.owner() as conn:
        rows = conn.execute(
            """SELECT c.relname, c.relrowsecurity FROM pg_class c
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
               WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                 AND NOT c.relispartition"""
        ).fetchall()
    assert rows, "no tenant tables found"
    assert [name for name, rls in rows if not rls and name not in NO_TENANT_TABLES] == []
    with fresh_db.owner() as conn:
        for table in NO_TENANT_TABLES:
            granted = conn.execute(
                "SELECT has_table_privilege('supra_app', %s, 'SELECT') OR has_table_privilege('supra_app', %s, 'UPDATE')",
                (table, table),
            ).fetchone()
            assert granted == (False,), f"{table} belongs to no tenant: the app role may reach it only via functions"


# Tables whose tenant_id is assigned later (or never) and that the application role cannot read or change directly
# (SECURITY DEFINER functions only), with the reason.
NO_TENANT_TABLES = {
    "webhook_unrouted": "deliveries no tenant could be found for; tenant_id is set when an operator redrives one",
}


def test_a_tenant_session_sees_only_its_own_dead_letters(fresh_db):
    with fresh_db.owner() as conn:
        tenants = [
            conn.execute(
                "INSERT INTO tenants (slug, name, rfc, fiscal_name) VALUES (%s, %s, 'AAA010101AAA', %s) RETURNING id",
                (slug, slug, slug),
            ).fetchone()[0]
            for slug in ("dl-a", "dl-b")
        ]
        for t in tenants:
            conn.execute(
                "INSERT INTO dead_letters (queue, body_sha256, body, tenant_id, error, first_failed_at, last_failed_at)"
                " VALUES ('domain-events', md5(%s::text), '{}', %s, 'boom', now(), now())",
                (str(t), t),
            )
    with fresh_db.app() as conn:  # platform work (poison trigger, replay): no tenant bound, every row
        assert conn.execute("SELECT count(*) FROM dead_letters WHERE queue = 'domain-events'").fetchone() == (2,)
    with fresh_db.app(tenants[0]) as conn:
        seen = conn.execute("SELECT tenant_id FROM dead_letters").fetchall()
    assert seen == [(tenants[0],)]
