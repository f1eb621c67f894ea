"""The durable stamping orchestration (run → sector sub-orchestrations → chunk activities with retry) on the local
runner's Durable engine, with activities in process, real PostgreSQL, Azurite and the PAC simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator

import azure.durable_functions as df
import pytest

from devtools.fakes.pac_simulator import PacSimulator
from devtools.local_runner.durable.activities import InProcessActivityRunner
from devtools.local_runner.durable.engine import DurableEngine
from devtools.local_runner.durable.store import RuntimeStatus
from devtools.local_runner.index import FunctionIndex
from devtools.local_runner.invoke import FunctionInvoker
from functions import cfdi as cfdi_functions
from shared.adapters import storage
from shared.application.cfdi.services import CfdiServices
from shared.application.cfdi.stamping import start_stamping
from tests.cfdi_flow.conftest import GOOD_RECEIVER, NO_RFC, build_world, docs, install
from tests.fixtures.postgres import TestDatabase

app = df.DFApp()
app.register_functions(cfdi_functions.bp)


@pytest.fixture()
def engine() -> Iterator[DurableEngine]:
    invoker = FunctionInvoker(threads=4, name="cfdi-test")
    index = FunctionIndex.of(app)
    eng = DurableEngine(index, InProcessActivityRunner(index, invoker))
    yield eng
    eng.close()
    invoker.close()


def run_round(engine: DurableEngine, world, **options) -> dict:  # type: ignore[no-untyped-def]
    start = start_stamping(tenant_id=world.tenant_id, run_id=world.run_id)
    instance_id, _ = engine.start_new(
        cfdi_functions.RUN_ORCHESTRATOR, json.dumps({**start["input"], **options}), start["instance_id"]
    )
    record = engine.wait_for(instance_id, 60)
    assert record.status is RuntimeStatus.COMPLETED, record.output
    return record.output


def test_orchestration_stamps_per_sector_and_publishes_xml_and_pdf(
    fresh_db: TestDatabase, installed: CfdiServices, storage_env: str, engine: DurableEngine
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER, NO_RFC], [GOOD_RECEIVER], [NO_RFC, NO_RFC]])
    install(world, installed)
    out = run_round(engine, world, chunk_size=1, retry_ms=10, attempts=2, publish=True)  # eager: opt-in
    assert out["status"] == "completed" and out["stamped"] == 5 and out["failed_sectors"] == []
    sectors = [engine.get(f"cfdi-stamp-{world.tenant_id}-{world.run_id}-r1:s{s}") for s in world.sectors]
    assert all(s is not None and s.status is RuntimeStatus.COMPLETED for s in sectors)
    rows = docs(world)
    assert len({r["uuid"] for r in rows}) == 5
    for row in rows:  # tenant/period/UUID in the cfdi container
        assert row["xml_blob"].endswith(f"/{world.tenant_id}/2026-10/{row['uuid'].upper()}.xml")
        container, _, name = row["xml_blob"].partition("/")
        assert b"TimbreFiscalDigital" in storage.get_blob(container, name)
        container, _, name = row["pdf_blob"].partition("/")
        assert storage.get_blob(container, name).startswith(b"%PDF")
    with world.owner() as conn:
        stored = conn.execute("SELECT status, rounds, counters FROM cfdi_stamp_runs").fetchone()
    assert stored[0] == "completed" and stored[1] == 1 and stored[2]["success_rate"] == 1.0


def test_outage_exhausts_retries_then_a_new_round_completes_without_duplicates(
    fresh_db: TestDatabase, installed: CfdiServices, simulator: PacSimulator, engine: DurableEngine
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER] * 3, [NO_RFC] * 2])
    install(world, installed)
    simulator.inject("incidence", count=10_000, code="708", operation="stamp")  # SAT unreachable
    first = run_round(engine, world, chunk_size=2, retry_ms=10, attempts=2, publish=False)
    assert first["status"] == "incomplete" and first["stamped"] == 0
    assert sorted(first["failed_sectors"]) == sorted(world.sectors)
    assert first["failed_retryable"] >= 2 and first["failed_retryable"] + first["pending"] == 5
    failed = docs(world, "status = 'failed_retryable'")
    assert failed[0]["incidence_code"] == "708" and "SAT" in failed[0]["incidence_message"]
    assert failed[0]["attempts"] == 2  # the durable retry re-sent the same document once more
    simulator.clear_faults()
    second = run_round(engine, world, chunk_size=2, retry_ms=10, attempts=2, publish=False)
    assert second["status"] == "completed" and second["stamped"] == 5 and second["round"] == 2
    assert len({r["uuid"] for r in docs(world)}) == 5 and simulator.stats()["stamped_documents"] == 5
