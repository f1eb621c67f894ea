"""Adapters to external services: CSD signing (`csd`), the PAC (`pac`), payment providers and storage."""
