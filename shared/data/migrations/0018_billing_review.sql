-- The monthly cycle in one durable orchestration: after billing, the tenant's review policy either approves the run
-- (auto issue) or leaves it 'awaiting_approval' with the reason until an operator approves it through the API;
-- 'issued' once its drafts have folios. Who approved, when, and why a run was held are kept on the run.
-- A toma may be recorded as unoccupied (deshabitada): zero consumption on an occupied toma is held for review.
ALTER TABLE billing_runs DROP CONSTRAINT billing_runs_status_check;
ALTER TABLE billing_runs
    ADD CONSTRAINT billing_runs_status_check
        CHECK (status IN ('pending', 'running', 'completed', 'awaiting_approval', 'approved', 'issued', 'failed')),
    ADD COLUMN review_reason  text,
    ADD COLUMN review_counters jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN back_billing   boolean NOT NULL DEFAULT false,
    ADD COLUMN reviewed_at    timestamptz,
    ADD COLUMN approved_by    text,
    ADD COLUMN approved_at    timestamptz,
    ADD COLUMN issued_at      timestamptz;

ALTER TABLE tomas ADD COLUMN occupied boolean NOT NULL DEFAULT true;
