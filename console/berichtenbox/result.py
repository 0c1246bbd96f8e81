"""``BerichtVerwerkResponse``: the business result of a batch (``GLOBE-R-BV-Result``).

Structure: berichtenbox-interface.md section 5.1; our own schema
``schemas/berichtverwerk-response.xsd``. Live responses use other namespace prefixes than
ours, and the children are unqualified, so :func:`parse_result` reads by local name.
Nothing is dropped: a code outside the known ten is kept as the raw string, and a letter
Logius could not read keeps its nil ``BerichtID``.

:func:`build_result` writes the same document; the simulator uses it.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from console.domain.ids import NIL_GUID
from console.domain.verwerkingscode import VerwerkingsCode
from console.xml.names import find_local, findall_local, local_name
from console.xml.parser import DEFAULT_MAX_BYTES, XmlInputError, parse_xml
from console.xml.timestamps import format_xs_datetime, parse_xs_datetime

NS_RESPONSE = "http://schemas.rdw.nl/GEB/BerichtVerwerkService/Types/2009/01"
NS_RESULTAAT = "http://schemas.rdw.nl/GEB/BerichtVerwerkService/BerichtResultaat/Types/2009/01"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True, slots=True)
class LetterResult:
    bericht_id: str
    berichttype: str
    code: str  # as received; may be outside the ten known VerwerkingsCodes
    stadium: str | None  # None when absent or xsi:nil

    @property
    def is_nil(self) -> bool:
        """Logius could not read this letter and sent the nil GUID (section 5.2)."""
        return self.bericht_id == NIL_GUID

    @property
    def verwerkingscode(self) -> VerwerkingsCode | None:
        """The code as enum, or None for a code outside the catalogue."""
        try:
            return VerwerkingsCode(self.code)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class BatchResult:
    bericht_leverancier_code: str
    batch_id: str
    totaal: int
    verwerkt: int
    geen_actieve_box: int
    technisch_probleem: int
    berichttype_niet_correct: int
    publicatiedatum_niet_correct: int
    aanmaakdatum_niet_correct: int
    datum_ontvangen: datetime
    datum_verwerkt: datetime
    letters: tuple[LetterResult, ...]

    @property
    def all_delivered(self) -> bool:
        """NotifyNL's rule for overall success: total > 0 and all processed (section 5.2)."""
        return self.totaal > 0 and self.totaal == self.verwerkt


class ResultParseError(ValueError):
    """A ``BerichtVerwerkResponse`` could not be read. The message is plain Dutch."""


# Order of the counters in BatchInformatie, with the dataclass field each one fills.
_COUNTERS: tuple[tuple[str, str], ...] = (
    ("TotaalAantalOntvangenBerichten", "totaal"),
    ("AantalBerichtenSuccesvolVerwerkt", "verwerkt"),
    ("AantalBerichtenGeenActieveBoxOfGeabonneertOpLeverancier", "geen_actieve_box"),
    ("AantalBerichtenMetTechnischProbleem", "technisch_probleem"),
    ("AantalBerichtenBerichtTypeNietCorrect", "berichttype_niet_correct"),
    ("AantalBerichtenPublicatieDatumNietCorrect", "publicatiedatum_niet_correct"),
    ("AantalBerichtenAanmaakDatumNietCorrect", "aanmaakdatum_niet_correct"),
)

# Which counter a code adds to when the simulator composes a result. Codes not listed are
# counted as a technical problem: how GLOBE counts them is not documented (section 5.2).
_COUNTER_FOR_CODE: dict[str, str] = {
    VerwerkingsCode.VERWERKT: "verwerkt",
    VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD: "geen_actieve_box",
    VerwerkingsCode.TECHNISCH_PROBLEEM: "technisch_probleem",
    VerwerkingsCode.BERICHTTYPE_NIET_ONDERSTEUND: "berichttype_niet_correct",
    VerwerkingsCode.PUBLICATIEDATUM_TE_VER: "publicatiedatum_niet_correct",
    VerwerkingsCode.AANMAAKDATUM_TE_OUD: "aanmaakdatum_niet_correct",
}


