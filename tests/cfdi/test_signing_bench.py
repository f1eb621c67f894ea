"""The signing benchmark the lead's `manage.py bench` calls: shape and sanity of its numbers (small n)."""

from __future__ import annotations

from devtools.bench.signing import benchmark_signing


def test_benchmark_signing_small_sample() -> None:
    result = benchmark_signing(20)
    assert result["n"] == 20 and result["satcfdi_sample"] == 20
    assert 0 < result["rsa_only_ms"] < result["fast_path_ms"]
    assert result["fast_path_overhead_ms"] > 0
    assert 0 < result["rsa_share_of_fast_path"] < 1
    assert result["satcfdi_ms"] > 0
