"""Process bookkeeping for the local stack (Linux /proc): is a pid still the process we started (its start time),
its descendants, pid files with an owner, and children that die with their parent (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (None when there is no such process): with the pid it
    identifies one process even after the pid is reused."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":  # a zombie has exited already
        return None
    return int(fields[19])


def alive(pid: int, started: int | None = None) -> bool:
    now = start_time(pid)
    return now is not None and (started is None or now == started)


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = parent_of(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _load_prctl() -> object | None:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()  # resolved in the parent: the forked child only calls it


def die_with_parent() -> None:
    """`preexec_fn` for a child that must not outlive the process starting it: the kernel sends it SIGTERM when its
    parent exits, SIGKILL included (PR_SET_PDEATHSIG; the parent is the starting thread, so start such children from
    a thread that lives as long as they should, the main thread). If the parent is gone already, exit."""
    parent = os.getppid()
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)  # type: ignore[operator]
    if os.getppid() != parent:
        os._exit(1)


def stop(pid: int, started: int | None, *, sig: int = signal.SIGTERM, timeout: float = 10.0) -> bool:
    """Signal the process (if it is still the one recorded) and wait for it to go, SIGKILL after `timeout`.
    True when it was running."""
    if not alive(pid, started):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while alive(pid, started) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.05)
    if alive(pid, started):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


@dataclass(frozen=True)
class PidRecord:
    """What a pid file under the stack's root says: the process, and the process that started it (its owner)."""

    pid: int
    started: int | None
    owner_pid: int
    owner_started: int | None
    what: str

    def running(self) -> bool:
        return alive(self.pid, self.started)

    def owner_running(self) -> bool:
        return alive(self.owner_pid, self.owner_started)


def write_pid_file(path: Path, *, pid: int, what: str) -> PidRecord:
    me = os.getpid()
    record = PidRecord(pid, start_time(pid), me, start_time(me), what)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record.__dict__))
    tmp.replace(path)
    return record


def read_pid_file(path: Path) -> PidRecord | None:
    try:
        return PidRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
