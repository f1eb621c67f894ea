"""Reference path: the comprobante as a satcfdi `cfdi40.Comprobante` (unsigned), plus Pagos 2.0.

satcfdi serialises, computes the cadena with the SAT XSLT, signs and XSD-validates. Its own arithmetic rounds with
Python's `round()` (half-even) and a rounding tracker for taxes, which can differ from the project's ROUND_HALF_UP
rule by a centavo on ties; so every amount is taken from `ComputedCfdi` and written over satcfdi's figures. The
native fast path (`native.py`) must produce exactly the same cadena; the tests check that on thousands of invoices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from satcfdi.cfdi import CFDI
from satcfdi.create.cfd import cfdi40

from shared.domain.cfdi.models import ComputedCfdi, ComputedConcept, Receiver, TaxTransfer


def _traslado_dict(t: TaxTransfer) -> dict[str, Any]:
    return {
        "Base": t.base,
        "Impuesto": t.impuesto,
        "TipoFactor": t.tipo_factor,
        "TasaOCuota": t.tasa_o_cuota,
        "Importe": t.importe,
    }


def _concepto(c: ComputedConcept) -> cfdi40.Concepto:
    impuestos = None
    if c.traslados:
        impuestos = cfdi40.Impuestos(
            traslados=[
                cfdi40.Traslado(
                    impuesto=t.impuesto,
                    tipo_factor=t.tipo_factor,
                    tasa_o_cuota=t.tasa_o_cuota,
                    importe=t.importe,
                    base=t.base,
                )
                for t in c.traslados
            ]
        )
    return cfdi40.Concepto(
        clave_prod_serv=c.clave_prod_serv,
        cantidad=c.quantity,
        clave_unidad=c.clave_unidad,
        descripcion=c.description,
        valor_unitario=c.unit_value,
        objeto_imp=c.objeto_imp,
        no_identificacion=c.no_identificacion,
        unidad=c.unidad,
        descuento=c.discount,
        impuestos=impuestos,
    )


def _receptor(r: Receiver) -> cfdi40.Receptor:
    return cfdi40.Receptor(
        rfc=r.rfc,
        nombre=r.name,
        domicilio_fiscal_receptor=r.postal_code,
        regimen_fiscal_receptor=r.regimen_fiscal,
        uso_cfdi=r.uso_cfdi,
    )


def to_satcfdi(*, cfdi: ComputedCfdi) -> cfdi40.Comprobante:
    """An unsigned satcfdi Comprobante with exactly the amounts of `cfdi`."""
    info = cfdi.global_information
    comprobante = cfdi40.Comprobante(
        emisor=cfdi40.Emisor(rfc=cfdi.issuer.rfc, nombre=cfdi.issuer.name, regimen_fiscal=cfdi.issuer.regimen_fiscal),
        lugar_expedicion=cfdi.issuer.postal_code,
        receptor=_receptor(cfdi.receiver),
        conceptos=[_concepto(c) for c in cfdi.concepts],
        moneda=cfdi.moneda,
        tipo_de_comprobante=cfdi.tipo_de_comprobante,
        exportacion=cfdi.exportacion,
        serie=cfdi.serie,
        folio=cfdi.folio,
        forma_pago=cfdi.forma_pago,
        condiciones_de_pago=cfdi.condiciones_de_pago,
        metodo_pago=cfdi.metodo_pago,
        informacion_global=(
            cfdi40.InformacionGlobal(periodicidad=info.periodicidad, meses=info.meses, ano=info.year) if info else None
        ),
        cfdi_relacionados=[
            cfdi40.CfdiRelacionados(tipo_relacion=r.tipo_relacion, cfdi_relacionado=list(r.uuids)) for r in cfdi.related
        ]
        or None,
        fecha=cfdi.fecha,
    )
    # Overwrite satcfdi's arithmetic with the project's (ROUND_HALF_UP per line, sums of rounded lines).
    for target, source in zip(comprobante["Conceptos"], cfdi.concepts, strict=True):
        target["Importe"] = source.importe
    comprobante["SubTotal"] = cfdi.subtotal
    comprobante["Descuento"] = cfdi.discount
    impuestos: dict[str, Any] | None = None
    if cfdi.traslados:
        impuestos = {"Traslados": [_traslado_dict(t) for t in cfdi.traslados]}
        if cfdi.total_traslados is not None:
            impuestos["TotalImpuestosTrasladados"] = cfdi.total_traslados
    comprobante["Impuestos"] = impuestos
    comprobante["Total"] = cfdi.total
    return comprobante


@dataclass(frozen=True, slots=True)
class PaidDocument:
    """A stamped PPD invoice (its XML as stored after stamping) and what this payment applies to it."""

    stamped_xml: bytes
    num_parcialidad: int
    imp_saldo_ant: Decimal
    imp_pagado: Decimal


def payment_complement(
    *,
    documents: Sequence[PaidDocument],
    fecha: dt.datetime,
    fecha_pago: dt.datetime,
    forma_pago: str,
    serie: str | None = None,
    folio: str | None = None,
    num_operacion: str | None = None,
) -> cfdi40.Comprobante:
    """An unsigned type P comprobante with the Pagos 2.0 complement (satcfdi prorates the taxes per document).

    All documents must share issuer, receiver and currency. `num_operacion` is e.g. the SPEI clave de rastreo.
    """
    pagos = [
        cfdi40.PagoComprobante(
            comprobante=CFDI.from_string(d.stamped_xml),
            num_parcialidad=d.num_parcialidad,
            imp_saldo_ant=d.imp_saldo_ant,
            imp_pagado=d.imp_pagado,
        )
        for d in documents
    ]
    comprobante = cfdi40.Comprobante.pago_comprobantes(
        comprobantes=pagos, fecha_pago=fecha_pago, forma_pago=forma_pago, serie=serie, folio=folio, fecha=fecha
    )
    if num_operacion:
        pagos_node = comprobante["Complemento"]  # the pago20.Pagos element itself (not keyed by name)
        for pago in pagos_node["Pago"]:
            pago["NumOperacion"] = num_operacion
    return comprobante
