"""Tests of the pure domain rules: tariffs, readings, estimation, true-up and the tariff CLI."""
