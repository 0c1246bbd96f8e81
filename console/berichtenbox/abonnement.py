"""AbonnementService (ABS): the ``AbonnementAanvraag`` request and its gzipped answer.

Request (action ``GLOBE-R-A-Request``), structure from Logius' example messages
(interface reference 2.3): root ``AbonnementAanvraag`` in namespace
``http://schemas.overheid.nl/GEB/AbonnementServiceProcessor/2014/02`` with unqualified
children ``BerichtLeverancier/OIN``, ``VerzoekId`` and then ``BSNLijst/BSN*`` (BSN-lijst) or
``MutatieDatum`` (Mutatie); nothing more for Volledig. Our schema:
``schemas/abonnement-aanvraag.xsd``.

Answer: Logius' ``AbonnementAntwoord.xsd`` could not be obtained, so the answer format is
**our own design** from the documented behaviour (gzip, up to about a million BSNs,
within 4 hours), kept in ``schemas/abonnement-antwoord.xsd``::

    ns0:AbonnementAntwoord
      BerichtLeverancier/OIN, VerzoekId, Soort (Volledig|BSNLijst|Mutatie),
      PeilDatum (the moment the answer describes), MutatieDatum? (Mutatie: since when)
      Abonnementen/Abonnement*  { BSN, Status (Geabonneerd|NietGeabonneerd|GeenActieveBerichtenbox) }

A Volledig answer lists every citizen subscribed to the organisation; a citizen who is
not listed is not subscribed on the PeilDatum. The answer is read streaming
(:func:`open_antwoord`): memory stays flat whatever the number of BSNs.

The answer is XML from outside. It is too big for :func:`console.xml.parse_xml`, so the
streaming reader applies the same hardening itself: a DOCTYPE is refused before parsing,
no DTD is loaded, no entity resolved, nothing fetched, and the unpacked size is bounded.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO, Any

from lxml import etree

from console.xml.names import find_local, find_path_local, findall_local, local_name
from console.xml.parser import DEFAULT_MAX_BYTES, XmlInputError, parse_xml
from console.xml.timestamps import format_xs_datetime, parse_xs_datetime

NS_ABS = "http://schemas.overheid.nl/GEB/AbonnementServiceProcessor/2014/02"
ACTION_REQUEST = "GLOBE-R-A-Request"
# Not confirmed by any source (interface reference 2.3 and 8.3): configurable.
DEFAULT_ANSWER_ACTION = "GLOBE-R-A-Result"
MAX_BSNS = 1_000_000  # "up to about a million" (interface reference 2.3)
DEFAULT_MAX_ANSWER_BYTES = 2_000_000_000  # unpacked; a million BSNs is about 80 MB
_CHUNK = 256 * 1024
_PROLOG_SCAN = 64 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_BSN = re.compile(r"^\d{9}$")


class AanvraagSoort(StrEnum):
    VOLLEDIG = "volledig"
    BSN_LIJST = "lijst"
    MUTATIE = "mutatie"

    @property
    def label(self) -> str:
        return {"volledig": "Volledig", "lijst": "BSN-lijst", "mutatie": "Mutatie"}[self.value]


_SOORT_XML = {
    AanvraagSoort.VOLLEDIG: "Volledig",
    AanvraagSoort.BSN_LIJST: "BSNLijst",
    AanvraagSoort.MUTATIE: "Mutatie",
}
_SOORT_FROM_XML = {v: k for k, v in _SOORT_XML.items()}


class AbonnementStatus(StrEnum):
    SUBSCRIBED = "subscribed"  # actieve Berichtenbox, geabonneerd op de organisatie
    NOT_SUBSCRIBED = "not_subscribed"  # actieve Berichtenbox, niet op deze organisatie
    NO_BOX = "no_box"  # geen actieve Berichtenbox

    @property
    def xml(self) -> str:
        return _STATUS_XML[self]

    @property
    def label(self) -> str:
        return {
            "subscribed": "krijgt digitale post",
            "not_subscribed": "heeft deze organisatie uitgezet",
            "no_box": "heeft geen actieve Berichtenbox",
        }[self.value]


_STATUS_XML = {
    AbonnementStatus.SUBSCRIBED: "Geabonneerd",
    AbonnementStatus.NOT_SUBSCRIBED: "NietGeabonneerd",
    AbonnementStatus.NO_BOX: "GeenActieveBerichtenbox",
}
_STATUS_FROM_XML = {v: k for k, v in _STATUS_XML.items()}


class AbonnementParseError(ValueError):
    """An ABS request or answer could not be read. The message is plain Dutch."""


# --------------------------------------------------------------------------- the request


@dataclass(frozen=True, slots=True)
class AbonnementAanvraag:
    oin: str  # the BerichtLeverancier: bare OIN of the organisation
    verzoek_id: str
    soort: AanvraagSoort
    bsns: tuple[str, ...] = ()
    mutatie_datum: datetime | None = None

    def __post_init__(self) -> None:
        if not self.oin or not self.verzoek_id:
            raise ValueError("Een abonnementsaanvraag heeft een OIN en een VerzoekId nodig.")
        if self.soort is AanvraagSoort.BSN_LIJST:
            if not self.bsns:
                raise ValueError("Een BSN-lijst bevat minimaal 1 BSN.")
            if len(self.bsns) > MAX_BSNS:
                raise ValueError(
                    f"De BSN-lijst bevat {len(self.bsns):,} BSN's; maximaal {MAX_BSNS:,}.".replace(
                        ",", "."
                    )
                )
            bad = next((b for b in self.bsns if not _BSN.match(b)), None)
            if bad is not None:
                raise ValueError(f"'{bad}' is geen BSN van 9 cijfers.")
        elif self.bsns:
            raise ValueError("Alleen een BSN-lijst bevat BSN's.")
        if self.soort is AanvraagSoort.MUTATIE and self.mutatie_datum is None:
            raise ValueError("Een mutatie-aanvraag heeft een MutatieDatum nodig.")
        if self.soort is not AanvraagSoort.MUTATIE and self.mutatie_datum is not None:
            raise ValueError("Alleen een mutatie-aanvraag heeft een MutatieDatum.")


def _element(tag: str, text: str) -> bytes:
    el = etree.Element(tag)
    el.text = text
    return bytes(etree.tostring(el, encoding="UTF-8"))


def _leverancier(oin: str) -> bytes:
    el = etree.Element("BerichtLeverancier")
    etree.SubElement(el, "OIN").text = oin
    return bytes(etree.tostring(el, encoding="UTF-8"))


def build_aanvraag(req: AbonnementAanvraag) -> bytes:
    """The ``AbonnementAanvraag`` document: UTF-8, element order as in Logius' examples.

    BSNs are validated as nine digits by the dataclass, so the list is written directly:
    a million BSNs take about 25 MB and well under a second.
    """
    out = io.BytesIO()
    out.write(b"<?xml version='1.0' encoding='UTF-8'?>\n")
    out.write(f'<ns0:AbonnementAanvraag xmlns:ns0="{NS_ABS}">'.encode())
    out.write(_leverancier(req.oin))
    out.write(_element("VerzoekId", req.verzoek_id))
    if req.soort is AanvraagSoort.BSN_LIJST:
        out.write(b"<BSNLijst>")
        for bsn in req.bsns:
            out.write(b"<BSN>" + bsn.encode("ascii") + b"</BSN>")
        out.write(b"</BSNLijst>")
    elif req.soort is AanvraagSoort.MUTATIE:
        assert req.mutatie_datum is not None
        value = format_xs_datetime(req.mutatie_datum, field="MutatieDatum")
        out.write(_element("MutatieDatum", value))
    out.write(b"</ns0:AbonnementAanvraag>")
    return out.getvalue()


def parse_aanvraag(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> AbonnementAanvraag:
    """Read an ``AbonnementAanvraag`` by local name (the simulator's side of the wire)."""
    root = parse_xml(data, max_bytes=max_bytes)
    if local_name(root) != "AbonnementAanvraag":
        raise AbonnementParseError(
            f"Dit is geen abonnementsaanvraag: het hoofdelement is {local_name(root) or '?'}."
        )
    oin = find_path_local(root, "BerichtLeverancier", "OIN")
    verzoek = find_local(root, "VerzoekId")
    if oin is None or verzoek is None:
        raise AbonnementParseError("BerichtLeverancier/OIN of VerzoekId ontbreekt.")
    lijst = find_local(root, "BSNLijst")
    mutatie = find_local(root, "MutatieDatum")
    try:
        if lijst is not None:
            return AbonnementAanvraag(
                oin=(oin.text or "").strip(),
                verzoek_id=(verzoek.text or "").strip(),
                soort=AanvraagSoort.BSN_LIJST,
                bsns=tuple((b.text or "").strip() for b in findall_local(lijst, "BSN")),
            )
        if mutatie is not None:
            return AbonnementAanvraag(
                oin=(oin.text or "").strip(),
                verzoek_id=(verzoek.text or "").strip(),
                soort=AanvraagSoort.MUTATIE,
                mutatie_datum=parse_xs_datetime(mutatie.text or "", field="MutatieDatum"),
            )
        return AbonnementAanvraag(
            oin=(oin.text or "").strip(),
            verzoek_id=(verzoek.text or "").strip(),
            soort=AanvraagSoort.VOLLEDIG,
        )
    except ValueError as exc:
        raise AbonnementParseError(str(exc)) from None


# --------------------------------------------------------------------------- the answer


@dataclass(frozen=True, slots=True)
class AntwoordKop:
    """Everything in the answer before the list."""

    oin: str
    verzoek_id: str
    soort: AanvraagSoort
    peil_datum: datetime
    mutatie_datum: datetime | None = None


@dataclass(frozen=True, slots=True)
class AbonnementRegel:
    bsn: str
    status: AbonnementStatus


def write_antwoord(
    out: IO[bytes], kop: AntwoordKop, regels: Iterable[AbonnementRegel], *, compress: bool = True
) -> int:
    """Write the answer to *out* (gzip, RFC 1952, unless *compress* is False), streaming.

    Returns the number of entries written. Used by the simulator and the benchmarks.
    """
    sink: Any = gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6) if compress else out
    count = 0
    try:
        sink.write(b"<?xml version='1.0' encoding='UTF-8'?>\n")
        sink.write(f'<ns0:AbonnementAntwoord xmlns:ns0="{NS_ABS}">'.encode())
        sink.write(_leverancier(kop.oin))
        sink.write(_element("VerzoekId", kop.verzoek_id))
        sink.write(_element("Soort", _SOORT_XML[kop.soort]))
        sink.write(_element("PeilDatum", format_xs_datetime(kop.peil_datum, field="PeilDatum")))
        if kop.mutatie_datum is not None:
            value = format_xs_datetime(kop.mutatie_datum, field="MutatieDatum")
            sink.write(_element("MutatieDatum", value))
        sink.write(b"<Abonnementen>")
        buffer: list[bytes] = []
        for regel in regels:
            if not _BSN.match(regel.bsn):
                raise ValueError(f"'{regel.bsn}' is geen BSN van 9 cijfers.")
            buffer.append(
                b"<Abonnement><BSN>%s</BSN><Status>%s</Status></Abonnement>"
                % (regel.bsn.encode("ascii"), _STATUS_XML[regel.status].encode("ascii"))
            )
            count += 1
            if len(buffer) >= 4096:
                sink.write(b"".join(buffer))
                buffer.clear()
        sink.write(b"".join(buffer))
        sink.write(b"</Abonnementen></ns0:AbonnementAntwoord>")
    finally:
        if compress:
            sink.close()
    return count


