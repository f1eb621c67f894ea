"""Stamping a billing run (inline runner): happy path, PAC outage and re-run, 307 recovery, bad input."""

from __future__ import annotations

import datetime as dt
import json

from lxml import etree

from devtools.fakes.pac_simulator import PacSimulator
from shared.adapters.pac.checks import check_cfdi
from shared.application.cfdi import mapping
from shared.application.cfdi.services import CfdiServices
from tests.cfdi_flow.conftest import GOOD_RECEIVER, NO_RFC, build_world, docs
from tests.cfdi_flow.rounds import stamp_round
from tests.fixtures.postgres import TestDatabase

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital"}


def stamped_xml(world, invoice_id: int) -> bytes:  # type: ignore[no-untyped-def]
    with world.owner() as conn:
        return bytes(
            conn.execute(
                "SELECT cfdi_stamped_xml(d) FROM cfdi_documents d WHERE invoice_id = %s AND kind = 'I'", (invoice_id,)
            ).fetchone()[0]
        )


def test_happy_path_stamps_every_invoice_once(
    fresh_db: TestDatabase, services: CfdiServices, simulator: PacSimulator
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER, NO_RFC, GOOD_RECEIVER], [NO_RFC, GOOD_RECEIVER]])
    summary = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services, chunk_size=2)
    assert summary["status"] == "completed"
    assert (summary["invoices"], summary["stamped"], summary["pending"], summary["rejected"]) == (5, 5, 0, 0)
    assert summary["success_rate"] == 1.0
    rows = docs(world)
    assert {r["status"] for r in rows} == {"stamped"}
    assert len({r["uuid"] for r in rows}) == 5
    # stored as the signed XML plus the PAC's insertion, which splice back into exactly what the PAC answered
    assert all(r["has_signed"] and r["stored_as_insert"] and r["has_stamped"] for r in rows)
    answers = {stamp.uuid.lower(): stamp.xml for stamp in simulator._state.stamps_by_uuid.values()}
    assert all(stamped_xml(world, r["invoice_id"]) == answers[r["uuid"]] for r in rows)
    # The stamped XML is a valid CFDI whose TFD carries the stored UUID; público en general has InformacionGlobal.
    for row in rows:
        xml = stamped_xml(world, row["invoice_id"])
        root = etree.fromstring(xml)
        assert root.get("MetodoPago") == "PPD" and root.get("FormaPago") == "99"
        assert root.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS).get("UUID").lower() == row["uuid"]
        receptor = root.find("cfdi:Receptor", NS)
        if receptor.get("Rfc") == "XAXX010101000":
            assert receptor.get("Nombre") == "PUBLICO EN GENERAL"
            assert root.find("cfdi:InformacionGlobal", NS).get("Meses") == "10"
    # A second round finds nothing to do: no new PAC calls, no new documents.
    calls = simulator.stats().get("stamp", 0)
    again = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    assert again["stamped"] == 5 and simulator.stats().get("stamp", 0) == calls
    assert simulator.stats()["stamped_documents"] == 5


def test_pac_outage_leaves_pending_and_rerun_finishes_without_duplicates(
    fresh_db: TestDatabase, services: CfdiServices, simulator: PacSimulator
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER] * 4, [NO_RFC] * 3])
    simulator.inject("http_error", count=1000, status=503, operation="stamp")
    first = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services, chunk_size=2)
    assert first["status"] == "incomplete" and first["stamped"] == 0
    assert first["failed_retryable"] >= 1 and first["failed_retryable"] + first["pending"] == 7
    rows = docs(world)
    assert {r["status"] for r in rows} <= {"signed", "failed_retryable"} and all(r["has_signed"] for r in rows)
    failed = [r for r in rows if r["status"] == "failed_retryable"]
    assert failed[0]["incidence_code"] == "http_503" and failed[0]["attempts"] == 1
    with world.owner() as conn:
        sellos = dict(
            conn.execute(
                "SELECT invoice_id, substring(convert_from(signed_xml, 'UTF8') from 'Sello=\"([^\"]+)\"') "
                "FROM cfdi_documents"
            ).fetchall()
        )
    simulator.clear_faults()
    second = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services, chunk_size=2)
    assert second["status"] == "completed" and second["stamped"] == 7 and second["pending"] == 0
    rows = docs(world)
    assert len({r["uuid"] for r in rows}) == 7 and simulator.stats()["stamped_documents"] == 7
    for invoice_id, sello in sellos.items():  # the very bytes signed before the outage were stamped
        assert etree.fromstring(stamped_xml(world, invoice_id)).get("Sello") == sello


