"""Daily reconciliation per provider and channel, and re-fetching a provider's events for a day.

Expected = the provider's payment events for the day (inbox, one per provider payment id: order.paid and
charge.paid of one charge count once), by the payment's own time in America/Mexico_City. Applied = the payments
stored for them (applied to an account, or unmatched in suspense). `missing` lists provider payment ids with an
event but no payment (not processed yet, or poisoned): the report is the operator's starting point.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.adapters import conekta
from shared.application.payments.apply import process_inbox
from shared.application.payments.facts import parse
from shared.application.payments.intake import Enqueue, RefetchNotSupported, store_fetched_event
from shared.data import db
from shared.data import payments as data
from shared.data import payments_operations as ops
from shared.data.sql import Conn
from shared.domain.money import ZERO
from shared.domain.payments.model import PaymentFact
from shared.domain.timezone import UTILITY_TZ
from shared.platform.metrics import payments_reconciled_total
from shared.platform.secrets import get_secret

log = logging.getLogger(__name__)
PROVIDERS = ("conekta", "spei")


@dataclass
class ChannelReconciliation:
    provider: str
    channel: str
    expected_count: int = 0
    expected_amount: Decimal = ZERO
    applied_count: int = 0
    applied_amount: Decimal = ZERO
    unmatched_count: int = 0
    unmatched_amount: Decimal = ZERO
    missing: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.missing and self.expected_amount == self.applied_amount + self.unmatched_amount

    def figures(self, day: date) -> ops.Reconciliation:
        return ops.Reconciliation(
            day,
            self.provider,
            self.channel,
            self.expected_count,
            self.expected_amount,
            self.applied_count,
            self.applied_amount,
            self.unmatched_count,
            self.unmatched_amount,
            self.missing,
        )


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTILITY_TZ)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=UTILITY_TZ)


def _expected_payments(conn: Conn, provider: str, since: datetime, until: datetime) -> dict[str, PaymentFact]:
    """One fact per provider payment id. Events arrive after the payment happened (late deliveries, re-fetches):
    every row received since the day began is read and filtered by the payment's own time."""
    expected: dict[str, PaymentFact] = {}
    for row in data.inbox_received_since(conn, provider=provider, since=since - timedelta(days=1)):
        if row.status in ("ignored", "rejected"):  # no money moved / refused at intake (kept for audit)
            continue
        for fact in parse(provider, row.payload):
            if isinstance(fact, PaymentFact) and since <= fact.paid_at < until:
                expected.setdefault(fact.provider_payment_id, fact)
    return expected


def reconcile_day(*, tenant_id: UUID | str, day: date) -> list[ChannelReconciliation]:
    since, until = day_window(day)
    report: dict[tuple[str, str], ChannelReconciliation] = {}
    with db.tenant_transaction(tenant_id) as conn:
        for provider in PROVIDERS:
            expected = _expected_payments(conn, provider, since, until)
            stored = {
                r.provider_payment_id: r
                for r in data.payments_between(conn, provider=provider, since=since, until=until)
            }
            for ppid, fact in expected.items():
                rec = report.setdefault((provider, fact.channel), ChannelReconciliation(provider, fact.channel))
                rec.expected_count += 1
                rec.expected_amount += fact.amount
                payment = stored.get(ppid)
                if payment is None:
                    rec.missing.append(ppid)
                elif payment.status == "unmatched" or payment.account_id is None:
                    rec.unmatched_count += 1
                    rec.unmatched_amount += Decimal(payment.amount)
                else:
                    rec.applied_count += 1
                    rec.applied_amount += Decimal(payment.amount)
            for ppid, payment in stored.items():  # stored without a provider event (should not happen)
                if ppid not in expected:
                    rec = report.setdefault(
                        (provider, payment.channel), ChannelReconciliation(provider, payment.channel)
                    )
                    rec.missing.append(f"sin evento:{ppid}")
        for rec in report.values():
            ops.upsert_reconciliation(conn, tenant_id=tenant_id, figures=rec.figures(day))
    for rec in report.values():
        reconciled = rec.applied_count + rec.unmatched_count
        if reconciled:
            payments_reconciled_total.add(reconciled, {"channel": rec.channel, "provider": rec.provider})
    return sorted(report.values(), key=lambda r: (r.provider, r.channel))


@dataclass
class RefetchResult:
    fetched: int = 0
    stored: int = 0
    applied: int = 0


def refetch_day(
    *,
    tenant_id: UUID,
    provider: str,
    day: date,
    now: datetime,
    base_url: str = conekta.API_URL,
    enqueue: Enqueue | None = None,
    client_factory: Callable[..., conekta.ConektaClient] | None = None,
) -> RefetchResult:
    """Fetch the provider's events of `day` and store the ones we never received; with no `enqueue` they are
    applied in-process. Only Conekta offers an events API here (SPEI has none in this integration)."""
    if provider != conekta.PROVIDER:
        raise RefetchNotSupported(f"re-fetch is only available for conekta, not {provider!r}")
    since, until = day_window(day)
    result = RefetchResult()
    factory = client_factory or conekta.ConektaClient
    with factory(api_key=get_secret("conekta-api-key"), base_url=base_url) as client:
        events: list[dict[str, Any]] = list(client.events_between(since=since, until=until))
    for event in events:
        result.fetched += 1
        inbox_id = store_fetched_event(tenant_id=tenant_id, provider=provider, payload=event, enqueue=enqueue)
        if inbox_id is None:
            continue
        result.stored += 1
        if enqueue is None and process_inbox(tenant_id=tenant_id, inbox_id=inbox_id, now=now).outcome == "processed":
            result.applied += 1
    log.info(
        "refetched provider events",
        extra={"provider": provider, "day": day.isoformat(), "fetched": result.fetched, "stored": result.stored},
    )
    return result
