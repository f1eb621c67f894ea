"""`python -m devtools.monitoring [--check]`: write (or check) monitoring/alerts.json and monitoring/workbooks/*."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from devtools.monitoring import alerts, dashboards

ROOT = Path(__file__).resolve().parents[2] / "monitoring"


def outputs() -> dict[Path, str]:
    files = {ROOT / "alerts.json": json.dumps(alerts.document(), indent=2, ensure_ascii=False) + "\n"}
    for d in dashboards.DASHBOARDS:
        files[ROOT / "workbooks" / f"{d.key}.workbook.json"] = dashboards.render(d)
    return files


def main(argv: list[str]) -> int:
    stale = [p for p, text in outputs().items() if not p.exists() or p.read_text() != text]
    if "--check" in argv:
        for p in stale:
            print(f"stale: {p}", file=sys.stderr)
        return 1 if stale else 0
    for p, text in outputs().items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    print(f"wrote {len(outputs())} files under {ROOT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
