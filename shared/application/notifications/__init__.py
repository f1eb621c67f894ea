"""Customer notifications sent from domain events (the domain-events queue trigger runs these consumers; the app's
table is `shared.application.consumers.CONSUMERS`)."""

from shared.application.notifications import whatsapp

__all__ = ["whatsapp"]
