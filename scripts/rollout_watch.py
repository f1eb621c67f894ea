"""Watch a fresh deploy and decide: promote it or revert to the previous package (deploy.yml, docs/runbook.md).

    python scripts/rollout_watch.py --app appi-supra-production --resource-group rg-supra-production \
        --deployed-at 2026-12-03T18:00:00Z --watch-minutes 15

Every `--interval` seconds it reads Application Insights `requests` for the watch window (since the deploy) and
for the baseline hour before it, and applies `decide`: revert when the 5xx rate or the p95 latency is clearly
worse than both the absolute limit and the baseline; promote when the window ends without that. Too little traffic
to judge is reported as such and promoted (the smoke test already passed), never silently. Exit 0 = promote,
3 = revert; one JSON line per sample on stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Window:
    requests: int
    failures: int  # HTTP 5xx
    p95_ms: float

    @property
    def failure_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Limits:
    """Absolute floors are the seed's alert thresholds (5xx > 1 % warning, p95 > 300 ms warning)."""

    max_failure_rate: float = 0.01
    failure_rate_vs_baseline: float = 2.0
    max_p95_ms: float = 300.0
    p95_vs_baseline: float = 1.5
    min_requests: int = 50


@dataclass(frozen=True)
class Decision:
    action: str  # "revert" | "promote" | "watching"
    reasons: tuple[str, ...]


def decide(*, baseline: Window, watch: Window, limits: Limits, final: bool) -> Decision:
    """Pure: revert as soon as the evidence is clear, promote only at the end of the watch window."""
    reasons: list[str] = []
    if watch.requests >= limits.min_requests:
        rate_limit = max(limits.max_failure_rate, baseline.failure_rate * limits.failure_rate_vs_baseline)
        if watch.failure_rate > rate_limit:
            reasons.append(f"5xx rate {watch.failure_rate:.2%} > {rate_limit:.2%}")
        p95_limit = max(limits.max_p95_ms, baseline.p95_ms * limits.p95_vs_baseline)
        if watch.p95_ms > p95_limit:
            reasons.append(f"p95 {watch.p95_ms:.0f} ms > {p95_limit:.0f} ms")
        if reasons:
            return Decision("revert", tuple(reasons))
    if not final:
        return Decision("watching", ())
    if watch.requests < limits.min_requests:
        return Decision("promote", (f"only {watch.requests} requests in the window: too little traffic to judge",))
    return Decision("promote", ("5xx rate and p95 within limits",))


QUERY = """requests
| where timestamp >= datetime({start}) and timestamp < datetime({end})
| summarize requests = count(), failures = countif(toint(resultCode) >= 500), p95 = percentile(duration, 95)"""


def query_window(*, app: str, resource_group: str, start: datetime, end: datetime) -> Window:
    args = [
        "az", "monitor", "app-insights", "query", "--app", app, "--resource-group", resource_group,
        "--analytics-query", QUERY.format(start=start.isoformat(), end=end.isoformat()), "-o", "json",
    ]  # fmt: skip
    out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)  # noqa: S603
    row = out["tables"][0]["rows"][0]
    return Window(requests=int(row[0] or 0), failures=int(row[1] or 0), p95_ms=float(row[2] or 0.0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", required=True)
    parser.add_argument("--resource-group", required=True)
    parser.add_argument("--deployed-at", required=True, type=datetime.fromisoformat)
    parser.add_argument("--watch-minutes", type=float, default=15)
    parser.add_argument("--interval", type=float, default=60)
    ns = parser.parse_args(argv)
    deployed: datetime = ns.deployed_at.astimezone(UTC)
    ends = deployed + timedelta(minutes=ns.watch_minutes)
    baseline = query_window(
        app=ns.app, resource_group=ns.resource_group, start=deployed - timedelta(hours=1), end=deployed
    )
    limits = Limits()
    while True:
        now = datetime.now(UTC)
        final = now >= ends
        watch = query_window(app=ns.app, resource_group=ns.resource_group, start=deployed, end=min(now, ends))
        decision = decide(baseline=baseline, watch=watch, limits=limits, final=final)
        print(
            json.dumps(
                {"at": now.isoformat(), "baseline": asdict(baseline), "watch": asdict(watch), **asdict(decision)}
            )
        )
        if decision.action == "revert":
            return 3
        if decision.action == "promote":
            return 0
        time.sleep(ns.interval)


if __name__ == "__main__":
    sys.exit(main())
