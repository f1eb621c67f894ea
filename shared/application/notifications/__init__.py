"""Customer notifications: producers record notice requests from domain events and scheduled jobs (`producers`,
registered through `whatsapp`), the notifications queue worker decides and sends them (`sender`), and provider
statuses come back by webhook (`statuses`)."""

from shared.application.notifications import channel, producers, sender, whatsapp

__all__ = ["channel", "producers", "sender", "whatsapp"]
