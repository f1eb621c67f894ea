"""A command that holds the local stack (for the crash tests): `python -m tests.runner.stack_holder ROOT [storage]`
starts it under ROOT, prints one JSON line with its pids, and waits until SIGINT/SIGTERM (or a SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from devtools.devstack import processes
from devtools.devstack.stack import local_stack


def main() -> None:
    root = Path(sys.argv[1])
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with local_stack(root=root, throwaway=True, storage=len(sys.argv) > 2) as s:
        assert s.cluster is not None
        children = processes.descendants(os.getpid())
        info = {
            "pid": os.getpid(),
            "postmaster": s.cluster.postmaster_pid(),
            "azurite": s.azurite.pid if s.azurite else None,
            "port": s.cluster.port,
            "children": children,
        }
        print(json.dumps(info), flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