def build_antwoord(
    kop: AntwoordKop, regels: Iterable[AbonnementRegel], *, compress: bool = True
) -> bytes:
    out = io.BytesIO()
    write_antwoord(out, kop, regels, compress=compress)
    return out.getvalue()


class _BoundedReader:
    """Reads the (possibly gzipped) answer in chunks, refusing more than *max_bytes* unpacked."""

    def __init__(self, source: IO[bytes], max_bytes: int) -> None:
        head = source.read(2)
        rest: Any = _Prefixed(head, source)
        self._stream: Any = gzip.GzipFile(fileobj=rest, mode="rb") if head == b"\x1f\x8b" else rest
        self._max = max_bytes
        self.total = 0

    def read(self) -> bytes:
        try:
            chunk = self._stream.read(_CHUNK)
        except (OSError, EOFError, zlib.error):
            raise AbonnementParseError(
                "Het abonnementsantwoord is gzip-gecomprimeerd maar beschadigd."
            ) from None
        self.total += len(chunk)
        if self.total > self._max:
            raise XmlInputError(
                f"Het uitgepakte abonnementsantwoord is groter dan {self._max:,} bytes.".replace(
                    ",", "."
                )
            )
        return chunk


class _Prefixed(io.RawIOBase):
    """*head* (already read) followed by the rest of *source*."""

    def __init__(self, head: bytes, source: IO[bytes]) -> None:
        self._head = head
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._source.read(len(b))
        b[: len(data)] = data
        return len(data)


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def _kop(fields: dict[str, str], *, where: str) -> AntwoordKop:
    missing = [n for n in ("OIN", "VerzoekId", "Soort", "PeilDatum") if not fields.get(n)]
    if missing:
        raise AbonnementParseError(
            f"Het abonnementsantwoord mist {', '.join(missing)}{' ' + where if where else ''}."
        )
    soort = _SOORT_FROM_XML.get(fields["Soort"])
    if soort is None:
        raise AbonnementParseError(
            f"Soort '{fields['Soort']}' is onbekend; verwacht Volledig, BSNLijst of Mutatie."
        )
    try:
        peil = parse_xs_datetime(fields["PeilDatum"], field="PeilDatum")
        mutatie = (
            parse_xs_datetime(fields["MutatieDatum"], field="MutatieDatum")
            if fields.get("MutatieDatum")
            else None
        )
    except ValueError as exc:
        raise AbonnementParseError(str(exc)) from None
    return AntwoordKop(fields["OIN"], fields["VerzoekId"], soort, peil, mutatie)


