"""CFDI 4.0 lifecycle use cases: stamp a billing run (durable or inline), publish XML/PDF to Blob Storage,
corrections (cancellation, substitution, credit notes), Pagos 2.0 complements and the on_payment model.

Modules:
  tenant_config  per-tenant CFDI settings (invoicing model, series, ClaveProdServ per charge code)
  setup          a tenant's config and services, the tenants of the CFDI timers, a local test CSD
  mapping        invoice rows → CfdiRequest (receiver rules, público en general, concepts, credits)
  services       the signer (tenant CSD) and the PAC client of this process
  documents      one fiscal document, issued idempotently (signed and committed before the PAC call)
  pac_calls      concurrent PAC calls with a breaker
  stamping       start_stamping (a round of the durable stamping orchestration), planning, stamp_chunk, finish_run
  publishing     stamped XML and the PDF bill to Blob Storage; downloads; a sample bill
  corrections    cancel (motivo 01-04) and status polling, substitution, credit notes (Egreso)
  payments       Pagos 2.0 from payment.applied; on_payment PUE invoices and the factura global
  bill           assembles the printed bill (BillData) of an invoice
The stamping benchmark lives in devtools/bench/cfdi.py.
"""

from shared.application.cfdi.bill import BillNotFound, bill_data
from shared.application.cfdi.corrections import (
    CorrectionError,
    SubstituteRequired,
    cancel,
    cancel_invoice,
    issue_adjustment_credit,
    issue_credit_note,
    issue_estimate_credit,
    issue_substitute,
    poll_pending_cancellations,
    poll_status,
)
from shared.application.cfdi.payments import (
    handle_payment,
    issue_due_global_invoices,
    issue_global_invoice,
    issue_payment_complement,
)
from shared.application.cfdi.publishing import (
    DocumentNotAvailable,
    Download,
    SampleBill,
    invoice_pdf,
    invoice_xml,
    publish_chunk,
    sample_bill,
)
from shared.application.cfdi.services import CfdiServices, SignerRfcMismatch, reset_services, use_services
from shared.application.cfdi.setup import CsdSummary, create_test_csd, tenant_ids
from shared.application.cfdi.stamping import (
    CHUNK_SIZE,
    NoStampingRound,
    PacUnavailable,
    RunNotIssued,
    StampRunNotFound,
    finish_run,
    plan_run,
    round_status,
    stamp_chunk,
    stamps_at_billing,
    start_stamping,
)

__all__ = [
    "CHUNK_SIZE",
    "BillNotFound",
    "CfdiServices",
    "CorrectionError",
    "CsdSummary",
    "DocumentNotAvailable",
    "Download",
    "NoStampingRound",
    "PacUnavailable",
    "RunNotIssued",
    "SampleBill",
    "SignerRfcMismatch",
    "StampRunNotFound",
    "SubstituteRequired",
    "bill_data",
    "cancel",
    "cancel_invoice",
    "create_test_csd",
    "finish_run",
    "handle_payment",
    "invoice_pdf",
    "invoice_xml",
    "issue_adjustment_credit",
    "issue_credit_note",
    "issue_due_global_invoices",
    "issue_estimate_credit",
    "issue_global_invoice",
    "issue_payment_complement",
    "issue_substitute",
    "plan_run",
    "poll_pending_cancellations",
    "poll_status",
    "publish_chunk",
    "reset_services",
    "round_status",
    "sample_bill",
    "stamp_chunk",
    "stamps_at_billing",
    "start_stamping",
    "tenant_ids",
    "use_services",
]
