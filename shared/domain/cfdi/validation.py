"""Pre-PAC validation: the business rules satcfdi's XSD check does not cover, with clear rejection reasons.

`validate_request` returns every problem found (empty tuple = acceptable); `prepare_cfdi` computes the comprobante
or raises `CfdiRejected` with them. Codes are stable English identifiers for code and logs; messages are es-MX for
the people who fix the customer's fiscal data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from shared.domain.cfdi.amounts import compute_cfdi, compute_concept, line_importe
from shared.domain.cfdi.catalogs import (
    FORBIDDEN_WATER_KEYS,
    FORMA_POR_DEFINIR,
    FORMAS_PAGO,
    IVA_RATES,
    MESES,
    METODO_PPD,
    METODO_PUE,
    NOMBRE_PUBLICO_EN_GENERAL,
    OBJETOS_IMPUESTO,
    PERIODICIDADES,
    REGIMEN_SIN_OBLIGACIONES,
    REGIMENES_FISCALES,
    RFC_GENERICO_NACIONAL,
    TIPOS_RELACION,
    USO_SIN_EFECTOS_FISCALES,
    USOS_CFDI,
)
from shared.domain.cfdi.models import CfdiRequest, ComputedCfdi, ConceptInput, GlobalInformation
from shared.domain.cfdi.rfc import PersonType, RfcProblem, is_generic, person_type, rfc_problem
from shared.domain.cfdi.text import normalize_space

MAX_AGE = dt.timedelta(hours=72)  # PAC window between Fecha and stamping (Finkok 401)
_POSTAL_CODE_RE = re.compile(r"^[0-9]{5}$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CLAVE_PROD_SERV_RE = re.compile(r"^[0-9]{8}$")
_CLAVE_UNIDAD_RE = re.compile(r"^[A-Z0-9]{1,3}$")
# Characters XML 1.0 cannot carry (C0 controls except tab/newline/CR, surrogates, U+FFFE/U+FFFF).
_INVALID_XML_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Rejection:
    code: str
    field: str
    message: str


class CfdiRejected(ValueError):
    """Raised by `prepare_cfdi` when the request breaks a rule the PAC would reject."""

    def __init__(self, rejections: tuple[Rejection, ...]) -> None:
        self.rejections = rejections
        super().__init__("; ".join(f"{r.field}: {r.message}" for r in rejections))


_RFC_MESSAGES = {
    RfcProblem.FORMAT: "El RFC {rfc!r} no tiene un formato válido.",
    RfcProblem.DATE: "El RFC {rfc!r} contiene una fecha inexistente.",
    RfcProblem.CHECK_DIGIT: "El dígito verificador del RFC {rfc!r} no es correcto.",
}


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _text(value: str | None, *, field: str, label: str, max_len: int, required: bool) -> Iterator[Rejection]:
    normalized = normalize_space(value) if value is not None else ""
    if value is None or not normalized:
        if required:
            yield Rejection("missing_field", field, f"Falta {label}.")
        return
    if "|" in value:
        yield Rejection("forbidden_character", field, f"{label} no puede contener el carácter '|'.")
    if _INVALID_XML_CHARS_RE.search(value):
        yield Rejection("forbidden_character", field, f"{label} contiene caracteres de control no permitidos.")
    if len(normalized) > max_len:
        yield Rejection("too_long", field, f"{label} excede {max_len} caracteres.")


def _rfc(rfc: str, *, field: str) -> Iterator[Rejection]:
    problem = rfc_problem(rfc=rfc)
    if problem is not None:
        yield Rejection(f"invalid_rfc_{problem.value}", field, _RFC_MESSAGES[problem].format(rfc=rfc))


def _regimen_for_person(regimen: str, rfc: str, *, field: str) -> Iterator[Rejection]:
    entry = REGIMENES_FISCALES.get(regimen)
    if entry is None:
        yield Rejection("unknown_regimen", field, f"El régimen fiscal {regimen!r} no existe en el catálogo del SAT.")
        return
    kind = person_type(rfc=rfc)
    _, fisica, moral = entry
    if kind is PersonType.FISICA and not fisica:
        yield Rejection(
            "regimen_person_mismatch", field, f"El régimen {regimen} no aplica a personas físicas (RFC de 13)."
        )
    if kind is PersonType.MORAL and not moral:
        yield Rejection(
            "regimen_person_mismatch", field, f"El régimen {regimen} no aplica a personas morales (RFC de 12)."
        )


def _issuer(request: CfdiRequest) -> Iterator[Rejection]:
    issuer = request.issuer
    yield from _rfc(issuer.rfc, field="issuer.rfc")
    if is_generic(rfc=issuer.rfc):
        yield Rejection("generic_issuer_rfc", "issuer.rfc", "El emisor no puede usar un RFC genérico.")
    yield from _text(issuer.name, field="issuer.name", label="el nombre del emisor", max_len=300, required=True)
    yield from _regimen_for_person(issuer.regimen_fiscal, issuer.rfc, field="issuer.regimen_fiscal")
    if not issuer.postal_code or not _POSTAL_CODE_RE.match(issuer.postal_code):
        yield Rejection(
            "missing_postal_code", "issuer.postal_code", "Falta el código postal del lugar de expedición (5 dígitos)."
        )


def _receiver(request: CfdiRequest) -> Iterator[Rejection]:
    receiver = request.receiver
    yield from _rfc(receiver.rfc, field="receiver.rfc")
    yield from _text(receiver.name, field="receiver.name", label="el nombre del receptor", max_len=300, required=True)
    if not receiver.postal_code or not _POSTAL_CODE_RE.match(receiver.postal_code):
        yield Rejection(
            "missing_postal_code",
            "receiver.postal_code",
            "Falta el código postal del domicilio fiscal del receptor (5 dígitos).",
        )
    yield from _regimen_for_person(receiver.regimen_fiscal, receiver.rfc, field="receiver.regimen_fiscal")
    uso = USOS_CFDI.get(receiver.uso_cfdi)
    if uso is None:
        yield Rejection("unknown_uso_cfdi", "receiver.uso_cfdi", f"El uso CFDI {receiver.uso_cfdi!r} no existe.")
    else:
        _, fisica, moral, regimenes = uso
        kind = person_type(rfc=receiver.rfc)
        if (kind is PersonType.FISICA and not fisica) or (kind is PersonType.MORAL and not moral):
            persona = "físicas" if kind is PersonType.FISICA else "morales"
            yield Rejection(
                "uso_regimen_mismatch",
                "receiver.uso_cfdi",
                f"El uso CFDI {receiver.uso_cfdi} no aplica a personas {persona}.",
            )
        elif receiver.regimen_fiscal in REGIMENES_FISCALES and receiver.regimen_fiscal not in regimenes:
            yield Rejection(
                "uso_regimen_mismatch",
                "receiver.uso_cfdi",
                f"El uso CFDI {receiver.uso_cfdi} no es compatible con el régimen fiscal {receiver.regimen_fiscal}.",
            )
    if receiver.rfc == RFC_GENERICO_NACIONAL:
        if receiver.regimen_fiscal != REGIMEN_SIN_OBLIGACIONES:
            yield Rejection("generic_rfc_rules", "receiver.regimen_fiscal", "Con RFC genérico el régimen debe ser 616.")
        if receiver.uso_cfdi != USO_SIN_EFECTOS_FISCALES:
            yield Rejection("generic_rfc_rules", "receiver.uso_cfdi", "Con RFC genérico el uso CFDI debe ser S01.")
        if receiver.postal_code and receiver.postal_code != request.issuer.postal_code:
            yield Rejection(
                "generic_rfc_rules",
                "receiver.postal_code",
                "Con RFC genérico el código postal del receptor debe ser el del lugar de expedición.",
            )


def _global_information(request: CfdiRequest) -> Iterator[Rejection]:
    receiver = request.receiver
    publico = receiver.rfc == RFC_GENERICO_NACIONAL and receiver.name == NOMBRE_PUBLICO_EN_GENERAL
    info: GlobalInformation | None = request.global_information
    if publico and info is None:
        yield Rejection(
            "missing_global_information",
            "global_information",
            "Una factura a PUBLICO EN GENERAL requiere la información global (periodicidad, meses, año).",
        )
    if info is None:
        return
    if not publico:
        yield Rejection(
            "unexpected_global_information",
            "global_information",
            "La información global solo aplica con RFC XAXX010101000 y nombre PUBLICO EN GENERAL.",
        )
    if info.periodicidad not in PERIODICIDADES:
        yield Rejection("invalid_global_information", "global_information.periodicidad", "Periodicidad inválida.")
    bimonthly = info.meses in MESES and int(info.meses) > 12
    if info.meses not in MESES or bimonthly != (info.periodicidad == "05"):
        yield Rejection(
            "invalid_global_information",
            "global_information.meses",
            "Los meses no corresponden a la periodicidad (13-18 solo para bimestral).",
        )
    if not 2019 <= info.year <= 9999:
        yield Rejection("invalid_global_information", "global_information.year", "El año debe ser de 2019 en adelante.")


def _comprobante(request: CfdiRequest, now: dt.datetime | None) -> Iterator[Rejection]:
    yield from _payment(request)
    yield from _text(request.serie, field="serie", label="la serie", max_len=25, required=False)
    yield from _text(request.folio, field="folio", label="el folio", max_len=40, required=False)
    yield from _text(
        request.condiciones_de_pago,
        field="condiciones_de_pago",
        label="las condiciones de pago",
        max_len=1000,
        required=False,
    )
    yield from _fecha(request.fecha, now)
    yield from _related(request)


def _payment(request: CfdiRequest) -> Iterator[Rejection]:
    if request.tipo_de_comprobante not in ("I", "E"):
        yield Rejection("unsupported_type", "tipo_de_comprobante", "Solo se emiten comprobantes de ingreso o egreso.")
    if request.moneda != "MXN":
        yield Rejection("unsupported_currency", "moneda", "Solo se factura en MXN.")
    if request.exportacion != "01":
        yield Rejection("invalid_exportacion", "exportacion", "La clave de exportación debe ser 01 (No aplica).")
    if request.metodo_pago not in (METODO_PUE, METODO_PPD):
        yield Rejection("invalid_payment_method", "metodo_pago", "El método de pago debe ser PUE o PPD.")
    if request.forma_pago not in FORMAS_PAGO:
        yield Rejection("invalid_payment_form", "forma_pago", f"Forma de pago {request.forma_pago!r} inválida.")
    elif request.metodo_pago == METODO_PPD and request.forma_pago != FORMA_POR_DEFINIR:
        yield Rejection("payment_model_mismatch", "forma_pago", "Con método PPD la forma de pago debe ser 99.")
    elif request.metodo_pago == METODO_PUE and request.forma_pago == FORMA_POR_DEFINIR:
        yield Rejection("payment_model_mismatch", "forma_pago", "Con método PUE la forma de pago no puede ser 99.")


def _fecha(fecha: dt.datetime, now: dt.datetime | None) -> Iterator[Rejection]:
    if fecha.tzinfo is not None or fecha.microsecond:
        yield Rejection("invalid_date", "fecha", "La fecha debe ser hora local sin zona horaria ni fracciones.")
    elif now is not None:
        if fecha > now:
            yield Rejection("invalid_date", "fecha", "La fecha de emisión no puede ser futura.")
        elif now - fecha > MAX_AGE:
            yield Rejection("invalid_date", "fecha", "La fecha de emisión tiene más de 72 horas.")


def _related(request: CfdiRequest) -> Iterator[Rejection]:
    if request.tipo_de_comprobante == "E" and not request.related:
        yield Rejection("missing_related", "related", "Una nota de crédito debe relacionar el CFDI original.")
    for i, rel in enumerate(request.related):
        if rel.tipo_relacion not in TIPOS_RELACION:
            yield Rejection("invalid_related", f"related[{i}].tipo_relacion", "Tipo de relación inválido.")
        if not rel.uuids or any(not _UUID_RE.match(u) for u in rel.uuids):
            yield Rejection("invalid_related", f"related[{i}].uuids", "Los UUID relacionados no son válidos.")


def _concept(concept: ConceptInput, i: int) -> Iterator[Rejection]:
    f = f"concepts[{i}]"
    yield from _concept_keys_and_texts(concept, f)
    yield from _concept_taxes(concept, f)
    yield from _concept_amounts(concept, f)


def _concept_keys_and_texts(concept: ConceptInput, f: str) -> Iterator[Rejection]:
    if not _CLAVE_PROD_SERV_RE.match(concept.clave_prod_serv):
        yield Rejection("invalid_clave_prod_serv", f"{f}.clave_prod_serv", "ClaveProdServ debe tener 8 dígitos.")
    elif concept.clave_prod_serv in FORBIDDEN_WATER_KEYS:
        meaning = FORBIDDEN_WATER_KEYS[concept.clave_prod_serv]
        yield Rejection(
            "invalid_clave_prod_serv", f"{f}.clave_prod_serv", f"La clave {concept.clave_prod_serv} es «{meaning}»."
        )
    if not _CLAVE_UNIDAD_RE.match(concept.clave_unidad):
        yield Rejection("invalid_clave_unidad", f"{f}.clave_unidad", "ClaveUnidad inválida.")
    yield from _text(concept.description, field=f"{f}.description", label="la descripción", max_len=1000, required=True)
    yield from _text(
        concept.no_identificacion,
        field=f"{f}.no_identificacion",
        label="el número de identificación",
        max_len=100,
        required=False,
    )
    yield from _text(concept.unidad, field=f"{f}.unidad", label="la unidad", max_len=20, required=False)


def _concept_taxes(concept: ConceptInput, f: str) -> Iterator[Rejection]:
    if concept.iva_rate is not None and concept.iva_rate.quantize(Decimal("0.000001")) not in IVA_RATES:
        yield Rejection("invalid_tax_rate", f"{f}.iva_rate", f"Tasa de IVA {concept.iva_rate} no permitida.")
    objeto = concept.objeto_imp or ("02" if concept.iva_rate is not None else "01")
    if objeto not in OBJETOS_IMPUESTO:
        yield Rejection("invalid_objeto_imp", f"{f}.objeto_imp", f"ObjetoImp {objeto!r} inválido.")
    elif objeto == "02" and concept.iva_rate is None:
        yield Rejection("invalid_objeto_imp", f"{f}.objeto_imp", "ObjetoImp 02 requiere desglosar el impuesto.")
    elif objeto != "02" and concept.iva_rate is not None:
        yield Rejection("invalid_objeto_imp", f"{f}.objeto_imp", f"ObjetoImp {objeto} no lleva impuestos trasladados.")


def _concept_amounts(concept: ConceptInput, f: str) -> Iterator[Rejection]:
    amounts_ok = True
    if concept.quantity <= 0 or _decimals(concept.quantity) > 6:
        amounts_ok = False
        yield Rejection("invalid_amount", f"{f}.quantity", "La cantidad debe ser positiva con hasta 6 decimales.")
    if concept.unit_value < 0 or _decimals(concept.unit_value) > 6:
        amounts_ok = False
        yield Rejection("invalid_amount", f"{f}.unit_value", "El valor unitario no puede ser negativo (≤ 6 decimales).")
    if concept.discount is not None and concept.discount < 0:
        amounts_ok = False
        yield Rejection("invalid_amount", f"{f}.discount", "El descuento no puede ser negativo.")
    if not amounts_ok:
        return
    computed = compute_concept(concept=concept)
    if concept.importe is not None and concept.importe != line_importe(
        quantity=concept.quantity, unit_value=concept.unit_value
    ):
        yield Rejection(
            "totals_inconsistent",
            f"{f}.importe",
            f"El importe {concept.importe} no es cantidad × valor unitario ({computed.importe}).",
        )
    if computed.discount is not None and computed.discount > computed.importe:
        yield Rejection("totals_inconsistent", f"{f}.discount", "El descuento excede el importe del concepto.")
    elif computed.traslados and computed.traslados[0].base <= 0:
        yield Rejection("totals_inconsistent", f"{f}.importe", "Un concepto con impuesto requiere base mayor a cero.")


def _totals(request: CfdiRequest, computed: ComputedCfdi) -> Iterator[Rejection]:
    if request.expected_subtotal is not None and request.expected_subtotal != computed.subtotal:
        yield Rejection(
            "totals_inconsistent",
            "expected_subtotal",
            f"El subtotal {request.expected_subtotal} no es la suma de los conceptos ({computed.subtotal}).",
        )
    if request.expected_total is not None and request.expected_total != computed.total:
        yield Rejection(
            "totals_inconsistent",
            "expected_total",
            f"El total {request.expected_total} no cuadra con subtotal, descuentos e impuestos ({computed.total}).",
        )


def validate_request(*, request: CfdiRequest, now: dt.datetime | None = None) -> tuple[Rejection, ...]:
    """Every reason the PAC (or SAT) would reject this comprobante that can be known before sending it.

    `now` is the local time at LugarExpedicion; when given, the 72-hour window and future dates are checked.
    """
    return check_request(request=request, now=now)[0]


def check_request(
    *,
    request: CfdiRequest,
    now: dt.datetime | None = None,
) -> tuple[tuple[Rejection, ...], ComputedCfdi | None]:
    """`validate_request`, plus the computed comprobante when there is nothing to reject (computed once: the
    totals check needs it too)."""
    rejections = [
        *_issuer(request),
        *_receiver(request),
        *_global_information(request),
        *_comprobante(request, now),
    ]
    if not request.concepts:
        rejections.append(Rejection("missing_field", "concepts", "El comprobante debe tener al menos un concepto."))
    concept_rejections = [r for i, c in enumerate(request.concepts) for r in _concept(c, i)]
    rejections.extend(concept_rejections)
    computed = None
    if request.concepts and not any(r.code == "invalid_amount" for r in concept_rejections):
        computed = compute_cfdi(request=request)
        rejections.extend(_totals(request, computed))
    return tuple(rejections), (None if rejections else computed)


def prepare_cfdi(*, request: CfdiRequest, now: dt.datetime | None = None) -> ComputedCfdi:
    """Validate and compute; raises `CfdiRejected` with every rejection reason."""
    rejections, computed = check_request(request=request, now=now)
    if rejections or computed is None:
        raise CfdiRejected(rejections)
    return computed
