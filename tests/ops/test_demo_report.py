"""The demo's human summary: one short line per step with counts and timing, and where samples and logs are."""

from __future__ import annotations

import json
from pathlib import Path

from devtools.commands import demo_report


def test_summary_is_short_and_points_at_the_files(tmp_path: Path) -> None:
    summary = {
        "seed": {"accounts": 3000, "sectors": 4, "meter_readings": 39000, "seconds": 4.2},
        "health_ready": {"status": 200, "body": {"postgres": "ok", "storage": "ok"}},
        "billing": {"status": "COMPLETED", "accounts_billed": 3000, "sectors": [{"id": 1}] * 4, "seconds": 9.1},
        "payments": {"applied": 12, "balances": {"before": "100.00", "after": "0.00"}},
    }
    text = demo_report.finish(summary, root=tmp_path)
    lines = text.strip().splitlines()
    assert len(lines) <= len(summary) + 5
    assert "accounts=3000" in text and "[4.2 s]" in text and "balances(before=100.00" in text
    assert str(tmp_path / "logs" / "demo.jsonl") in text and "{" not in text.replace("{}", "")
    assert json.loads((tmp_path / "summary.json").read_text())["seed"]["accounts"] == 3000
    assert demo_report.log_env(tmp_path) == {
        "LOG_FILE": str(tmp_path / "logs" / "demo.jsonl"),
        "LOG_TO_CONSOLE": "false",
    }
