"""The ``Berichten`` batch: the payload of the ebMS action ``GLOBE-R-BV-Request``.

Structure, element order and limits: berichtenbox-interface.md section 3.1; our own
schema ``schemas/berichtverwerk-request.xsd`` describes the same. This module is the one
way a batch is built (:func:`build_berichten`) and read back (:func:`parse_berichten`,
used by the simulator and the message inspector).

The builder checks only what it must to produce a well-formed document (1..1000 letters,
dates with a timezone, characters XML can carry). Field limits are the preflight's job
(``console.domain.letter``); the schema check catches anything that slips through.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from console.xml.names import find_local, findall_local, local_name, text_local
from console.xml.parser import DEFAULT_MAX_BYTES, parse_xml
from console.xml.timestamps import format_xs_datetime, parse_xs_datetime

NS_BATCH = "http://schemas.rdw.nl/GEB/BerichtVerwerkService/Types/2009/01"
NS_BERICHT = "http://schemas.rdw.nl/GEB/BerichtenProsessor/Bericht/Types/2009/01"
_PREFIX_BATCH = "ns1"
_PREFIX_BERICHT = "ns2"

MAX_LETTERS = 1000
MIN_LETTERS = 1
# 100 MB per batch including base64 (section 2.2). Whether "MB" is 10^6 or 2^20 bytes is
# not stated; the smaller value is the safe one.
MAX_BATCH_BYTES = 100_000_000
BIJLAGE_TYPE_PDF = "Pdf"
SOORT_GEBRUIKER_BURGER = "Burger"


@dataclass(frozen=True, slots=True)
class BatchAttachment:
    content: bytes  # the PDF itself; base64 is applied by the builder
    omschrijving: str
    volgorde: int


@dataclass(frozen=True, slots=True)
class BatchLetter:
    bericht_id: str
    berichttype: str
    onderwerp: str
    bsn: str
    berichttekst: str = ""  # already line-break-encoded (literal \r\n) by the caller
    referentie: str = ""
    publicatie_datum: datetime | None = None
    eind_datum_handelingstermijn: datetime | None = None
    attachments: tuple[BatchAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchRequest:
    batch_id: str
    aanmaak_datum: datetime  # timezone-aware; written as UTC
    bericht_leverancier_id: str  # bare OIN, no urn:osb:oin: prefix
    letters: tuple[BatchLetter, ...]


class BatchParseError(ValueError):
    """A ``Berichten`` document could not be read. The message is plain Dutch."""


# --------------------------------------------------------------------------- building


def _q_batch(name: str) -> str:
    return f"{{{NS_BATCH}}}{name}"


def _q_bericht(name: str) -> str:
    return f"{{{NS_BERICHT}}}{name}"


def _set_text(el: etree._Element, value: str, field: str) -> None:
    try:
        el.text = value
    except ValueError:
        raise ValueError(
            f"{field} bevat een teken dat niet in XML kan staan (bijvoorbeeld een "
            "stuurteken). Verwijder dat teken en probeer het opnieuw."
        ) from None


def _sub(parent: etree._Element, tag: str, value: str, field: str) -> etree._Element:
    el = etree.SubElement(parent, tag)
    _set_text(el, value, field)
    return el


def _add_letter(root: etree._Element, batch_id: str, letter: BatchLetter, n: int) -> None:
    where = f"bericht {n} ({letter.bericht_id})"
    q = _q_bericht
    bericht = etree.SubElement(root, q("Bericht"))
    info = etree.SubElement(bericht, q("BerichtInformatie"))
    _sub(info, q("BatchID"), batch_id, "BatchID")
    _sub(info, q("BerichtID"), letter.bericht_id, f"BerichtID van {where}")
    _sub(info, q("BerichtType"), letter.berichttype, f"BerichtType van {where}")
    if letter.publicatie_datum is not None:
        value = format_xs_datetime(letter.publicatie_datum, field=f"PublicatieDatum van {where}")
        _sub(info, q("PublicatieDatum"), value, "PublicatieDatum")
    if letter.eind_datum_handelingstermijn is not None:
        value = format_xs_datetime(
            letter.eind_datum_handelingstermijn, field=f"EindDatumHandelingsTermijn van {where}"
        )
        _sub(info, q("EindDatumHandelingsTermijn"), value, "EindDatumHandelingsTermijn")
    _sub(info, q("Onderwerp"), letter.onderwerp, f"Onderwerp van {where}")
    if letter.berichttekst:
        _sub(info, q("BerichtTekst"), letter.berichttekst, f"BerichtTekst van {where}")
    if letter.referentie:
        _sub(info, q("Referentie"), letter.referentie, f"Referentie van {where}")
    _sub(info, q("GebruikerID"), letter.bsn, f"BSN van {where}")
    _sub(info, q("SoortGebruiker"), SOORT_GEBRUIKER_BURGER, "SoortGebruiker")

    if letter.attachments:  # an empty Bijlagen element is not allowed (section 3.1)
        bijlagen = etree.SubElement(bericht, q("Bijlagen"))
        for att in letter.attachments:
            bijlage = etree.SubElement(bijlagen, q("Bijlage"))
            inhoud = base64.b64encode(att.content).decode("ascii")
            _sub(bijlage, q("Inhoud"), inhoud, "Inhoud")
            _sub(bijlage, q("BijlageType"), BIJLAGE_TYPE_PDF, "BijlageType")
            _sub(bijlage, q("Omschrijving"), att.omschrijving, f"Omschrijving bij {where}")
            _sub(bijlage, q("Volgorde"), str(int(att.volgorde)), "Volgorde")


def build_berichten(req: BatchRequest) -> bytes:
    """The ``Berichten`` document for *req*: UTF-8 with an XML declaration.

    Raises ValueError (Dutch) for an empty batch, more than 1000 letters, a datetime
    without a timezone, or text with characters XML cannot carry.
    """
    count = len(req.letters)
    if count < MIN_LETTERS:
        raise ValueError("De batch bevat geen berichten; een batch bevat minimaal 1 bericht.")
    if count > MAX_LETTERS:
        raise ValueError(
            f"De batch bevat {count} berichten; maximaal {MAX_LETTERS} per batch. "
            "Verdeel de berichten over meer batches."
        )
    aanmaak = format_xs_datetime(req.aanmaak_datum, field="AanmaakDatum van de batch")

    root = etree.Element(
        _q_batch("Berichten"), nsmap={_PREFIX_BATCH: NS_BATCH, _PREFIX_BERICHT: NS_BERICHT}
    )
    info = etree.SubElement(root, _q_batch("BatchInformatie"))
    _sub(info, _q_batch("BatchID"), req.batch_id, "BatchID")
    _sub(info, _q_batch("AanmaakDatum"), aanmaak, "AanmaakDatum")
    _sub(info, _q_batch("BerichtLeverancierID"), req.bericht_leverancier_id, "BerichtLeverancierID")
    for n, letter in enumerate(req.letters, start=1):
        _add_letter(root, req.batch_id, letter, n)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


# --------------------------------------------------------------------------- size estimate

_DECLARATION_BYTES = len(b"<?xml version='1.0' encoding='UTF-8'?>\n")
_ROOT_OPEN_BYTES = len(
    f'<{_PREFIX_BATCH}:Berichten xmlns:{_PREFIX_BATCH}="{NS_BATCH}" '
    f'xmlns:{_PREFIX_BERICHT}="{NS_BERICHT}">'.encode()
)
_GUID_CHARS = 36
_DATETIME_CHARS = len("2026-01-01T00:00:00.000Z")
# Worst case for an unknown BerichtLeverancierID: 25 characters of 5 bytes each ("&amp;").
_LEVERANCIER_ID_RESERVE = 25 * 5


def _tag_bytes(name: str) -> int:
    """``<ns?:name>`` plus ``</ns?:name>``; both prefixes have 3 characters."""
    return 2 * len(name) + 2 * (len(_PREFIX_BATCH) + 1) + 5


def _text_bytes(value: str) -> int:
    """Serialised UTF-8 size of text content, with lxml's escaping."""
    return (
        len(value.encode("utf-8"))
        + 4 * value.count("&")
        + 3 * value.count("<")
        + 3 * value.count(">")
        + 4 * value.count("\r")
    )


