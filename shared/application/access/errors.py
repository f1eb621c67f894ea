"""Errors use cases raise; each has a stable `code` and a Spanish `detail_es` for the person."""

from __future__ import annotations


class UseCaseError(Exception):
    kind = "invalid"

    def __init__(self, code: str, detail_es: str) -> None:
        super().__init__(code)
        self.code, self.detail_es = code, detail_es


class NotFound(UseCaseError):
    """The resource does not exist, or the caller may not know it exists (customers get this, never Forbidden)."""

    kind = "not_found"


class Forbidden(UseCaseError):
    """The caller's role lacks the permission for this operation (independent of any particular resource)."""

    kind = "forbidden"


class Conflict(UseCaseError):
    """The resource's current state does not allow the operation."""

    kind = "conflict"


class Invalid(UseCaseError):
    """The request is well-formed but breaks a business rule (check digit, workflow, dates)."""

    kind = "invalid"


class Unauthenticated(UseCaseError):
    kind = "unauthenticated"


def not_found(what_es: str) -> NotFound:
    return NotFound("not_found", f"No existe {what_es} o no tiene acceso a ella.")
