"""Local infrastructure for development and tests: a private PostgreSQL cluster (Azurite lives in local_runner)."""
