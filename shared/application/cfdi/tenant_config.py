"""Per-tenant CFDI settings, read from `tenants.config["cfdi"]` with safe defaults.

{"invoicing_model": "at_billing" | "on_payment",
 "serie_egreso": "NC", "serie_pago": "P", "serie_global": "FG", "serie_sustitucion": "S",
 "credit_note_forma_pago": "17",
 "claves": {"<charge code>": ["<ClaveProdServ>", "<ClaveUnidad>"]},
 "forma_pago_by_channel": {"cash": "01", ...}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.domain.cfdi.catalogs import (
    CLAVE_ABASTECIMIENTO_AGUA,
    CLAVE_ACUEDUCTO_ALCANTARILLADO,
    CLAVE_SANEAMIENTO,
    UNIDAD_METRO_CUBICO,
    UNIDAD_SERVICIO,
)
from shared.domain.cfdi.models import InvoicingModel, Issuer

DEFAULT_CLAVES: dict[str, tuple[str, str]] = {
    "agua": (CLAVE_ABASTECIMIENTO_AGUA, UNIDAD_METRO_CUBICO),
    "cargo_minimo": (CLAVE_ABASTECIMIENTO_AGUA, UNIDAD_SERVICIO),
    "credito_estimacion": (CLAVE_ABASTECIMIENTO_AGUA, UNIDAD_METRO_CUBICO),
    "alcantarillado": (CLAVE_ACUEDUCTO_ALCANTARILLADO, UNIDAD_SERVICIO),
    "drenaje": (CLAVE_ACUEDUCTO_ALCANTARILLADO, UNIDAD_SERVICIO),
    "saneamiento": (CLAVE_SANEAMIENTO, UNIDAD_SERVICIO),
}
FALLBACK_CLAVE = (CLAVE_ACUEDUCTO_ALCANTARILLADO, UNIDAD_SERVICIO)

# Payment channel → c_FormaPago (tax advisor to confirm 31 vs 01/04/28 for Conekta-collected payments).
DEFAULT_FORMA_BY_CHANNEL = {"cash": "01", "oxxo": "01", "card": "04", "spei": "03", "bank": "03", "other": "01"}


@dataclass(frozen=True)
class TenantCfdiConfig:
    tenant_id: str
    slug: str
    issuer: Issuer
    model: InvoicingModel = InvoicingModel.AT_BILLING
    serie_egreso: str = "NC"
    serie_pago: str = "P"
    serie_global: str = "FG"
    serie_sustitucion: str = "S"
    credit_note_forma_pago: str = "17"
    claves: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(DEFAULT_CLAVES))
    forma_by_channel: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FORMA_BY_CHANNEL))

    def clave_for(self, code: str) -> tuple[str, str]:
        return self.claves.get(code, FALLBACK_CLAVE)

    def forma_for(self, channel: str) -> str:
        return self.forma_by_channel.get(channel, "01")


class InvalidCfdiConfig(ValueError):
    """tenants.config["cfdi"] has a value the lifecycle cannot use."""


def tenant_config(row: dict[str, Any]) -> TenantCfdiConfig:
    """From a `shared.data.cfdi.tenant_fiscal` row."""
    raw = dict((row.get("config") or {}).get("cfdi") or {})
    try:
        model = InvoicingModel(raw.get("invoicing_model", InvoicingModel.AT_BILLING.value))
    except ValueError as exc:
        raise InvalidCfdiConfig(f"invoicing_model {raw.get('invoicing_model')!r} is not at_billing/on_payment") from exc
    claves = dict(DEFAULT_CLAVES)
    for code, value in (raw.get("claves") or {}).items():
        claves[code] = (str(value[0]), str(value[1]))
    return TenantCfdiConfig(
        tenant_id=str(row["id"]),
        slug=str(row["slug"]),
        issuer=Issuer(
            rfc=row["rfc"],
            name=row["fiscal_name"],
            regimen_fiscal=row["regimen_fiscal"],
            postal_code=row["postal_code"],
        ),
        model=model,
        serie_egreso=raw.get("serie_egreso", "NC"),
        serie_pago=raw.get("serie_pago", "P"),
        serie_global=raw.get("serie_global", "FG"),
        serie_sustitucion=raw.get("serie_sustitucion", "S"),
        credit_note_forma_pago=raw.get("credit_note_forma_pago", "17"),
        claves=claves,
        forma_by_channel={**DEFAULT_FORMA_BY_CHANNEL, **(raw.get("forma_pago_by_channel") or {})},
    )
