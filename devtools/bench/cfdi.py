"""Figures of the CFDI part of `manage.py bench billing --cfdi`: the run is issued and stamped by the production
path (approval → `billing_close_orchestrator` → `cfdi_stamp_run_orchestrator`, 1,000-invoice chunks, lazy
publishing) in the function host's activity workers; this module only measures: the RSA-only floor for the same N in
the same run, and the CPU the activity workers spent per invoice (the simulator's CPU is reported apart).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from devtools.commands.cfdi_local import LocalCsd, throwaway_csd
from shared.adapters.csd import load_signer


def rsa_floor_seconds(csd: LocalCsd, n: int) -> float:
    """n RSA-2048 PKCS#1 v1.5 signatures of precomputed SHA-256 digests with the same key size (one core)."""
    key = load_signer(certificate=csd.certificate_der, key=csd.key_der, password=csd.password).key
    digests = [hashlib.sha256(f"cadena {i}".encode()).digest() for i in range(n)]
    prehashed = utils.Prehashed(hashes.SHA256())
    started = time.perf_counter()
    for digest in digests:
        key.sign(digest, padding.PKCS1v15(), prehashed)
    return time.perf_counter() - started


def cfdi_figures(
    *,
    stamped: int,
    stamp_seconds: float,
    worker_cpu_seconds: float,
    host_cpu_seconds: float,
    simulator_cpu_seconds: float,
    processes: int,
) -> dict[str, Any]:
    """Throughput next to the RSA floor (measured now, same key size) and CPU per invoice."""
    floor = rsa_floor_seconds(throwaway_csd("EKU9003173C9", "BENCH"), stamped) if stamped else 0.0
    floor_ms = floor * 1000 / stamped if stamped else None
    worker_ms = worker_cpu_seconds * 1000 / stamped if stamped else None
    return {
        "invoices_per_second": round(stamped / stamp_seconds, 1) if stamp_seconds else None,
        "rsa_only_floor_seconds": round(floor, 2),
        "rsa_only_floor_ms_per_invoice": round(floor_ms, 4) if floor_ms else None,
        "rsa_floor_parallel_seconds": round(floor / processes, 2),
        "ratio_to_rsa_floor": round(stamp_seconds / floor, 2) if floor else None,
        "ratio_to_parallel_rsa_floor": round(stamp_seconds / (floor / processes), 2) if floor else None,
        "worker_cpu_seconds": round(worker_cpu_seconds, 2),
        "worker_cpu_ms_per_invoice": round(worker_ms, 4) if worker_ms else None,
        "worker_cpu_to_rsa_ratio": round(worker_ms / floor_ms, 2) if worker_ms and floor_ms else None,
        "host_process_cpu_seconds": round(host_cpu_seconds, 2),
        "simulator_cpu_seconds": round(simulator_cpu_seconds, 2),
        "simulator_share_of_2_cores": round(simulator_cpu_seconds / (2 * stamp_seconds), 3) if stamp_seconds else None,
    }
