"""Use cases of SUPRA Water: each module orchestrates domain rules, data access and adapters for one job."""
