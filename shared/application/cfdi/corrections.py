"""Corrections: credit notes (Egreso) for over-estimate credits and adjustments, substitution (Ingreso related
04 to the one it replaces), cancellation with SAT motivo 01-04, and SAT status polling."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from shared.adapters.csd import build_cancellation_request
from shared.adapters.pac import PacError
from shared.application.cfdi import mapping
from shared.application.cfdi.bill import live_ingreso
from shared.application.cfdi.documents import Built, DocumentKey, issue, plain
from shared.application.cfdi.services import CfdiServices
from shared.application.cfdi.setup import load_config, services_of
from shared.application.cfdi.tenant_config import TenantCfdiConfig
from shared.data import billing as billing_data
from shared.data import cfdi as data
from shared.data import cfdi_sources as sources
from shared.data.db import tenant_transaction
from shared.domain.billing.errors import BillingError
from shared.domain.cfdi.catalogs import CLAVE_ABASTECIMIENTO_AGUA, UNIDAD_ACTIVIDAD
from shared.domain.cfdi.models import ConceptInput, InvoicingModel, RelatedCfdis
from shared.domain.cfdi.validation import Rejection
from shared.domain.errors import Conflict, Invalid, NotFound
from shared.domain.money import round_cents

MOTIVOS = {
    "01": "Comprobante emitido con errores con relación",
    "02": "Comprobante emitido con errores sin relación",
    "03": "No se llevó a cabo la operación",
    "04": "Operación nominativa relacionada en una factura global",
}


class CorrectionError(BillingError, Invalid, ValueError):
    """The correction cannot be made as asked (es-MX message for the operator)."""

    default_code = "correction_not_possible"


class CfdiAlreadyCancelled(BillingError, Conflict, ValueError):
    """The CFDI is already cancelled, or its cancellation is in progress: a second request changes nothing."""

    default_code = "cfdi_already_cancelled"


class CfdiNotStamped(BillingError, Conflict, ValueError):
    """The invoice has no stamped CFDI to cancel."""

    default_code = "cfdi_not_stamped"


class CfdiInvoiceNotFound(BillingError, NotFound, LookupError):
    """No invoice with that id for this tenant."""

    default_code = "invoice_not_found"
    detail = "La factura no existe."


class SubstituteRequired(CorrectionError):
    """Motivo 01 needs the UUID of the stamped replacement (FolioSustitucion)."""

    default_code = "substitute_required"


def _built(
    prepared: mapping.Prepared, services: CfdiServices, fecha: dt.datetime, related: tuple[str, ...] = ()
) -> Built:
    if prepared.computed is None:
        return Built(
            xml=None,
            rejections=prepared.rejections,
            receiver_rfc=prepared.receiver_rfc,
            metodo_pago=prepared.metodo_pago,
            forma_pago=prepared.forma_pago,
            fecha=fecha,
            related_uuids=related,
        )
    signed = services.signer.sign_native(prepared.computed)
    return Built(
        xml=signed.xml,
        total=prepared.computed.total,
        receiver_rfc=prepared.receiver_rfc,
        metodo_pago=prepared.metodo_pago,
        forma_pago=prepared.forma_pago,
        fecha=fecha,
        related_uuids=related,
    )


def _ingreso(conn: Any, invoice_id: int) -> dict[str, Any]:
    doc = data.document_by_key(conn, invoice_id=invoice_id, kind="I", purpose="invoice")
    if doc is None or doc["uuid"] is None:
        raise CorrectionError(f"La factura {invoice_id} no tiene un CFDI de ingreso timbrado.")
    return doc


def _invoice_and_ingreso(tenant_id: UUID | str, invoice_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The invoice with its lines and its current Ingreso document, read in one transaction."""
    with tenant_transaction(tenant_id) as conn:
        row = sources.invoice_with_lines(conn, invoice_id)
        if row is None:
            raise CorrectionError(f"La factura {invoice_id} no existe.")
        return row, _ingreso(conn, invoice_id)


