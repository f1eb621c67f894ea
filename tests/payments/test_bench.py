"""The payments benchmark runs end to end on a small n and reports sane numbers."""

from __future__ import annotations

from devtools.bench.payments import bench_payments


def test_bench_payments_small(fresh_db, tenant_factory):
    tenant = tenant_factory("bench")
    result = bench_payments(40, tenant_id=tenant, rate_per_second=80, accounts=10)
    print("\n[payments bench]", result)
    assert result["payments"] == 40 and result["ledger_ok"]
    p = result["webhook_to_applied_ms"]
    assert 0 < p["p50"] <= p["p95"] <= p["max"]
    assert result["webhook_answer_ms"]["p95"] < 1000
