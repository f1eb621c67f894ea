-- Inspection candidates → work orders → outcome → fraud case → back-billing (issue 17). One row per inspection work
-- order created from the ranked list: the score and evidence that put the account on it, then the inspection's
-- outcome, the fraud case it fed and the month-by-month assessment that priced the back-bill or the credit.

CREATE TABLE inspection_orders (
    work_order_id  bigint PRIMARY KEY REFERENCES work_orders(id),
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    account_id     bigint NOT NULL REFERENCES accounts(id),
    period         date NOT NULL CHECK (extract(day FROM period) = 1),
    score          numeric(8, 3) NOT NULL,
    evidence       jsonb NOT NULL,
    outcome        text CHECK (outcome IN ('fraud_confirmed', 'meter_fault', 'no_finding')),
    fraud_case_id  bigint REFERENCES fraud_cases(id),
    assessment     jsonb,
    amount         numeric(14, 2),
    created_at     timestamptz NOT NULL,
    decided_at     timestamptz,
    decided_by     text,
    UNIQUE (tenant_id, account_id, period)
);
SELECT enable_tenant_isolation('inspection_orders');