_HEADER_FIELDS = ("OIN", "VerzoekId", "Soort", "PeilDatum", "MutatieDatum")


_Q_ABONNEMENT = f"{{{NS_ABS}}}Abonnement"


_STATUS_VALUE = {xml: status.value for status, xml in _STATUS_XML.items()}


def _row(el: Any, n: int) -> tuple[str, str]:
    """(BSN, status value) of one ``Abonnement``; children unqualified, as in our schema."""
    bsn = el.findtext("BSN")
    status = el.findtext("Status")
    if bsn is None or len(bsn) != 9 or not bsn.isdigit() or not bsn.isascii():
        bsn = (bsn or "").strip()
        if len(bsn) != 9 or not bsn.isdigit() or not bsn.isascii():
            raise AbonnementParseError(
                f"Abonnement {n} heeft geen geldig BSN van 9 cijfers ({bsn!r})."
            )
    value = _STATUS_VALUE.get(status or "") or _STATUS_VALUE.get((status or "").strip())
    if value is None:
        raise AbonnementParseError(
            f"Abonnement {n} heeft onbekende status {status!r}; verwacht Geabonneerd, "
            "NietGeabonneerd of GeenActieveBerichtenbox."
        )
    return bsn, value


def _events(source: IO[bytes], max_bytes: int) -> Iterator[AntwoordKop | list[tuple[str, str]]]:
    reader = _BoundedReader(source, max_bytes)
    parser = etree.XMLPullParser(
        events=("end",),
        # Filtered in C: only these elements reach Python (three times faster).
        tag=(*_HEADER_FIELDS, "Abonnement", f"{{{NS_ABS}}}Abonnement"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    header: dict[str, str] = {}
    kop: AntwoordKop | None = None
    prolog = b""
    checked_root = False
    n = 0
    while True:
        chunk = reader.read()
        if len(prolog) < _PROLOG_SCAN:
            prolog += chunk[: _PROLOG_SCAN - len(prolog)]
            if _DOCTYPE.search(prolog):
                raise XmlInputError(
                    "Het abonnementsantwoord bevat een DOCTYPE-declaratie. Die is om "
                    "veiligheidsredenen niet toegestaan."
                )
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except etree.XMLSyntaxError as exc:
            raise XmlInputError(
                f"Het abonnementsantwoord is geen goed gevormde XML: {exc.msg}"
            ) from None
        last: Any = None
        batch: list[tuple[str, str]] = []
        events: Any = parser.read_events()
        for _event, el in events:
            tag = el.tag
            if not checked_root:
                root_name = _local(el.getroottree().getroot().tag)
                if root_name != "AbonnementAntwoord":
                    raise AbonnementParseError(
                        "Dit is geen abonnementsantwoord: het hoofdelement is "
                        f"{root_name or '?'}, verwacht AbonnementAntwoord."
                    )
                checked_root = True
            if tag == "Abonnement" or tag == _Q_ABONNEMENT:
                if kop is None:
                    kop = _kop(header, where="vóór de lijst")
                    yield kop
                n += 1
                batch.append(_row(el, n))
                last = el
            elif kop is None:
                header[_local(tag)] = (el.text or "").strip()
        if batch:
            yield batch
        if last is not None:
            # Drop what was read in one go: memory stays flat, and far cheaper per entry.
            parent = last.getparent()
            if parent is not None:
                del parent[: parent.index(last) + 1]
        if not chunk:
            break
    if kop is None:
        yield _kop(header, where="")


def open_antwoord_rows(
    source: IO[bytes] | bytes, *, max_bytes: int = DEFAULT_MAX_ANSWER_BYTES
) -> tuple[AntwoordKop, Iterator[list[tuple[str, str]]]]:
    """The header, then lists of ``(BSN, status value)`` per chunk read: the fast path for
    an import (no object per entry). Status values are :class:`AbonnementStatus` values."""
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    events = _events(stream, max_bytes)
    first = next(events)
    assert isinstance(first, AntwoordKop)

    def batches() -> Iterator[list[tuple[str, str]]]:
        for item in events:
            assert isinstance(item, list)
            yield item

    return first, batches()


def open_antwoord_batches(
    source: IO[bytes] | bytes, *, max_bytes: int = DEFAULT_MAX_ANSWER_BYTES
) -> tuple[AntwoordKop, Iterator[list[AbonnementRegel]]]:
    """Like :func:`open_antwoord`, but the entries come in lists (one per chunk read)."""
    kop, rows = open_antwoord_rows(source, max_bytes=max_bytes)
    return kop, (
        [AbonnementRegel(bsn, AbonnementStatus(value)) for bsn, value in batch] for batch in rows
    )


def open_antwoord(
    source: IO[bytes] | bytes, *, max_bytes: int = DEFAULT_MAX_ANSWER_BYTES
) -> tuple[AntwoordKop, Iterator[AbonnementRegel]]:
    """Start reading an answer (gzipped or plain): the header now, the entries as you go.

    Raises ``XmlInputError`` (unsafe or malformed XML, too big) or
    :class:`AbonnementParseError` (not an answer, a bad entry) with a Dutch message; the
    iterator raises the same while it runs. Memory use does not grow with the list.
    """
    kop, batches = open_antwoord_batches(source, max_bytes=max_bytes)
    return kop, (regel for batch in batches for regel in batch)
