"""`bench_pac`: the PAC leg of stamping at a given number of calls in flight against a PAC with real latency.

For each level of calls in flight (16 / 64 / 128 by default) `processes` spawned worker processes (like the durable
activity workers) sign their share of the documents on the native fast path in batches of SIGN_BATCH and hand each
batch to the production `PacSender` while they sign the next (as `stamp_chunk` does), with `in_flight / processes`
PAC threads and the same cap on the Finkok client (`max_in_flight`, what PAC_MAX_IN_FLIGHT sets in the app). The PAC
is the simulator as its own process (`python -m devtools.fakes.pac_simulator --pac-latency-ms --pac-jitter-ms
[--rate-limit]`). Reported per level: documents/s (and the in_flight / mean latency ceiling), peak RSS summed over
every process of the benchmark (this one, the workers and the simulator, sampled every 50 ms), throttled answers,
and the checks that every document got exactly one UUID and the simulator issued no other.

Not measured here: the database (the signed XML's commit before the first call stays in `stamp_chunk`, which this
benchmark does not replace) and publishing; see `manage.py bench billing --cfdi` for the whole run.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import psutil

from devtools.bench.signing import _ISSUER, sample_request
from shared.adapters.csd import CfdiSigner, generate_test_csd, load_signer
from shared.adapters.pac import FinkokClient, RetryPolicy
from shared.application.cfdi.pac_calls import PacSender
from shared.application.cfdi.services import CfdiServices
from shared.domain.cfdi.amounts import compute_cfdi
from shared.domain.timezone import UTILITY_TZ
from shared.platform.gc_tuning import tune_for_batch_work

SIGN_BATCH = 250  # as stamping.SIGN_BATCH: each signed batch goes to the PAC while the next one is signed
DEFAULT_LEVELS = (16, 64, 128)


@dataclass(frozen=True)
class _WorkerSetup:
    certificate_der: bytes
    key_der: bytes
    password: str
    pac_url: str
    in_flight: int  # this process's PAC threads and client cap


_services: CfdiServices | None = None


def _init_worker(setup: _WorkerSetup) -> None:
    global _services
    signer = CfdiSigner(load_signer(certificate=setup.certificate_der, key=setup.key_der, password=setup.password))
    client = FinkokClient(
        base_url=setup.pac_url,
        username="demo",
        password="demo",  # noqa: S106 - the local simulator's account
        timeout=30.0,
        retry=RetryPolicy(attempts=4, base_delay=0.2),
        max_in_flight=setup.in_flight,
    )
    _services = CfdiServices(signer=signer, pac=client, workers=setup.in_flight)
    tune_for_batch_work()


def _warm(_: int) -> int:
    time.sleep(0.3)  # long enough for every worker process to be spawned and initialised before the clock starts
    return 0


def _stamp_share(job: tuple[int, int, str]) -> dict[str, Any]:
    """Sign documents [first, last) and stamp them through PacSender; returns counts, UUIDs and CPU seconds."""
    first, last, fecha_text = job
    assert _services is not None
    fecha = dt.datetime.fromisoformat(fecha_text)
    cpu = time.process_time()
    sender = PacSender(_services)
    for start in range(first, last, SIGN_BATCH):
        batch = []
        for i in range(start, min(last, start + SIGN_BATCH)):
            request = replace(sample_request(i), fecha=fecha)
            batch.append((i, _services.signer.sign_native(compute_cfdi(request=request)).xml))
        sender.submit(batch)
    outcomes = sender.results()
    client = _services.pac
    return {
        "statuses": [o.status for o in outcomes],
        "uuids": [o.uuid for o in outcomes if o.uuid],
        "cpu_seconds": time.process_time() - cpu,
        "throttled_answers": getattr(client, "throttled_answers", 0),
    }


class _RssSampler:
    """Peak of the summed RSS of this process and all its descendants (workers, simulator)."""

    def __init__(self, interval: float = 0.05) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _total(self) -> int:
        me = psutil.Process()
        total = 0
        for process in [me, *me.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue  # a process that just ended
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            self._stop.wait(self._interval)

    def __enter__(self) -> _RssSampler:
        self.peak = self._total()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _start_simulator(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "devtools.fakes.pac_simulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise RuntimeError(f"the PAC simulator did not start (printed {url!r})")
    return process, url


def _simulator_stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/_control/stats", timeout=10) as answer:  # noqa: S310 - loopback simulator
        return dict(json.loads(answer.read()))


def _level(
    *, in_flight: int, documents: int, processes: int, first_index: int, setup: _WorkerSetup, latency_ms: float
) -> dict[str, Any]:
    per_process = max(1, in_flight // processes)
    setup = replace(setup, in_flight=per_process)
    fecha = dt.datetime.now(UTILITY_TZ).replace(tzinfo=None, microsecond=0).isoformat()
    share = -(-documents // processes)
    jobs = [
        (first_index + p * share, first_index + min(documents, (p + 1) * share), fecha)
        for p in range(processes)
        if p * share < documents
    ]
    before = _simulator_stats(setup.pac_url)
    context = multiprocessing.get_context("spawn")
    with (
        _RssSampler() as rss,
        ProcessPoolExecutor(processes, mp_context=context, initializer=_init_worker, initargs=(setup,)) as pool,
    ):
        list(pool.map(_warm, range(processes * 2)))
        started = time.perf_counter()
        results = list(pool.map(_stamp_share, jobs))
        seconds = time.perf_counter() - started
    after = _simulator_stats(setup.pac_url)
    statuses = [s for r in results for s in r["statuses"]]
    uuids = [u for r in results for u in r["uuids"]]
    stamped = statuses.count("stamped")
    issued_now = after.get("stamped_documents", 0) - before.get("stamped_documents", 0)
    return {
        "in_flight": per_process * processes,
        "in_flight_per_process": per_process,
        "documents": documents,
        "stamped": stamped,
        "not_stamped": {s: statuses.count(s) for s in sorted(set(statuses)) if s != "stamped"},
        "seconds": round(seconds, 2),
        "documents_per_second": round(stamped / seconds, 1) if seconds else None,
        "latency_ceiling_per_second": round(per_process * processes / (latency_ms / 1000), 1) if latency_ms else None,
        "peak_rss_all_processes_mib": round(rss.peak / 2**20, 1),
        "workers_cpu_seconds": round(sum(r["cpu_seconds"] for r in results), 2),
        "throttled_answers": sum(r["throttled_answers"] for r in results),
        "simulator_stamp_calls": after.get("stamp", 0) - before.get("stamp", 0),
        "simulator_throttled": after.get("throttled", 0) - before.get("throttled", 0),
        "one_uuid_per_document": len(uuids) == len(set(uuids)) == stamped,
        "simulator_issued_no_other_uuid": issued_now == stamped,
        "projected_400k_minutes": round(400_000 / (stamped / seconds) / 60, 1) if stamped and seconds else None,
    }


def bench_pac(
    *,
    documents: int = 4000,
    levels: tuple[int, ...] = DEFAULT_LEVELS,
    processes: int = 2,
    latency_ms: float = 200.0,
    jitter_ms: float = 100.0,
    rate_limit: str | None = None,
    full_check_every: int = 100,
) -> dict[str, Any]:
    """Run every level against one simulator process; returns the JSON report."""
    password = secrets.token_urlsafe(12)
    csd = generate_test_csd(
        rfc=_ISSUER.rfc, name=_ISSUER.name, password=password, valid_from=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    args = [
        "--pac-latency-ms",
        str(latency_ms),
        "--pac-jitter-ms",
        str(jitter_ms),
        "--full-check-every",
        str(full_check_every),
    ]
    if rate_limit:
        args += ["--rate-limit", rate_limit]
    simulator, url = _start_simulator(args)
    try:
        setup = _WorkerSetup(csd.certificate_der, csd.key_der, password, url, 1)
        runs = []
        for n, in_flight in enumerate(levels):
            runs.append(
                _level(
                    in_flight=in_flight,
                    documents=documents,
                    processes=processes,
                    first_index=n * documents,  # new folios per level: new Sellos, new stamps
                    setup=setup,
                    latency_ms=latency_ms,
                )
            )
    finally:
        simulator.terminate()
        simulator.wait(10)
    return {
        "benchmark": "pac",
        "pac_latency_ms": latency_ms,
        "pac_jitter_ms": jitter_ms,
        "rate_limit": rate_limit,
        "simulator_full_check_every": full_check_every,
        "processes": processes,
        "cores": psutil.cpu_count(),
        "levels": runs,
    }
