"""SOAP envelopes of Finkok's stamp.wsdl / cancel.wsdl services, shared by the client (and mirrored by the
local simulator in `fakes`). Requests carry the CFDI base64-encoded; responses carry data elements in the
`apps.services.soap.core.views` namespace, which are read here by local name.
"""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape

from lxml import etree

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_STAMP = "http://facturacion.finkok.com/stamp"
NS_CANCEL = "http://facturacion.finkok.com/cancel"
NS_APPS = "apps.services.soap.core.views"
STAMP_PATH = "/servicios/soap/stamp.wsdl"
CANCEL_PATH = "/servicios/soap/cancel.wsdl"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def envelope(*, namespace: str, operation: str, fields: list[tuple[str, str]]) -> bytes:
    body = "".join(f"<op:{name}>{escape(value)}</op:{name}>" for name, value in fields)
    return (
        f'<soapenv:Envelope xmlns:soapenv="{NS_SOAP}" xmlns:op="{namespace}"><soapenv:Header/>'
        f"<soapenv:Body><op:{operation}>{body}</op:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode()


def stamp_envelope(*, operation: str, xml: bytes, username: str, password: str) -> bytes:
    """stamp / quick_stamp / stamped: `xml` is the signed CFDI, sent base64-encoded."""
    return envelope(
        namespace=NS_STAMP,
        operation=operation,
        fields=[("xml", base64.b64encode(xml).decode("ascii")), ("username", username), ("password", password)],
    )


def parse_envelope(content: bytes) -> etree._Element:
    return etree.fromstring(content, parser=_PARSER)


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


def find_text(root: etree._Element, local_name: str) -> str | None:
    """Text of the first descendant with this local name (namespace-agnostic), or None."""
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el.tag) == local_name:
            return el.text
    return None


def find_all(root: etree._Element, local_name: str) -> list[etree._Element]:
    return [el for el in root.iter() if isinstance(el.tag, str) and _local(el.tag) == local_name]


def first_texts(root: etree._Element) -> dict[str, str | None]:
    """{local name: text of its first occurrence} for every descendant, in one pass over the answer (a stamp
    answer is read once per invoice: one walk instead of one per field)."""
    texts: dict[str, str | None] = {}
    for el in root.iter():
        if isinstance(el.tag, str):
            texts.setdefault(_local(el.tag), el.text)
    return texts


def fault_string(root: etree._Element) -> str | None:
    fault = root.find(f".//{{{NS_SOAP}}}Fault")
    if fault is None:
        return None
    return find_text(fault, "faultstring") or "SOAP Fault"
