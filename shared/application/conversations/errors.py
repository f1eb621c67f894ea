"""Errors of the channel webhooks (they derive from the error kinds, so the API answers problem+json)."""

from __future__ import annotations

from shared.domain.errors import Forbidden, Invalid, Unauthenticated

__all__ = ["ChannelNotConfigured", "MalformedChannelDelivery", "SubscriptionRefused", "WebhookNotVerified"]


class WebhookNotVerified(Unauthenticated):
    """Missing or bad signature (or a stale timestamp): HTTP 401, nothing stored."""

    default_code = "webhook_unverified"

    def __init__(self, reason: str) -> None:
        super().__init__(detail_es="No se pudo verificar la firma de la notificación; no se registró nada.")
        self.reason = reason


class MalformedChannelDelivery(Invalid, ValueError):
    """A verified body that is not what the channel sends (the routes answer HTTP 400), nothing stored."""

    default_code = "webhook_malformed"

    def __init__(self, message: str) -> None:
        super().__init__(detail_es=f"La notificación no tiene el formato esperado: {message}")
        self.message = message


class SubscriptionRefused(Forbidden):
    """The WhatsApp verification GET did not carry our verify token (HTTP 403)."""

    default_code = "subscription_refused"

    def __init__(self) -> None:
        super().__init__(detail_es="Token de verificación incorrecto.")


class ChannelNotConfigured(Unauthenticated):
    """The channel's secret is not configured: every delivery is refused (HTTP 401)."""

    default_code = "channel_not_configured"

    def __init__(self, secret: str) -> None:
        super().__init__(detail_es="El canal no está configurado; no se registró nada.")
        self.secret = secret
