"""Stamped XML and the PDF bill in Blob Storage under `<tenant>/<period YYYY-MM>/<UUID>.xml|.pdf`, and the
downloads the API serves. Publishing runs per chunk after stamping (a separate durable activity, off the stamping
hot path); a download of something not yet published renders and uploads it on the spot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from shared.adapters import storage
from shared.adapters.pdf import render_bill_pdf
from shared.application.cfdi.bill import bill_data, live_ingreso
from shared.data import cfdi as data
from shared.data import cfdi_sources as sources
from shared.data.db import tenant_transaction
from shared.domain.billing.errors import BillingError
from shared.domain.errors import Conflict
from shared.platform.config import get_settings


class DocumentNotAvailable(BillingError, Conflict, LookupError):
    """The invoice has no stamped CFDI (yet), or does not exist."""

    default_code = "cfdi_not_stamped"
    detail = "La factura aún no tiene un CFDI timbrado; intente más tarde."


def blob_name(tenant_id: UUID | str, period: date, uuid: str, ext: str) -> str:
    return f"{tenant_id}/{period:%Y-%m}/{str(uuid).upper()}.{ext}"


def publish_document(
    *, tenant_id: UUID | str, doc_id: int, invoice_id: int, period: date, uuid: str
) -> tuple[str, str]:
    container = get_settings().BLOB_CONTAINER_CFDI
    with tenant_transaction(tenant_id) as conn:
        xml = data.stamped_xml(conn, doc_id)
    if xml is None:
        raise DocumentNotAvailable(f"document {doc_id} has no stamped XML")
    xml_path = storage.put_blob(container, blob_name(tenant_id, period, uuid, "xml"), xml, "application/xml")
    bill, _doc = bill_data(tenant_id=tenant_id, invoice_id=invoice_id)
    pdf_path = storage.put_blob(
        container, blob_name(tenant_id, period, uuid, "pdf"), render_bill_pdf(bill), "application/pdf"
    )
    with tenant_transaction(tenant_id) as conn:
        data.set_publication(conn, doc_id, xml_blob=xml_path, pdf_blob=pdf_path)
    return xml_path, pdf_path


def publish_chunk(*, tenant_id: UUID | str, run_id: int, first_id: int, last_id: int) -> dict[str, int]:
    """Upload the XML and PDF of every stamped, unpublished Ingreso of the chunk (idempotent: overwrite)."""
    with tenant_transaction(tenant_id) as conn:
        todo = data.unpublished(conn, run_id=run_id, first_id=first_id, last_id=last_id)
    for row in todo:
        publish_document(
            tenant_id=tenant_id,
            doc_id=int(row["id"]),
            invoice_id=int(row["invoice_id"]),
            period=row["period"],
            uuid=str(row["uuid"]),
        )
    return {"published": len(todo)}


@dataclass(frozen=True)
class Download:
    content: bytes
    filename: str
    media_type: str


def _split(path: str) -> tuple[str, str]:
    container, _, name = path.partition("/")
    return container, name


def _doc_for(tenant_id: UUID | str, invoice_id: int) -> tuple[dict[str, Any], date]:
    with tenant_transaction(tenant_id) as conn:
        doc = live_ingreso(conn, invoice_id)
        period = data.invoice_period(conn, invoice_id)
    if doc is None or doc["uuid"] is None or period is None:
        raise DocumentNotAvailable(f"invoice {invoice_id} has no stamped CFDI")
    return doc, period


def invoice_xml(*, tenant_id: UUID | str, invoice_id: int) -> Download:
    doc, period = _doc_for(tenant_id, invoice_id)
    if not doc["xml_blob"]:
        publish_document(
            tenant_id=tenant_id, doc_id=int(doc["id"]), invoice_id=invoice_id, period=period, uuid=str(doc["uuid"])
        )
        doc, period = _doc_for(tenant_id, invoice_id)
    content = storage.get_blob(*_split(doc["xml_blob"]))
    return Download(content, f"{str(doc['uuid']).upper()}.xml", "application/xml")


def invoice_pdf(*, tenant_id: UUID | str, invoice_id: int) -> Download:
    """The bill PDF; an invoice not stamped yet still gets its bill (without fiscal data), rendered, not stored."""
    try:
        doc, period = _doc_for(tenant_id, invoice_id)
    except DocumentNotAvailable:
        bill, _ = bill_data(tenant_id=tenant_id, invoice_id=invoice_id)
        return Download(render_bill_pdf(bill), f"recibo-{invoice_id}.pdf", "application/pdf")
    if not doc["pdf_blob"]:
        publish_document(
            tenant_id=tenant_id, doc_id=int(doc["id"]), invoice_id=invoice_id, period=period, uuid=str(doc["uuid"])
        )
        doc, period = _doc_for(tenant_id, invoice_id)
    content = storage.get_blob(*_split(doc["pdf_blob"]))
    return Download(content, f"{str(doc['uuid']).upper()}.pdf", "application/pdf")


@dataclass(frozen=True)
class SampleBill:
    """A bill as an operator looks at it: the PDF, and the stamped XML when the invoice has one."""

    invoice_id: int
    pdf: bytes
    uuid: str | None = None
    xml: bytes | None = None


def sample_bill(*, tenant_id: UUID | str, invoice_id: int | None = None) -> SampleBill:
    """The PDF bill (and stamped XML) of an invoice; without an id, of the latest issued invoice (preferring a
    stamped one). Rendered on the spot, nothing is stored."""
    if invoice_id is None:
        with tenant_transaction(tenant_id) as conn:
            invoice_id = sources.sample_invoice_id(conn)
        if invoice_id is None:
            raise LookupError("no issued invoice")
    bill, doc = bill_data(tenant_id=tenant_id, invoice_id=invoice_id)
    pdf = render_bill_pdf(bill)
    if doc is None or doc["uuid"] is None:
        return SampleBill(invoice_id=invoice_id, pdf=pdf)
    with tenant_transaction(tenant_id) as conn:
        xml = data.stamped_xml(conn, int(doc["id"]))
    return SampleBill(invoice_id=invoice_id, pdf=pdf, uuid=str(doc["uuid"]), xml=xml)