def _el_bytes(name: str, value_bytes: int) -> int:
    return _tag_bytes(name) + value_bytes


_BATCH_FIXED_BYTES = (
    _DECLARATION_BYTES
    + _ROOT_OPEN_BYTES
    + len(f"</{_PREFIX_BATCH}:Berichten>")
    + _tag_bytes("BatchInformatie")
    + _el_bytes("BatchID", _GUID_CHARS)
    + _el_bytes("AanmaakDatum", _DATETIME_CHARS)
    + _tag_bytes("BerichtLeverancierID")
)


def _letter_bytes(letter: BatchLetter) -> int:
    size = (
        _tag_bytes("Bericht")
        + _tag_bytes("BerichtInformatie")
        + _el_bytes("BatchID", _GUID_CHARS)
        + _el_bytes("BerichtID", _text_bytes(letter.bericht_id))
        + _el_bytes("BerichtType", _text_bytes(letter.berichttype))
        + _el_bytes("Onderwerp", _text_bytes(letter.onderwerp))
        + _el_bytes("GebruikerID", _text_bytes(letter.bsn))
        + _el_bytes("SoortGebruiker", len(SOORT_GEBRUIKER_BURGER))
    )
    if letter.publicatie_datum is not None:
        size += _el_bytes("PublicatieDatum", _DATETIME_CHARS)
    if letter.eind_datum_handelingstermijn is not None:
        size += _el_bytes("EindDatumHandelingsTermijn", _DATETIME_CHARS)
    if letter.berichttekst:
        size += _el_bytes("BerichtTekst", _text_bytes(letter.berichttekst))
    if letter.referentie:
        size += _el_bytes("Referentie", _text_bytes(letter.referentie))
    if letter.attachments:
        size += _tag_bytes("Bijlagen")
        for att in letter.attachments:
            size += (
                _tag_bytes("Bijlage")
                + _el_bytes("Inhoud", 4 * ((len(att.content) + 2) // 3))
                + _el_bytes("BijlageType", len(BIJLAGE_TYPE_PDF))
                + _el_bytes("Omschrijving", _text_bytes(att.omschrijving))
                + _el_bytes("Volgorde", len(str(int(att.volgorde))))
            )
    return size


def estimate_letter_bytes(letter: BatchLetter) -> int:
    """What one letter adds to a batch document, in bytes (base64 included)."""
    return _letter_bytes(letter)


def estimate_batch_bytes(
    letters: Iterable[BatchLetter], *, bericht_leverancier_id: str | None = None
) -> int:
    """Size of the batch document for *letters*, including base64, for the 100 MB limit.

    Computed from the serialisation :func:`build_berichten` uses, without building it,
    assuming GUIDs for the BatchID. With *bericht_leverancier_id* the result is exact;
    without it, room for the longest possible value is reserved, so it never
    underestimates.
    """
    leverancier = (
        _LEVERANCIER_ID_RESERVE
        if bericht_leverancier_id is None
        else _text_bytes(bericht_leverancier_id)
    )
    return _BATCH_FIXED_BYTES + leverancier + sum(_letter_bytes(letter) for letter in letters)


# --------------------------------------------------------------------------- parsing


def _required_child(el: etree._Element, name: str, where: str) -> etree._Element:
    child = find_local(el, name)
    if child is None:
        raise BatchParseError(f"Het element {name} ontbreekt in {where}.")
    return child


def _required_text(el: etree._Element, name: str, where: str) -> str:
    return _required_child(el, name, where).text or ""


def _datetime(text: str, field: str) -> datetime:
    try:
        return parse_xs_datetime(text, field=field)
    except ValueError as exc:
        raise BatchParseError(str(exc)) from None


def _parse_attachment(el: etree._Element, where: str) -> BatchAttachment:
    raw = "".join(_required_text(el, "Inhoud", where).split())
    try:
        content = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BatchParseError(f"De Inhoud van {where} is geen geldige base64.") from None
    volgorde_text = _required_text(el, "Volgorde", where).strip()
    try:
        volgorde = int(volgorde_text)
    except ValueError:
        raise BatchParseError(
            f"Volgorde '{volgorde_text}' van {where} is geen geheel getal."
        ) from None
    return BatchAttachment(
        content=content,
        omschrijving=_required_text(el, "Omschrijving", where),
        volgorde=volgorde,
    )


def _parse_letter(el: etree._Element, batch_id: str, n: int) -> BatchLetter:
    where = f"bericht {n}"
    info = _required_child(el, "BerichtInformatie", where)
    letter_batch_id = _required_text(info, "BatchID", where)
    if letter_batch_id != batch_id:
        raise BatchParseError(
            f"BatchID '{letter_batch_id}' in {where} wijkt af van de BatchID van de batch "
            f"'{batch_id}'; ieder bericht moet de BatchID van de batch herhalen."
        )
    publicatie = text_local(info, "PublicatieDatum")
    eind = text_local(info, "EindDatumHandelingsTermijn")
    attachments: list[BatchAttachment] = []
    bijlagen = find_local(el, "Bijlagen")
    if bijlagen is not None:
        for i, bijlage in enumerate(findall_local(bijlagen, "Bijlage"), start=1):
            attachments.append(_parse_attachment(bijlage, f"bijlage {i} van {where}"))
    return BatchLetter(
        bericht_id=_required_text(info, "BerichtID", where),
        berichttype=_required_text(info, "BerichtType", where),
        onderwerp=_required_text(info, "Onderwerp", where),
        bsn=_required_text(info, "GebruikerID", where),
        berichttekst=text_local(info, "BerichtTekst") or "",
        referentie=text_local(info, "Referentie") or "",
        # An empty PublicatieDatum means "publish now" (section 3.1), like an absent one.
        publicatie_datum=(
            _datetime(publicatie, f"PublicatieDatum van {where}") if publicatie else None
        ),
        eind_datum_handelingstermijn=(
            _datetime(eind, f"EindDatumHandelingsTermijn van {where}") if eind else None
        ),
        attachments=tuple(attachments),
    )


def parse_berichten(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> BatchRequest:
    """Read a ``Berichten`` document back into a :class:`BatchRequest`.

    Elements are found by local name, so other prefixes work. Raises
    ``XmlInputError`` for unsafe or malformed XML and :class:`BatchParseError` when the
    structure is not a batch. Schema validity is not checked here; use the registry.
    """
    root = parse_xml(data, max_bytes=max_bytes)
    if local_name(root) != "Berichten":
        raise BatchParseError(
            f"Dit is geen batch: het hoofdelement is {local_name(root) or '?'}, verwacht Berichten."
        )
    info = _required_child(root, "BatchInformatie", "de batch")
    batch_id = _required_text(info, "BatchID", "BatchInformatie")
    letters = tuple(
        _parse_letter(el, batch_id, n)
        for n, el in enumerate(findall_local(root, "Bericht"), start=1)
    )
    return BatchRequest(
        batch_id=batch_id,
        aanmaak_datum=_datetime(
            _required_text(info, "AanmaakDatum", "BatchInformatie"), "AanmaakDatum"
        ),
        bericht_leverancier_id=_required_text(info, "BerichtLeverancierID", "BatchInformatie"),
        letters=letters,
    )
