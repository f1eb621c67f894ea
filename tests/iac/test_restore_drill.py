"""The local point-in-time recovery drill end to end (devtools/drill/restore.py, `manage.py drill restore`): real
commands bill, issue and stamp two months, an incident deletes ledger rows, the source postmaster is SIGKILLed,
a new server replays the WAL archive to the restore point, and every invariant holds on it with no row lost."""

from __future__ import annotations

import pytest

from devtools.devstack.postgres import PostgresNotFound, find_bindir
from devtools.drill.restore import run_drill


def test_point_in_time_recovery_loses_nothing_and_keeps_every_invariant(tmp_path) -> None:  # type: ignore[no-untyped-def]
    try:
        find_bindir()
    except PostgresNotFound:
        pytest.skip("PostgreSQL server binaries not installed")
    result = run_drill(root=tmp_path, accounts=20, sectors=1)
    assert result.invoices_at_restore_point == 40  # two billed months of 20 accounts survived the incident
    assert result.rows_lost == 0 and result.rpo_seconds == 0
    assert result.invariants_ok and result.invariants_checked > 0
    assert result.wal_segments_archived > 0
