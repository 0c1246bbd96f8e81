"""AbonnementService payloads: the three requests, and the answer read streaming."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import pytest
from lxml import etree

from console.berichtenbox.abonnement import (
    NS_ABS,
    AanvraagSoort,
    AbonnementAanvraag,
    AbonnementParseError,
    AbonnementRegel,
    AbonnementStatus,
    AntwoordKop,
    build_aanvraag,
    build_antwoord,
    open_antwoord,
    open_antwoord_batches,
    parse_aanvraag,
)
from console.xml.parser import XmlInputError

OIN = "00000099123456789000"
WHEN = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def kop(soort: AanvraagSoort = AanvraagSoort.BSN_LIJST, **kw: object) -> AntwoordKop:
    return AntwoordKop(OIN, "verzoek-1", soort, WHEN, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("aanvraag", "children"),
    [
        (
            AbonnementAanvraag(OIN, "v1", AanvraagSoort.VOLLEDIG),
            ["BerichtLeverancier", "VerzoekId"],
        ),
        (
            AbonnementAanvraag(OIN, "v2", AanvraagSoort.BSN_LIJST, ("999990019", "123456782")),
            ["BerichtLeverancier", "VerzoekId", "BSNLijst"],
        ),
        (
            AbonnementAanvraag(OIN, "v3", AanvraagSoort.MUTATIE, mutatie_datum=WHEN),
            ["BerichtLeverancier", "VerzoekId", "MutatieDatum"],
        ),
    ],
)
def test_requests_have_the_shape_of_logius_examples(
    aanvraag: AbonnementAanvraag, children: list[str]
) -> None:
    data = build_aanvraag(aanvraag)
    root = etree.fromstring(data)
    assert root.tag == f"{{{NS_ABS}}}AbonnementAanvraag"
    assert [c.tag for c in root] == children  # unqualified, in the examples' order
    assert root.find("BerichtLeverancier/OIN").text == OIN  # type: ignore[union-attr]
    assert parse_aanvraag(data) == aanvraag


def test_mutatie_datum_is_written_in_utc() -> None:
    data = build_aanvraag(AbonnementAanvraag(OIN, "v", AanvraagSoort.MUTATIE, mutatie_datum=WHEN))
    assert b"<MutatieDatum>2026-11-20T08:30:00.000Z</MutatieDatum>" in data


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"soort": AanvraagSoort.BSN_LIJST}, "minimaal 1 BSN"),
        ({"soort": AanvraagSoort.BSN_LIJST, "bsns": ("12345",)}, "geen BSN van 9 cijfers"),
        ({"soort": AanvraagSoort.MUTATIE}, "MutatieDatum nodig"),
        ({"soort": AanvraagSoort.VOLLEDIG, "bsns": ("999990019",)}, "Alleen een BSN-lijst"),
    ],
)
def test_impossible_requests_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AbonnementAanvraag(OIN, "v", **kwargs)  # type: ignore[arg-type]


def test_a_list_of_a_million_and_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"maximaal 1\.000\.000"):
        AbonnementAanvraag(OIN, "v", AanvraagSoort.BSN_LIJST, ("999990019",) * 1_000_001)


def test_answer_roundtrip_gzipped_and_plain() -> None:
    regels = [
        AbonnementRegel("999990019", AbonnementStatus.SUBSCRIBED),
        AbonnementRegel("999990044", AbonnementStatus.NOT_SUBSCRIBED),
        AbonnementRegel("999990068", AbonnementStatus.NO_BOX),
    ]
    for compress in (True, False):
        data = build_antwoord(kop(mutatie_datum=None), regels, compress=compress)
        assert (data[:2] == b"\x1f\x8b") is compress
        header, entries = open_antwoord(data)
        assert header == kop()
        assert list(entries) == regels


def test_an_empty_answer_still_has_its_header() -> None:
    header, entries = open_antwoord(build_antwoord(kop(AanvraagSoort.VOLLEDIG), []))
    assert header.soort is AanvraagSoort.VOLLEDIG and list(entries) == []


def test_entries_come_in_batches_and_the_tree_does_not_grow() -> None:
    regels = (
        AbonnementRegel(f"{100000000 + n:09d}", AbonnementStatus.SUBSCRIBED) for n in range(30_000)
    )
    data = build_antwoord(kop(), regels)
    _header, batches = open_antwoord_batches(data)
    sizes = [len(b) for b in batches]
    assert sum(sizes) == 30_000
    assert len(sizes) > 3 and max(sizes) < 30_000  # streamed, not read in one piece


def _answer(body: bytes) -> bytes:
    return gzip.compress(
        b"<?xml version='1.0'?><ns0:AbonnementAntwoord xmlns:ns0=\"" + NS_ABS.encode() + b'">'
        b"<BerichtLeverancier><OIN>" + OIN.encode() + b"</OIN></BerichtLeverancier>"
        b"<VerzoekId>v</VerzoekId><Soort>BSNLijst</Soort><PeilDatum>2026-11-20T08:30:00Z</PeilDatum>"
        b"<Abonnementen>" + body + b"</Abonnementen></ns0:AbonnementAntwoord>"
    )


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (
            _answer(b"<Abonnement><BSN>12</BSN><Status>Geabonneerd</Status></Abonnement>"),
            AbonnementParseError,
            "geen geldig BSN",
        ),
        (
            _answer(b"<Abonnement><BSN>999990019</BSN><Status>Misschien</Status></Abonnement>"),
            AbonnementParseError,
            "onbekende status",
        ),
        (_answer(b"<Abonnement><BSN>999990019</BSN>"), XmlInputError, "geen goed gevormde XML"),
        (
            gzip.compress(b"<?xml version='1.0'?><Iets><OIN>1</OIN></Iets>"),
            AbonnementParseError,
            "geen abonnementsantwoord",
        ),
        (b"\x1f\x8b\x08\x00kapot", AbonnementParseError, "beschadigd"),
        (
            gzip.compress(
                b'<!DOCTYPE a [<!ENTITY x "y">]><ns0:AbonnementAntwoord xmlns:ns0="'
                + NS_ABS.encode()
                + b'"/>'
            ),
            XmlInputError,
            "DOCTYPE",
        ),
    ],
)
def test_bad_answers_are_refused_in_dutch(
    data: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _header, entries = open_antwoord(data)
        list(entries)


def test_unpacked_size_is_bounded() -> None:
    big = build_antwoord(
        kop(),
        (AbonnementRegel(f"{100000000 + n:09d}", AbonnementStatus.NO_BOX) for n in range(5000)),
    )
    with pytest.raises(XmlInputError, match="groter dan"):
        _h, entries = open_antwoord(io.BytesIO(big), max_bytes=100_000)
        list(entries)
