"""Payments use cases: webhook intake, applying payments and reversals to the ledger, suspense, plans, dunning,
reconciliation and the ledger check."""
