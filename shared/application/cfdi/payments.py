"""Payments in the CFDI lifecycle (triggered by the payments capability's `payment.applied` outbox event).

at_billing: each payment against PPD Ingresos produces one Pagos 2.0 complement (type P), one DoctoRelacionado
per invoice paid, numbered per original UUID (NumParcialidad, saldo anterior → saldo insoluto). Issued as the
event is consumed, well inside the legal deadline (5th day of the following month).
on_payment: a customer with RFC gets a PUE Ingreso with the payment's FormaPago once the invoice is fully paid;
everything else is covered by the monthly factura global (`issue_global_invoice`, due within 24 h after the
month closes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.adapters.cfdi_xml.reading import receiver_rfc
from shared.adapters.cfdi_xml.satcfdi_build import PaidDocument, payment_complement
from shared.application.cfdi import mapping
from shared.application.cfdi.documents import Built, DocumentKey, issue
from shared.application.cfdi.services import CfdiServices
from shared.application.cfdi.setup import csd_required, load_config, services_of
from shared.application.cfdi.tenant_config import TenantCfdiConfig
from shared.data import cfdi as data
from shared.data import cfdi_sources as sources
from shared.data.db import tenant_transaction
from shared.domain.cfdi.models import InvoicingModel
from shared.domain.cfdi.requests import GlobalReceipt, global_invoice_request
from shared.domain.cfdi.validation import Rejection, validate_request
from shared.domain.timezone import UTILITY_TZ

CONSUMER = "cfdi-pagos"


@csd_required
def on_payment_applied(envelope: dict[str, Any], now: dt.datetime) -> None:
    """Outbox consumer (runs with no connection held: each step opens and closes its own transaction, so it never
    waits for a second pool connection while holding one). The documents are written in their own transactions
    (signed XML committed before the PAC call); a redelivery finds them by natural key and never signs twice. With
    nothing to sign (no stamped PPD invoice paid) no CSD is needed; with something to sign and no CSD the consumer is
    skipped with the reason (`csd_required`)."""
    payment_id = int(envelope["payload"]["payment_id"])
    handle_payment(tenant_id=envelope["tenant_id"], payment_id=payment_id, now=now)


def handle_payment(
    *, tenant_id: UUID | str, payment_id: int, now: dt.datetime, services: CfdiServices | None = None
) -> list[dict[str, Any]]:
    config = load_config(tenant_id)
    if config.model is InvoicingModel.ON_PAYMENT:
        return invoice_paid_invoices(
            tenant_id=tenant_id, payment_id=payment_id, services=services, now=now, config=config
        )
    doc = issue_payment_complement(
        tenant_id=tenant_id, payment_id=payment_id, services=services, now=now, config=config
    )
    return [doc] if doc is not None else []


def _fecha_pago(paid_at: dt.datetime) -> dt.datetime:
    return mapping.local_now(paid_at)


def issue_payment_complement(
    *,
    tenant_id: UUID | str,
    payment_id: int,
    now: dt.datetime,
    services: CfdiServices | None = None,
    config: TenantCfdiConfig | None = None,
) -> dict[str, Any] | None:
    """The Pagos 2.0 complement of a payment (None when it paid no stamped PPD invoice). The signer is only needed,
    and only loaded, when there is something to sign."""
    config = config or load_config(tenant_id)
    with tenant_transaction(tenant_id) as conn:
        payment = sources.payment_with_allocations(conn, payment_id)
        if payment is None:
            raise LookupError(f"payment {payment_id} not found")
        paid: list[tuple[int, dict[str, Any], Decimal]] = []
        for alloc in payment["allocations"]:
            doc = data.document_by_key(
                conn, invoice_id=int(alloc["invoice_id"]), kind="I", purpose="invoice", with_xml=True
            )
            if doc and doc["status"] == "stamped" and doc["metodo_pago"] == "PPD" and doc["stamped_xml"]:
                paid.append((int(alloc["invoice_id"]), doc, Decimal(alloc["amount"])))
    if not paid:
        return None
    signer_services = services or services_of(config)
    forma = config.forma_for(payment["channel"])
    fecha = mapping.local_now(now)

    def build(conn: Any, folio: str | None) -> Built:
        documents: list[PaidDocument] = []
        lines: list[tuple[int, str, int, Any, Any, Any]] = []
        for invoice_id, doc, amount in paid:
            count, so_far = sources.paid_so_far(conn, str(doc["uuid"]))
            saldo = Decimal(doc["total"]) - Decimal(so_far)
            pagado = min(amount, saldo)
            if pagado <= 0:
                continue
            documents.append(
                PaidDocument(
                    stamped_xml=bytes(doc["stamped_xml"]),
                    num_parcialidad=count + 1,
                    imp_saldo_ant=saldo,
                    imp_pagado=pagado,
                )
            )
            lines.append((invoice_id, str(doc["uuid"]), count + 1, saldo, pagado, saldo - pagado))
        if not documents:
            return Built(
                xml=None,
                rejections=(
                    Rejection("nothing_to_pay", "payment", "El pago no cubre saldo de facturas PPD timbradas."),
                ),
            )
        comprobante = payment_complement(
            documents=documents,
            fecha=fecha,
            fecha_pago=_fecha_pago(payment["paid_at"]),
            forma_pago=forma,
            serie=config.serie_pago,
            folio=folio,
            num_operacion=payment.get("reference") or None,
        )
        signed = signer_services.signer.sign_satcfdi(comprobante)
        rfc = receiver_rfc(signed.xml)
        return Built(
            xml=signed.xml,
            total=Decimal(0),
            receiver_rfc=rfc,
            fecha=fecha,
            related_uuids=tuple(line[1] for line in lines),
            after_insert=lambda c, doc_id: sources.insert_payment_lines(c, str(tenant_id), doc_id, lines),
        )

    key = DocumentKey(
        invoice_id=None,
        kind="P",
        purpose=f"payment:{payment_id}",
        account_id=payment["account_id"],
        payment_id=payment_id,
        serie=config.serie_pago,
    )
    return issue(tenant_id=tenant_id, key=key, services=signer_services, build=build)


# ------------------------------------------------------------------------------------------ on_payment model
def invoice_paid_invoices(
    *,
    tenant_id: UUID | str,
    payment_id: int,
    now: dt.datetime,
    services: CfdiServices | None = None,
    config: TenantCfdiConfig | None = None,
) -> list[dict[str, Any]]:
    """on_payment: a PUE Ingreso for each invoice this payment finished paying, if its customer has an RFC."""
    config = config or load_config(tenant_id)
    fecha = mapping.local_now(now)
    with tenant_transaction(tenant_id) as conn:
        payment = sources.payment_with_allocations(conn, payment_id)
        if payment is None:
            raise LookupError(f"payment {payment_id} not found")
        rows = []
        for alloc in payment["allocations"]:
            invoice_id = int(alloc["invoice_id"])
            open_amount = sources.invoice_open_amount(conn, invoice_id)
            row = sources.invoice_with_lines(conn, invoice_id)
            if row is not None and open_amount is not None and open_amount <= 0 and mapping._clean(row["rfc"]):
                rows.append(row)
    if not rows:
        return []
    services = services or services_of(config)
    forma = config.forma_for(payment["channel"])
    out = []
    for row in rows:

        def build(conn: Any, folio: str | None, row: dict[str, Any] = row) -> Built:
            prepared = mapping.prepare_ingreso(
                row, config, fecha=fecha, model=InvoicingModel.ON_PAYMENT, forma_pago=forma
            )
            if prepared.computed is None:
                return Built(
                    xml=None,
                    rejections=prepared.rejections,
                    receiver_rfc=prepared.receiver_rfc,
                    metodo_pago=prepared.metodo_pago,
                    forma_pago=prepared.forma_pago,
                    fecha=fecha,
                )
            signed = services.signer.sign_native(prepared.computed)
            return Built(
                xml=signed.xml,
                total=prepared.computed.total,
                receiver_rfc=prepared.receiver_rfc,
                metodo_pago=prepared.metodo_pago,
                forma_pago=prepared.forma_pago,
                fecha=fecha,
            )

        key = DocumentKey(invoice_id=int(row["id"]), kind="I", purpose="invoice", account_id=row["account_id"])
        out.append(issue(tenant_id=tenant_id, key=key, services=services, build=build))
    return out


def issue_global_invoice(
    *,
    tenant_id: UUID | str,
    year: int,
    month: int,
    now: dt.datetime,
    forma_pago: str = "01",
    services: CfdiServices | None = None,
) -> dict[str, Any] | None:
    """on_payment: the monthly factura global to PUBLICO EN GENERAL (XAXX010101000 with InformacionGlobal) for the
    invoices without RFC fully paid in [month start, next month start) and not invoiced individually. One line per
    recibo and IVA rate (ClaveProdServ 01010101, ACT, "Venta"). Run it within 24 h after the month closes."""
    config = load_config(tenant_id)
    services = services or services_of(config)
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    fecha = mapping.local_now(now)
    with tenant_transaction(tenant_id) as conn:
        invoices = sources.global_invoice_candidates(
            conn,
            paid_from=dt.datetime.combine(start, dt.time(), UTILITY_TZ),
            paid_before=dt.datetime.combine(end, dt.time(), UTILITY_TZ),
        )
        rows = [sources.invoice_with_lines(conn, invoice_id) for invoice_id in invoices]
    receipts: list[GlobalReceipt] = []
    for row in rows:
        assert row is not None
        by_rate: dict[Decimal, Decimal] = {}
        for _n, _c, _d, _q, _u, amount, rate, _t in mapping._lines(row):
            if Decimal(amount) > 0:
                by_rate[Decimal(rate)] = by_rate.get(Decimal(rate), Decimal(0)) + Decimal(amount)
        folio = f"{row['serie'] or ''}{row['folio'] or row['id']}"
        receipts += [GlobalReceipt(folio=folio, subtotal=subtotal, iva_rate=rate) for rate, subtotal in by_rate.items()]
    if not receipts:
        return None

    def build(conn: Any, folio: str | None) -> Built:
        request = global_invoice_request(
            issuer=config.issuer,
            fecha=fecha,
            periodicidad="04",
            meses=f"{month:02d}",
            year=year,
            receipts=receipts,
            forma_pago=forma_pago,
            serie=config.serie_global,
            folio=folio,
        )
        rejections = validate_request(request=request)
        if rejections:
            return Built(xml=None, rejections=rejections, fecha=fecha)
        from shared.domain.cfdi.validation import prepare_cfdi

        computed = prepare_cfdi(request=request)
        signed = services.signer.sign_native(computed)
        return Built(
            xml=signed.xml,
            total=computed.total,
            receiver_rfc=request.receiver.rfc,
            metodo_pago=request.metodo_pago,
            forma_pago=request.forma_pago,
            fecha=fecha,
        )

    key = DocumentKey(invoice_id=None, kind="I", purpose=f"global:{year:04d}-{month:02d}", serie=config.serie_global)
    return issue(tenant_id=tenant_id, key=key, services=services, build=build)


def issue_due_global_invoices(*, today: dt.date, now: dt.datetime, tenant_ids: Sequence[UUID | str]) -> dict[str, Any]:
    """Monthly job: for every on_payment tenant, the factura global of the month before `today` (idempotent per
    tenant and month: its document has a natural key). Returns {tenant: document or None}."""
    month_index = today.year * 12 + today.month - 2
    year, month = month_index // 12, month_index % 12 + 1
    issued: dict[str, Any] = {}
    for tenant_id in tenant_ids:
        if load_config(tenant_id).model is InvoicingModel.ON_PAYMENT:
            issued[str(tenant_id)] = issue_global_invoice(tenant_id=tenant_id, year=year, month=month, now=now)
    return issued
