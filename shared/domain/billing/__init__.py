"""Billing rules: turn an account's reads, history and tariff into an invoice draft with traceable lines."""
