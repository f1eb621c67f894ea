"""What the project reads back from CFDI XML: the stamp's fiscal data for the printed bill, the receiver's RFC."""

from __future__ import annotations

from lxml import etree

from shared.adapters.pdf import FiscalData

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital"}
VERIFY_URL = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
TIPOS = {"I": "I - Ingreso", "E": "E - Egreso", "P": "P - Pago"}


def fiscal_data(stamped_xml: bytes) -> FiscalData:
    """The stamp's fiscal data and the SAT verification URL (QR) from a stamped CFDI."""
    root = etree.fromstring(stamped_xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    tfd = root.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    if tfd is None:
        raise ValueError("the CFDI has no TimbreFiscalDigital")
    emisor, receptor = root.find("cfdi:Emisor", NS), root.find("cfdi:Receptor", NS)
    assert emisor is not None and receptor is not None
    uuid, sello = tfd.get("UUID", ""), root.get("Sello", "")
    total = root.get("Total", "")
    cadena = (
        f"||{tfd.get('Version')}|{uuid}|{tfd.get('FechaTimbrado')}|{tfd.get('RfcProvCertif')}|"
        f"{tfd.get('SelloCFD')}|{tfd.get('NoCertificadoSAT')}||"
    )
    return FiscalData(
        uuid=uuid,
        fecha_timbrado=tfd.get("FechaTimbrado", ""),
        no_certificado=root.get("NoCertificado", ""),
        no_certificado_sat=tfd.get("NoCertificadoSAT", ""),
        sello_cfd=sello,
        sello_sat=tfd.get("SelloSAT", ""),
        cadena_tfd=cadena,
        receiver_rfc=receptor.get("Rfc", ""),
        receiver_name=receptor.get("Nombre", ""),
        uso_cfdi=receptor.get("UsoCFDI", ""),
        regimen_receptor=receptor.get("RegimenFiscalReceptor", ""),
        metodo_pago=root.get("MetodoPago", "—"),
        forma_pago=root.get("FormaPago", "—"),
        total=total,
        qr_url=f"{VERIFY_URL}?id={uuid}&re={emisor.get('Rfc')}&rr={receptor.get('Rfc')}&tt={total}&fe={sello[-8:]}",
        tipo=TIPOS.get(root.get("TipoDeComprobante", ""), root.get("TipoDeComprobante", "")),
    )


def receiver_rfc(xml: bytes) -> str:
    """The Receptor's Rfc of a CFDI."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    receptor = root.find("cfdi:Receptor", NS)
    if receptor is None:
        raise ValueError("the CFDI has no Receptor")
    return receptor.get("Rfc", "")
