"""Invoice rows (as `shared.data.cfdi.chunk_invoices` returns them) → CFDI requests.

Receiver rules: a customer with an RFC is invoiced with their fiscal data (RFC, name, régimen, uso, CP); missing
data is a rejection, never a silent fallback. A customer without RFC gets XAXX010101000 / PUBLICO EN GENERAL /
616 / S01 with the issuer's LugarExpedicion as CP (SAT rule), and the comprobante carries InformacionGlobal
(monthly, the invoice's period), which SAT requires whenever that receptor is used.

Concepts: zero lines are left out; negative lines (over-estimate credits) never go on the Ingreso — they become a
credit note (Egreso) related to the original UUID. So the Ingreso's totals are the positive lines only.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.application.cfdi.tenant_config import TenantCfdiConfig
from shared.domain.cfdi.catalogs import (
    NOMBRE_PUBLICO_EN_GENERAL,
    REGIMEN_SIN_OBLIGACIONES,
    RFC_GENERICO_NACIONAL,
    USO_SIN_EFECTOS_FISCALES,
)
from shared.domain.cfdi.models import (
    CfdiRequest,
    ComputedCfdi,
    ConceptInput,
    GlobalInformation,
    InvoicingModel,
    Receiver,
    RelatedCfdis,
)
from shared.domain.cfdi.requests import credit_note_request, invoice_request
from shared.domain.cfdi.validation import Rejection, check_request
from shared.domain.timezone import UTILITY_TZ

ZERO = Decimal("0")


def local_now(now: dt.datetime) -> dt.datetime:
    """CFDI Fecha of the moment `now`: local time at LugarExpedicion (Tiempo del Centro), naive, whole seconds (a
    naive `now` is taken as already local)."""
    if now.tzinfo is None:
        return now.replace(microsecond=0)
    return now.astimezone(UTILITY_TZ).replace(tzinfo=None, microsecond=0)


def _clean(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def receiver_name(row: dict[str, Any]) -> str:
    if row.get("legal_name"):
        return str(row["legal_name"]).strip().upper()
    parts = (row.get("first_name"), row.get("paternal_surname"), row.get("maternal_surname"))
    return " ".join(str(p).strip() for p in parts if p).upper()


def receiver_for(row: dict[str, Any], config: TenantCfdiConfig) -> tuple[Receiver, bool, list[Rejection]]:
    """(receiver, is público en general, rejections found on missing fiscal data)."""
    rfc = _clean(row.get("rfc"))
    if rfc is None or rfc.upper() == RFC_GENERICO_NACIONAL:
        return (
            Receiver(
                rfc=RFC_GENERICO_NACIONAL,
                name=NOMBRE_PUBLICO_EN_GENERAL,
                regimen_fiscal=REGIMEN_SIN_OBLIGACIONES,
                postal_code=config.issuer.postal_code,
                uso_cfdi=USO_SIN_EFECTOS_FISCALES,
            ),
            True,
            [],
        )
    problems: list[Rejection] = []
    regimen = _clean(row.get("regimen_fiscal"))
    if regimen is None:
        problems.append(Rejection("missing_field", "receiver.regimen_fiscal", "Falta el régimen fiscal del receptor."))
    name = receiver_name(row)
    return (
        Receiver(
            rfc=rfc.upper(),
            name=name,
            regimen_fiscal=regimen or "",
            postal_code=_clean(row.get("fiscal_postal_code")),
            uso_cfdi=_clean(row.get("uso_cfdi")) or USO_SIN_EFECTOS_FISCALES,
        ),
        False,
        problems,
    )


def _lines(row: dict[str, Any]) -> list[list[Any]]:
    lines = row.get("lines") or []
    return json.loads(lines) if isinstance(lines, str | bytes) else list(lines)


@dataclass(frozen=True)
class SplitConcepts:
    charges: tuple[ConceptInput, ...]
    credits: tuple[ConceptInput, ...]
    charges_subtotal: Decimal
    charges_total: Decimal


def split_concepts(row: dict[str, Any], config: TenantCfdiConfig) -> SplitConcepts:
    """Positive lines → Ingreso concepts; negative lines → credit-note concepts (absolute values)."""
    charges: list[ConceptInput] = []
    credits: list[ConceptInput] = []
    subtotal = total = ZERO
    account = _clean(row.get("account_number"))
    for _line_no, code, description, qty, unit, amount, rate, tax in _lines(row):
        amount_d, rate_d, tax_d = Decimal(amount), Decimal(rate), Decimal(tax)
        if amount_d == 0:
            continue
        clave, unidad = config.clave_for(code)
        concept = ConceptInput(
            clave_prod_serv=clave,
            clave_unidad=unidad,
            description=description,
            quantity=abs(Decimal(qty)),
            unit_value=abs(Decimal(unit)),
            iva_rate=rate_d,
            no_identificacion=account,
            importe=abs(amount_d),
        )
        if amount_d > 0:
            charges.append(concept)
            subtotal += amount_d
            total += amount_d + tax_d
        else:
            credits.append(concept)
    return SplitConcepts(tuple(charges), tuple(credits), subtotal, total)


def global_information(period: dt.date) -> GlobalInformation:
    return GlobalInformation(periodicidad="04", meses=f"{period.month:02d}", year=period.year)


@dataclass(frozen=True)
class Prepared:
    """A comprobante ready to sign, or the reasons it cannot become a valid CFDI."""

    computed: ComputedCfdi | None
    rejections: tuple[Rejection, ...]
    receiver_rfc: str
    metodo_pago: str | None
    forma_pago: str | None


def _prepare(request: CfdiRequest, extra: list[Rejection]) -> Prepared:
    found, computed = check_request(request=request)
    rejections = (*extra, *found)
    if rejections or computed is None:
        return Prepared(None, tuple(rejections), request.receiver.rfc, request.metodo_pago, request.forma_pago)
    return Prepared(computed, (), request.receiver.rfc, request.metodo_pago, request.forma_pago)


def prepare_ingreso(
    row: dict[str, Any],
    config: TenantCfdiConfig,
    *,
    fecha: dt.datetime,
    model: InvoicingModel | None = None,
    forma_pago: str | None = None,
    related: tuple[RelatedCfdis, ...] = (),
    serie: str | None = None,
    folio: str | None = None,
) -> Prepared:
    """The Ingreso of one invoice (PPD/99 at billing, PUE with the real forma when paid)."""
    receiver, publico, problems = receiver_for(row, config)
    split = split_concepts(row, config)
    if not split.charges:
        problems.append(Rejection("nothing_to_invoice", "concepts", "El recibo no tiene importes a facturar."))
    request = invoice_request(
        model=model or config.model,
        issuer=config.issuer,
        receiver=receiver,
        fecha=fecha,
        concepts=split.charges,
        forma_pago=forma_pago,
        serie=serie if serie is not None else _clean(row.get("serie")),
        folio=folio if folio is not None else _clean(row.get("folio")),
        expected_subtotal=split.charges_subtotal if split.charges else None,
        expected_total=split.charges_total if split.charges else None,
    )
    if publico:
        request = _with(request, global_information=global_information(row["period"]))
    if related:
        request = _with(request, related=related)
    return _prepare(request, problems)


def prepare_credit_note(
    row: dict[str, Any],
    config: TenantCfdiConfig,
    *,
    fecha: dt.datetime,
    concepts: tuple[ConceptInput, ...],
    original_uuids: list[str],
    serie: str,
    folio: str,
) -> Prepared:
    """Egreso related (TipoRelacion 01) to the original Ingreso UUID(s)."""
    receiver, publico, problems = receiver_for(row, config)
    request = credit_note_request(
        issuer=config.issuer,
        receiver=receiver,
        fecha=fecha,
        original_uuids=original_uuids,
        concepts=concepts,
        forma_pago=config.credit_note_forma_pago,
        serie=serie,
        folio=folio,
    )
    if publico:
        request = _with(request, global_information=global_information(row["period"]))
    return _prepare(request, problems)


def _with(request: CfdiRequest, **changes: Any) -> CfdiRequest:
    from dataclasses import replace

    return replace(request, **changes)


def rejections_json(rejections: tuple[Rejection, ...]) -> str:
    return json.dumps(
        [{"code": r.code, "field": r.field, "message": r.message} for r in rejections], ensure_ascii=False
    )


def rejection_summary(rejections: tuple[Rejection, ...]) -> tuple[str, str]:
    """(incidence code, es-MX message) stored on a rejected document."""
    first = rejections[0]
    return first.code, "; ".join(r.message for r in rejections)[:1000]
