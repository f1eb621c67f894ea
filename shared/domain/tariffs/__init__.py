"""Tariff schedules (schema and validation), the schedule-in-force query and the `quote` calculation."""
