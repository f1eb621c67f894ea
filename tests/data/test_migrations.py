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
    assert [name for name, rls in rows if not rls] == []
