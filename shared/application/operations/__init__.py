"""Operator use cases: work orders, contacts (every customer interaction) and fraud cases."""
