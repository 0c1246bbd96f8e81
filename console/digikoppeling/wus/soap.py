"""SOAP 1.1 envelopes and faults for WUS (Digikoppeling WUS 2W-be, interface reference 4.8).

One child element in the Body, UTF-8, document/literal. WS-Addressing headers (``wsa:To``,
``wsa:Action``, ``wsa:MessageID``, ``wsa:ReplyTo`` anonymous) are what the Digikoppeling WUS
standard asks for; whether GLOBE requires or even reads them is not confirmed, so they are
optional and never marked mustUnderstand (a WCF BasicHttpBinding ignores them then).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from console.domain.ids import new_guid
from console.xml.names import find_local, local_name
from console.xml.parser import parse_xml

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_WSA = "http://www.w3.org/2005/08/addressing"
WSA_ANONYMOUS = "http://www.w3.org/2005/08/addressing/anonymous"
CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_RESPONSE_BYTES = 20 * 1024 * 1024


class SoapParseError(ValueError):
    """A SOAP message could not be read. The message is plain Dutch."""


@dataclass(frozen=True, slots=True)
class SoapFault:
    code: str  # faultcode, e.g. s:Client
    string: str  # faultstring
    detail: etree._Element | None  # the first element inside <detail>, if any

    @property
    def detail_name(self) -> str:
        return local_name(self.detail) if self.detail is not None else ""

    @property
    def detail_message(self) -> str:
        if self.detail is None:
            return ""
        message = find_local(self.detail, "Message")
        return (message.text or "").strip() if message is not None else ""


@dataclass(frozen=True, slots=True)
class SoapMessage:
    body: etree._Element | None  # the one Body child (None for a fault)
    fault: SoapFault | None
    action: str | None  # wsa:Action, when present
    relates_to: str | None  # wsa:RelatesTo, when present


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def build_envelope(
    body_child: etree._Element,
    *,
    action: str | None = None,
    to: str | None = None,
    message_id: str | None = None,
    relates_to: str | None = None,
    ws_addressing: bool = False,
) -> bytes:
    """A SOAP 1.1 envelope around *body_child*; WS-Addressing headers when asked."""
    nsmap = {"s": NS_SOAP}
    if ws_addressing:
        nsmap["a"] = NS_WSA
    env = etree.Element(_q(NS_SOAP, "Envelope"), nsmap=nsmap)
    if ws_addressing:
        header = etree.SubElement(env, _q(NS_SOAP, "Header"))
        if action:
            etree.SubElement(header, _q(NS_WSA, "Action")).text = action
        if relates_to:
            etree.SubElement(header, _q(NS_WSA, "RelatesTo")).text = relates_to
        else:
            etree.SubElement(header, _q(NS_WSA, "MessageID")).text = (
                message_id or f"urn:uuid:{new_guid()}"
            )
            reply = etree.SubElement(header, _q(NS_WSA, "ReplyTo"))
            etree.SubElement(reply, _q(NS_WSA, "Address")).text = WSA_ANONYMOUS
        if to:
            etree.SubElement(header, _q(NS_WSA, "To")).text = to
    body = etree.SubElement(env, _q(NS_SOAP, "Body"))
    body.append(body_child)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def build_fault(code: str, string: str, detail: etree._Element | None = None) -> bytes:
    """A SOAP 1.1 Fault envelope (the server side: the simulator)."""
    env = etree.Element(_q(NS_SOAP, "Envelope"), nsmap={"s": NS_SOAP})
    body = etree.SubElement(env, _q(NS_SOAP, "Body"))
    fault = etree.SubElement(body, _q(NS_SOAP, "Fault"))
    etree.SubElement(fault, "faultcode").text = code
    fs = etree.SubElement(fault, "faultstring")
    fs.text = string
    fs.set("{http://www.w3.org/XML/1998/namespace}lang", "nl-NL")
    if detail is not None:
        etree.SubElement(fault, "detail").append(detail)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def parse_envelope(data: bytes, *, max_bytes: int = MAX_RESPONSE_BYTES) -> SoapMessage:
    """Read a SOAP 1.1 envelope (hardened parser); the Body child or the Fault."""
    root = parse_xml(data, max_bytes=max_bytes)
    if root.tag != _q(NS_SOAP, "Envelope"):
        raise SoapParseError(
            "Het antwoord is geen SOAP 1.1-bericht (geen soap:Envelope als hoofdelement)."
        )
    header = root.find(_q(NS_SOAP, "Header"))
    action = relates_to = None
    if header is not None:
        a = header.find(_q(NS_WSA, "Action"))
        r = header.find(_q(NS_WSA, "RelatesTo"))
        action = (a.text or "").strip() if a is not None else None
        relates_to = (r.text or "").strip() if r is not None else None
    body = root.find(_q(NS_SOAP, "Body"))
    if body is None:
        raise SoapParseError("Het SOAP-bericht heeft geen Body.")
    children = [c for c in body if isinstance(c.tag, str)]
    if len(children) != 1:
        raise SoapParseError(f"De SOAP Body bevat {len(children)} elementen; precies 1 verwacht.")
    child = children[0]
    if child.tag == _q(NS_SOAP, "Fault"):
        code = find_local(child, "faultcode")
        string = find_local(child, "faultstring")
        detail = find_local(child, "detail")
        detail_child = (
            next((c for c in detail if isinstance(c.tag, str)), None)
            if detail is not None
            else None
        )
        fault = SoapFault(
            code=(code.text or "").strip() if code is not None else "",
            string=(string.text or "").strip() if string is not None else "",
            detail=detail_child,
        )
        return SoapMessage(None, fault, action, relates_to)
    return SoapMessage(child, None, action, relates_to)
