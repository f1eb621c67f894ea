-- Extensions from stock PostgreSQL contrib (all "trusted": the database owner may create them).
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The application role must exist (created by the bootstrap: devstack/postgres.py locally, docs/runbook.md in Azure).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supra_app') THEN
        RAISE EXCEPTION 'role supra_app is missing: run the database bootstrap first';
    END IF;
END $$;

GRANT USAGE ON SCHEMA public TO supra_app;

-- Tenant of the current transaction, set by the application with set_config('app.tenant_id', ..., true).
-- NULL when unset, so every RLS policy denies access by default.
CREATE FUNCTION app_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- Monthly range partitions [from, to) for a partitioned table. SECURITY DEFINER so the application role can ask
-- for the partitions it is about to write; partitions are never granted to the app role directly, so every read
-- goes through the parent table and its row-level security.
CREATE FUNCTION ensure_month_partitions(parent regclass, from_month date, to_month date) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
AS $$
DECLARE
    m date := date_trunc('month', from_month)::date;
    created integer := 0;
    part text;
BEGIN
    WHILE m < to_month LOOP
        part := format('%s_y%sm%s', parent::text, to_char(m, 'YYYY'), to_char(m, 'MM'));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                           part, parent, m, (m + interval '1 month')::date);
            EXECUTE format('REVOKE ALL ON %I FROM supra_app', part);
            created := created + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN created;
END $$;
REVOKE ALL ON FUNCTION ensure_month_partitions(regclass, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ensure_month_partitions(regclass, date, date) TO supra_app;

-- Adds the tenant isolation policy and the application grants to a tenant table.
CREATE FUNCTION enable_tenant_isolation(tbl regclass) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = app_current_tenant()) '
                   'WITH CHECK (tenant_id = app_current_tenant())', tbl);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO supra_app', tbl);
END $$;
