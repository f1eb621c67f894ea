-- Domain-event consumers that could not run for a reason retrying does not fix (the tenant has no CSD, say): one
-- row per (consumer, event key) with the reason and the envelope, written with the consumer's processed_events
-- mark so redeliveries do not retry it; `manage.py events skipped` lists them and `events rerun` runs them again
-- once the cause is fixed (rerun_at records when).
CREATE TABLE consumer_skips (
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    consumer    text NOT NULL,
    event_key   text NOT NULL,
    event_type  text NOT NULL,
    reason      text NOT NULL CHECK (reason ~ '^[a-z0-9_]{1,60}$'),
    detail      text NOT NULL,
    envelope    jsonb NOT NULL,
    skipped_at  timestamptz NOT NULL,
    rerun_at    timestamptz,
    PRIMARY KEY (consumer, event_key)
);
SELECT enable_tenant_isolation('consumer_skips');
CREATE INDEX consumer_skips_open ON consumer_skips (tenant_id, consumer) WHERE rerun_at IS NULL;
