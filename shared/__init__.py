"""SUPRA Water CIS: use cases (application), rules (domain), SQL (data), external services (adapters)."""
