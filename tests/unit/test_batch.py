"""build_berichten / parse_berichten / estimate_batch_bytes, checked against our own schema."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from lxml import etree

from console.berichtenbox.batch import (
    NS_BATCH,
    NS_BERICHT,
    BatchAttachment,
    BatchLetter,
    BatchParseError,
    BatchRequest,
    build_berichten,
    estimate_batch_bytes,
    estimate_letter_bytes,
    parse_berichten,
)
from console.xml.parser import XmlInputError, parse_xml
from console.xml.schemas import default_registry

BATCH_ID = "5f3a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
OIN = "00000099000000001000"
CET = timezone(timedelta(hours=1))
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4
REQUEST_XSD = "berichtverwerk-request.xsd"


def _letter(n: int = 1, **changes: Any) -> BatchLetter:
    base = BatchLetter(
        bericht_id=f"00000000-0000-4000-8000-{n:012d}",
        berichttype="BELAST",
        onderwerp="Uw aanslag",
        bsn="123456782",
    )
    return replace(base, **changes)


def _request(*letters: BatchLetter, **changes: Any) -> BatchRequest:
    base = BatchRequest(
        batch_id=BATCH_ID,
        aanmaak_datum=datetime(2026, 11, 28, 11, 0, tzinfo=CET),
        bericht_leverancier_id=OIN,
        letters=letters or (_letter(),),
    )
    return replace(base, **changes)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _children(el: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in el]


def test_document_shape_namespaces_and_declaration() -> None:
    full = _letter(
        berichttekst="Beste burger,\\r\\nZie bijlage.",
        referentie="KENMERK-1",
        publicatie_datum=datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
        eind_datum_handelingstermijn=datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
        attachments=(
            BatchAttachment(PDF, "aanslag.pdf", 1),
            BatchAttachment(b"%PDF-2", "b.pdf", 2),
        ),
    )
    data = build_berichten(_request(full))
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(data)
    assert root.tag == _q(NS_BATCH, "Berichten")
    assert _children(root) == ["BatchInformatie", "Bericht"]
    info = root[0]
    assert [c.tag for c in info] == [
        _q(NS_BATCH, "BatchID"),
        _q(NS_BATCH, "AanmaakDatum"),
        _q(NS_BATCH, "BerichtLeverancierID"),
    ]
    assert [c.text for c in info] == [BATCH_ID, "2026-11-28T10:00:00.000Z", OIN]
    bericht = root[1]
    assert bericht.tag == _q(NS_BERICHT, "Bericht")
    binfo = bericht[0]
    assert all(c.tag.startswith(f"{{{NS_BERICHT}}}") for c in binfo.iter() if c is not binfo)
    assert _children(binfo) == [
        "BatchID",
        "BerichtID",
        "BerichtType",
        "PublicatieDatum",
        "EindDatumHandelingsTermijn",
        "Onderwerp",
        "BerichtTekst",
        "Referentie",
        "GebruikerID",
        "SoortGebruiker",
    ]
    values = {etree.QName(c).localname: c.text for c in binfo}
    assert values["BatchID"] == BATCH_ID  # repeated in every letter
    assert values["PublicatieDatum"] == "2026-11-29T08:00:00.000Z"
    assert values["EindDatumHandelingsTermijn"] == "2026-12-31T23:00:00.000Z"
    assert values["BerichtTekst"] == "Beste burger,\\r\\nZie bijlage."
    assert values["SoortGebruiker"] == "Burger"
    bijlagen = bericht[1]
    assert _children(bijlagen) == ["Bijlage", "Bijlage"]
    first = bijlagen[0]
    assert _children(first) == ["Inhoud", "BijlageType", "Omschrijving", "Volgorde"]
    assert base64.b64decode(first[0].text or "") == PDF
    assert [c.text for c in first][1:] == ["Pdf", "aanslag.pdf", "1"]
    assert bijlagen[1][3].text == "2"
    assert default_registry().validate(data, REQUEST_XSD) == []


def test_optional_elements_are_omitted_when_empty() -> None:
    root = etree.fromstring(build_berichten(_request(_letter())))
    bericht = root[1]
    assert _children(bericht) == ["BerichtInformatie"]  # no empty Bijlagen
    assert _children(bericht[0]) == [
        "BatchID",
        "BerichtID",
        "BerichtType",
        "Onderwerp",
        "GebruikerID",
        "SoortGebruiker",
    ]


def test_batch_id_is_repeated_in_each_of_many_letters() -> None:
    letters = tuple(_letter(n) for n in range(1, 6))
    root = etree.fromstring(build_berichten(_request(*letters)))
    repeated = root.findall(
        f"{{{NS_BERICHT}}}Bericht/{{{NS_BERICHT}}}BerichtInformatie/{{{NS_BERICHT}}}BatchID"
    )
    assert [el.text for el in repeated] == [BATCH_ID] * 5
    ids = root.findall(f".//{{{NS_BERICHT}}}BerichtID")
    assert [el.text for el in ids] == [letter.bericht_id for letter in letters]


def test_special_characters_survive_and_stay_valid() -> None:
    letter = _letter(
        onderwerp="Ü & <b> \"citaat\" 'x' €",
        berichttekst="a\r\nb\tc & d < e > f",
        referentie="ref&<>",
    )
    data = build_berichten(_request(letter))
    assert "€".encode() in data  # UTF-8, not character references
    assert parse_berichten(data).letters[0] == letter
    assert default_registry().validate(data, REQUEST_XSD) == []


@pytest.mark.parametrize("count", [0, 1001])
def test_letter_count_outside_one_to_thousand_is_refused(count: int) -> None:
    req = _request(letters=tuple(_letter(n) for n in range(count)))
    with pytest.raises(ValueError, match="batch") as info:
        build_berichten(req)
    assert ("1000" in str(info.value)) == (count > 0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"AanmaakDatum.*tijdzone"):
        build_berichten(_request(aanmaak_datum=datetime(2026, 1, 1)))
    with pytest.raises(ValueError, match=r"PublicatieDatum.*tijdzone"):
        build_berichten(_request(_letter(publicatie_datum=datetime(2026, 1, 1))))
    with pytest.raises(ValueError, match=r"EindDatumHandelingsTermijn.*tijdzone"):
        build_berichten(_request(_letter(eind_datum_handelingstermijn=datetime(2026, 1, 1))))


def test_control_characters_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="Onderwerp van bericht 1") as info:
        build_berichten(_request(_letter(onderwerp="bel\x07")))
    assert "teken" in str(info.value)


def test_parse_is_the_inverse_of_build() -> None:
    req = _request(
        _letter(1, publicatie_datum=datetime(2026, 11, 30, 9, 15, 0, 250000, tzinfo=UTC)),
        _letter(
            2, berichttekst="tekst", referentie="r", attachments=(BatchAttachment(PDF, "x.pdf", 1),)
        ),
    )
    assert parse_berichten(build_berichten(req)) == req


def test_parse_reads_other_prefixes_and_wrapped_base64() -> None:
    inhoud = base64.encodebytes(PDF).decode()  # with line breaks every 76 characters
    doc = f"""<Berichten xmlns="{NS_BATCH}">
  <BatchInformatie>
    <BatchID>{BATCH_ID}</BatchID>
    <AanmaakDatum>2026-11-28T11:00:00+01:00</AanmaakDatum>
    <BerichtLeverancierID>{OIN}</BerichtLeverancierID>
  </BatchInformatie>
  <b:Bericht xmlns:b="{NS_BERICHT}">
    <b:BerichtInformatie>
      <b:BatchID>{BATCH_ID}</b:BatchID>
      <b:BerichtID>00000000-0000-4000-8000-000000000001</b:BerichtID>
      <b:BerichtType>BELAST</b:BerichtType>
      <b:PublicatieDatum></b:PublicatieDatum>
      <b:Onderwerp>Uw aanslag</b:Onderwerp>
      <b:GebruikerID>123456782</b:GebruikerID>
      <b:SoortGebruiker>Burger</b:SoortGebruiker>
    </b:BerichtInformatie>
    <b:Bijlagen><b:Bijlage>
      <b:Inhoud>{inhoud}</b:Inhoud><b:BijlageType>Pdf</b:BijlageType>
      <b:Omschrijving>x.pdf</b:Omschrijving><b:Volgorde> 1 </b:Volgorde>
    </b:Bijlage></b:Bijlagen>
  </b:Bericht>
