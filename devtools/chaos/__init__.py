"""Crash soak of the monthly cycle: SIGKILLs of the function host and its activity workers (soak.py)."""
