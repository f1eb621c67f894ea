"""CLI commands that need the database find or start the local one when DATABASE_URL is not set, as `seed` and
`bill` do (issue 13 item 9): `ledger check` answers, `token --tenant nope` refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app
from devtools.devstack import stack


@pytest.fixture
def local_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(stack, "LOCAL", tmp_path / "local")
    monkeypatch.setenv("JWT_SIGNING_KEY", "cli-database-test-key-0123456789abcdef")
    return tmp_path / "local"


def test_ledger_check_and_token_start_the_local_database_and_stop_it(local_root: Path) -> None:
    checked = CliRunner().invoke(app, ["ledger", "check"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout) == []  # a fresh database: no tenant, nothing to violate
    assert (local_root / "pg").exists()
    refused = CliRunner().invoke(app, ["token", "--tenant", "nope", "--role", "admin"])
    assert refused.exit_code == 2 and "unknown tenant 'nope'" in refused.output
    assert not list((local_root / "run").glob("*.json"))  # nothing left running
