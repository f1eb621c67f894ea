"""Crash soak of the monthly cycle (issue 12 item 5): bill → review → issue → stamp, driven by the real command
(`manage.py bill --period P --issue`: the function host, its activity worker processes and the PAC simulator),
SIGKILLed at random points and started again, until every period closes.

Each attempt starts the command in its own process group, waits a random time, then SIGKILLs either the whole
group (the host dies with its workers: what a lost Flex instance looks like) or one activity worker (the host
must survive it); an attempt that finishes before its kill counts as a completion, not a kill. After every kill
`invariants check` runs on the database (account-period billed once, contiguous folios, one live UUID per
invoice, signed bytes kept until stamped, document total = invoice total, and the ledger's rules). A period ends
with an unkilled run that must finish it: every invoice of the period issued and stamped exactly once.
The local durable engine keeps its instances in memory, so after a host kill the run's orchestration starts
again from its history-less beginning under the same instance id: every activity must be a no-op when repeated,
which is what this soak proves (Azure's task hub would resume instead: a weaker demand).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil
import psycopg

from devtools.manage_run import REPO, manage_argv, run_manage


class SoakFailed(RuntimeError):
    """An invariant broke or a period could not be closed (the message says which)."""


@dataclass
class SoakReport:
    periods: list[str]
    kills: int = 0
    kills_by_target: dict[str, int] = field(default_factory=dict)
    kills_by_phase: dict[str, int] = field(default_factory=dict)
    completed_before_kill: int = 0
    invariant_checks: int = 0
    violations: int = 0
    invoices: int = 0
    held_for_review: int = 0  # invoice-level holds of the review policy: an analyst releases them, not the soak
    stamped: int = 0
    seconds: float = 0.0

    def as_json(self) -> str:
        return json.dumps(asdict(self))


PHASES = ("starting", "billing", "issuing", "stamping")


def _phase(owner_url: str, period: str) -> str:
    """Where the cycle stood at the kill, read from the database."""
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            """SELECT r.status,
                      (SELECT count(*) FROM invoices i WHERE i.billing_run_id = r.id AND i.status = 'issued'),
                      (SELECT count(*) FROM cfdi_documents d WHERE d.billing_run_id = r.id AND d.status = 'stamped')
               FROM billing_runs r WHERE r.period = %s::date ORDER BY r.id DESC LIMIT 1""",
            (f"{period}-01",),
        ).fetchone()
    if row is None:
        return "starting"
    _status, issued, stamped = row
    if not issued:
        return "billing"
    return "stamping" if stamped else "issuing"


def _victim(proc: subprocess.Popen[str], rng: random.Random) -> tuple[str, int] | None:
    """The host's process group, or one of its activity workers (a Python child that is not the simulator)."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    workers = [c for c in children if "pac_simulator" not in " ".join(c.cmdline()) and "python" in c.name()]
    if workers and rng.random() < 0.4:
        return "activity_worker", rng.choice(workers).pid
    return "host", proc.pid


def _check_invariants(env: dict[str, str], report: SoakReport, *, timeout: float) -> None:
    result = run_manage(["invariants", "check"], env=env, timeout=timeout)
    report.invariant_checks += 1
    if result.returncode != 0:
        report.violations += 1
        raise SoakFailed(f"invariants broke after kill {report.kills}: {result.stdout[-3000:]} {result.stderr[-1500:]}")


def _bill_args(period: str, back_billing: bool) -> list[str]:
    return ["bill", "--period", period, "--issue", *(["--back-billing"] if back_billing else [])]


