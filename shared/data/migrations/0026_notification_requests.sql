-- Notifications go through the notifications queue: a producer (domain-event consumer or scheduled job) records a
-- request row ('queued', with its natural key, kind, purpose and parameters) and enqueues its key; the queue worker
-- claims it ('sending'), decides (quiet hours and the tenant's rate limit push send_after forward; opt-outs and
-- missing phones skip), sends and records the outcome ('sent' / 'skipped' / 'failed' with the reason). Provider
-- statuses (sent/delivered/read/failed) arrive by webhook and are stored in delivery_status.
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'skipped', 'failed'));
ALTER TABLE notifications ALTER COLUMN body DROP NOT NULL;
ALTER TABLE notifications
    ADD COLUMN kind             text,
    ADD COLUMN purpose          text NOT NULL DEFAULT 'whatsapp_notices',
    ADD COLUMN params           jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN template         text,
    ADD COLUMN failure_reason   text,
    ADD COLUMN send_after       timestamptz,
    ADD COLUMN claimed_at       timestamptz,
    ADD COLUMN attempts         integer NOT NULL DEFAULT 0,
    ADD COLUMN sent_at          timestamptz,
    ADD COLUMN delivery_status  text CHECK (delivery_status IN ('sent', 'delivered', 'read', 'failed')),
    ADD COLUMN delivery_error   text,
    ADD COLUMN delivery_at      timestamptz;
CREATE INDEX notifications_pending ON notifications (tenant_id, send_after) WHERE status IN ('queued', 'sending');
CREATE INDEX notifications_provider_message ON notifications (provider_message_id)
    WHERE provider_message_id IS NOT NULL;

-- Per-tenant send counter per minute (the rate limit); old minutes are deleted by the release job.
CREATE TABLE notification_rate (
    tenant_id  uuid NOT NULL REFERENCES tenants(id),
    minute     timestamptz NOT NULL,
    sent       integer NOT NULL,
    PRIMARY KEY (tenant_id, minute)
);
SELECT enable_tenant_isolation('notification_rate');

-- Provider statuses, idempotent by (provider message id, status): a redelivered webhook changes nothing.
CREATE TABLE notification_statuses (
    tenant_id            uuid NOT NULL REFERENCES tenants(id),
    provider_message_id  text NOT NULL,
    status               text NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    error                text,
    at                   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, provider_message_id, status)
);
SELECT enable_tenant_isolation('notification_statuses');
