"""Issue one fiscal document idempotently: find it by natural key, or build + sign + commit it (status 'signed')
before the first PAC call; then stamp and record the outcome. Used by corrections, payments and the global invoice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from shared.application.cfdi.pac_calls import send_all
from shared.application.cfdi.services import CfdiServices
from shared.data import cfdi as data
from shared.data.db import tenant_transaction
from shared.domain.cfdi.validation import Rejection
from shared.platform.metrics import cfdi_stamped_total, cfdi_stamping_failures_total

FINAL = ("stamped", "cancel_requested", "cancelled", "rejected")


@dataclass(frozen=True)
class Built:
    """What a builder returns: the signed XML, or the rejection reasons."""

    xml: bytes | None
    rejections: tuple[Rejection, ...] = ()
    total: Any = None
    receiver_rfc: str | None = None
    metodo_pago: str | None = None
    forma_pago: str | None = None
    fecha: dt.datetime | None = None
    related_uuids: tuple[str, ...] = ()
    after_insert: Callable[[Any, int], None] | None = None  # e.g. payment lines, same transaction


@dataclass(frozen=True)
class DocumentKey:
    invoice_id: int | None
    kind: str
    purpose: str
    account_id: int | None = None
    payment_id: int | None = None
    serie: str | None = None
    billing_run_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class DocumentRace(RuntimeError):
    """Another worker created the same document between the lookup and the insert; retry the call."""


def issue(
    *, tenant_id: UUID | str, key: DocumentKey, services: CfdiServices, build: Callable[[Any, str | None], Built]
) -> dict[str, Any]:
    """Returns the document as stored after this call: {"id", "status", "uuid", "incidence_code", ...}.

    `build(conn, folio)` runs inside the insert transaction; `folio` is the next folio of `key.serie` (or None).
    """
    with tenant_transaction(tenant_id) as conn:
        existing = data.document_by_key(
            conn, invoice_id=key.invoice_id, kind=key.kind, purpose=key.purpose, with_xml=True
        )
        if existing is None:
            folio = str(data.next_folio(conn, tenant_id=tenant_id, serie=key.serie)) if key.serie else None
            built = build(conn, folio)
            rejected = built.xml is None
            doc_id = data.insert_document(
                conn,
                tenant_id=tenant_id,
                invoice_id=key.invoice_id,
                account_id=key.account_id,
                payment_id=key.payment_id,
                kind=key.kind,
                purpose=key.purpose,
                serie=key.serie,
                folio=folio,
                status="rejected" if rejected else "signed",
                metodo_pago=built.metodo_pago,
                forma_pago=built.forma_pago,
                receiver_rfc=built.receiver_rfc,
                total=built.total,
                fecha=built.fecha,
                signed_xml=built.xml,
                related_uuids=built.related_uuids,
                billing_run_id=key.billing_run_id,
                rejections=[{"code": r.code, "field": r.field, "message": r.message} for r in built.rejections]
                if rejected
                else None,
            )
            if doc_id is None:
                raise DocumentRace(f"document {key} was created concurrently")
            if rejected:
                first = built.rejections[0]
                data.set_incidence(
                    conn, doc_id, code=first.code, message="; ".join(r.message for r in built.rejections)[:1000]
                )
                cfdi_stamping_failures_total.add(1, {"kind": key.kind, "outcome": "invalid"})
            elif built.after_insert is not None:
                built.after_insert(conn, doc_id)
            xml = built.xml
        else:
            doc_id = int(existing["id"])
            xml = bytes(existing["signed_xml"]) if existing["signed_xml"] is not None else None
            if existing["status"] in FINAL or xml is None:
                return _public(existing)
    if xml is not None:
        (outcome,) = send_all(services, [(doc_id, xml)])
        with tenant_transaction(tenant_id) as conn:
            data.record_outcomes(conn, [outcome.row()])
        if outcome.status == "stamped":
            cfdi_stamped_total.add(1, {"kind": key.kind})
        else:
            cfdi_stamping_failures_total.add(1, {"kind": key.kind, "outcome": outcome.status})
    with tenant_transaction(tenant_id) as conn:
        row = data.document(conn, doc_id)
    assert row is not None
    return _public(row)


def plain(value: Any) -> Any:
    """UUIDs (also inside lists) as text, for JSON-friendly results."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in row.items() if k not in ("signed_xml", "stamped_xml")}