def _attempt(
    *,
    env: dict[str, str],
    period: str,
    back_billing: bool,
    max_delay: float,
    rng: random.Random,
    report: SoakReport,
    phases: tuple[str, ...] = PHASES,
) -> bool:
    """One attempt, killed at a random point of a randomly chosen phase still ahead of the run (starting, billing,
    issuing, stamping); True when it was killed, False when it finished first."""
    owner_url = env["MIGRATIONS_DATABASE_URL"]
    current = PHASES.index(_phase(owner_url, period))
    ahead = [p for p in phases if PHASES.index(p) >= current] or list(PHASES[current:])
    target = rng.choice(ahead)
    proc = subprocess.Popen(
        manage_argv(_bill_args(period, back_billing)),
        cwd=REPO,
        env={**os.environ, **env},
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    while proc.poll() is None and PHASES.index(_phase(owner_url, period)) < PHASES.index(target):
        time.sleep(0.1)
    time.sleep(rng.uniform(0.0, max_delay))
    victim = _victim(proc, rng) if proc.poll() is None else None
    if victim is None:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SoakFailed(f"an unkilled attempt of {period} failed ({proc.returncode}): {err[-2000:]}")
        report.completed_before_kill += 1
        return False
    kind, pid = victim
    phase = _phase(owner_url, period)
    if kind == "host":
        os.killpg(pid, signal.SIGKILL)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        try:  # the host must outlive a worker; give it a while, then treat it as a host loss too
            proc.wait(timeout=rng.uniform(2, 8))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    _reap_group(proc.pid)
    report.kills += 1
    report.kills_by_target[kind] = report.kills_by_target.get(kind, 0) + 1
    report.kills_by_phase[phase] = report.kills_by_phase.get(phase, 0) + 1
    return True


def _reap_group(pgid: int) -> None:
    """Children that left the group's leader behind (workers, the simulator) die too."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _close_period(env: dict[str, str], period: str, back_billing: bool, *, timeout: float) -> dict[str, Any]:
    result = run_manage(_bill_args(period, back_billing), env=env, timeout=timeout)
    if result.returncode != 0:
        raise SoakFailed(f"the unkilled run of {period} failed: {result.stdout[-2000:]} {result.stderr[-2000:]}")
    outcome: dict[str, Any] = json.loads(result.stdout[result.stdout.index("{") :])
    if outcome.get("not_issued"):  # held by the review policy: approve it, as an analyst would
        approved = run_manage(["billing", "approve", "--run", str(outcome["run_id"])], env=env, timeout=timeout)
        if approved.returncode != 0:
            raise SoakFailed(f"approving {period} failed: {approved.stderr[-2000:]}")
    return outcome


def _period_counts(owner_url: str, period: str) -> tuple[int, int, int, int]:
    """(issued, drafts, held for review, stamped) of the period's invoices."""
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            """SELECT count(*) FILTER (WHERE i.status = 'issued'),
                      count(*) FILTER (WHERE i.status = 'draft'),
                      count(*) FILTER (WHERE i.status = 'held'),
                      (SELECT count(*) FROM cfdi_documents d JOIN invoices j ON j.id = d.invoice_id
                       WHERE j.period = %s::date AND d.kind = 'I' AND d.status = 'stamped')
               FROM invoices i WHERE i.period = %s::date""",
            (f"{period}-01", f"{period}-01"),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def run_soak(
    *,
    env: dict[str, str],
    periods: list[str],
    kills_per_period: int,
    seed: int,
    max_delay: float = 4.0,
    timeout: float = 900.0,
    max_seconds: float = 3600.0,
    phases: tuple[str, ...] = PHASES,
) -> SoakReport:
    """The soak on an already seeded database (`env` = DATABASE_URL, MIGRATIONS_DATABASE_URL, AzureWebJobsStorage)."""
    rng = random.Random(seed)
    report = SoakReport(periods=periods)
    started = time.monotonic()
    newest = max(periods)
    for period in periods:
        back_billing = period != newest
        attempts = 0
        while attempts < kills_per_period and time.monotonic() - started < max_seconds:
            attempts += 1
            killed = _attempt(
                env=env, period=period, back_billing=back_billing, max_delay=max_delay, rng=rng, report=report
            )
            if not killed:
                break  # the period closed under this attempt: the next kills go to the next period
            _check_invariants(env, report, timeout=timeout)
            print(f"chaos: {period} kill {report.kills} ok ({report.kills_by_phase})", file=sys.stderr, flush=True)
        _close_period(env, period, back_billing, timeout=timeout)
        _check_invariants(env, report, timeout=timeout)
        issued, drafts, held, stamped = _period_counts(env["MIGRATIONS_DATABASE_URL"], period)
        if issued == 0 or drafts or stamped != issued:
            raise SoakFailed(f"{period} did not close: issued={issued} drafts={drafts} held={held} stamped={stamped}")
        report.invoices += issued
        report.held_for_review += held
        report.stamped += stamped
    report.seconds = round(time.monotonic() - started, 1)
    report.kills_by_phase = dict(Counter(report.kills_by_phase).most_common())
    return report
