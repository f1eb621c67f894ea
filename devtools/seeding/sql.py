"""SQL of the seeding use cases (reference data and the synthetic utility)."""

from __future__ import annotations

from typing import Final

UPSERT_TENANT: Final = """
INSERT INTO tenants (id, slug, name, rfc, fiscal_name, regimen_fiscal, postal_code, config)
VALUES (%(id)s, %(slug)s, %(name)s, %(rfc)s, %(fiscal_name)s, %(regimen_fiscal)s, %(postal_code)s, %(config)s)
ON CONFLICT (id) DO UPDATE
SET slug = EXCLUDED.slug, name = EXCLUDED.name, rfc = EXCLUDED.rfc, fiscal_name = EXCLUDED.fiscal_name,
    regimen_fiscal = EXCLUDED.regimen_fiscal, postal_code = EXCLUDED.postal_code, config = EXCLUDED.config
WHERE (tenants.slug, tenants.name, tenants.rfc, tenants.fiscal_name, tenants.regimen_fiscal, tenants.postal_code,
       tenants.config)
      IS DISTINCT FROM (EXCLUDED.slug, EXCLUDED.name, EXCLUDED.rfc, EXCLUDED.fiscal_name, EXCLUDED.regimen_fiscal,
                        EXCLUDED.postal_code, EXCLUDED.config)
RETURNING (xmax = 0) AS inserted
"""

TENANT_BY_SLUG: Final = "SELECT id FROM tenants WHERE slug = %s"
TENANT_EXISTS: Final = "SELECT 1 FROM tenants WHERE id = %s"

TARIFF_BY_NAME: Final = """
SELECT id, tariff_class, effective_from, effective_to, definition
FROM tariff_schedules WHERE tenant_id = %s AND name = %s AND version = 1
"""

INSERT_TARIFF: Final = """
INSERT INTO tariff_schedules (tenant_id, name, tariff_class, version, effective_from, effective_to, definition,
                              created_by)
VALUES (%s, %s, %s, 1, %s, %s, %s, 'seed')
"""

# Serialises seeding of one tenant (transaction-scoped advisory lock; key derived from the tenant id).
LOCK_TENANT_SEED: Final = "SELECT pg_advisory_xact_lock(hashtextextended('seed:' || %s::text, 0))"
TENANT_ACCOUNTS: Final = "SELECT count(*) FROM accounts WHERE tenant_id = %s"
ENSURE_READING_PARTITIONS: Final = "SELECT ensure_month_partitions('meter_readings', %s, %s)"

# `--reset` empties, for the tenant, the tables the synthetic seed writes, billing runs, and every table that
# references any of them (found through pg_constraint, so tables added by later migrations are included).
# Reference data is never emptied: a protected table in that set makes the reset fail instead.
RESET_ROOTS: Final = (
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
    "billing_runs",
)
RESET_PROTECTED: Final = frozenset({"tenants", "users", "api_clients", "tariff_schedules", "folio_series"})
REFERENCING_CLOSURE: Final = """
WITH RECURSIVE refs(oid) AS (
    SELECT c.oid FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s)
    UNION
    SELECT k.conrelid FROM pg_constraint k JOIN refs r ON k.confrelid = r.oid
    WHERE k.contype = 'f' AND k.conparentid = 0
)
SELECT c.relname FROM refs JOIN pg_class c ON c.oid = refs.oid ORDER BY c.relname
"""
FOREIGN_KEY_EDGES: Final = """
SELECT child.relname, parent.relname
FROM pg_constraint k
JOIN pg_class child ON child.oid = k.conrelid
JOIN pg_class parent ON parent.oid = k.confrelid
WHERE k.contype = 'f' AND k.conparentid = 0 AND child.relnamespace = 'public'::regnamespace
  AND child.relname = ANY(%s) AND parent.relname = ANY(%s)
"""
OTHER_TENANT_ROWS: Final = "SELECT EXISTS (SELECT 1 FROM {table} WHERE tenant_id <> %s)"
DELETE_TENANT_ROWS: Final = "DELETE FROM {table} WHERE tenant_id = %s"
TRUNCATE_TABLES: Final = "TRUNCATE {tables}"

LOCK_FOR_RESERVATION: Final = "LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE"

# Foreign keys of the tables a bulk load writes, captured verbatim so they can be dropped for the load and re-added
# (validated by one join per key instead of one trigger call per row) in the same transaction.
FOREIGN_KEYS_OF: Final = """
SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE k.contype = 'f' AND k.conparentid = 0 AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s)
ORDER BY c.relname, k.conname
"""
DROP_CONSTRAINT: Final = "ALTER TABLE {table} DROP CONSTRAINT {name}"
ADD_CONSTRAINT: Final = "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
