"""Fast path: the CFDI 4.0 XML and its cadena original, assembled directly (no XSLT, no object model).

The cadena follows `cadenaoriginal_4_0.xslt` (SAT) for the nodes this project emits: every field in the XSLT's
order, `|` before each, required fields always (empty when absent), optional fields only when present, and each
value passed through XPath `normalize-space` (leading/trailing XML whitespace removed, inner runs of space, tab,
CR, LF collapsed to one space; other Unicode spaces such as U+00A0 are kept). The whole is wrapped in `||…||`.

The XML mirrors satcfdi's serialisation byte for byte (attribute order, escaping, schemaLocation), so both paths
sign the same document. Only the node set of `ComputedCfdi` is supported (no complements, no retenciones):
anything else goes through `satcfdi_build`. The golden test compares this against the SAT XSLT and satcfdi.
"""

from __future__ import annotations

from decimal import Decimal

from shared.domain.cfdi.models import ComputedCfdi, ComputedConcept, TaxTransfer
from shared.domain.cfdi.text import normalize_space

NS_CFDI = "http://www.sat.gob.mx/cfd/4"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://www.sat.gob.mx/cfd/4 http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"
XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"

_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)


def _num(value: Decimal) -> str:
    return format(value, "f")


def _esc(value: str) -> str:
    if "&" in value or "<" in value or ">" in value or '"' in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ATTR_ESCAPES)
    return value


# --------------------------------------------------------------------------------------------------- cadena
def _traslado_fields(t: TaxTransfer) -> list[str]:
    return [_num(t.base), t.impuesto, t.tipo_factor, _num(t.tasa_o_cuota), _num(t.importe)]


def _optional(value: str | None) -> list[str]:
    return [normalize_space(value)] if value is not None else []


def _header_fields(cfdi: ComputedCfdi, no_certificado: str) -> list[str]:
    """cfdi:Comprobante attributes, in the XSLT's order (optional ones only when present)."""
    n, optional = normalize_space, _optional
    return [
        cfdi.version,
        *optional(cfdi.serie),
        *optional(cfdi.folio),
        cfdi.fecha.isoformat(timespec="seconds"),
        *optional(cfdi.forma_pago),
        n(no_certificado),
        *optional(cfdi.condiciones_de_pago),
        _num(cfdi.subtotal),
        *([_num(cfdi.discount)] if cfdi.discount is not None else []),
        n(cfdi.moneda),
        _num(cfdi.total),
        n(cfdi.tipo_de_comprobante),
        n(cfdi.exportacion),
        *optional(cfdi.metodo_pago),
        n(cfdi.issuer.postal_code),
    ]


def _concept_fields(c: ComputedConcept) -> list[str]:
    n = normalize_space
    f = [n(c.clave_prod_serv)]
    if c.no_identificacion is not None:
        f.append(n(c.no_identificacion))
    f += [_num(c.quantity), n(c.clave_unidad)]
    if c.unidad is not None:
        f.append(n(c.unidad))
    f += [n(c.description), _num(c.unit_value), _num(c.importe)]
    if c.discount is not None:
        f.append(_num(c.discount))
    f.append(n(c.objeto_imp))
    for t in c.traslados:
        f += _traslado_fields(t)
    return f


def cadena_original(*, cfdi: ComputedCfdi, no_certificado: str) -> str:
    """The cadena original the Sello signs (equal to the SAT XSLT output for this document)."""
    n = normalize_space
    f = _header_fields(cfdi, no_certificado)
    info = cfdi.global_information
    if info is not None:
        f += [n(info.periodicidad), n(info.meses), str(info.year)]
    for rel in cfdi.related:
        f.append(n(rel.tipo_relacion))
        f += [n(u) for u in rel.uuids]
    issuer, receiver = cfdi.issuer, cfdi.receiver
    f += [n(issuer.rfc), n(issuer.name), n(issuer.regimen_fiscal)]
    f += [n(receiver.rfc), n(receiver.name), n(receiver.postal_code or ""), n(receiver.regimen_fiscal)]
    f.append(n(receiver.uso_cfdi))
    for c in cfdi.concepts:
        f += _concept_fields(c)
    if cfdi.traslados:
        for t in cfdi.traslados:
            f += _traslado_fields(t)
        if cfdi.total_traslados is not None:
            f.append(_num(cfdi.total_traslados))
    return "||" + "|".join(f) + "||"


# ------------------------------------------------------------------------------------------------------ XML
def _attrs(pairs: list[tuple[str, str | None]]) -> str:
    return "".join(f' {k}="{_esc(v)}"' for k, v in pairs if v is not None)


