"""Operator use cases: work orders, contacts (every customer interaction) and fraud cases (keyword-only, each in its
own transaction)."""

from shared.application.operations import contacts, fraud, work_orders

__all__ = ["contacts", "fraud", "work_orders"]
