"""``ValidateAbonnementen``: the BerichtenboxValidatieService operation (interface reference 2.4).

From the official WSDL: SOAP 1.1, document/literal, SOAPAction
``http://schemas.rdw.nl/GEB/BerichtenboxValidatieService/2009/01/IBerichtenboxValidatieService/ValidateAbonnementen``.
1 to 250 BSNs for one berichttype; the answer says per BSN whether the sender may send
(``isBerichtSturen``). Faults: ``ApplicationFault`` and ``DependentServiceFault``, each
with a ``Message``. Our own schema ``schemas/berichtenbox-validatie.xsd`` describes the
same elements; the conformance tests check them against the official xsd0..xsd3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from console.xml.names import find_local, findall_local, local_name

NS_SERVICE = "http://schemas.rdw.nl/GEB/BerichtenboxValidatieService/2009/01"
NS_TYPES = "http://schemas.rdw.nl/GEB/BerichtenboxValidatieService/Types/2009/01"
NS_SHARED = "http://schemas.rdw.nl/GEB/Shared/Types/2009/01"
SOAP_ACTION = f"{NS_SERVICE}/IBerichtenboxValidatieService/ValidateAbonnementen"
RESPONSE_ACTION = f"{NS_SERVICE}/IBerichtenboxValidatieService/ValidateAbonnementenResponse"
FAULT_ACTIONS = {
    "ApplicationFault": f"{NS_SERVICE}/IBerichtenboxValidatieService/"
    "ValidateAbonnementenApplicationFaultFault",
    "DependentServiceFault": f"{NS_SERVICE}/IBerichtenboxValidatieService/"
    "ValidateAbonnementenDependentServiceFaultFault",
}
_NSMAP: Any = {None: NS_SERVICE, "t": NS_TYPES, "sh": NS_SHARED}
_SHARED_NSMAP: Any = {None: NS_SHARED}
MIN_KLANTEN = 1
MAX_KLANTEN = 250
ROL_BURGER = "Burger"


class ValidatieParseError(ValueError):
    """A ValidateAbonnementen message could not be read. The message is plain Dutch."""


@dataclass(frozen=True, slots=True)
class ValidateRequest:
    bericht_leverancier_code: str  # the sender's OIN
    berichttype: str
    bsns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KlantResultaat:
    bsn: str
    is_bericht_sturen: bool  # true: the sender may send this berichttype to this citizen


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _klant(parent: etree._Element, tag: str, bsn: str) -> None:
    klant = etree.SubElement(parent, tag)
    etree.SubElement(klant, _q(NS_SHARED, "Key")).text = bsn
    etree.SubElement(klant, _q(NS_SHARED, "Rol")).text = ROL_BURGER


def build_request_body(req: ValidateRequest) -> etree._Element:
    """The ``ValidateAbonnementen`` element (the SOAP Body child)."""
    root = etree.Element(
        _q(NS_SERVICE, "ValidateAbonnementen"),
        nsmap=_NSMAP,
    )
    aanvraag = etree.SubElement(root, _q(NS_SERVICE, "validateAbonnementenAanvraag"))
    etree.SubElement(
        aanvraag, _q(NS_TYPES, "berichtleverancierCode")
    ).text = req.bericht_leverancier_code
    etree.SubElement(aanvraag, _q(NS_TYPES, "berichtTypeCode")).text = req.berichttype
    klanten = etree.SubElement(aanvraag, _q(NS_TYPES, "klanten"))
    for bsn in req.bsns:
        _klant(klanten, _q(NS_SHARED, "Klant"), bsn)
    return root


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def parse_request_body(body: etree._Element) -> ValidateRequest:
    """Read a ``ValidateAbonnementen`` element by local name (the simulator's side)."""
    if local_name(body) != "ValidateAbonnementen":
        raise ValidatieParseError(
            f"Onbekende operatie {local_name(body) or '?'}; verwacht ValidateAbonnementen."
        )
    aanvraag = find_local(body, "validateAbonnementenAanvraag")
    if aanvraag is None:
        raise ValidatieParseError("validateAbonnementenAanvraag ontbreekt.")
    klanten = find_local(aanvraag, "klanten")
    bsns = tuple(
        _text(find_local(k, "Key"))
        for k in (findall_local(klanten, "Klant") if klanten is not None else [])
    )
    return ValidateRequest(
        bericht_leverancier_code=_text(find_local(aanvraag, "berichtleverancierCode")),
        berichttype=_text(find_local(aanvraag, "berichtTypeCode")),
        bsns=bsns,
    )


def build_response_body(results: Sequence[KlantResultaat]) -> etree._Element:
    """The ``ValidateAbonnementenResponse`` element (the simulator's answer)."""
    root = etree.Element(
        _q(NS_SERVICE, "ValidateAbonnementenResponse"),
        nsmap=_NSMAP,
    )
    result = etree.SubElement(root, _q(NS_SERVICE, "ValidateAbonnementenResult"))
    for r in results:
        abonnement = etree.SubElement(result, _q(NS_TYPES, "Abonnement"))
        _klant(abonnement, _q(NS_TYPES, "klant"), r.bsn)
        etree.SubElement(abonnement, _q(NS_TYPES, "isBerichtSturen")).text = (
            "true" if r.is_bericht_sturen else "false"
        )
    return root


def parse_response_body(body: etree._Element) -> tuple[KlantResultaat, ...]:
    """Read a ``ValidateAbonnementenResponse`` by local name; nil result means no entries."""
    if local_name(body) != "ValidateAbonnementenResponse":
        raise ValidatieParseError(
            f"Onverwacht antwoord {local_name(body) or '?'}; verwacht ValidateAbonnementenResponse."
        )
    result = find_local(body, "ValidateAbonnementenResult")
    if result is None:
        return ()
    out: list[KlantResultaat] = []
    for n, abonnement in enumerate(findall_local(result, "Abonnement"), start=1):
        klant = find_local(abonnement, "klant")
        flag = _text(find_local(abonnement, "isBerichtSturen")).lower()
        if klant is None or flag not in {"true", "false", "1", "0"}:
            raise ValidatieParseError(
                f"Abonnement {n} in het antwoord mist klant of isBerichtSturen."
            )
        out.append(KlantResultaat(_text(find_local(klant, "Key")), flag in {"true", "1"}))
    return tuple(out)


def fault_detail(kind: str, message: str) -> etree._Element:
    """``ApplicationFault`` or ``DependentServiceFault`` with its Message (simulator side)."""
    if kind not in FAULT_ACTIONS:
        raise ValueError(f"onbekend fouttype {kind}")
    el = etree.Element(_q(NS_SHARED, kind), nsmap=_SHARED_NSMAP)
    etree.SubElement(el, _q(NS_SHARED, "Message")).text = message
    return el
