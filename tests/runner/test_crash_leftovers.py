"""Crash leftovers of the local stack (issue 13 item 3): after a kill -9 of a command holding the stack, its
children and the PostgreSQL it started are stopped by the watchdog; when even the watchdog is gone, the next start
finds the server, reuses it and says so in one line; a command started while another holds the stack shares it
and leaves it running; a failing pg_ctl says why."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from devtools.devstack import processes
from devtools.devstack.postgres import DevStackError, free_port, start_cluster
from devtools.devstack.stack import local_stack

REPO = Path(__file__).resolve().parents[2]
GONE_WITHIN = 60.0  # a liveness bound (the watchdog polls every 0.25 s), not a speed assertion


@pytest.fixture
def no_database_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@contextlib.contextmanager
def holder(root: Path, *, storage: bool) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL")}
    args = [sys.executable, "-m", "tests.runner.stack_holder", str(root), *(["storage"] if storage else [])]
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "no output"
        yield proc, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + GONE_WITHIN
    while processes.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not processes.alive(pid)


def watchdog_of(info: dict[str, Any]) -> int:
    [pid] = [p for p in processes.descendants(info["pid"]) if b"devstack.watchdog" in _cmdline(p)]
    return pid


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_kill_9_of_a_command_holding_the_stack_stops_postgres_and_azurite(tmp_path: Path, no_database_env) -> None:
    with holder(tmp_path / "stack", storage=True) as (proc, info):
        assert processes.alive(info["postmaster"]) and processes.alive(info["azurite"])
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert wait_gone(info["azurite"]), "Azurite outlived the killed command"
        assert wait_gone(info["postmaster"]), "PostgreSQL outlived the killed command"


def test_the_next_start_reuses_a_leftover_server_and_shares_a_running_one(
    tmp_path: Path, no_database_env, capfd: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "stack"
    with holder(root, storage=False) as (proc, info), _stop_at_end(info):
        # A second command while the first runs: it shares the server and leaves it up.
        with local_stack(root=root, throwaway=True, storage=False) as s:
            assert s.cluster is not None and s.cluster.port == info["port"]
            with psycopg.connect(s.migrations_url) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        assert processes.alive(info["postmaster"])
        assert f"PostgreSQL of running pid {info['pid']} found on port {info['port']}" in capfd.readouterr().err
        # Now the command and its watchdog die by SIGKILL: the server is left behind.
        os.kill(watchdog_of(info), signal.SIGKILL)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert processes.alive(info["postmaster"])
        with local_stack(root=root, throwaway=True, storage=False) as s:  # no CalledProcessError: reused
            assert s.cluster is not None and s.cluster.port == info["port"]
            with psycopg.connect(s.migrations_url) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        [line] = [x for x in capfd.readouterr().err.splitlines() if x.startswith("local stack:")]
        assert f"PostgreSQL pid {info['postmaster']} left running" in line and f"pid {info['pid']}, is gone" in line
        assert wait_gone(info["postmaster"]), "the adopted leftover is stopped at exit"


@contextlib.contextmanager
def _stop_at_end(info: dict[str, Any]) -> Iterator[None]:
    """A failed assertion must not leave the test's server running."""
    try:
        yield
    finally:
        processes.stop(info["postmaster"], None, sig=signal.SIGINT, timeout=20)


def test_a_failing_pg_ctl_says_why(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        with pytest.raises(DevStackError) as failed:
            start_cluster(tmp_path / "pg", throwaway=True, port=port)
    message = str(failed.value)
    assert "pg_ctl" in message and "failed (exit 1)" in message
    assert "Address already in use" in message or "could not bind" in message, message


def test_kill_9_of_the_local_runner_stops_its_azurite_and_activity_workers(tmp_path: Path) -> None:
    log_path = tmp_path / "serve.log"
    command = [sys.executable, "-m", "devtools.local_runner", "serve", "--app", "tests.runner.apps.sample_app:app"]
    command += ["--host-json", "tests/runner/apps/host.json", "--settings", str(tmp_path / "none.json")]
    command += ["--port", "0", "--azurite", "yes", "--workers", "1"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + GONE_WITHIN
        while "serving" not in log_path.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()
            time.sleep(0.1)
        time.sleep(1)  # the watchdog samples the children every 0.25 s
        children = [p for p in processes.descendants(proc.pid) if b"devstack.watchdog" not in _cmdline(p)]
        assert children, "no Azurite or worker process to follow"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert all(wait_gone(pid) for pid in children), [(p, _cmdline(p)) for p in children if processes.alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
