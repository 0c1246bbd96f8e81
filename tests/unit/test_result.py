"""parse_result / build_result: local names, nil Stadium, unknown codes, nil BerichtID."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from console.berichtenbox.result import (
    NS_RESPONSE,
    NS_RESULTAAT,
    BatchResult,
    LetterResult,
    ResultParseError,
    build_result,
    parse_result,
    result_from_letters,
)
from console.domain.ids import NIL_GUID
from console.domain.verwerkingscode import VerwerkingsCode
from console.xml.parser import XmlInputError
from console.xml.schemas import default_registry

BATCH_ID = "5f3a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
OIN = "00000099000000001000"
RESPONSE_XSD = "berichtverwerk-response.xsd"


def _response(berichten: str, *, root_prefix: str = "ns3", bericht_prefix: str = "ns2") -> bytes:
    """A response in the layout seen in live traffic, with chosen prefixes."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<{root_prefix}:BerichtVerwerkResponse xmlns:{bericht_prefix}="{NS_RESULTAAT}"
    xmlns:{root_prefix}="{NS_RESPONSE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BatchInformatie>
    <BerichtLeverancierCode>{OIN}</BerichtLeverancierCode>
    <BatchID>{BATCH_ID}</BatchID>
    <TotaalAantalOntvangenBerichten>28</TotaalAantalOntvangenBerichten>
    <AantalBerichtenSuccesvolVerwerkt>1</AantalBerichtenSuccesvolVerwerkt>
    <AantalBerichtenGeenActieveBoxOfGeabonneertOpLeverancier>2</AantalBerichtenGeenActieveBoxOfGeabonneertOpLeverancier>
    <AantalBerichtenMetTechnischProbleem>3</AantalBerichtenMetTechnischProbleem>
    <AantalBerichtenBerichtTypeNietCorrect>4</AantalBerichtenBerichtTypeNietCorrect>
    <AantalBerichtenPublicatieDatumNietCorrect>5</AantalBerichtenPublicatieDatumNietCorrect>
    <AantalBerichtenAanmaakDatumNietCorrect>6</AantalBerichtenAanmaakDatumNietCorrect>
    <DatumOntvangen>2026-11-28T10:00:00.000Z</DatumOntvangen>
    <DatumVerwerkt>2026-11-28T11:30:15.5+01:00</DatumVerwerkt>
  </BatchInformatie>
  <Berichten>{berichten.replace("B:", f"{bericht_prefix}:")}</Berichten>
