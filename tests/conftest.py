"""Test-suite wiring: fixtures live in tests/fixtures/ as plugins, each documented in its module."""

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.azurite",
    "tests.fixtures.runner",
]
