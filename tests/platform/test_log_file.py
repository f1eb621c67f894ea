"""LOG_FILE / LOG_TO_CONSOLE (make demo): JSON lines go to the file, masked, and nothing to stderr; a later call
(function_app's own configure_logging on import) keeps that choice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_logs_go_to_the_file_and_not_to_stderr(tmp_path: Path) -> None:
    target = tmp_path / "logs" / "demo.jsonl"
    script = (
        "import logging\n"
        "from shared.platform.logging import configure_logging\n"
        "configure_logging('INFO')\n"
        "configure_logging('INFO')\n"
        "logging.getLogger('demo').info('aviso a maria+recibos@example.com', extra={'duration_ms': 12.5})\n"
    )
    env = {**os.environ, "LOG_FILE": str(target), "LOG_TO_CONSOLE": "false"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stderr == ""
    (line,) = target.read_text().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "aviso a m***@example.com" and entry["duration_ms"] == 12.5
