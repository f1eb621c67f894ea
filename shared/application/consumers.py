"""The domain-event consumers the app runs, in one explicit table (function_app.py installs it with `install`).

Each consumer runs once per event key (`outbox.handle`), on its own: a `handler` inside the event's tenant
transaction (database work on that one connection), a `run` with no connection held (it opens its own transactions
around signing and PAC calls). The specific consumers of an event run in this order, then the ones for every event;
one failing or skipped never stops the others."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.application import outbox
from shared.application.cfdi import backbill, corrections
from shared.application.cfdi import payments as cfdi_payments
from shared.application.cfdi.setup import csd_required
from shared.application.notifications import whatsapp
from shared.application.outbox import Consumer

__all__ = ["CONSUMERS", "install"]


@csd_required
def _egreso(envelope: dict[str, Any], now: datetime) -> None:
    """The Egreso consumer opens its own transactions (signing, PAC): it runs with no connection held."""
    corrections.on_adjustment_credited(None, envelope, now)


CONSUMERS: tuple[Consumer, ...] = (
    Consumer("invoice.issued", whatsapp.CONSUMER, handler=whatsapp.on_invoice_issued),
    Consumer("payment.applied", cfdi_payments.CONSUMER, run=cfdi_payments.on_payment_applied),
    Consumer("payment.applied", whatsapp.CONSUMER, handler=whatsapp.on_payment_applied),
    Consumer("adjustment.credited", corrections.EGRESO_CONSUMER, run=_egreso),
    Consumer(backbill.EVENT_TYPE, backbill.CONSUMER, run=csd_required(backbill.on_back_billed)),
    # The other notices (dunning, plan broken, work orders, ARCO): requests for the notifications queue.
    *(
        Consumer(t, whatsapp.CONSUMER, handler=whatsapp.on_event)
        for t in whatsapp.EVENT_TYPES
        if t not in ("invoice.issued", "payment.applied")
    ),
    Consumer("*", "event-log", handler=outbox.log_event),
)


def install() -> None:
    """Install `CONSUMERS` as the consumers of the domain-events queue."""
    outbox.register_consumers(CONSUMERS)
