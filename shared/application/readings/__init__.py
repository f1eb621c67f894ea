"""Meter reads: batch ingestion with per-row errors and VEE validation."""
