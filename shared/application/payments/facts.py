"""Turn a stored inbox payload back into provider facts (the same parsers the intake validated it with)."""

from __future__ import annotations

from typing import Any

from shared.adapters import conekta
from shared.domain.errors import Invalid
from shared.domain.payments import spei
from shared.domain.payments.errors import PaymentsError
from shared.domain.payments.model import ProviderFact


class UnknownProvider(PaymentsError, Invalid, ValueError):
    """An inbox row of a provider this code does not know."""

    default_code = "unknown_provider"


def parse(provider: str, payload: Any) -> list[ProviderFact]:
    if provider == conekta.PROVIDER:
        return conekta.parse_event(payload)
    if provider == spei.PROVIDER:
        return [spei.parse_abono(payload=payload)]
    raise UnknownProvider(f"no parser for provider {provider!r}")
