-- Dead letters hold whole message bodies (personal data) of every tenant. The poison triggers and the replay command
-- run as platform work, with no tenant bound, and must see every row; a session bound to a tenant (every API request
-- and every tenant use case) must see only its own tenant's letters, never another's. Row-level security says
-- exactly that; the table stays out of enable_tenant_isolation() because unbound platform sessions are allowed here.
ALTER TABLE dead_letters ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dead_letters
    USING (app_current_tenant() IS NULL OR tenant_id = app_current_tenant())
    WITH CHECK (app_current_tenant() IS NULL OR tenant_id = app_current_tenant());
