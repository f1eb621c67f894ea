"""`bench_cfdi`: stamp an issued billing run (build, sign, persist, PAC) and report throughput next to the RSA-only
floor measured for the same N in the same run.

Chunks run in `processes` worker processes (like the durable activity workers), each with `pac_workers` concurrent
PAC calls. The PAC is whatever `pac_url` points at (the local simulator for the benchmark); the CSD is passed as DER
bytes so the workers can load it. Publishing (Blob XML + PDF) is not part of the benchmark.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from shared.adapters.csd import CfdiSigner, load_signer
from shared.adapters.pac import FinkokClient, RetryPolicy
from shared.application.cfdi import stamping
from shared.application.cfdi.services import CfdiServices
from shared.data import db
from shared.platform.gc_tuning import tune_for_batch_work


@dataclass(frozen=True)
class BenchCsd:
    certificate_der: bytes
    key_der: bytes
    password: str


_worker_services: CfdiServices | None = None


def _init_worker(csd: BenchCsd, pac_url: str, pac_workers: int) -> None:
    global _worker_services
    signer = CfdiSigner(load_signer(certificate=csd.certificate_der, key=csd.key_der, password=csd.password))
    client = FinkokClient(
        base_url=pac_url,
        username="demo",
        password="demo",  # noqa: S106 - the local simulator's account
        timeout=30.0,
        retry=RetryPolicy(attempts=3, base_delay=0.2),
    )
    _worker_services = CfdiServices(signer=signer, pac=client, workers=pac_workers)
    tune_for_batch_work()  # as function_app.py does in the Functions worker


def _chunk(job: tuple[str, int, int, int, int]) -> tuple[dict[str, int], dict[str, float]]:
    tenant_id, run_id, sector_id, first_id, last_id = job
    timings: dict[str, float] = {}
    cpu = time.process_time()
    counts = stamping.stamp_chunk(
        tenant_id=tenant_id,
        run_id=run_id,
        sector_id=sector_id,
        first_id=first_id,
        last_id=last_id,
        now=dt.datetime.now(dt.UTC),
        services=_worker_services,
        timings=timings,
    )
    timings["worker_cpu"] = time.process_time() - cpu  # every thread of the worker process
    return counts, timings


def rsa_floor_seconds(csd: BenchCsd, n: int) -> float:
    """n RSA-2048 PKCS#1 v1.5 signatures of precomputed SHA-256 digests with the same key (one core)."""
    key = load_signer(certificate=csd.certificate_der, key=csd.key_der, password=csd.password).key
    digests = [hashlib.sha256(f"cadena {i}".encode()).digest() for i in range(n)]
    prehashed = utils.Prehashed(hashes.SHA256())
    started = time.perf_counter()
    for digest in digests:
        key.sign(digest, padding.PKCS1v15(), prehashed)
    return time.perf_counter() - started


def bench_cfdi(
    tenant_id: UUID | str,
    run_id: int,
    *,
    csd: BenchCsd,
    pac_url: str,
    processes: int = 2,
    pac_workers: int = 8,
    chunk_size: int = 2000,
) -> dict[str, Any]:
    """Stamp every issued invoice of the run; returns seconds, counts, per-phase seconds and the RSA floor."""
    started = time.perf_counter()
    stamping.start_stamping(tenant_id=tenant_id, run_id=run_id)
    jobs = [
        (str(tenant_id), run_id, sector, first, last)
        for sector, chunks in stamping.plan_run(tenant_id=tenant_id, run_id=run_id, chunk_size=chunk_size).items()
        for first, last, _n in chunks
    ]
    plan_seconds = time.perf_counter() - started
    totals: dict[str, int] = {}
    phases: dict[str, float] = {}
    db.close_pool()  # never carry pooled connections into the workers
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=_init_worker, initargs=(csd, pac_url, pac_workers)
    ) as pool:
        warm = time.perf_counter()
        for counts, timings in pool.map(_chunk, jobs):
            for name, count in counts.items():
                totals[name] = totals.get(name, 0) + count
            for name, secs in timings.items():
                phases[name] = phases.get(name, 0.0) + secs
        chunks_seconds = time.perf_counter() - warm
    summary = stamping.finish_run(tenant_id=tenant_id, run_id=run_id)
    seconds = time.perf_counter() - started
    n = summary["stamped"]
    floor = rsa_floor_seconds(csd, n) if n else 0.0
    return {
        "seconds": round(seconds, 2),
        "invoices": summary["invoices"],
        "stamped": n,
        "rejected": summary["rejected"],
        "pending": summary["pending"],
        "failed_retryable": summary["failed_retryable"],
        "success_rate": summary["success_rate"],
        "chunks": len(jobs),
        "processes": processes,
        "pac_workers_per_process": pac_workers,
        "chunk_counts": totals,
        "phases_seconds": {
            "plan": round(plan_seconds, 2),
            "chunks_wall": round(chunks_seconds, 2),
            **{f"{k}_summed_over_chunks": round(v, 2) for k, v in phases.items()},
        },
        "invoices_per_second": round(n / seconds, 1) if seconds else None,
        "rsa_only_floor_seconds": round(floor, 2),
        "rsa_only_floor_ms_per_invoice": round(floor * 1000 / n, 4) if n else None,
        "rsa_floor_parallel_seconds": round(floor / processes, 2),
        "ratio_to_rsa_floor": round(seconds / floor, 2) if floor else None,
        "ratio_to_parallel_rsa_floor": round(seconds / (floor / processes), 2) if floor else None,
    }
