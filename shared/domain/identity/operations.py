"""Validation of a person's identifiers and masking of RFC/CURP for callers that do not need them in full."""

from __future__ import annotations

from shared.domain.cfdi.rfc import PersonType, RfcProblem, is_generic, person_type, rfc_problem
from shared.domain.identity.curp import CurpProblem, curp_problem

_RFC_MESSAGES_ES = {
    RfcProblem.FORMAT: "El RFC no tiene el formato del SAT (3 o 4 letras, fecha AAMMDD y homoclave).",
    RfcProblem.DATE: "La fecha contenida en el RFC no existe.",
    RfcProblem.CHECK_DIGIT: "El dígito verificador del RFC no corresponde.",
}
_CURP_MESSAGES_ES = {
    CurpProblem.FORMAT: "La CURP no tiene el formato de RENAPO (18 caracteres).",
    CurpProblem.DATE: "La fecha de nacimiento contenida en la CURP no existe.",
    CurpProblem.STATE: "La clave de entidad federativa de la CURP no existe.",
    CurpProblem.CHECK_DIGIT: "El dígito verificador de la CURP no corresponde.",
}


class InvalidIdentifier(ValueError):
    """An RFC or CURP failed validation; `field` names it, `code` is stable, `message_es` is for the person."""

    def __init__(self, *, field: str, code: str, message_es: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field, self.code, self.message_es = field, code, message_es


def normalize(value: str) -> str:
    return value.strip().upper()


def validate_rfc(*, rfc: str, kind: str | None = None) -> str:
    """The normalized RFC, or InvalidIdentifier. `kind` ('fisica'/'moral') must agree with the RFC's length."""
    value = normalize(rfc)
    problem = rfc_problem(rfc=value)
    if problem is not None:
        raise InvalidIdentifier(field="rfc", code=f"invalid_rfc_{problem.value}", message_es=_RFC_MESSAGES_ES[problem])
    if kind is not None and not is_generic(rfc=value) and person_type(rfc=value) != PersonType(kind):
        raise InvalidIdentifier(
            field="rfc",
            code="rfc_person_type_mismatch",
            message_es="El RFC no corresponde al tipo de persona (física: 13, moral: 12 caracteres).",
        )
    return value


def validate_curp(*, curp: str) -> str:
    value = normalize(curp)
    problem = curp_problem(curp=value)
    if problem is not None:
        raise InvalidIdentifier(
            field="curp", code=f"invalid_curp_{problem.value}", message_es=_CURP_MESSAGES_ES[problem]
        )
    return value


def mask_rfc(*, rfc: str) -> str:
    """First 4 and last 3 characters kept: XAXX******000."""
    return rfc[:4] + "*" * max(len(rfc) - 7, 0) + rfc[-3:] if len(rfc) > 7 else "*" * len(rfc)


def mask_curp(*, curp: str) -> str:
    """First 4 and last 2 characters kept."""
    return curp[:4] + "*" * max(len(curp) - 6, 0) + curp[-2:] if len(curp) > 6 else "*" * len(curp)