</{root_prefix}:BerichtVerwerkResponse>""".encode()


LETTERS = """
    <B:Bericht>
      <BerichtID>11111111-1111-1111-1111-111111111111</BerichtID>
      <BerichtType>BELAST</BerichtType>
      <VerwerkingsCode>Verwerkt</VerwerkingsCode>
      <Stadium>NA</Stadium>
    </B:Bericht>
    <B:Bericht>
      <BerichtID>22222222-2222-2222-2222-222222222222</BerichtID>
      <BerichtType>BELAST</BerichtType>
      <VerwerkingsCode>TechnischProbleem</VerwerkingsCode>
      <Stadium xsi:nil="true"/>
    </B:Bericht>
    <B:Bericht>
      <BerichtID>00000000-0000-0000-0000-000000000000</BerichtID>
      <BerichtType>BELAST</BerichtType>
      <VerwerkingsCode>XmlValidatieTegenXsdValtNegatiefUit</VerwerkingsCode>
    </B:Bericht>
    <B:Bericht>
      <BerichtID>33333333-3333-3333-3333-333333333333</BerichtID>
      <BerichtType>BELAST</BerichtType>
      <VerwerkingsCode>ValidatieGebruiker</VerwerkingsCode>
      <Stadium>StoreMessage</Stadium>
    </B:Bericht>"""


@pytest.mark.parametrize(
    ("root_prefix", "bericht_prefix"), [("ns3", "ns2"), ("a", "b"), ("x", "y")]
)
def test_parse_by_local_name_with_any_prefix(root_prefix: str, bericht_prefix: str) -> None:
    res = parse_result(_response(LETTERS, root_prefix=root_prefix, bericht_prefix=bericht_prefix))
    assert res.bericht_leverancier_code == OIN
    assert res.batch_id == BATCH_ID
    assert (
        res.totaal,
        res.verwerkt,
        res.geen_actieve_box,
        res.technisch_probleem,
        res.berichttype_niet_correct,
        res.publicatiedatum_niet_correct,
        res.aanmaakdatum_niet_correct,
    ) == (28, 1, 2, 3, 4, 5, 6)
    assert res.datum_ontvangen == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert res.datum_verwerkt == datetime(2026, 11, 28, 10, 30, 15, 500000, tzinfo=UTC)
    assert [(x.code, x.stadium) for x in res.letters] == [
        ("Verwerkt", "NA"),
        ("TechnischProbleem", None),  # xsi:nil
        ("XmlValidatieTegenXsdValtNegatiefUit", None),  # absent
        ("ValidatieGebruiker", "StoreMessage"),  # unknown code kept as received
    ]


def test_parse_with_default_namespaces_and_qualified_children() -> None:
    doc = f"""<BerichtVerwerkResponse xmlns="{NS_RESPONSE}"><BatchInformatie>
      <BerichtLeverancierCode>{OIN}</BerichtLeverancierCode><BatchID>{BATCH_ID}</BatchID>
      <TotaalAantalOntvangenBerichten>1</TotaalAantalOntvangenBerichten>
      <AantalBerichtenSuccesvolVerwerkt>1</AantalBerichtenSuccesvolVerwerkt>
      <AantalBerichtenGeenActieveBoxOfGeabonneertOpLeverancier>0</AantalBerichtenGeenActieveBoxOfGeabonneertOpLeverancier>
      <AantalBerichtenMetTechnischProbleem>0</AantalBerichtenMetTechnischProbleem>
      <AantalBerichtenBerichtTypeNietCorrect>0</AantalBerichtenBerichtTypeNietCorrect>
      <AantalBerichtenPublicatieDatumNietCorrect>0</AantalBerichtenPublicatieDatumNietCorrect>
      <AantalBerichtenAanmaakDatumNietCorrect>0</AantalBerichtenAanmaakDatumNietCorrect>
      <DatumOntvangen>2026-11-28T10:00:00Z</DatumOntvangen><DatumVerwerkt>2026-11-28T10:01:00Z</DatumVerwerkt>
    </BatchInformatie><Berichten><Bericht xmlns="{NS_RESULTAAT}">
      <BerichtID>{BATCH_ID}</BerichtID><BerichtType>T</BerichtType>
      <VerwerkingsCode> Verwerkt </VerwerkingsCode><Stadium></Stadium>
    </Bericht></Berichten></BerichtVerwerkResponse>""".encode()
    res = parse_result(doc)
    assert res.letters == (LetterResult(BATCH_ID, "T", "Verwerkt", ""),)
    assert res.all_delivered


def test_letter_result_properties() -> None:
    res = parse_result(_response(LETTERS))
    first, _, nil, unknown = res.letters
    assert nil.is_nil and nil.bericht_id == NIL_GUID
    assert not first.is_nil
    assert first.verwerkingscode is VerwerkingsCode.VERWERKT
    assert nil.verwerkingscode is VerwerkingsCode.XML_VALIDATIE
    assert unknown.verwerkingscode is None
    assert unknown.code == "ValidatieGebruiker"


def _result(**changes: int) -> BatchResult:
    values = {"totaal": 2, "verwerkt": 2} | changes
    return BatchResult(
        bericht_leverancier_code=OIN,
        batch_id=BATCH_ID,
        totaal=values["totaal"],
        verwerkt=values["verwerkt"],
        geen_actieve_box=0,
        technisch_probleem=0,
        berichttype_niet_correct=0,
        publicatiedatum_niet_correct=0,
        aanmaakdatum_niet_correct=0,
        datum_ontvangen=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
        datum_verwerkt=datetime(2026, 11, 28, 10, 5, 0, 125000, tzinfo=UTC),
        letters=(),
    )


def test_all_delivered_rule() -> None:
    assert _result().all_delivered
    assert not _result(verwerkt=1).all_delivered
    assert not _result(totaal=0, verwerkt=0).all_delivered


def test_empty_berichten_and_missing_berichten_give_no_letters() -> None:
    res = parse_result(_response(""))
    assert res.letters == ()
    root = etree.fromstring(_response(""))
    root.remove(root[1])
    assert parse_result(etree.tostring(root)).letters == ()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "<TotaalAantalOntvangenBerichten>28<",
            "<TotaalAantalOntvangenBerichten>veel<",
            "geen geheel getal",
        ),
        (
            "<DatumOntvangen>2026-11-28T10:00:00.000Z<",
            "<DatumOntvangen>morgen<",
            "DatumOntvangen 'morgen'",
        ),
        ("<BatchID>", "<Batch>", "BatchID ontbreekt"),
        (
            "<VerwerkingsCode>Verwerkt</VerwerkingsCode>",
            "",
            "VerwerkingsCode ontbreekt in resultaat 1",
        ),
        ("<BatchInformatie>", "<Info>", "BatchInformatie ontbreekt"),
    ],
)
def test_parse_errors_are_dutch(old: str, new: str, message: str) -> None:
    doc = _response(LETTERS).decode()
    assert old in doc
    doc = doc.replace(old, new).replace(old.replace("<", "</", 1), new.replace("<", "</", 1))
    with pytest.raises(ResultParseError, match=message):
        parse_result(doc.encode())


def test_parse_refuses_other_roots_and_unsafe_xml() -> None:
    with pytest.raises(ResultParseError, match="hoofdelement is Berichten"):
        parse_result(b"<Berichten/>")
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        parse_result(
            b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><BerichtVerwerkResponse>&x;'
            b"</BerichtVerwerkResponse>"
        )


def test_gzipped_result_is_read() -> None:
    data = _response(LETTERS)
    assert parse_result(gzip.compress(data)) == parse_result(data)


def test_gzip_bomb_and_broken_gzip_are_refused() -> None:
    bomb = gzip.compress(b"<r>" + b" " * 5_000_000 + b"</r>")
    assert len(bomb) < 50_000
    with pytest.raises(XmlInputError, match="uitgepakte resultaat is groter"):
        parse_result(bomb, max_bytes=1_000_000)
    with pytest.raises(ResultParseError, match="beschadigd"):
        parse_result(gzip.compress(_response(LETTERS))[:60])


def test_build_writes_unqualified_children_and_nil_stadium() -> None:
    res = result_from_letters(
        bericht_leverancier_code=OIN,
        batch_id=BATCH_ID,
        datum_ontvangen=datetime(2026, 11, 28, 11, 0, tzinfo=timezone(timedelta(hours=1))),
        datum_verwerkt=datetime(2026, 11, 28, 10, 1, tzinfo=UTC),
        letters=[
            LetterResult("11111111-1111-1111-1111-111111111111", "BELAST", "Verwerkt", "NA"),
            LetterResult(NIL_GUID, "BELAST", "XmlValidatieTegenXsdValtNegatiefUit", None),
        ],
    )
    data = build_result(res)
    root = etree.fromstring(data)
    assert root.tag == f"{{{NS_RESPONSE}}}BerichtVerwerkResponse"
    assert [c.tag for c in root] == ["BatchInformatie", "Berichten"]
    assert root.findtext("BatchInformatie/DatumOntvangen") == "2026-11-28T10:00:00.000Z"
    berichten = root.find("Berichten")
    assert berichten is not None
    assert [b.tag for b in berichten] == [f"{{{NS_RESULTAAT}}}Bericht"] * 2
    assert [c.tag for c in berichten[0]] == [
        "BerichtID",
        "BerichtType",
        "VerwerkingsCode",
        "Stadium",
    ]
    nil = berichten[1].find("Stadium")
    assert nil is not None
    assert nil.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
    assert default_registry().validate(data, RESPONSE_XSD) == []
    assert parse_result(data) == res


def test_build_refuses_naive_dates() -> None:
    with pytest.raises(ValueError, match="DatumOntvangen"):
        build_result(
            BatchResult(
                OIN, BATCH_ID, 0, 0, 0, 0, 0, 0, 0, datetime(2026, 1, 1), datetime.now(UTC), ()
            )
        )


def test_own_schema_rejects_unknown_code_and_non_guid_batch() -> None:
    reg = default_registry()
    good = LetterResult(BATCH_ID, "T", "Verwerkt", "NA")
    base = _result()
    assert reg.validate(build_result(replace(base, letters=(good,))), RESPONSE_XSD) == []
    unknown = LetterResult(BATCH_ID, "T", "00", "NA")
    assert reg.validate(build_result(replace(base, letters=(unknown,))), RESPONSE_XSD)
    assert reg.validate(build_result(replace(base, batch_id="batch-123")), RESPONSE_XSD)


def test_result_from_letters_counts_by_code() -> None:
    codes = [
        "Verwerkt",
        "Verwerkt",
        "NietActiefOfGeabonneerd",
        "TechnischProbleem",
        "BerichtTypeNietOndersteund",
        "PublicatieDatumLigtTeVerInDeToekomst",
        "AanmaakDatumLigtTeVerInHetVerleden",
        "BerichtBestaatAl",
        "BijlageTeGroot",
        "iets-onbekends",
    ]
    res = result_from_letters(
        bericht_leverancier_code=OIN,
        batch_id=BATCH_ID,
        datum_ontvangen=datetime(2026, 1, 1, tzinfo=UTC),
        datum_verwerkt=datetime(2026, 1, 1, tzinfo=UTC),
        letters=[LetterResult(BATCH_ID, "T", code, "NA") for code in codes],
    )
    assert (res.totaal, res.verwerkt, res.geen_actieve_box, res.technisch_probleem) == (10, 2, 1, 4)
    assert (
        res.berichttype_niet_correct,
        res.publicatiedatum_niet_correct,
        res.aanmaakdatum_niet_correct,
    ) == (1, 1, 1)
    assert not res.all_delivered


ms_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
letter_results = st.builds(
    LetterResult,
    bericht_id=st.uuids().map(str) | st.just(NIL_GUID),
    berichttype=st.text(st.characters(codec="ascii", min_codepoint=33), min_size=1, max_size=8),
    code=st.sampled_from(list(VerwerkingsCode)).map(str),
    stadium=st.none() | st.sampled_from(["NA", "ValidatieBerichtType", "StoreMessage", ""]),
)


@settings(max_examples=100)
@given(
    letters=st.lists(letter_results, max_size=5),
    ontvangen=ms_datetimes,
    verwerkt=ms_datetimes,
    totaal=st.none() | st.integers(0, 1000),
)
def test_build_then_parse_round_trips(
    letters: list[LetterResult], ontvangen: datetime, verwerkt: datetime, totaal: int | None
) -> None:
    res = result_from_letters(
        bericht_leverancier_code=OIN,
        batch_id=BATCH_ID,
        datum_ontvangen=ontvangen,
        datum_verwerkt=verwerkt,
        letters=letters,
        totaal=totaal,
    )
    data = build_result(res)
    assert parse_result(data) == res
    assert default_registry().validate(data, RESPONSE_XSD) == []
