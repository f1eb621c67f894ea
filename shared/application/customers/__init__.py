"""Customer-facing use cases: persons, places (addresses, tomas, meters), accounts (balance, statement, payment
references, plans, readings), tariffs and invoices."""
