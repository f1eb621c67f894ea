"""What billing hands over to the CFDI core (inputs) and the computed comprobante (outputs).

Inputs are plain frozen dataclasses with `Decimal` amounts; `ComputedCfdi` carries every amount the XML shows,
already rounded (ROUND_HALF_UP, to centavos per line; totals are sums of rounded lines).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class InvoicingModel(StrEnum):
    """When the fiscal CFDI is issued.

    AT_BILLING: at bill issue, before payment: MetodoPago PPD + FormaPago 99; each payment later needs Pagos 2.0.
    ON_PAYMENT: when the payment posts: MetodoPago PUE + the real FormaPago of the payment.
    """

    AT_BILLING = "at_billing"
    ON_PAYMENT = "on_payment"


@dataclass(frozen=True, slots=True)
class Issuer:
    rfc: str
    name: str  # exactly as in the Constancia de Situación Fiscal, without régimen de capital
    regimen_fiscal: str
    postal_code: str  # LugarExpedicion of the issuing office


@dataclass(frozen=True, slots=True)
class Receiver:
    rfc: str
    name: str
    regimen_fiscal: str
    postal_code: str | None  # DomicilioFiscalReceptor; None means billing has none (rejected before the PAC)
    uso_cfdi: str


@dataclass(frozen=True, slots=True)
class ConceptInput:
    """One invoice line. `iva_rate` None means the line carries no tax node (ObjetoImp 01)."""

    clave_prod_serv: str
    clave_unidad: str
    description: str
    quantity: Decimal
    unit_value: Decimal
    iva_rate: Decimal | None = None
    objeto_imp: str | None = None  # default: "02" with an IVA rate, "01" without
    no_identificacion: str | None = None
    unidad: str | None = None
    discount: Decimal | None = None
    importe: Decimal | None = None  # billing's own line amount; cross-checked against quantity × unit value


@dataclass(frozen=True, slots=True)
class GlobalInformation:
    """cfdi:InformacionGlobal of a factura global to the público en general."""

    periodicidad: str  # 01 diario, 02 semanal, 03 quincenal, 04 mensual, 05 bimestral
    meses: str  # 01-12, or 13-18 for bimonthly pairs
    year: int


@dataclass(frozen=True, slots=True)
class RelatedCfdis:
    tipo_relacion: str  # c_TipoRelacion: 01 nota de crédito, 04 sustitución, ...
    uuids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CfdiRequest:
    """A comprobante to issue (types I and E), as billing describes it."""

    issuer: Issuer
    receiver: Receiver
    fecha: dt.datetime  # local time of LugarExpedicion, naive, whole seconds
    concepts: tuple[ConceptInput, ...]
    metodo_pago: str | None
    forma_pago: str | None
    tipo_de_comprobante: str = "I"
    serie: str | None = None
    folio: str | None = None
    condiciones_de_pago: str | None = None
    global_information: GlobalInformation | None = None
    related: tuple[RelatedCfdis, ...] = ()
    moneda: str = "MXN"
    exportacion: str = "01"
    expected_subtotal: Decimal | None = None  # billing's totals, cross-checked against the computed ones
    expected_total: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TaxTransfer:
    """A cfdi:Traslado (per line, or the comprobante-level summary per Impuesto/TipoFactor/TasaOCuota)."""

    base: Decimal
    tasa_o_cuota: Decimal
    importe: Decimal
    impuesto: str = "002"
    tipo_factor: str = "Tasa"


@dataclass(frozen=True, slots=True)
class ComputedConcept:
    clave_prod_serv: str
    clave_unidad: str
    description: str
    quantity: Decimal
    unit_value: Decimal
    importe: Decimal
    objeto_imp: str
    traslados: tuple[TaxTransfer, ...]
    no_identificacion: str | None = None
    unidad: str | None = None
    discount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ComputedCfdi:
    """Everything the XML of a type I/E comprobante shows, except NoCertificado/Certificado/Sello."""

    issuer: Issuer
    receiver: Receiver
    fecha: dt.datetime
    tipo_de_comprobante: str
    metodo_pago: str | None
    forma_pago: str | None
    concepts: tuple[ComputedConcept, ...]
    subtotal: Decimal
    discount: Decimal | None
    traslados: tuple[TaxTransfer, ...]
    total_traslados: Decimal | None
    total: Decimal
    serie: str | None = None
    folio: str | None = None
    condiciones_de_pago: str | None = None
    global_information: GlobalInformation | None = None
    related: tuple[RelatedCfdis, ...] = ()
    moneda: str = "MXN"
    exportacion: str = "01"
    version: str = field(default="4.0")
