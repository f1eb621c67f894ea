"""Builders for the comprobantes the utility issues: per-bill invoices under either invoicing model, the factura
global to the público en general, and credit notes (Egreso). They only shape the request; `validation` checks it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from shared.domain.cfdi.catalogs import (
    CLAVE_VENTA_GLOBAL,
    FORMA_POR_DEFINIR,
    METODO_PPD,
    METODO_PUE,
    NOMBRE_PUBLICO_EN_GENERAL,
    REGIMEN_SIN_OBLIGACIONES,
    RFC_GENERICO_NACIONAL,
    UNIDAD_ACTIVIDAD,
    USO_SIN_EFECTOS_FISCALES,
)
from shared.domain.cfdi.models import (
    CfdiRequest,
    ConceptInput,
    GlobalInformation,
    InvoicingModel,
    Issuer,
    Receiver,
    RelatedCfdis,
)


class InvoicingModelError(ValueError):
    """Raised when the forma de pago does not fit the invoicing model."""


def publico_en_general_receiver(*, issuer: Issuer) -> Receiver:
    """Receptor of a factura global: generic RFC, 616, S01, and the issuer's LugarExpedicion as its CP."""
    return Receiver(
        rfc=RFC_GENERICO_NACIONAL,
        name=NOMBRE_PUBLICO_EN_GENERAL,
        regimen_fiscal=REGIMEN_SIN_OBLIGACIONES,
        postal_code=issuer.postal_code,
        uso_cfdi=USO_SIN_EFECTOS_FISCALES,
    )


def payment_terms(*, model: InvoicingModel, forma_pago: str | None) -> tuple[str, str]:
    """(MetodoPago, FormaPago) for an invoicing model.

    at_billing → PPD + 99 (the payment is not known yet); on_payment → PUE + the real forma de pago.
    """
    if model is InvoicingModel.AT_BILLING:
        if forma_pago not in (None, FORMA_POR_DEFINIR):
            raise InvoicingModelError(f"at_billing invoices use FormaPago 99, got {forma_pago!r}")
        return METODO_PPD, FORMA_POR_DEFINIR
    if not forma_pago or forma_pago == FORMA_POR_DEFINIR:
        raise InvoicingModelError("on_payment invoices need the real FormaPago of the payment (not 99)")
    return METODO_PUE, forma_pago


def invoice_request(
    *,
    model: InvoicingModel,
    issuer: Issuer,
    receiver: Receiver,
    fecha: dt.datetime,
    concepts: Sequence[ConceptInput],
    forma_pago: str | None = None,
    serie: str | None = None,
    folio: str | None = None,
    condiciones_de_pago: str | None = None,
    expected_subtotal: Decimal | None = None,
    expected_total: Decimal | None = None,
) -> CfdiRequest:
    """A type I invoice for one bill."""
    metodo, forma = payment_terms(model=model, forma_pago=forma_pago)
    return CfdiRequest(
        issuer=issuer,
        receiver=receiver,
        fecha=fecha,
        concepts=tuple(concepts),
        metodo_pago=metodo,
        forma_pago=forma,
        serie=serie,
        folio=folio,
        condiciones_de_pago=condiciones_de_pago,
        expected_subtotal=expected_subtotal,
        expected_total=expected_total,
    )


@dataclass(frozen=True, slots=True)
class GlobalReceipt:
    """One non-fiscal recibo covered by a factura global."""

    folio: str
    subtotal: Decimal
    iva_rate: Decimal | None


def global_invoice_request(
    *,
    issuer: Issuer,
    fecha: dt.datetime,
    periodicidad: str,
    meses: str,
    year: int,
    receipts: Sequence[GlobalReceipt],
    forma_pago: str,
    serie: str | None = None,
    folio: str | None = None,
) -> CfdiRequest:
    """Factura global (Guía de llenado del CFDI global): one line per recibo, 01010101 / ACT / "Venta"."""
    metodo, forma = payment_terms(model=InvoicingModel.ON_PAYMENT, forma_pago=forma_pago)
    concepts = tuple(
        ConceptInput(
            clave_prod_serv=CLAVE_VENTA_GLOBAL,
            clave_unidad=UNIDAD_ACTIVIDAD,
            description="Venta",
            quantity=Decimal("1"),
            unit_value=r.subtotal,
            iva_rate=r.iva_rate,
            no_identificacion=r.folio,
        )
        for r in receipts
    )
    return CfdiRequest(
        issuer=issuer,
        receiver=publico_en_general_receiver(issuer=issuer),
        fecha=fecha,
        concepts=concepts,
        metodo_pago=metodo,
        forma_pago=forma,
        serie=serie,
        folio=folio,
        global_information=GlobalInformation(periodicidad=periodicidad, meses=meses, year=year),
    )


def credit_note_request(
    *,
    issuer: Issuer,
    receiver: Receiver,
    fecha: dt.datetime,
    original_uuids: Sequence[str],
    concepts: Sequence[ConceptInput],
    forma_pago: str,
    serie: str | None = None,
    folio: str | None = None,
) -> CfdiRequest:
    """Egreso (nota de crédito) related to the original invoice(s) with TipoRelacion 01."""
    metodo, forma = payment_terms(model=InvoicingModel.ON_PAYMENT, forma_pago=forma_pago)
    return CfdiRequest(
        issuer=issuer,
        receiver=receiver,
        fecha=fecha,
        concepts=tuple(concepts),
        metodo_pago=metodo,
        forma_pago=forma,
        tipo_de_comprobante="E",
        serie=serie,
        folio=folio,
        related=(RelatedCfdis(tipo_relacion="01", uuids=tuple(original_uuids)),),
    )
