"""How CLI commands get a database, storage and a function host.

With DATABASE_URL (and MIGRATIONS_DATABASE_URL) set, commands use that database; otherwise they start the local
stack (private PostgreSQL under .local/, Azurite). The function app then runs in a LocalHost: the same handlers
Azure runs, driven by the local runner.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from devstack.stack import Stack, local_stack
from local_runner.host import LocalHost, read_local_settings

REPO = Path(__file__).resolve().parents[1]
LOCAL_DEMO = REPO / ".local" / "demo"


@contextlib.contextmanager
def stack(*, throwaway: bool = False, root: Path | None = None) -> Iterator[Stack]:
    with local_stack(throwaway=throwaway, root=root) as s:
        yield s


@contextlib.contextmanager
def function_host(s: Stack, *, workers: int = 2, http_port: int | None = None,
                  extra_env: dict[str, str] | None = None) -> Iterator[LocalHost]:
    settings_file = REPO / "local.settings.json"
    if not settings_file.exists():
        settings_file = REPO / "local.settings.example.json"
    env = {k: v for k, v in read_local_settings(settings_file).items() if v != ""}
    env.update(s.env())
    env.update(extra_env or {})
    host = LocalHost("function_app:app", host_json=REPO / "host.json", app_dir=REPO, activity_workers=workers,
                     http_port=http_port, duplicate_start="extension", env=env)
    host.start()
    try:
        yield host
    finally:
        host.stop()
