"""Meter reads: consumption with rollover, validation (VEE exception codes), estimation and true-up.

Pure functions over plain dataclasses; the caller loads reads and history and stores the results.
"""
