"""Downloads of an invoice's fiscal documents: the stamped CFDI XML and the PDF bill (representación impresa).

Access follows the invoice detail: a customer only reaches invoices of their own accounts (anything else is 404);
staff reach every invoice of their tenant. Files come from Blob Storage; one not published yet is rendered and
stored on the first download.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from functions.api.deps import Caller, IdPath
from functions.api.schemas import PROBLEM_RESPONSES
from shared.application.cfdi import publishing
from shared.application.customers import invoices

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"], responses=PROBLEM_RESPONSES)


def _download(download: publishing.Download) -> Response:
    return Response(
        download.content,
        media_type=download.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{download.filename}"',
            "Cache-Control": "private, max-age=300",
        },
    )


@router.get(
    "/{invoice_id}/cfdi.xml",
    summary="Stamped CFDI 4.0 XML of the invoice",
    responses={200: {"content": {"application/xml": {}}}},
)
async def invoice_cfdi_xml(p: Caller, invoice_id: IdPath) -> Response:
    await run_in_threadpool(invoices.get_invoice, principal=p, invoice_id=invoice_id)  # 404 outside the caller's scope
    # not stamped yet: DocumentNotAvailable, a 409 cfdi_not_stamped
    download = await run_in_threadpool(publishing.invoice_xml, tenant_id=p.tenant_id, invoice_id=invoice_id)
    return _download(download)


@router.get(
    "/{invoice_id}/bill.pdf",
    summary="PDF bill (representación impresa del CFDI)",
    responses={200: {"content": {"application/pdf": {}}}},
)
async def invoice_bill_pdf(p: Caller, invoice_id: IdPath) -> Response:
    await run_in_threadpool(invoices.get_invoice, principal=p, invoice_id=invoice_id)
    # no such invoice: BillNotFound, a 404 not_found
    download = await run_in_threadpool(publishing.invoice_pdf, tenant_id=p.tenant_id, invoice_id=invoice_id)
    return _download(download)
