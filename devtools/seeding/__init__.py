"""Seeding: the reference data every environment needs (tenant, tariffs) and a synthetic utility for development
and benchmarks (`reference.seed_reference`, `synthetic.seed_synthetic`)."""
