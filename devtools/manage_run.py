"""Run this checkout's `manage.py` as a child process (the drill and the crash soak drive the real commands)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def manage_argv(args: list[str]) -> list[str]:
    return [sys.executable, str(REPO / "manage.py"), *args]


def run_manage(args: list[str], *, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """`manage.py args` with `env` over this process's environment; output captured, exit code left to the caller."""
    return subprocess.run(  # noqa: S603 - our own manage.py
        manage_argv(args),
        cwd=REPO,
        env={**os.environ, **env},
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
