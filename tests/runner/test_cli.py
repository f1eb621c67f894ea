"""`python -m devtools.local_runner serve` end to end: starts Azurite, serves HTTP, stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def test_serve_until_ctrl_c(tmp_path: Path) -> None:
    log_path = tmp_path / "serve.log"
    command = [
        sys.executable,
        "-m",
        "devtools.local_runner",
        "serve",
        "--app",
        "tests.runner.apps.sample_app:app",
        "--host-json",
        "tests/runner/apps/host.json",
        "--settings",
        str(tmp_path / "none.json"),
        "--port",
        "0",
        "--azurite",
        "yes",
        "--workers",
        "1",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    azurite_pid = None
    try:
        deadline = time.monotonic() + 30
        url = None
        while url is None:
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            found = re.search(r"serving \S+ on (http://127\.0\.0\.1:\d+)", log_path.read_text())
            url = found.group(1) if found else None
            time.sleep(0.1)
        azurite_pid = int(re.search(r"Azurite pid (\d+)", log_path.read_text()).group(1))
        assert httpx.get(f"{url}/api/hello/cli", timeout=10).text == "Hola, cli"
        run = httpx.post(f"{url}/api/run/async_activity_orch", json=None, timeout=20)
        assert run.json() == [42, "TEXTO PLANO"]  # activities in the worker process
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:  # test failed midway: stop it gracefully so it stops its Azurite too
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    try:
        os.kill(azurite_pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "Azurite outlived the serve command"
