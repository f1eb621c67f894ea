"""The base of the payments errors: each derives from an error kind (shared.domain.errors) whose stable `code` and
Spanish `detail_es` the API answers with, and keeps an English message for logs and the CLI as `str(error)`."""

from __future__ import annotations

from shared.domain.errors import SupraError


class PaymentsError(SupraError):
    """Subclasses name a kind (NotFound, Conflict, …) next to this base and set `default_code` and `detail`."""

    detail = "La solicitud no es válida."

    def __init__(self, message: str, *, detail_es: str | None = None) -> None:
        super().__init__(None, detail_es or self.detail)
        self.args = (message,)