def test_documents_left_unstamped_past_the_72_hour_window_are_signed_again_once(
    fresh_db: TestDatabase, services: CfdiServices, simulator: PacSimulator
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER] * 3])
    simulator.inject("http_error", count=1000, status=503, operation="stamp")
    first = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    assert first["stamped"] == 0 and {r["status"] for r in docs(world)} <= {"signed", "failed_retryable"}
    with world.owner() as conn:
        old_fechas = {r[0] for r in conn.execute("SELECT fecha FROM cfdi_documents")}
    simulator.clear_faults()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=80)  # the outage outlived the PAC's 72-hour window
    simulator._clock = lambda: mapping.local_now(later)
    second = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, now=later, services=services)
    assert second["status"] == "completed" and second["stamped"] == 3
    rows = docs(world)
    assert len({r["uuid"] for r in rows}) == 3 and simulator.stats()["stamped_documents"] == 3
    with world.owner() as conn:
        new_fechas = {r[0] for r in conn.execute("SELECT fecha FROM cfdi_documents")}
    assert new_fechas.isdisjoint(old_fechas)  # re-signed with a new Fecha, never stamped twice
    assert simulator.stats().get("stamped", 0) == 3  # each stale document was looked up once with `stamped`


def test_timeout_after_stamp_recovers_the_same_uuid_through_307(
    fresh_db: TestDatabase, services: CfdiServices, simulator: PacSimulator
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER]])
    simulator.inject("timeout", count=1, seconds=1.0, operation="stamp")  # stamps, answers after the client gave up
    summary = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    assert summary["stamped"] == 1
    stats = simulator.stats()
    assert stats["stamp"] == 2 and stats.get("stamped", 0) >= 1  # retry saw 307, recovered with `stamped`
    assert stats["stamped_documents"] == 1
    (row,) = docs(world)
    check_cfdi(stamped_xml(world, row["invoice_id"]))  # the recovered document is a valid stamped CFDI


def test_invalid_receivers_are_rejected_with_reasons_and_the_sector_continues(
    fresh_db: TestDatabase, services: CfdiServices, simulator: PacSimulator
) -> None:
    missing_cp = ("CACX7605101P8", "612", "G03", None, None)
    bad_rfc = ("CACX7605101P9", "612", "G03", "76010", None)  # wrong check digit
    uso_mismatch = ("CACX7605101P8", "605", "G03", "76010", None)  # sueldos y salarios cannot use G03
    world = build_world(fresh_db, per_sector=[[missing_cp, GOOD_RECEIVER, bad_rfc, uso_mismatch, NO_RFC]])
    summary = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services, chunk_size=10)
    assert (summary["stamped"], summary["rejected"], summary["pending"]) == (2, 3, 0)
    assert summary["status"] == "completed"
    rows = {r["invoice_id"]: r for r in docs(world)}
    codes = [rows[i]["incidence_code"] for i in world.invoices]
    assert codes == ["missing_postal_code", None, "invalid_rfc_check_digit", "uso_regimen_mismatch", None]
    assert "código postal" in rows[world.invoices[0]]["incidence_message"]
    with world.owner() as conn:
        reasons = conn.execute(
            "SELECT rejections FROM cfdi_documents WHERE invoice_id = %s", (world.invoices[3],)
        ).fetchone()[0]
    assert reasons[0]["field"] == "receiver.uso_cfdi" and "605" in reasons[0]["message"]
    assert simulator.stats()["stamp"] == 2  # rejected invoices never reached the PAC
    assert json.dumps(reasons, ensure_ascii=False)


def test_chunks_reuse_the_pac_threads_and_their_connections(
    fresh_db: TestDatabase, services: CfdiServices, simulator: PacSimulator
) -> None:
    """Five chunks of two invoices each: the PAC is reached through at most `workers` keep-alive connections."""
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER] * 10])
    summary = stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services, chunk_size=2)
    assert summary["stamped"] == 10
    connections = services.pac._http._all  # type: ignore[attr-defined]
    assert 1 <= len(connections) <= services.workers
    assert all(c.sock.fileno() != -1 for c in connections)