# ------------------------------------------------------------------------------------------ credit notes
def issue_estimate_credit(
    *,
    tenant_id: UUID | str,
    invoice_id: int,
    now: dt.datetime,
    services: CfdiServices | None = None,
    config: TenantCfdiConfig | None = None,
) -> dict[str, Any]:
    """Egreso for the negative (over-estimate credit) lines of an invoice, related to the stamped Ingresos of the
    estimated invoices being corrected (or to this invoice's own Ingreso when those were never stamped)."""
    config = config or load_config(tenant_id)
    services = services or services_of(config)
    fecha = mapping.local_now(now)
    row, own = _invoice_and_ingreso(tenant_id, invoice_id)
    with tenant_transaction(tenant_id) as conn:
        originals = sources.estimated_invoice_uuids(conn, account_id=row["account_id"], before=row["period"])
    split = mapping.split_concepts(row, config)
    if not split.credits:
        raise CorrectionError(f"La factura {invoice_id} no tiene créditos por estimación.")
    related = tuple(originals or [str(own["uuid"])])

    def build(conn: Any, folio: str | None) -> Built:
        prepared = mapping.prepare_credit_note(
            row,
            config,
            fecha=fecha,
            concepts=split.credits,
            original_uuids=list(related),
            serie=config.serie_egreso,
            folio=folio or "",
        )
        return _built(prepared, services, fecha, related)

    key = DocumentKey(
        invoice_id=invoice_id,
        kind="E",
        purpose="estimate_credit",
        account_id=row["account_id"],
        serie=config.serie_egreso,
        billing_run_id=None,
    )
    return issue(tenant_id=tenant_id, key=key, services=services, build=build)


