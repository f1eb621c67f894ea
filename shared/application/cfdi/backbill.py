"""The Ingreso of a back-bill: an inspection that confirms a fraud (or finds a meter that under-registered) posts a
positive adjustment and records `revenue.back_billed` in the same transaction (shared.application.revenue
.inspections); this consumer turns the event into an Ingreso CFDI for exactly the adjustment's amount, through the
shared issue path (built, signed and committed as 'signed' before the PAC call, then stamped). Natural key
(no invoice, kind I, purpose `backbill:<adjustment id>`): a redelivered event finds the document and creates none.

Receiver: the fiscal data of the account's latest issued invoice (público en general when it has no RFC or the
account was never invoiced). Concepts: the consumption not billed over the assessed months and, where the tenant
configures it, the legal surcharge, each split over the IVA rates of that invoice like a credit note's amount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.application.cfdi import mapping
from shared.application.cfdi.corrections import CorrectionError, credit_concepts
from shared.application.cfdi.documents import Built, DocumentKey, issue
from shared.application.cfdi.services import CfdiServices
from shared.application.cfdi.setup import csd_required, load_config, services_of
from shared.data import cfdi_sources as sources
from shared.data import revenue as revenue_sql
from shared.data.db import tenant_transaction
from shared.domain.cfdi.models import InvoicingModel
from shared.domain.cfdi.requests import invoice_request

CONSUMER = "cfdi-backbill"
EVENT_TYPE = "revenue.back_billed"
SERIE = "RF"  # refacturación: its own folio sequence


def purpose_of(adjustment_id: int) -> str:
    return f"backbill:{adjustment_id}"


def _reference_row(conn: Any, *, account_id: int, period: dt.date) -> dict[str, Any]:
    invoice_id = revenue_sql.latest_invoice_id(conn, account_id=account_id)
    row = sources.invoice_with_lines(conn, invoice_id) if invoice_id is not None else None
    if row is None:
        return {"rfc": None, "period": period, "lines": [], "account_id": account_id, "account_number": None}
    return {**row, "period": period}


def issue_back_bill(
    *,
    tenant_id: UUID | str,
    adjustment_id: int,
    consumption: Decimal,
    surcharge: Decimal,
    months: str,
    now: dt.datetime,
    services: CfdiServices | None = None,
) -> dict[str, Any]:
    """The Ingreso of back-bill adjustment `adjustment_id` (`consumption` + `surcharge` must be its amount)."""
    with tenant_transaction(tenant_id) as conn:
        adj = sources.adjustment(conn, adjustment_id)
        if adj is None or Decimal(adj["amount"]) <= 0:
            raise CorrectionError(f"El ajuste {adjustment_id} no es una refacturación a cargo del cliente.")
        if consumption + surcharge != Decimal(adj["amount"]):
            raise CorrectionError(f"Los conceptos no suman el monto del ajuste {adjustment_id}.")
        fecha = mapping.local_now(now)
        row = _reference_row(conn, account_id=int(adj["account_id"]), period=fecha.date().replace(day=1))
    config = load_config(tenant_id)
    services = services or services_of(config)
    account = row.get("account_number")
    concepts = credit_concepts(
        row=row, amount=consumption, description=f"Refacturación de consumo no facturado ({months})", account=account
    )
    if surcharge > 0:
        concepts += credit_concepts(
            row=row, amount=surcharge, description="Recargo por uso no autorizado", account=account
        )

    def build(conn: Any, folio: str | None) -> Built:
        receiver, publico, problems = mapping.receiver_for(row, config)
        request = invoice_request(
            model=config.model,
            issuer=config.issuer,
            receiver=receiver,
            fecha=fecha,
            concepts=concepts,
            serie=SERIE,
            folio=folio,
        )
        if publico:
            request = mapping._with(request, global_information=mapping.global_information(row["period"]))
        prepared = mapping._prepare(request, problems)
        if prepared.computed is None:
            return Built(xml=None, rejections=prepared.rejections, receiver_rfc=prepared.receiver_rfc, fecha=fecha)
        return Built(
            xml=services.signer.sign_native(prepared.computed).xml,
            total=prepared.computed.total,
            receiver_rfc=prepared.receiver_rfc,
            metodo_pago=prepared.metodo_pago,
            forma_pago=prepared.forma_pago,
            fecha=fecha,
        )

    key = DocumentKey(
        invoice_id=None, kind="I", purpose=purpose_of(adjustment_id), account_id=int(adj["account_id"]), serie=SERIE
    )
    return issue(tenant_id=tenant_id, key=key, services=services, build=build)


@csd_required
def on_back_billed(envelope: dict[str, Any], now: dt.datetime) -> None:
    """Outbox consumer (no connection held: it signs and calls the PAC in its own transactions)."""
    tenant_id = envelope["tenant_id"]
    if load_config(tenant_id).model is not InvoicingModel.AT_BILLING:
        return  # on_payment: receipts are not CFDIs; the payment's CFDI covers the back-bill when it is paid
    payload = envelope["payload"]
    issue_back_bill(
        tenant_id=tenant_id,
        adjustment_id=int(payload["adjustment_id"]),
        consumption=Decimal(payload["consumption"]),
        surcharge=Decimal(payload["surcharge"]),
        months=str(payload["months"]),
        now=now,
    )
