"""Finkok incidence codes (CodigoError) → retryable or permanent, with an es-MX message.

Finkok reports business errors as `Incidencia` elements inside a normal SOAP response, not as SOAP faults. Codes
307 (already stamped) and 603 (no previous stamp) drive the idempotent recovery in `FinkokClient`; they are in the
table for completeness. Unknown codes, including SAT rule codes (CFDI40xxx), are permanent: a human must look.
"""

from __future__ import annotations

from dataclasses import dataclass

ALREADY_STAMPED = "307"
NOT_STAMPED_YET = "603"


@dataclass(frozen=True, slots=True)
class PacIncidence:
    code: str
    message: str  # es-MX, for people; the PAC's own text is kept in `detail`
    retryable: bool
    detail: str = ""


# code: (retryable, es-MX message)
INCIDENCES: dict[str, tuple[bool, str]] = {
    "300": (False, "Usuario o contraseña del PAC inválidos."),
    "301": (False, "El XML está mal formado."),
    "302": (False, "El sello está mal formado o es inválido."),
    "303": (False, "El sello no corresponde al emisor."),
    "304": (False, "El certificado está revocado o caduco."),
    "305": (False, "La fecha de emisión está fuera de la vigencia del CSD."),
    "306": (False, "El certificado no es de tipo CSD."),
    ALREADY_STAMPED: (False, "El CFDI ya contiene un timbre previo."),
    "308": (False, "El certificado no fue expedido por el SAT."),
    "401": (False, "La fecha de emisión está fuera del rango permitido (72 horas) o es futura."),
    "402": (False, "El RFC del emisor no está en la lista de contribuyentes del SAT."),
    "403": (False, "La fecha de emisión debe ser posterior al 1 de enero de 2012."),
    "501": (True, "Autenticación no válida con el SAT; se reintentará."),
    NOT_STAMPED_YET: (True, "El CFDI aún no tiene un timbre registrado; se reintentará."),
    "701": (False, "El emisor está suspendido en el PAC."),
    "702": (False, "El RFC del emisor no está registrado en la cuenta del PAC."),
    "703": (False, "La cuenta del PAC está suspendida."),
    "704": (False, "Error con la contraseña de la llave privada."),
    "705": (False, "La estructura del XML es inválida."),
    "706": (False, "Socio inválido en el PAC."),
    "707": (False, "El XML ya contiene un nodo TimbreFiscalDigital."),
    "708": (True, "No se pudo conectar con el SAT; se reintentará."),
    "709": (True, "El PAC no pudo generar el sello del SAT; se reintentará."),
    "712": (False, "El número de certificado no corresponde al certificado."),
    "718": (False, "Se agotaron los timbres de la cuenta del PAC."),
    "719": (False, "El RFC del emisor no corresponde al número de certificado."),
    "720": (False, "El emisor no tiene un certificado activo en el PAC."),
    "738": (False, "Error de esquema: schemaLocation, espacio de nombres o prefijo inválido."),
    "740": (False, "Error en la firma del manifiesto."),
}

# Per-UUID cancellation statuses (EstatusUUID) and whole-request cancellation errors.
CANCEL_STATUSES: dict[str, tuple[bool, str]] = {
    "201": (False, "Solicitud de cancelación recibida."),
    "202": (False, "La cancelación ya había sido solicitada."),
    "203": (False, "El RFC no corresponde al emisor del CFDI."),
    "205": (True, "El SAT aún no registra el UUID; se reintentará más tarde."),
    "207": (False, "El motivo de cancelación no es válido."),
    "208": (False, "La fecha de solicitud es posterior a la fecha límite de declaración."),
    "708": (True, "No se pudo conectar con el SAT; se reintentará."),
    "711": (False, "Error con el certificado al cancelar."),
    "798": (True, "Existe una solicitud previa; debe esperar 72 horas."),
    "799": (True, "Se superó el límite de solicitudes de cancelación; se reintentará."),
    "no_cancelable": (False, "El CFDI no es cancelable porque tiene documentos relacionados."),
}
CANCEL_ACCEPTED = frozenset({"201", "202"})


def incidence(*, code: str, detail: str = "", table: dict[str, tuple[bool, str]] | None = None) -> PacIncidence:
    """The PacIncidence for a code; unknown codes are permanent and keep the PAC's text."""
    retryable, message = (table or INCIDENCES).get(code, (False, ""))
    if not message:
        message = f"El PAC rechazó el comprobante ({code}): {detail}".rstrip(": ")
    return PacIncidence(code=code, message=message, retryable=retryable, detail=detail)
