"""Errors use cases raise: the domain's error kinds (`shared.domain.errors`), re-exported for the application."""

from __future__ import annotations

from shared.domain.errors import Conflict, Forbidden, Invalid, NotFound, SupraError, Unauthenticated

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "SupraError", "Unauthenticated", "not_found"]


def not_found(what_es: str) -> NotFound:
    return NotFound("not_found", f"No existe {what_es} o no tiene acceso a ella.")
