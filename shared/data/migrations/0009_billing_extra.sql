-- Invoice amounts shown on the bill besides the period's charges.
ALTER TABLE invoices
    ADD COLUMN previous_balance numeric(14, 2) NOT NULL DEFAULT 0,
    ADD COLUMN amount_due numeric(14, 2) NOT NULL DEFAULT 0,
    ADD COLUMN held_reason text,
    ADD COLUMN reviewed_by text,
    ADD COLUMN reviewed_at timestamptz;

-- Per-sector progress is read from the chunk plan.
CREATE INDEX billing_chunks_run_status ON billing_chunks (run_id, status);

-- Tenant slugs for jobs that run for every tenant (timers). Slugs only, no tenant data.
CREATE FUNCTION all_tenant_slugs() RETURNS TABLE (slug text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
AS $$ SELECT slug FROM tenants ORDER BY slug $$;
REVOKE ALL ON FUNCTION all_tenant_slugs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION all_tenant_slugs() TO supra_app;
