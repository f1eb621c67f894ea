"""make demo's readable output: the JSON logs of every process go to `.local/demo/logs/demo.jsonl` (LOG_FILE,
LOG_TO_CONSOLE=false in the host's environment), the full summary to `.local/demo/summary.json`, and the terminal
gets a short human summary: one line per step with its counts and timing, and where the samples and logs are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_MAX_FIELDS = 8


def log_env(root: Path) -> dict[str, str]:
    """Environment for the demo's function host (and its worker processes): logs to a file, not the terminal."""
    return {"LOG_FILE": str(root / "logs" / "demo.jsonl"), "LOG_TO_CONSOLE": "false"}


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) <= 40


def _fields(section: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in section.items() if _scalar(v) and k != "seconds"]
    for key, value in section.items():
        if isinstance(value, dict):
            inner = [f"{k}={v}" for k, v in value.items() if _scalar(v)][:3]
            if inner:
                parts.append(f"{key}({', '.join(inner)})")
    return ", ".join(parts[:_MAX_FIELDS])


def render(summary: dict[str, Any], *, root: Path) -> str:
    """A few lines: each step of the summary with its main counts and seconds, then where things are."""
    lines = ["", "SUPRA Water demo"]
    for step, section in summary.items():
        if isinstance(section, dict):
            seconds = section.get("seconds")
            timing = f" [{seconds} s]" if isinstance(seconds, int | float) else ""
            lines.append(f"  {step:<14}{_fields(section)}{timing}")
        elif _scalar(section):
            lines.append(f"  {step:<14}{section}")
    lines += [
        f"  samples       {root / 'cfdi-sample'} (CFDI XML and PDF)",
        f"  summary       {root / 'summary.json'}",
        f"  logs          {root / 'logs' / 'demo.jsonl'} (JSON, one line per event, personal data masked)",
    ]
    return "\n".join(lines)


def finish(summary: dict[str, Any], *, root: Path) -> str:
    """Write the full summary next to the logs and return the human one."""
    (root / "summary.json").write_text(json.dumps(summary, indent=2, default=str, ensure_ascii=False) + "\n")
    return render(summary, root=root)
