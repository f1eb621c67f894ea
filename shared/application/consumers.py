"""The domain-event consumers the app runs, in one explicit table (function_app.py installs it with `install`).

Each consumer runs once per event key in the event's tenant transaction (`outbox.handle`); the specific consumers
of an event run in this order, then the ones for every event."""

from __future__ import annotations

from shared.application import outbox
from shared.application.cfdi import corrections
from shared.application.cfdi import payments as cfdi_payments
from shared.application.notifications import whatsapp
from shared.application.outbox import Consumer

__all__ = ["CONSUMERS", "install"]

CONSUMERS: tuple[Consumer, ...] = (
    Consumer("invoice.issued", whatsapp.CONSUMER, whatsapp.on_invoice_issued),
    Consumer("payment.applied", cfdi_payments.CONSUMER, cfdi_payments.on_payment_applied),
    Consumer("payment.applied", whatsapp.CONSUMER, whatsapp.on_payment_applied),
    Consumer("adjustment.credited", corrections.EGRESO_CONSUMER, corrections.on_adjustment_credited),
    Consumer("*", "event-log", outbox.log_event),
)


def install() -> None:
    """Install `CONSUMERS` as the consumers of the domain-events queue."""
    outbox.register_consumers(CONSUMERS)
