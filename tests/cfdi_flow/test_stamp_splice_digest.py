"""The stamp splice is guarded by a digest of the signed bytes: the PAC's insertion is only applied to the stored
signed XML that was actually sent. A document re-signed meanwhile with bytes of the same length (a new Sello has
the same size) is refused, left 'signed' for the next round's `stamped` recovery."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from shared.data import cfdi as data
from shared.data.db import tenant_transaction
from tests.cfdi_flow.conftest import GOOD_RECEIVER, World, build_world, docs
from tests.fixtures.postgres import TestDatabase

SIGNED = b'<?xml version="1.0" encoding="UTF-8"?>\n<cfdi:Comprobante Sello="%s"><cfdi:Emisor/></cfdi:Comprobante>'
TFD = b'<cfdi:Complemento><tfd:TimbreFiscalDigital UUID="%s"/></cfdi:Complemento>'


def _signed_document(world: World, sello: bytes) -> int:
    signed = SIGNED % sello
    now = dt.datetime.now(dt.UTC)
    with world.owner() as conn:
        account = conn.execute("SELECT account_id FROM invoices WHERE id = %s", (world.invoices[0],)).fetchone()[0]
    row = data.NewDocument(
        world.tenant_id, world.invoices[0], account, world.run_id, "I", "invoice", "A", "1001", "signed",
        "PUE", "99", GOOD_RECEIVER[0], Decimal("315.54"), now.replace(tzinfo=None), signed, [], None, now, None, None,
    )  # fmt: skip
    with tenant_transaction(world.tenant_id) as conn:
        return data.insert_documents(conn, [row])[(world.invoices[0], "I", "invoice")]


def _stamped_answer(signed: bytes, uuid_text: str) -> bytes:
    at = signed.rindex(b"</cfdi:Comprobante>")
    return signed[:at] + (TFD % uuid_text.encode()) + signed[at:]


def _record(world: World, doc_id: int, uuid_text: str, stamped: bytes, sent: bytes) -> int:
    outcome = data.PacOutcome(doc_id, "stamped", uuid_text, stamped, None, None, None, 1, sent)
    with tenant_transaction(world.tenant_id) as conn:
        return data.record_outcomes(conn, [outcome])


def _world(fresh_db: TestDatabase) -> World:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER]])
    with world.owner() as conn:
        world.invoices = [r[0] for r in conn.execute("SELECT id FROM invoices ORDER BY id").fetchall()]
    return world


def test_the_insertion_is_spliced_into_the_bytes_that_were_sent(fresh_db: TestDatabase) -> None:
    world = _world(fresh_db)
    doc_id = _signed_document(world, b"A" * 344)
    sent = SIGNED % (b"A" * 344)
    uuid_text = str(uuid.uuid4()).upper()
    assert _record(world, doc_id, uuid_text, _stamped_answer(sent, uuid_text), sent) == 1
    (after,) = docs(world)
    assert after["status"] == "stamped" and after["stored_as_insert"]
    with world.owner() as conn:
        stored = bytes(conn.execute("SELECT cfdi_stamped_xml(d) FROM cfdi_documents d").fetchone()[0])
    assert stored == _stamped_answer(sent, uuid_text)


@pytest.mark.parametrize(
    ("sent_sello", "stored_sello"),
    [
        (b"A" * 344, b"B" * 344),  # another signature of the same size
        (b"A" * 343 + b"=", b"A" * 342 + b"=="),  # the last bytes differ
        (b"QUJD" * 86, b"QUJE" + b"QUJD" * 85),  # the first bytes differ
    ],
)
def test_a_same_length_resign_is_refused(fresh_db: TestDatabase, sent_sello: bytes, stored_sello: bytes) -> None:
    """Stored and sent signed XML of the same length but different bytes: the octet_length guard let this through."""
    world = _world(fresh_db)
    doc_id = _signed_document(world, stored_sello)  # what the database holds: re-signed meanwhile
    sent = SIGNED % sent_sello  # what the PAC stamped
    assert len(sent) == len(SIGNED % stored_sello) and sent != SIGNED % stored_sello
    uuid_text = str(uuid.uuid4()).upper()
    assert _record(world, doc_id, uuid_text, _stamped_answer(sent, uuid_text), sent) == 0
    (after,) = docs(world)
    assert after["status"] == "signed" and after["uuid"] is None and not after["has_stamped"]
    with world.owner() as conn:
        assert bytes(conn.execute("SELECT signed_xml FROM cfdi_documents").fetchone()[0]) == SIGNED % stored_sello
