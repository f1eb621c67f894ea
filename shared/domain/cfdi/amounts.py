"""Amounts of a comprobante: line importes, IVA per line, the Impuestos summary and the totals.

Rules (Anexo 20 and the project's money rule): every line amount is rounded ROUND_HALF_UP to centavos; the IVA of
a line is computed on the rounded line base (importe − descuento) and rounded the same way; the summary per
(Impuesto, TipoFactor, TasaOCuota) adds the rounded line bases and importes in first-appearance order; SubTotal,
Descuento and Total are sums of rounded lines. TasaOCuota is written with 6 decimals.
"""

from __future__ import annotations

from decimal import Decimal

from shared.domain.cfdi.catalogs import IMPUESTO_IVA, TIPO_FACTOR_TASA
from shared.domain.cfdi.models import (
    CfdiRequest,
    ComputedCfdi,
    ComputedConcept,
    ConceptInput,
    TaxTransfer,
)
from shared.domain.money import round_cents

RATE_EXP = Decimal("0.000001")


def round_money(*, amount: Decimal) -> Decimal:
    """Half-up to centavos (the project-wide rule in `shared.domain.money`)."""
    return round_cents(amount)


def line_importe(*, quantity: Decimal, unit_value: Decimal) -> Decimal:
    return round_money(amount=quantity * unit_value)


def compute_concept(*, concept: ConceptInput) -> ComputedConcept:
    importe = line_importe(quantity=concept.quantity, unit_value=concept.unit_value)
    discount = round_money(amount=concept.discount) if concept.discount else None
    traslados: tuple[TaxTransfer, ...] = ()
    if concept.iva_rate is not None:
        rate = concept.iva_rate.quantize(RATE_EXP)
        base = importe - (discount or Decimal("0"))
        traslados = (
            TaxTransfer(
                base=base,
                tasa_o_cuota=rate,
                importe=round_money(amount=base * rate),
                impuesto=IMPUESTO_IVA,
                tipo_factor=TIPO_FACTOR_TASA,
            ),
        )
    objeto_imp = concept.objeto_imp or ("02" if traslados else "01")
    return ComputedConcept(
        clave_prod_serv=concept.clave_prod_serv,
        clave_unidad=concept.clave_unidad,
        description=concept.description,
        quantity=concept.quantity,
        unit_value=concept.unit_value,
        importe=importe,
        objeto_imp=objeto_imp,
        traslados=traslados,
        no_identificacion=concept.no_identificacion,
        unidad=concept.unidad,
        discount=discount,
    )


def summarize_traslados(*, concepts: tuple[ComputedConcept, ...]) -> tuple[TaxTransfer, ...]:
    """Comprobante-level Traslados: one per (Impuesto, TipoFactor, TasaOCuota), in first-appearance order."""
    grouped: dict[tuple[str, str, Decimal], tuple[Decimal, Decimal]] = {}
    for concept in concepts:
        for t in concept.traslados:
            key = (t.impuesto, t.tipo_factor, t.tasa_o_cuota)
            base, importe = grouped.get(key, (Decimal("0.00"), Decimal("0.00")))
            grouped[key] = (base + t.base, importe + t.importe)
    return tuple(
        TaxTransfer(base=base, tasa_o_cuota=rate, importe=importe, impuesto=imp, tipo_factor=factor)
        for (imp, factor, rate), (base, importe) in grouped.items()
    )


def compute_cfdi(*, request: CfdiRequest) -> ComputedCfdi:
    """Compute every amount of the comprobante. Does not validate: see `validation.validate_request`."""
    concepts = tuple(compute_concept(concept=c) for c in request.concepts)
    subtotal = sum((c.importe for c in concepts), Decimal("0.00"))
    discount_total = sum((c.discount or Decimal("0") for c in concepts), Decimal("0.00"))
    traslados = summarize_traslados(concepts=concepts)
    total_traslados = sum((t.importe for t in traslados), Decimal("0.00")) if traslados else None
    total = subtotal - discount_total + (total_traslados or Decimal("0"))
    return ComputedCfdi(
        issuer=request.issuer,
        receiver=request.receiver,
        fecha=request.fecha,
        tipo_de_comprobante=request.tipo_de_comprobante,
        metodo_pago=request.metodo_pago,
        forma_pago=request.forma_pago,
        concepts=concepts,
        subtotal=subtotal,
        discount=discount_total if discount_total else None,
        traslados=traslados,
        total_traslados=total_traslados,
        total=total,
        serie=request.serie,
        folio=request.folio,
        condiciones_de_pago=request.condiciones_de_pago,
        global_information=request.global_information,
        related=request.related,
        moneda=request.moneda,
        exportacion=request.exportacion,
    )
