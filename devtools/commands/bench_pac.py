"""`manage.py bench pac`: PAC throughput and peak memory at 16 / 64 / 128 calls in flight against the simulator
with per-call latency (JSON; see devtools/bench/pac.py for what is and is not measured)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from devtools.bench.pac import DEFAULT_LEVELS, bench_pac


def bench_pac_command(
    documents: Annotated[int, typer.Option("--documents", min=1, help="documents stamped per level")] = 4000,
    in_flight: Annotated[
        list[int] | None, typer.Option("--in-flight", min=1, help="calls in flight (repeat); default 16, 64, 128")
    ] = None,
    processes: Annotated[int, typer.Option("--processes", min=1, help="worker processes")] = 2,
    latency_ms: Annotated[float, typer.Option("--pac-latency-ms", min=0)] = 200.0,
    jitter_ms: Annotated[float, typer.Option("--pac-jitter-ms", min=0)] = 100.0,
    rate_limit: Annotated[str | None, typer.Option("--rate-limit", help="simulator rate limit, N/s")] = None,
    full_check_every: Annotated[int, typer.Option("--simulator-full-check-every", min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Sign and stamp `documents` per level through the production PacSender and Finkok client."""
    report = bench_pac(
        documents=documents,
        levels=tuple(in_flight or DEFAULT_LEVELS),
        processes=processes,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        rate_limit=rate_limit,
        full_check_every=full_check_every,
    )
    typer.echo(json.dumps(report, indent=None if as_json else 2))
