-- The unique (tenant_id, account_id, period) index already serves per-account lookups (RLS supplies tenant_id),
-- so the extra index only slowed down the billing run's bulk inserts.
DROP INDEX IF EXISTS invoices_account_period;
