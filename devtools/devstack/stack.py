"""The local stack for `manage.py demo/serve/bill/bench`: a private PostgreSQL cluster under .local/pg (or
DATABASE_URL when set), migrated, and Azurite on loopback; their settings are exported to this process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devtools.devstack.postgres import Cluster, start_cluster
from devtools.local_runner.azurite import Azurite, start_azurite
from shared.adapters import storage
from shared.data import db
from shared.data.migrate import migrate
from shared.platform.config import reset_settings_cache

REPO = Path(__file__).resolve().parents[2]
LOCAL = REPO / ".local"


@dataclass
class Stack:
    database_url: str
    migrations_url: str
    storage: str
    cluster: Cluster | None
    azurite: Azurite | None

    def env(self) -> dict[str, str]:
        env = {"DATABASE_URL": self.database_url, "MIGRATIONS_DATABASE_URL": self.migrations_url}
        if self.storage:
            env["AzureWebJobsStorage"] = self.storage
        return env


def _export(env: dict[str, str]) -> None:
    os.environ.update(env)
    reset_settings_cache()
    storage.reset_clients()
    db.close_pool()


@contextlib.contextmanager
def local_stack(
    *, throwaway: bool = False, root: Path | None = None, persist_storage: bool = False, storage: bool = True
) -> Iterator[Stack]:
    """Start (or reuse through DATABASE_URL) PostgreSQL, migrate it, start Azurite (unless `storage` is False);
    stop what we started."""
    root = root or (LOCAL / "bench" if throwaway else LOCAL)
    cluster: Cluster | None = None
    azurite: Azurite | None = None
    try:
        if os.environ.get("DATABASE_URL") and os.environ.get("MIGRATIONS_DATABASE_URL"):
            app_url, owner_url = os.environ["DATABASE_URL"], os.environ["MIGRATIONS_DATABASE_URL"]
        else:
            cluster = start_cluster(root / "pg", throwaway=throwaway)
            app_url, owner_url = cluster.app_url, cluster.owner_url
        migrate(owner_url)
        if storage:
            root.mkdir(parents=True, exist_ok=True)
            azurite = start_azurite(
                location=root / "azurite" if persist_storage else None, log_path=root / "azurite.log"
            )
        stack = Stack(
            database_url=app_url,
            migrations_url=owner_url,
            storage=azurite.connection_string if azurite is not None else os.environ.get("AzureWebJobsStorage", ""),  # noqa: SIM112 - the host setting name
            cluster=cluster,
            azurite=azurite,
        )
        _export(stack.env())
        yield stack
    finally:
        db.close_pool()
        if azurite is not None:
            azurite.stop()
        if cluster is not None:
            cluster.stop()
