"""Payments domain: references and check digits, allocation and reversal rules, matching, payment plans, dunning.

Pure functions over plain values (no database, clock or network); the application layer feeds them rows.
"""
