"""The base of the billing run's and the CFDI lifecycle's business errors.

Each error names its kind (NotFound, Conflict, Invalid from `shared.domain.errors`) beside this base, and a
`default_code`. `str(error)` is the message it was raised with (logs, the operator CLI); the API answers with
`detail` when the class fixes one, else with that message (which is then written in Spanish)."""

from __future__ import annotations

from shared.domain.errors import SupraError


class BillingError(SupraError):
    detail: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(None, self.detail or message)
        self.args = (message,)