def _traslado_xml(t: TaxTransfer) -> str:
    return (
        f'<cfdi:Traslado Base="{_num(t.base)}" Impuesto="{_esc(t.impuesto)}" TipoFactor="{_esc(t.tipo_factor)}"'
        f' TasaOCuota="{_num(t.tasa_o_cuota)}" Importe="{_num(t.importe)}"/>'
    )


def render_xml(*, cfdi: ComputedCfdi, no_certificado: str, certificado: str, sello: str) -> bytes:
    """The signed comprobante as UTF-8 bytes (what is persisted before stamping and sent to the PAC)."""
    root = _attrs(
        [
            ("Version", cfdi.version),
            ("Serie", cfdi.serie),
            ("Folio", cfdi.folio),
            ("Fecha", cfdi.fecha.isoformat(timespec="seconds")),
            ("Sello", sello),
            ("FormaPago", cfdi.forma_pago),
            ("NoCertificado", no_certificado),
            ("Certificado", certificado),
            ("CondicionesDePago", cfdi.condiciones_de_pago),
            ("SubTotal", _num(cfdi.subtotal)),
            ("Descuento", _num(cfdi.discount) if cfdi.discount is not None else None),
            ("Moneda", cfdi.moneda),
            ("Total", _num(cfdi.total)),
            ("TipoDeComprobante", cfdi.tipo_de_comprobante),
            ("Exportacion", cfdi.exportacion),
            ("MetodoPago", cfdi.metodo_pago),
            ("LugarExpedicion", cfdi.issuer.postal_code),
            ("xsi:schemaLocation", SCHEMA_LOCATION),
        ]
    )
    parts = [XML_DECLARATION, f'<cfdi:Comprobante xmlns:cfdi="{NS_CFDI}" xmlns:xsi="{NS_XSI}"{root}>']
    info = cfdi.global_information
    if info is not None:
        parts.append(
            f'<cfdi:InformacionGlobal Periodicidad="{_esc(info.periodicidad)}" Meses="{_esc(info.meses)}"'
            f' Año="{info.year}"/>'
        )
    for rel in cfdi.related:
        parts.append(f'<cfdi:CfdiRelacionados TipoRelacion="{_esc(rel.tipo_relacion)}">')
        parts += [f'<cfdi:CfdiRelacionado UUID="{_esc(u)}"/>' for u in rel.uuids]
        parts.append("</cfdi:CfdiRelacionados>")
    issuer, receiver = cfdi.issuer, cfdi.receiver
    parts.append(
        f'<cfdi:Emisor Rfc="{_esc(issuer.rfc)}" Nombre="{_esc(issuer.name)}"'
        f' RegimenFiscal="{_esc(issuer.regimen_fiscal)}"/>'
    )
    parts.append(
        "<cfdi:Receptor"
        + _attrs(
            [
                ("Rfc", receiver.rfc),
                ("Nombre", receiver.name),
                ("DomicilioFiscalReceptor", receiver.postal_code),
                ("RegimenFiscalReceptor", receiver.regimen_fiscal),
                ("UsoCFDI", receiver.uso_cfdi),
            ]
        )
        + "/>"
    )
    parts.append("<cfdi:Conceptos>")
    for c in cfdi.concepts:
        attrs = _attrs(
            [
                ("ClaveProdServ", c.clave_prod_serv),
                ("NoIdentificacion", c.no_identificacion),
                ("Cantidad", _num(c.quantity)),
                ("ClaveUnidad", c.clave_unidad),
                ("Unidad", c.unidad),
                ("Descripcion", c.description),
                ("ValorUnitario", _num(c.unit_value)),
                ("Importe", _num(c.importe)),
                ("Descuento", _num(c.discount) if c.discount is not None else None),
                ("ObjetoImp", c.objeto_imp),
            ]
        )
        if c.traslados:
            parts.append(f"<cfdi:Concepto{attrs}><cfdi:Impuestos><cfdi:Traslados>")
            parts += [_traslado_xml(t) for t in c.traslados]
            parts.append("</cfdi:Traslados></cfdi:Impuestos></cfdi:Concepto>")
        else:
            parts.append(f"<cfdi:Concepto{attrs}/>")
    parts.append("</cfdi:Conceptos>")
    if cfdi.traslados:
        total_attr = (
            f' TotalImpuestosTrasladados="{_num(cfdi.total_traslados)}"' if cfdi.total_traslados is not None else ""
        )
        parts.append(f"<cfdi:Impuestos{total_attr}><cfdi:Traslados>")
        parts += [_traslado_xml(t) for t in cfdi.traslados]
        parts.append("</cfdi:Traslados></cfdi:Impuestos>")
    parts.append("</cfdi:Comprobante>")
    return "".join(parts).encode("utf-8")
