"""The deploy watch (scripts/rollout_watch.py) reverts on clear regressions, never on noise it cannot judge, and
only promotes at the end of the window."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

_PATH = Path(__file__).resolve().parents[2] / "scripts" / "rollout_watch.py"
_spec = importlib.util.spec_from_file_location("rollout_watch", _PATH)
assert _spec is not None and _spec.loader is not None
watch_mod = importlib.util.module_from_spec(_spec)
sys.modules["rollout_watch"] = watch_mod
_spec.loader.exec_module(watch_mod)
Window, Limits, decide = watch_mod.Window, watch_mod.Limits, watch_mod.decide

HEALTHY = Window(requests=10_000, failures=5, p95_ms=80.0)
LIMITS = Limits()


def test_a_5xx_burst_reverts_before_the_window_ends() -> None:
    d = decide(baseline=HEALTHY, watch=Window(requests=600, failures=30, p95_ms=90), limits=LIMITS, final=False)
    assert d.action == "revert" and "5xx rate" in d.reasons[0]


def test_a_latency_regression_reverts() -> None:
    d = decide(baseline=HEALTHY, watch=Window(requests=600, failures=0, p95_ms=900), limits=LIMITS, final=False)
    assert d.action == "revert" and "p95" in d.reasons[0]


def test_a_slow_but_unchanged_baseline_is_not_a_regression() -> None:
    slow = Window(requests=5_000, failures=0, p95_ms=400)
    d = decide(baseline=slow, watch=Window(requests=600, failures=0, p95_ms=450), limits=LIMITS, final=True)
    assert d.action == "promote"


def test_too_little_traffic_is_promoted_with_the_reason_said() -> None:
    d = decide(baseline=HEALTHY, watch=Window(requests=12, failures=6, p95_ms=5000), limits=LIMITS, final=True)
    assert d.action == "promote" and "too little traffic" in d.reasons[0]


def test_nothing_is_promoted_before_the_window_ends() -> None:
    d = decide(baseline=HEALTHY, watch=Window(requests=800, failures=0, p95_ms=70), limits=LIMITS, final=False)
    assert d.action == "watching"


@given(
    requests=st.integers(min_value=LIMITS.min_requests, max_value=10**7),
    failure_share=st.floats(min_value=0, max_value=1),
    p95=st.floats(min_value=0, max_value=60_000, allow_nan=False),
    final=st.booleans(),
)
def test_revert_exactly_when_a_limit_is_crossed(requests: int, failure_share: float, p95: float, final: bool) -> None:
    watch = Window(requests=requests, failures=int(requests * failure_share), p95_ms=p95)
    d = decide(baseline=HEALTHY, watch=watch, limits=LIMITS, final=final)
    crossed = watch.failure_rate > max(LIMITS.max_failure_rate, HEALTHY.failure_rate * 2) or p95 > max(
        LIMITS.max_p95_ms, HEALTHY.p95_ms * 1.5
    )
    assert (d.action == "revert") == crossed
    if not crossed:
        assert d.action == ("promote" if final else "watching")
