"""The crash soak, small and seeded (`manage.py chaos soak` runs the long one): `bill --issue` is SIGKILLed at
random points (whole host or one activity worker), restarted, and after every kill every ledger and cycle
invariant holds; the period then closes with each invoice issued and stamped exactly once."""

from __future__ import annotations

from devtools.chaos.soak import run_soak
from devtools.commands.seed import seed_command
from devtools.devstack.stack import local_stack


def test_kills_during_billing_issuing_and_stamping_break_no_invariant(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with local_stack(throwaway=True, root=tmp_path) as s:
        seed_command(accounts=20, sectors=1, months=14, seed=11, until="2026-12", database_url=s.migrations_url)
        # a small run bills and stamps in about a second: kill as soon as its billing run exists (or later)
        report = run_soak(
            env=s.env(), periods=["2026-11"], kills_per_period=3, seed=11, max_delay=0.0, phases=("billing",)
        )
    assert report.kills >= 1, "no attempt was killed: the soak proved nothing"
    assert report.kills + report.completed_before_kill <= 3
    assert report.invariant_checks == report.kills + 1 and report.violations == 0
    assert report.invoices > 0 and report.stamped == report.invoices
