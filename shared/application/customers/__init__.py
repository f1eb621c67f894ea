"""Customer-facing use cases: persons, places (addresses, tomas, meters), accounts (balance, statement, payment
references, plans, readings, self-reads), tariffs and invoices.

Every use case is keyword-only, takes the calling `principal` (and `now` where it stamps time) and opens its own
transaction; helpers that take a connection (`visible_account`, `visible_person`, `validate_identity`) compose use
cases inside the application layer."""

from shared.application.customers import accounts, invoices, persons, places, tariffs

__all__ = ["accounts", "invoices", "persons", "places", "tariffs"]
