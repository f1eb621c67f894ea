"""How a stamped CFDI is stored: the signed XML plus the PAC's insertion when the answer is exactly that, the
whole answer otherwise; `cfdi_stamped_xml(d)` always gives back the PAC's bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from devtools.fakes.pac_simulator import PacSimulator
from shared.application.cfdi.services import CfdiServices
from shared.data import cfdi as data
from shared.data.db import tenant_transaction
from shared.domain.cfdi.stamped import stamp_insertion
from tests.cfdi_flow.conftest import GOOD_RECEIVER, build_world, docs
from tests.cfdi_flow.rounds import stamp_round
from tests.fixtures.postgres import TestDatabase


@given(base=st.binary(max_size=300), cut=st.integers(min_value=0), inserted=st.binary(min_size=1, max_size=80))
def test_an_insertion_is_found_and_splices_back_exactly(base: bytes, cut: int, inserted: bytes) -> None:
    at = cut % (len(base) + 1)
    stamped = base[:at] + inserted + base[at:]
    found = stamp_insertion(base, stamped)
    assert found is not None
    offset, piece = found
    assert base[:offset] + piece + base[offset:] == stamped


@given(base=st.binary(min_size=1, max_size=300), other=st.binary(max_size=400))
def test_any_other_answer_is_either_rejected_or_still_splices_back_exactly(base: bytes, other: bytes) -> None:
    found = stamp_insertion(base, other)
    if found is not None:
        offset, piece = found
        assert base[:offset] + piece + base[offset:] == other


def test_the_usual_answer_is_found_at_the_closing_tag() -> None:
    signed = b"<?xml version='1.0'?>\n<cfdi:Comprobante Sello=\"x\"><cfdi:Emisor/></cfdi:Comprobante>"
    complemento = b'<cfdi:Complemento><tfd:TimbreFiscalDigital UUID="u"/></cfdi:Complemento>'
    at = signed.rindex(b"</cfdi:Comprobante>")
    assert stamp_insertion(signed, signed[:at] + complemento + signed[at:]) == (at, complemento)
    assert stamp_insertion(signed, signed) is None
    assert stamp_insertion(signed, signed.replace(b'"x"', b'"y"') + b"<!-- -->") is None


def test_an_answer_that_is_not_an_insertion_is_stored_whole(
    fresh_db: TestDatabase, services: CfdiServices, simulator: PacSimulator
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER]])
    assert stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)["stamped"] == 1
    (row,) = docs(world)
    with world.owner() as conn:
        signed, stamped = conn.execute("SELECT signed_xml, cfdi_stamped_xml(d) FROM cfdi_documents d").fetchone()
        conn.execute(
            "UPDATE cfdi_documents SET status = 'signed', uuid = NULL, stamp_insert = NULL, stamp_insert_at = NULL"
        )
    reformatted = bytes(stamped).replace(
        b"<?xml version='1.0' encoding='UTF-8'?>", b'<?xml version="1.0" encoding="UTF-8"?>'
    )
    with tenant_transaction(world.tenant_id) as conn:
        assert (
            data.record_outcomes(
                conn,
                [data.PacOutcome(row["id"], "stamped", row["uuid"], reformatted, None, None, None, 1, bytes(signed))],
            )
            == 1
        )
    (after,) = docs(world)
    assert after["status"] == "stamped" and not after["has_signed"] and not after["stored_as_insert"]
    with world.owner() as conn:
        assert bytes(conn.execute("SELECT cfdi_stamped_xml(d) FROM cfdi_documents d").fetchone()[0]) == reformatted


def test_an_insertion_is_not_applied_to_a_signed_xml_other_than_the_one_sent(
    fresh_db: TestDatabase, services: CfdiServices, simulator: PacSimulator
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER]])
    stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    (row,) = docs(world)
    with world.owner() as conn:
        stamped = bytes(conn.execute("SELECT cfdi_stamped_xml(d) FROM cfdi_documents d").fetchone()[0])
        signed = bytes(conn.execute("SELECT signed_xml FROM cfdi_documents").fetchone()[0])
        conn.execute(
            "UPDATE cfdi_documents SET status = 'signed', uuid = NULL, stamp_insert = NULL, "
            "stamp_insert_at = NULL, signed_xml = signed_xml || '\\x20'::bytea"
        )  # re-signed meanwhile
    with tenant_transaction(world.tenant_id) as conn:
        assert (
            data.record_outcomes(
                conn, [data.PacOutcome(row["id"], "stamped", row["uuid"], stamped, None, None, None, 1, signed)]
            )
            == 0
        )
    (after,) = docs(world)
    assert after["status"] == "signed" and not after["has_stamped"]  # left for the next round's `stamped` recovery
