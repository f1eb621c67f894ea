"""The catalogue of customer notices (es-MX): each kind's WhatsApp template (name, language `es_MX`, category,
approval status at Meta, ordered parameters) and the same text for free-form sends inside the 24-hour window.

A template is sent only when `approved`; rendering refuses unknown kinds and missing or empty parameters, so a
notice is never sent half-filled. Parameter values are plain strings prepared by the caller (money with `money`,
dates with `long_date`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

__all__ = [
    "CATALOGUE",
    "LANGUAGE",
    "MissingParameter",
    "NotApproved",
    "Rendered",
    "Template",
    "TemplateError",
    "UnknownTemplate",
    "long_date",
    "money",
    "render",
]

LANGUAGE = "es_MX"
Approval = Literal["approved", "pending", "rejected"]

_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


@dataclass(frozen=True)
class Template:
    kind: str  # the notice kind the application asks for
    name: str  # the template's name at Meta / 360dialog
    purpose: str  # the opt-out purpose it belongs to (ARCO oposición)
    approval: Approval
    params: tuple[str, ...]  # body parameters in order ({{1}}, {{2}}, ...)
    text: str  # body with {name} placeholders; the template body at Meta has {{n}} in the same order
    header_image: bool = False  # the template has an image header (the `image_url` parameter)
    category: Literal["UTILITY", "MARKETING", "AUTHENTICATION"] = "UTILITY"


def _t(
    kind: str, params: tuple[str, ...], text: str, *, approval: Approval = "approved", image: bool = False
) -> Template:
    return Template(kind, f"cea_{kind}", "whatsapp_notices", approval, params, text, header_image=image)


CATALOGUE: dict[str, Template] = {
    t.kind: t
    for t in (
        _t(
            "bill_issued",
            ("account_number", "period", "total", "due_date", "reference", "pdf_url"),
            "CEA Querétaro: su recibo de agua de {period} de la cuenta {account_number} es de {total}. Fecha límite "
            "de pago: {due_date}. Pague en OXXO con la referencia {reference} o por SPEI. Recibo: {pdf_url}",
        ),
        _t(
            "due_reminder",
            ("account_number", "total", "due_date", "reference"),
            "CEA Querétaro: le recordamos que su recibo de la cuenta {account_number} por {total} vence el "
            "{due_date}. Referencia de pago: {reference}.",
        ),
        _t(
            "payment_received",
            ("account_number", "amount"),
            "CEA Querétaro: recibimos su pago de {amount} para la cuenta {account_number}. "
            "¡Gracias por pagar a tiempo!",
        ),
        _t(
            "restriction_notice",
            ("account_number", "periods"),
            "CEA Querétaro: la cuenta {account_number} tiene {periods} periodos vencidos. Conforme al artículo 74 "
            "de la Ley de Aguas del Estado, el servicio se restringirá al mínimo vital (50 litros por persona al "
            "día). Pague o firme un convenio para evitarlo.",
        ),
        _t(
            "restriction_lifted",
            ("account_number",),
            "CEA Querétaro: se levantó la restricción del servicio de la cuenta {account_number}. Gracias.",
        ),
        _t(
            "suspension_notice",
            ("account_number", "periods"),
            "CEA Querétaro: la cuenta {account_number} (no doméstica) tiene {periods} periodos vencidos y el "
            "servicio será suspendido. Pague o firme un convenio para evitarlo.",
        ),
        _t(
            "reconnection",
            ("account_number",),
            "CEA Querétaro: ordenamos la reconexión del servicio de la cuenta {account_number} (en menos de 24 horas).",
        ),
        _t(
            "installment_due",
            ("account_number", "seq", "amount", "due_date"),
            "CEA Querétaro: la parcialidad {seq} de su convenio de la cuenta {account_number} por {amount} vence "
            "el {due_date}.",
        ),
        _t(
            "plan_broken",
            ("account_number", "owed"),
            "CEA Querétaro: su convenio de pago de la cuenta {account_number} se canceló por falta de pago; adeudo "
            "pendiente: {owed}. Comuníquese con nosotros para regularizarse.",
        ),
        _t(
            "work_order_status",
            ("folio", "status"),
            "CEA Querétaro: su reporte {folio} cambió de estado: {status}.",
        ),
        _t(
            "work_order_repaired",
            ("folio",),
            "CEA Querétaro: su reporte {folio} quedó reparado. Le compartimos la foto de la cuadrilla. ¡Gracias por "
            "avisarnos!",
            image=True,
        ),
        _t(
            "arco_answer_ready",
            ("folio",),
            "CEA Querétaro: la respuesta a su solicitud de derechos ARCO {folio} está lista. Consúltela en el portal "
            "o en cualquier oficina.",
            approval="pending",
        ),
        Template(  # the customer agent's one-time identity code (shared.application.agents.otp); H10, additive
            "verification_code",
            "cea_verification_code",
            "whatsapp_notices",
            "pending",
            ("code", "minutes"),
            "CEA Querétaro: su código de verificación es {code}. Vence en {minutes} minutos y sirve una sola vez. "
            "Si usted no lo pidió, ignore este mensaje.",
            category="AUTHENTICATION",
        ),
    )
}


class TemplateError(ValueError):
    """A notice cannot be rendered; `reason` is what the notification row records."""

    reason = "template_error"


class UnknownTemplate(TemplateError):
    reason = "unknown_template"


class MissingParameter(TemplateError):
    reason = "missing_parameter"


class NotApproved(TemplateError):
    reason = "template_not_approved"


@dataclass(frozen=True)
class Rendered:
    template: Template
    text: str  # the free-form text (inside the 24-hour window)
    values: tuple[str, ...]  # the template's body parameters in order
    image_url: str | None


def render(*, kind: str, params: dict[str, str]) -> Rendered:
    """The notice of `kind` with `params`; raises UnknownTemplate / MissingParameter (never half-filled)."""
    template = CATALOGUE.get(kind)
    if template is None:
        raise UnknownTemplate(f"unknown notice kind {kind!r}")
    missing = [p for p in template.params if not str(params.get(p) or "").strip()]
    image_url = params.get("image_url") or None
    if template.header_image and not image_url:
        missing.append("image_url")
    if missing:
        raise MissingParameter(f"{template.name}: missing {', '.join(missing)}")
    values = tuple(str(params[p]).strip() for p in template.params)
    text = template.text.format(**dict(zip(template.params, values, strict=True)))
    return Rendered(template, text, values, image_url)


def money(value: Decimal) -> str:
    """$1,234.50: half-up to centavos. Floats are refused."""
    if not isinstance(value, Decimal):
        raise TypeError("money must be Decimal")
    return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def long_date(value: date) -> str:
    return f"{value.day} de {_MONTHS[value.month - 1]} de {value.year}"


def month_year(value: date) -> str:
    return f"{_MONTHS[value.month - 1]} {value.year}"
