"""The few kinds of error every layer raises: not found, conflict, invalid, forbidden, unauthenticated.

Exceptions live next to the code that raises them and derive from one of these kinds; the API maps a kind to an
HTTP status in one place (`functions/api/problems.py`), so no route needs an `isinstance` chain. Each error has
a stable machine `code` (API field, English) and a Spanish `detail_es` a person can act on.
"""

from __future__ import annotations


class SupraError(Exception):
    """Base of every expected (business) error. `kind` picks the HTTP status; `code` is stable for clients."""

    kind = "invalid"
    default_code = "invalid"

    def __init__(self, code: str | None = None, detail_es: str = "La solicitud no es válida.") -> None:
        self.code = code or self.default_code
        self.detail_es = detail_es
        super().__init__(self.code)


class NotFound(SupraError):
    """The resource does not exist, or the caller may not know it exists (customers get this, never Forbidden)."""

    kind = "not_found"
    default_code = "not_found"


class Conflict(SupraError):
    """The resource's current state does not allow the operation."""

    kind = "conflict"
    default_code = "conflict"


class Invalid(SupraError):
    """The request is well-formed but breaks a business rule (check digit, workflow, dates)."""

    kind = "invalid"
    default_code = "invalid"


class Forbidden(SupraError):
    """The caller's role lacks the permission for this operation (independent of any particular resource)."""

    kind = "forbidden"
    default_code = "forbidden"


class Unauthenticated(SupraError):
    """No valid credentials."""

    kind = "unauthenticated"
    default_code = "unauthenticated"
