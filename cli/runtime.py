"""How CLI commands get a database, storage and a function host.

With DATABASE_URL (and MIGRATIONS_DATABASE_URL) set, commands use that database; otherwise they start the local
stack (private PostgreSQL under .local/, Azurite). The function app then runs in a LocalHost: the same handlers
Azure runs, driven by the local runner.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from devtools.devstack.stack import Stack, local_stack
from devtools.local_runner.host import LocalHost, read_local_settings

REPO = Path(__file__).resolve().parents[1]
LOCAL_DEMO = REPO / ".local" / "demo"


CONNECTION_SETTINGS = ("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "AzureWebJobsStorage")


def local_settings() -> dict[str, str]:
    """`Values` of local.settings.json (or the documented example), as `func start` would load them; empty values
    are dropped."""
    path = REPO / "local.settings.json"
    if not path.exists():
        path = REPO / "local.settings.example.json"
    return {k: v for k, v in read_local_settings(path).items() if v != ""}


def load_local_settings_as_defaults() -> None:
    """Give CLI commands the same local settings the host gets (never overriding the environment); connection
    settings are left to the local stack, which starts its own database and storage."""
    for key, value in local_settings().items():
        if key not in CONNECTION_SETTINGS:
            os.environ.setdefault(key, value)


@contextlib.contextmanager
def stack(*, throwaway: bool = False, root: Path | None = None) -> Iterator[Stack]:
    with local_stack(throwaway=throwaway, root=root) as s:
        yield s


@contextlib.contextmanager
def database() -> Iterator[None]:
    """For commands that only need the database (ledger check, token): DATABASE_URL when set, else the local
    stack's PostgreSQL under .local/ (found running, or started and stopped again), as `seed` and `bill` do."""
    if os.environ.get("DATABASE_URL"):
        yield
        return
    with local_stack(storage=False):
        yield


F = TypeVar("F", bound=Callable[..., Any])


def needs_database(command: F) -> F:
    """A CLI command that reads or writes the database runs inside `database()` (found or started)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        with database():
            return command(*args, **kwargs)

    return run  # type: ignore[return-value]


@contextlib.contextmanager
def function_host(
    s: Stack, *, workers: int = 2, http_port: int | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[LocalHost]:
    env = local_settings()
    env.update(s.env())
    env.update(extra_env or {})
    host = LocalHost(
        "function_app:app",
        host_json=REPO / "host.json",
        app_dir=REPO,
        activity_workers=workers,
        http_port=http_port,
        duplicate_start="extension",
        env=env,
    )
    host.start()
    try:
        yield host
    finally:
        host.stop()