</Berichten>""".encode()
    req = parse_berichten(doc)
    assert req == _request(_letter(attachments=(BatchAttachment(PDF, "x.pdf", 1),)))
    assert req.letters[0].publicatie_datum is None  # empty node means "publish now"


Mutation = Callable[[etree._Element], None]


def _mutated(mutate: Mutation) -> bytes:
    root = parse_xml(
        build_berichten(_request(_letter(attachments=(BatchAttachment(PDF, "x.pdf", 1),))))
    )
    mutate(root)
    return bytes(etree.tostring(root))


def _set(path: str, value: str) -> Mutation:
    def apply(root: etree._Element) -> None:
        el = root.find(path, {"a": NS_BATCH, "b": NS_BERICHT})
        assert el is not None
        el.text = value

    return apply


def _remove(path: str) -> Mutation:
    def apply(root: etree._Element) -> None:
        el = root.find(path, {"a": NS_BATCH, "b": NS_BERICHT})
        assert el is not None
        parent = el.getparent()
        assert parent is not None
        parent.remove(el)

    return apply


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            _set("b:Bericht/b:BerichtInformatie/b:BatchID", "11111111-1111-1111-1111-111111111111"),
            "wijkt af",
        ),
        (_remove("b:Bericht/b:BerichtInformatie/b:Onderwerp"), "Onderwerp ontbreekt in bericht 1"),
        (_remove("a:BatchInformatie"), "BatchInformatie ontbreekt"),
        (_set("a:BatchInformatie/a:AanmaakDatum", "gisteren"), "AanmaakDatum 'gisteren'"),
        (_set("b:Bericht/b:Bijlagen/b:Bijlage/b:Inhoud", "!!geen base64!!"), "base64"),
        (_set("b:Bericht/b:Bijlagen/b:Bijlage/b:Volgorde", "een"), "Volgorde 'een'"),
    ],
)
def test_parse_errors_are_dutch_and_specific(mutate: Mutation, message: str) -> None:
    with pytest.raises(BatchParseError, match=message):
        parse_berichten(_mutated(mutate))


def test_parse_refuses_other_documents_and_unsafe_xml() -> None:
    with pytest.raises(BatchParseError, match="hoofdelement is BerichtVerwerkResponse"):
        parse_berichten(b"<BerichtVerwerkResponse/>")
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        parse_berichten(
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Berichten>&e;</Berichten>'
        )


def test_own_schema_rejects_empty_bijlagen_and_wrong_order() -> None:
    reg = default_registry()

    def empty_bijlagen(root: etree._Element) -> None:
        bijlagen = root.find(f"{{{NS_BERICHT}}}Bericht/{{{NS_BERICHT}}}Bijlagen")
        assert bijlagen is not None
        for child in list(bijlagen):
            bijlagen.remove(child)

    def swap(root: etree._Element) -> None:
        info = root.find(f"{{{NS_BERICHT}}}Bericht/{{{NS_BERICHT}}}BerichtInformatie")
        assert info is not None
        onderwerp, gebruiker = info[3], info[4]
        info.remove(gebruiker)
        info.insert(3, gebruiker)
        assert etree.QName(onderwerp).localname == "Onderwerp"

    def three_bijlagen(root: etree._Element) -> None:
        bijlagen = root.find(f"{{{NS_BERICHT}}}Bericht/{{{NS_BERICHT}}}Bijlagen")
        assert bijlagen is not None
        bijlagen.append(copy.deepcopy(bijlagen[0]))
        bijlagen.append(copy.deepcopy(bijlagen[0]))

    assert reg.validate(_mutated(lambda root: None), REQUEST_XSD) == []
    for mutate in (empty_bijlagen, swap, three_bijlagen):
        assert reg.validate(_mutated(mutate), REQUEST_XSD) != []


def test_estimate_matches_the_built_size() -> None:
    letters = (
        _letter(1),
        _letter(
            2,
            onderwerp="Ü & <b>",
            berichttekst="x\r\ny" * 10,
            referentie="€€",
            publicatie_datum=datetime(2026, 1, 1, tzinfo=UTC),
            eind_datum_handelingstermijn=datetime(2026, 2, 1, tzinfo=UTC),
            attachments=(BatchAttachment(PDF, "a.pdf", 1), BatchAttachment(PDF[:-1], "b&.pdf", 2)),
        ),
    )
    for leverancier in (OIN, "1" * 25, "1", "&" * 25):
        actual = len(build_berichten(_request(*letters, bericht_leverancier_id=leverancier)))
        assert estimate_batch_bytes(letters, bericht_leverancier_id=leverancier) == actual
        assert actual <= estimate_batch_bytes(letters) <= actual + 124
    assert estimate_letter_bytes(letters[1]) > len(base64.b64encode(PDF)) * 2


def test_estimate_grows_with_base64_not_raw_size() -> None:
    small = _letter(attachments=(BatchAttachment(b"x" * 3000, "a.pdf", 1),))
    big = _letter(attachments=(BatchAttachment(b"x" * 6000, "a.pdf", 1),))
    assert estimate_batch_bytes([big]) - estimate_batch_bytes([small]) == 4000