def credit_concepts(
    *, row: dict[str, Any], amount: Decimal, description: str, account: str | None
) -> tuple[ConceptInput, ...]:
    """A tax-included credit `amount` spread over the invoice's IVA rates in proportion to each rate's share of
    the invoice's charges (base = share / (1 + rate), half-up to centavos; the last rate takes the remainder)."""
    gross: dict[Decimal, Decimal] = {}
    for _n, _code, _desc, _q, _u, line_amount, rate, tax in mapping._lines(row):
        a = Decimal(line_amount)
        if a > 0:
            r = Decimal(rate)
            gross[r] = gross.get(r, Decimal(0)) + a + Decimal(tax)
    if not gross:
        gross = {Decimal(0): amount}
    total_gross = sum(gross.values(), Decimal(0))
    concepts: list[ConceptInput] = []
    left = amount
    rates = sorted(gross)
    for i, rate in enumerate(rates):
        share = left if i == len(rates) - 1 else round_cents(amount * gross[rate] / total_gross)
        left -= share
        base = (share / (1 + rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if base <= 0:
            continue
        concepts.append(
            ConceptInput(
                clave_prod_serv=CLAVE_ABASTECIMIENTO_AGUA,
                clave_unidad=UNIDAD_ACTIVIDAD,
                description=description,
                quantity=Decimal(1),
                unit_value=base,
                iva_rate=rate,
                no_identificacion=account,
            )
        )
    return tuple(concepts)


def issue_credit_note(
    *,
    tenant_id: UUID | str,
    invoice_id: int,
    amount: Decimal,
    reason: str,
    purpose: str,
    now: dt.datetime,
    services: CfdiServices | None = None,
) -> dict[str, Any]:
    """Egreso for an adjustment of `amount` (tax included) against an invoice, related 01 to its Ingreso UUID.
    `purpose` is the natural key (e.g. "adjustment:42"): calling again returns the same document."""
    if amount <= 0:
        raise CorrectionError("El monto de la nota de crédito debe ser positivo.")
    config = load_config(tenant_id)
    services = services or services_of(config)
    fecha = mapping.local_now(now)
    row, ingreso = _invoice_and_ingreso(tenant_id, invoice_id)
    original = str(ingreso["uuid"])
    concepts = credit_concepts(
        row=row, amount=amount, description=f"Bonificación: {reason}"[:1000], account=row.get("account_number")
    )

    def build(conn: Any, folio: str | None) -> Built:
        prepared = mapping.prepare_credit_note(
            row,
            config,
            fecha=fecha,
            concepts=concepts,
            original_uuids=[original],
            serie=config.serie_egreso,
            folio=folio or "",
        )
        return _built(prepared, services, fecha, (original,))

    key = DocumentKey(
        invoice_id=invoice_id, kind="E", purpose=purpose, account_id=row["account_id"], serie=config.serie_egreso
    )
    return issue(tenant_id=tenant_id, key=key, services=services, build=build)


def issue_adjustment_credit(
    *, tenant_id: UUID | str, adjustment_id: int, now: dt.datetime, services: CfdiServices | None = None
) -> dict[str, Any]:
    """Credit note for a negative adjustment recorded against an invoice (adjustments table)."""
    with tenant_transaction(tenant_id) as conn:
        adj = sources.adjustment(conn, adjustment_id)
    if adj is None or adj["invoice_id"] is None or Decimal(adj["amount"]) >= 0:
        raise CorrectionError("Solo un ajuste a favor del cliente sobre una factura genera nota de crédito.")
    return issue_credit_note(
        tenant_id=tenant_id,
        invoice_id=int(adj["invoice_id"]),
        amount=-Decimal(adj["amount"]),
        reason=str(adj["reason"]),
        purpose=f"adjustment:{adjustment_id}",
        now=now,
        services=services,
    )


EGRESO_CONSUMER = "cfdi-egreso"


def on_adjustment_credited(conn: Any, envelope: dict[str, Any], now: dt.datetime) -> None:
    """Outbox consumer: the credit note of an operator's credit on a stamped invoice (its documents are written in
    their own transactions; a redelivery finds the Egreso by its natural key and signs nothing twice)."""
    tenant_id = envelope["tenant_id"]
    if load_config(tenant_id).model is not InvoicingModel.AT_BILLING:
        return  # on_payment: the receipt was never a CFDI; the credit lowers what the payment CFDI will show
    issue_adjustment_credit(tenant_id=tenant_id, adjustment_id=int(envelope["payload"]["adjustment_id"]), now=now)


# ------------------------------------------------------------------------------------------ substitution
def issue_substitute(
    *, tenant_id: UUID | str, invoice_id: int, now: dt.datetime, services: CfdiServices | None = None
) -> dict[str, Any]:
    """A new Ingreso for the invoice with the receiver's current fiscal data, related 04 (sustitución) to the
    current Ingreso. Stamp it first, then cancel the original with motivo 01 and this UUID."""
    config = load_config(tenant_id)
    services = services or services_of(config)
    fecha = mapping.local_now(now)
    row, original = _invoice_and_ingreso(tenant_id, invoice_id)
    original_uuid = str(original["uuid"])

    def build(conn: Any, folio: str | None) -> Built:
        prepared = mapping.prepare_ingreso(
            row,
            config,
            fecha=fecha,
            related=(RelatedCfdis(tipo_relacion="04", uuids=(original_uuid,)),),
            serie=config.serie_sustitucion,
            folio=folio,
        )
        return _built(prepared, services, fecha, (original_uuid,))

    key = DocumentKey(
        invoice_id=invoice_id,
        kind="I",
        purpose=f"substitute:{original_uuid}",
        account_id=row["account_id"],
        serie=config.serie_sustitucion,
    )
    return issue(tenant_id=tenant_id, key=key, services=services, build=build)


# ------------------------------------------------------------------------------------------ cancellation
def cancel(
    *,
    tenant_id: UUID | str,
    uuid: str,
    motivo: str,
    substitute_uuid: str | None = None,
    services: CfdiServices | None = None,
) -> dict[str, Any]:
    """Request the cancellation of a stamped CFDI. Motivo 01 requires the stamped replacement's UUID."""
    if motivo not in MOTIVOS:
        raise CorrectionError(f"Motivo de cancelación {motivo!r} inválido: use 01, 02, 03 o 04.")
    if motivo == "01" and not substitute_uuid:
        raise SubstituteRequired("El motivo 01 requiere el UUID del CFDI que sustituye al cancelado.")
    if motivo != "01" and substitute_uuid:
        raise CorrectionError("Solo el motivo 01 lleva folio de sustitución.")
    config = load_config(tenant_id)
    services = services or services_of(config)
    with tenant_transaction(tenant_id) as conn:
        doc = data.document_by_uuid(conn, uuid)
        if doc is None:
            raise CorrectionError(f"No existe un CFDI con UUID {uuid}.")
        if doc["status"] in ("cancel_requested", "cancelled"):
            raise CfdiAlreadyCancelled(f"El CFDI {uuid} ya está cancelado o en cancelación (estado {doc['status']}).")
        if doc["status"] != "stamped":
            raise CorrectionError(f"El CFDI {uuid} no está timbrado (estado {doc['status']}).")
        if substitute_uuid:
            sub = data.document_by_uuid(conn, substitute_uuid)
            if (
                sub is None
                or sub["status"] != "stamped"
                or str(doc["uuid"]) not in {str(u) for u in sub["related_uuids"]}
            ):
                raise CorrectionError("El CFDI sustituto debe estar timbrado y relacionado (04) con el cancelado.")
    request = build_cancellation_request(
        signer=services.signer.signer, uuid=str(doc["uuid"]), motivo=motivo, folio_sustitucion=substitute_uuid
    )
    try:
        result = services.pac.cancel(request)
    except PacError as exc:
        raise CorrectionError(f"El PAC rechazó la cancelación: {exc.incidence.message}") from exc
    with tenant_transaction(tenant_id) as conn:
        data.mark_cancel_requested(
            conn,
            int(doc["id"]),
            motivo=motivo,
            substitute=substitute_uuid,
            cancel_status=result.cancel_status or result.status_code,
            acuse=result.acuse,
        )
        updated = data.document(conn, int(doc["id"]))
    assert updated is not None
    return _row(updated)


def cancel_invoice(
    *,
    tenant_id: UUID | str,
    invoice_id: int,
    motivo: str,
    substitute_uuid: str | None = None,
    services: CfdiServices | None = None,
) -> dict[str, Any]:
    """`cancel` the invoice's current Ingreso (a stamped substitute wins over a cancelled original)."""
    if motivo not in MOTIVOS:  # bad input is refused before anything is looked up
        raise CorrectionError(f"Motivo de cancelación {motivo!r} inválido: use 01, 02, 03 o 04.")
    if motivo == "01" and not substitute_uuid:
        raise SubstituteRequired("El motivo 01 requiere el UUID del CFDI que sustituye al cancelado.")
    with tenant_transaction(tenant_id) as conn:
        if billing_data.invoice_status(conn, invoice_id=invoice_id) is None:
            raise CfdiInvoiceNotFound(f"la factura {invoice_id} no existe")
        doc = live_ingreso(conn, invoice_id)
    if doc is None or doc["uuid"] is None:
        raise CfdiNotStamped(f"la factura {invoice_id} no tiene un CFDI timbrado")
    return cancel(
        tenant_id=tenant_id, uuid=str(doc["uuid"]), motivo=motivo, substitute_uuid=substitute_uuid, services=services
    )


def poll_status(*, tenant_id: UUID | str, uuid: str, services: CfdiServices | None = None) -> dict[str, Any]:
    """Ask SAT (through the PAC) for the CFDI's status; a cancellation in progress becomes 'cancelled' when SAT
    says Cancelado."""
    config = load_config(tenant_id)
    services = services or services_of(config)
    with tenant_transaction(tenant_id) as conn:
        doc = data.document_by_uuid(conn, uuid)
    if doc is None:
        raise CorrectionError(f"No existe un CFDI con UUID {uuid}.")
    status = services.pac.status(
        str(doc["uuid"]),
        issuer_rfc=config.issuer.rfc,
        receiver_rfc=doc["receiver_rfc"] or "",
        total=Decimal(doc["total"] or 0),
    )
    cancelled = (status.estado or "").lower() == "cancelado"
    with tenant_transaction(tenant_id) as conn:
        data.record_sat_status(
            conn, int(doc["id"]), estado=status.estado, cancel_status=status.estatus_cancelacion, cancelled=cancelled
        )
        updated = data.document(conn, int(doc["id"]))
    assert updated is not None
    return {
        **_row(updated),
        "sat": {
            "estado": status.estado,
            "es_cancelable": status.es_cancelable,
            "estatus_cancelacion": status.estatus_cancelacion,
        },
    }


def poll_pending_cancellations(*, tenant_id: UUID | str, services: CfdiServices | None = None) -> int:
    """Poll every document with a cancellation in progress; returns how many are now cancelled."""
    with tenant_transaction(tenant_id) as conn:
        pending = data.cancel_requested(conn)
    done = 0
    for doc in pending:
        result = poll_status(tenant_id=tenant_id, uuid=str(doc["uuid"]), services=services)
        done += result["status"] == "cancelled"
    return done


def _row(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in doc.items() if k not in ("signed_xml", "stamped_xml")}


__all__ = [
    "MOTIVOS",
    "CfdiAlreadyCancelled",
    "CfdiInvoiceNotFound",
    "CfdiNotStamped",
    "CorrectionError",
    "Rejection",
    "SubstituteRequired",
    "cancel",
    "cancel_invoice",
    "credit_concepts",
    "issue_adjustment_credit",
    "issue_credit_note",
    "issue_estimate_credit",
    "issue_substitute",
    "poll_pending_cancellations",
    "poll_status",
]
