"""The webhook soak, small (issue 13, "must show when resolved"; the full run is `manage.py soak webhooks
--deliveries 5000 --kills 3`): signed Conekta and SPEI deliveries with duplicates and reordering, a SIGKILL of the
server process in the middle, balance reads meanwhile; every acknowledged event applied exactly once, the ledger
invariants hold, no pool timeout. Latency is reported, never asserted (benchmarks measure speed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.commands.soak import soak_webhooks


def test_a_small_soak_with_a_kill_applies_every_acknowledged_delivery_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "AzureWebJobsStorage"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JWT_SIGNING_KEY", "restored-after-the-test")  # the soak installs its own key
    report = soak_webhooks(deliveries=300, kills=1, rate=60, accounts=60, root=tmp_path / "soak")
    assert report["deliveries"] == 300 and report["duplicate_deliveries"] > 0
    assert report["kills"] == 1 and report["server_starts"] == 2
    assert report["unacknowledged"] == 0 and report["refused"] == [], report
    assert report["exactly_once"] and report["missing"] == 0 and report["not_applied_exactly_once"] == 0, report
    assert report["stored_events"] == report["distinct_events"]
    assert report["ledger_ok"], report["ledger_violations"]
    assert report["pool_timeouts"] == 0
    assert report["api_reads"]["ok"] > 0 and report["ok"]
