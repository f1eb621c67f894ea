"""Payments use cases: webhook intake, applying payments and reversals to the ledger, suspense, plans, dunning,
reconciliation and the ledger check.

Modules: `intake` (verify and store webhook deliveries, redrive), `apply` (inbox row → ledger, exactly once),
`suspense` (the operator's queue of unmatched money), `collections` (plans, dunning), `poison` (record and replay
poisoned messages), `reconcile` (daily report, provider re-fetch), `ledger` (invariant check); `credit` and
`facts` are their shared parts. Every public use case is keyword-only, opens its own tenant transaction and takes
the `now` its interface computed where it stamps time."""

from shared.application.payments import apply, collections, intake, ledger, overview, poison, reconcile, suspense
from shared.application.payments.apply import ApplyResult, InboxRowMissing, apply_account_credit, process_inbox
from shared.application.payments.collections import (
    InvalidPlan,
    PlanNotEligible,
    detect_broken_plans,
    dunning_sweep,
    sign_plan,
)
from shared.application.payments.credit import AccountNotFound
from shared.application.payments.intake import (
    SPEI_SIGNATURE_HEADER,
    DeliveryNotVerified,
    Enqueue,
    IntakeResult,
    MalformedDelivery,
    RefetchNotSupported,
    TenantNotResolved,
    UnroutedEventElsewhere,
    UnroutedNotFound,
    receive_conekta,
    receive_spei,
    redrive_stale_inbox,
    redrive_unrouted,
    resolve_tenant,
    spei_signature,
    unrouted_deliveries,
)
from shared.application.payments.poison import (
    ReplayOutcome,
    UnroutablePoison,
    list_poison,
    record_poison,
    replay_poison,
)
from shared.application.payments.reconcile import ChannelReconciliation, RefetchResult, reconcile_day, refetch_day
from shared.application.payments.suspense import (
    PaymentNotFound,
    PaymentNotInPesos,
    PaymentNotInSuspense,
    assign_suspense_payment,
    unmatched_payments,
)

__all__ = [
    "SPEI_SIGNATURE_HEADER",
    "AccountNotFound",
    "ApplyResult",
    "ChannelReconciliation",
    "DeliveryNotVerified",
    "Enqueue",
    "InboxRowMissing",
    "IntakeResult",
    "InvalidPlan",
    "MalformedDelivery",
    "PaymentNotFound",
    "PaymentNotInPesos",
    "PaymentNotInSuspense",
    "PlanNotEligible",
    "RefetchNotSupported",
    "RefetchResult",
    "ReplayOutcome",
    "TenantNotResolved",
    "UnroutablePoison",
    "UnroutedEventElsewhere",
    "UnroutedNotFound",
    "apply",
    "apply_account_credit",
    "assign_suspense_payment",
    "collections",
    "detect_broken_plans",
    "dunning_sweep",
    "intake",
    "ledger",
    "list_poison",
    "overview",
    "poison",
    "process_inbox",
    "receive_conekta",
    "receive_spei",
    "reconcile",
    "reconcile_day",
    "record_poison",
    "redrive_stale_inbox",
    "redrive_unrouted",
    "refetch_day",
    "replay_poison",
    "resolve_tenant",
    "sign_plan",
    "spei_signature",
    "suspense",
    "unmatched_payments",
    "unrouted_deliveries",
]
