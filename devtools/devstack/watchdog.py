"""The local stack's watchdog: a small process that outlives the command it guards (its own session), follows that
command's descendants (Azurite, activity workers, the PAC simulator, fakes) and the PostgreSQL postmaster it
started, and stops them when the command dies without doing so itself (kill -9). Normal exits stop everything
first; the watchdog then finds nothing left and exits. Start it with `start_watchdog`.

    python -m devtools.devstack.watchdog PARENT_PID PARENT_START [--postmaster PID:START ...]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from devtools.devstack.processes import alive, descendants, start_time, stop

POLL_SECONDS = 0.25
REPO = Path(__file__).resolve().parents[2]


def start_watchdog(*, postmasters: Sequence[int] = ()) -> subprocess.Popen[bytes]:
    """Guard this process: when it dies, its descendants get SIGTERM and the postmasters a fast shutdown."""
    me = os.getpid()
    args = [sys.executable, "-m", "devtools.devstack.watchdog", str(me), str(start_time(me))]
    for pid in postmasters:
        args += ["--postmaster", f"{pid}:{start_time(pid)}"]
    return subprocess.Popen(args, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)


def _parse(pair: str) -> tuple[int, int | None]:
    pid, _, started = pair.partition(":")
    return int(pid), (int(started) if started and started != "None" else None)


def watch(parent: int, parent_started: int | None, postmasters: list[tuple[int, int | None]]) -> list[str]:
    """Follow `parent` until it dies; then stop what it left. Returns what was stopped (one entry each)."""
    me = os.getpid()
    followed: dict[int, int | None] = {}
    while alive(parent, parent_started):
        for pid in descendants(parent):
            if pid != me and pid not in followed:
                followed[pid] = start_time(pid)
        time.sleep(POLL_SECONDS)
    stopped = [f"pid {pid}" for pid, started in followed.items() if alive(pid, started)]
    for pid, started in followed.items():
        if alive(pid, started):
            os.kill(pid, signal.SIGTERM)
    for pid, started in postmasters:
        if stop(pid, started, sig=signal.SIGINT, timeout=20):  # SIGINT: PostgreSQL's fast shutdown
            stopped.append(f"PostgreSQL pid {pid}")
    for pid, started in followed.items():
        stop(pid, started, timeout=5)
    return stopped


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.devstack.watchdog")
    parser.add_argument("parent", type=int)
    parser.add_argument("parent_started")
    parser.add_argument("--postmaster", action="append", default=[])
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the command, which stops things itself
    started = None if args.parent_started == "None" else int(args.parent_started)
    stopped = watch(args.parent, started, [_parse(p) for p in args.postmaster])
    if stopped:
        print(
            f"local stack watchdog: pid {args.parent} died without stopping its stack; stopped {', '.join(stopped)}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
