"""The PostgreSQL connection budget holds in every environment, in both trees:

    maximum instances × DATABASE_POOL_MAX + migrations + reserve ≤ max_connections ≤ the SKU's ceiling

Each Flex Consumption instance runs one Python worker process with one psycopg pool (shared/data/db.py, max_size =
DATABASE_POOL_MAX, no other connection in the app); the deploy pipeline's migration step holds one connection
(shared/data/migrate.py) while the old instances still run; the reserve is the 15 connections Azure keeps for
replication and monitoring plus a margin for operators (psql, a restore drill, pg_dump). See docs/infrastructure.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.iac import _iac
from tests.iac.test_app_settings import bicep_app_settings, terraform_app_settings

MIGRATION_CONNECTIONS = 1
AZURE_RESERVED = 15  # physical replication and monitoring (Azure Database for PostgreSQL flexible server limits)
OPERATOR_MARGIN = 10
RESERVE = AZURE_RESERVED + OPERATOR_MARGIN

# Default (= highest allowed) max_connections per compute size, from the "Limits in Azure Database for PostgreSQL
# flexible server" table. A SKU not listed here fails the test: add its row from that table.
SKU_MAX_CONNECTIONS = {
    "B_Standard_B1ms": 50,
    "B_Standard_B2s": 429,
    "B_Standard_B2ms": 859,
    "B_Standard_B4ms": 1718,
    "GP_Standard_D2ds_v5": 859,
    "GP_Standard_D4ds_v5": 1718,
    "GP_Standard_D8ds_v5": 3437,
    "GP_Standard_D16ds_v5": 5000,
    "MO_Standard_E2ds_v5": 1718,
    "MO_Standard_E4ds_v5": 3437,
}


def _terraform(env: str) -> dict[str, Any]:
    values = _iac.tfvars(env)
    return {
        "instances": int(values["function_maximum_instance_count"]),
        "pool": int(terraform_app_settings()["DATABASE_POOL_MAX"]),
        "max_connections": int(values["postgres_max_connections"]),
        "sku": values["postgres_sku"],
    }


def _bicep(env: str) -> dict[str, Any]:
    values = _iac.bicep_params(env)
    return {
        "instances": int(values["functionMaximumInstanceCount"]),
        "pool": int(bicep_app_settings()["DATABASE_POOL_MAX"]),
        "max_connections": int(values["postgresMaxConnections"]),
        "sku": values["postgresSku"],
    }


def _budget(values: dict[str, Any]) -> int:
    return int(values["instances"] * values["pool"] + MIGRATION_CONNECTIONS + RESERVE)


@pytest.mark.parametrize("env", _iac.ENVIRONMENTS)
@pytest.mark.parametrize("tree", ["terraform", "bicep"])
def test_connections_fit_max_connections(tree: str, env: str) -> None:
    values = _terraform(env) if tree == "terraform" else _bicep(env)
    needed = _budget(values)
    assert needed <= values["max_connections"], (
        f"{tree} {env}: {values['instances']} instances × pool {values['pool']} + {MIGRATION_CONNECTIONS} migration"
        f" + {RESERVE} reserve = {needed} > max_connections {values['max_connections']}"
    )


@pytest.mark.parametrize("env", _iac.ENVIRONMENTS)
@pytest.mark.parametrize("tree", ["terraform", "bicep"])
def test_max_connections_within_the_sku(tree: str, env: str) -> None:
    values = _terraform(env) if tree == "terraform" else _bicep(env)
    assert values["sku"] in SKU_MAX_CONNECTIONS, f"{values['sku']}: add its max_connections to SKU_MAX_CONNECTIONS"
    assert values["max_connections"] <= SKU_MAX_CONNECTIONS[values["sku"]], (
        f"{tree} {env}: max_connections {values['max_connections']} is above what {values['sku']} allows"
    )


@pytest.mark.parametrize("env", _iac.ENVIRONMENTS)
def test_the_trees_agree_on_the_budget(env: str) -> None:
    assert _terraform(env) == _bicep(env)