# --------------------------------------------------------------------------- parsing


def _gunzip_bounded(data: bytes, max_bytes: int) -> bytes:
    """Decompress a gzipped result, refusing more than *max_bytes* of output."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            while chunk := fh.read(1024 * 1024):
                out.write(chunk)
                if out.tell() > max_bytes:
                    raise XmlInputError(
                        "Het uitgepakte resultaat is groter dan toegestaan "
                        f"(maximaal {max_bytes:,} bytes).".replace(",", ".")
                    )
    except (OSError, EOFError, zlib.error):
        raise ResultParseError("Het resultaat is gzip-gecomprimeerd maar beschadigd.") from None
    return out.getvalue()


def _child(el: etree._Element, name: str, where: str) -> etree._Element:
    child = find_local(el, name)
    if child is None:
        raise ResultParseError(f"Het element {name} ontbreekt in {where}.")
    return child


def _text(el: etree._Element, name: str, where: str) -> str:
    return (_child(el, name, where).text or "").strip()


def _int(el: etree._Element, name: str) -> int:
    text = _text(el, name, "BatchInformatie")
    try:
        return int(text)
    except ValueError:
        raise ResultParseError(f"{name} '{text}' is geen geheel getal.") from None


def _datetime(el: etree._Element, name: str) -> datetime:
    try:
        return parse_xs_datetime(_text(el, name, "BatchInformatie"), field=name)
    except ValueError as exc:
        raise ResultParseError(str(exc)) from None


def _is_nil(el: etree._Element) -> bool:
    return (el.get(_XSI_NIL) or "").strip() in {"true", "1"}


def _parse_letter(el: etree._Element, n: int) -> LetterResult:
    where = f"resultaat {n}"
    stadium_el = find_local(el, "Stadium")
    nil = stadium_el is None or _is_nil(stadium_el)
    stadium = None if nil or stadium_el is None else (stadium_el.text or "").strip()
    return LetterResult(
        bericht_id=_text(el, "BerichtID", where),
        berichttype=_text(el, "BerichtType", where),
        code=_text(el, "VerwerkingsCode", where),
        stadium=stadium,
    )


def parse_result(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> BatchResult:
    """Read a ``BerichtVerwerkResponse`` (plain or gzipped) by local name.

    Raises ``XmlInputError`` for unsafe or malformed XML and :class:`ResultParseError`
    when the document is not a result. Unknown codes are kept as received.
    """
    if data[:2] == b"\x1f\x8b":  # the TAH only promises gzip for ABS; accept both
        data = _gunzip_bounded(data, max_bytes)
    root = parse_xml(data, max_bytes=max_bytes)
    if local_name(root) != "BerichtVerwerkResponse":
        raise ResultParseError(
            f"Dit is geen verwerkingsresultaat: het hoofdelement is {local_name(root) or '?'}, "
            "verwacht BerichtVerwerkResponse."
        )
    info = _child(root, "BatchInformatie", "het resultaat")
    berichten = find_local(root, "Berichten")
    letters = (
        tuple(
            _parse_letter(el, n)
            for n, el in enumerate(findall_local(berichten, "Bericht"), start=1)
        )
        if berichten is not None
        else ()
    )
    c = {field: _int(info, name) for name, field in _COUNTERS}
    return BatchResult(
        bericht_leverancier_code=_text(info, "BerichtLeverancierCode", "BatchInformatie"),
        batch_id=_text(info, "BatchID", "BatchInformatie"),
        totaal=c["totaal"],
        verwerkt=c["verwerkt"],
        geen_actieve_box=c["geen_actieve_box"],
        technisch_probleem=c["technisch_probleem"],
        berichttype_niet_correct=c["berichttype_niet_correct"],
        publicatiedatum_niet_correct=c["publicatiedatum_niet_correct"],
        aanmaakdatum_niet_correct=c["aanmaakdatum_niet_correct"],
        datum_ontvangen=_datetime(info, "DatumOntvangen"),
        datum_verwerkt=_datetime(info, "DatumVerwerkt"),
        letters=letters,
    )


# --------------------------------------------------------------------------- building


def build_result(res: BatchResult) -> bytes:
    """The ``BerichtVerwerkResponse`` for *res*: UTF-8 with an XML declaration.

    A ``stadium`` of None is written as ``<Stadium xsi:nil="true"/>``, as live traffic
    does. The document is valid against the official response XSD as long as the values
    are (a GUID BatchID, codes from the ten); the simulator may break that on purpose.
    """
    ontvangen = format_xs_datetime(res.datum_ontvangen, field="DatumOntvangen")
    verwerkt = format_xs_datetime(res.datum_verwerkt, field="DatumVerwerkt")
    root = etree.Element(
        f"{{{NS_RESPONSE}}}BerichtVerwerkResponse",
        nsmap={"ns1": NS_RESPONSE, "ns2": NS_RESULTAAT, "xsi": _NS_XSI},
    )
    info = etree.SubElement(root, "BatchInformatie")
    etree.SubElement(info, "BerichtLeverancierCode").text = res.bericht_leverancier_code
    etree.SubElement(info, "BatchID").text = res.batch_id
    for name, field in _COUNTERS:
        etree.SubElement(info, name).text = str(int(getattr(res, field)))
    etree.SubElement(info, "DatumOntvangen").text = ontvangen
    etree.SubElement(info, "DatumVerwerkt").text = verwerkt
    berichten = etree.SubElement(root, "Berichten")
    for letter in res.letters:
        bericht = etree.SubElement(berichten, f"{{{NS_RESULTAAT}}}Bericht")
        etree.SubElement(bericht, "BerichtID").text = letter.bericht_id
        etree.SubElement(bericht, "BerichtType").text = letter.berichttype
        etree.SubElement(bericht, "VerwerkingsCode").text = letter.code
        stadium = etree.SubElement(bericht, "Stadium")
        if letter.stadium is None:
            stadium.set(_XSI_NIL, "true")
        else:
            stadium.text = letter.stadium
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def result_from_letters(
    *,
    bericht_leverancier_code: str,
    batch_id: str,
    datum_ontvangen: datetime,
    datum_verwerkt: datetime,
    letters: Iterable[LetterResult],
    totaal: int | None = None,
) -> BatchResult:
    """Compose a :class:`BatchResult` whose counters follow from the letter codes.

    ``BerichtBestaatAl``, ``BijlageTeGroot``, the OIN mismatch, XSD failures and unknown
    codes count as a technical problem; GLOBE's real counting is not documented
    (section 5.2). *totaal* defaults to the number of letters.
    """
    items = tuple(letters)
    counts = dict.fromkeys((field for _, field in _COUNTERS[1:]), 0)
    for letter in items:
        counts[_COUNTER_FOR_CODE.get(letter.code, "technisch_probleem")] += 1
    return BatchResult(
        bericht_leverancier_code=bericht_leverancier_code,
        batch_id=batch_id,
        totaal=len(items) if totaal is None else totaal,
        verwerkt=counts["verwerkt"],
        geen_actieve_box=counts["geen_actieve_box"],
        technisch_probleem=counts["technisch_probleem"],
        berichttype_niet_correct=counts["berichttype_niet_correct"],
        publicatiedatum_niet_correct=counts["publicatiedatum_niet_correct"],
        aanmaakdatum_niet_correct=counts["aanmaakdatum_niet_correct"],
        datum_ontvangen=datum_ontvangen,
        datum_verwerkt=datum_verwerkt,
        letters=items,
    )
