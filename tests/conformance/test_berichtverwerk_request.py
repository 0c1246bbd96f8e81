"""Built batches against Logius' official GLOBEBatchRequest.xsd and our own schema.

Both schemas must agree: every edge case at a limit is valid in both, and every case one
step over a limit is rejected by both. The official example GEB-BV.xml (placeholders
filled in memory) must validate against our schema and parse with parse_berichten.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree

from console.berichtenbox.batch import (
    NS_BERICHT,
    BatchAttachment,
    BatchLetter,
    BatchRequest,
    build_berichten,
    parse_berichten,
)
from console.xml.parser import parse_xml
from console.xml.schemas import SchemaIssue, SchemaRegistry
from tests.unit.test_batch_roundtrip import batch_requests

OFFICIAL = "Request/GLOBEBatchRequest.xsd"
OWN = "berichtverwerk-request.xsd"
BATCH_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
OIN = "00000099000000001000"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 2000


def _letter(n: int = 1, **changes: Any) -> BatchLetter:
    return replace(
        BatchLetter(
            bericht_id=f"00000000-0000-4000-8000-{n:012d}",
            berichttype="BELAST",
            onderwerp="Uw aanslag",
            bsn="123456782",
        ),
        **changes,
    )


def _request(*letters: BatchLetter, **changes: Any) -> BatchRequest:
    return replace(
        BatchRequest(
            batch_id=BATCH_ID,
            aanmaak_datum=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
            bericht_leverancier_id=OIN,
            letters=letters or (_letter(),),
        ),
        **changes,
    )


def _att(n: int, omschrijving: str = "bijlage.pdf", content: bytes = PDF) -> BatchAttachment:
    return BatchAttachment(content=content, omschrijving=omschrijving, volgorde=n)


AT_LIMIT: dict[str, BatchRequest] = {
    "een bericht, minimaal": _request(_letter()),
    "1000 berichten": _request(
        *(
            _letter(n, attachments=(_att(1, content=b"%PDF-1.7 " + str(n).encode()),))
            for n in range(1000)
        )
    ),
    "onderwerp 50 tekens": _request(_letter(onderwerp="O" * 50)),
    "onderwerp 50 tekens van 2 bytes": _request(_letter(onderwerp="é" * 50)),
    "berichttekst 4000 tekens": _request(_letter(berichttekst="T" * 4000)),
    "berichttekst 4000 met regelovergangen": _request(
        _letter(berichttekst="ab\\r\\n" * 666 + "abcd")
    ),
    "referentie 25 tekens": _request(_letter(referentie="R" * 25)),
    "berichttype 8 tekens": _request(_letter(berichttype="TYPE0001")),
    "berichttype 1 teken": _request(_letter(berichttype="X")),
    "twee bijlagen": _request(_letter(attachments=(_att(1), _att(2)))),
    "een bijlage": _request(_letter(attachments=(_att(1),))),
    "geen bijlagen": _request(_letter(attachments=())),
    "omschrijving 128 tekens": _request(_letter(attachments=(_att(1, "D" * 128),))),
    "leverancier-id 25 tekens": _request(bericht_leverancier_id="9" * 25),
    "publicatiedatum aanwezig": _request(
        _letter(publicatie_datum=datetime(2026, 12, 5, 8, 0, tzinfo=timezone(timedelta(hours=1))))
    ),
    "publicatiedatum afwezig": _request(_letter(publicatie_datum=None)),
    "einddatum handelingstermijn": _request(
        _letter(
            publicatie_datum=datetime(2026, 12, 5, tzinfo=UTC),
            eind_datum_handelingstermijn=datetime(2027, 1, 31, 23, 59, 59, 999000, tzinfo=UTC),
        )
    ),
    "guids in hoofdletters": _request(
        _letter(bericht_id="ABCDEF01-2345-4678-9ABC-DEF012345678"),
        batch_id="ABCDEF01-2345-4678-9ABC-DEF012345679",
    ),
    "alles tegelijk op de grens": _request(
        *(
            _letter(
                n,
                berichttype="B" * 8,
                onderwerp="O" * 50,
                berichttekst="T" * 4000,
                referentie="R" * 25,
                publicatie_datum=datetime(2026, 12, 1, tzinfo=UTC),
                attachments=(_att(1, "D" * 128), _att(2, "E")),
            )
            for n in range(3)
        ),
        bericht_leverancier_id="9" * 25,
    ),
}

OVER_LIMIT: dict[str, BatchRequest] = {
    "onderwerp 51 tekens": _request(_letter(onderwerp="O" * 51)),
    "onderwerp leeg": _request(_letter(onderwerp="")),
    "berichttekst 4001 tekens": _request(_letter(berichttekst="T" * 4001)),
    "referentie 26 tekens": _request(_letter(referentie="R" * 26)),
    "berichttype 9 tekens": _request(_letter(berichttype="TYPE00001")),
    "berichttype leeg": _request(_letter(berichttype="")),
    "bsn leeg": _request(_letter(bsn="")),
    "drie bijlagen": _request(_letter(attachments=(_att(1), _att(2), _att(3)))),
    "omschrijving 129 tekens": _request(_letter(attachments=(_att(1, "D" * 129),))),
    "omschrijving leeg": _request(_letter(attachments=(_att(1, ""),))),
    "bijlage zonder inhoud": _request(_letter(attachments=(_att(1, content=b""),))),
    "leverancier-id 26 tekens": _request(bericht_leverancier_id="9" * 26),
    "leverancier-id leeg": _request(bericht_leverancier_id=""),
    "batchid geen guid": _request(batch_id="batchID"),
    "berichtid geen guid": _request(_letter(bericht_id="berichtId1")),
    "berichtid met accolades": _request(
        _letter(bericht_id="{00000000-0000-4000-8000-000000000001}")
    ),
}


@pytest.mark.parametrize("case", list(AT_LIMIT), ids=list(AT_LIMIT))
def test_batches_at_the_limits_are_valid_in_both_schemas(
    case: str, official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    data = build_berichten(AT_LIMIT[case])
    assert official_bvs_registry.validate(data, OFFICIAL) == []
    assert own_registry.validate(data, OWN) == []
    assert parse_berichten(data) == AT_LIMIT[case]


@pytest.mark.parametrize("case", list(OVER_LIMIT), ids=list(OVER_LIMIT))
def test_one_over_a_limit_is_rejected_by_both_schemas(
    case: str, official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    data = build_berichten(OVER_LIMIT[case])
    official = official_bvs_registry.validate(data, OFFICIAL)
    own = own_registry.validate(data, OWN)
    assert official, "het officiële schema had dit moeten afkeuren"
    assert own, "ons schema had dit moeten afkeuren"
    assert {i.line for i in own} == {i.line for i in official}


def _tostring(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def test_1001_letters_rejected_by_both_schemas(
    official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    root = parse_xml(build_berichten(AT_LIMIT["1000 berichten"]))
    extra = copy.deepcopy(root[1])
    root.append(extra)
    assert len(root) == 1002  # BatchInformatie + 1001 Bericht
    data = _tostring(root)
    assert official_bvs_registry.validate(data, OFFICIAL)
    assert own_registry.validate(data, OWN)


def test_wrong_element_order_rejected_by_both_schemas(
    official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    root = parse_xml(build_berichten(_request(_letter(referentie="R", berichttekst="T"))))
    info = root[1][0]
    tekst = info.find(f"{{{NS_BERICHT}}}BerichtTekst")
    referentie = info.find(f"{{{NS_BERICHT}}}Referentie")
    assert tekst is not None and referentie is not None
    info.remove(referentie)
    tekst.addprevious(referentie)
    data = _tostring(root)
    assert official_bvs_registry.validate(data, OFFICIAL)
    assert own_registry.validate(data, OWN)


def test_empty_bijlagen_element_rejected_by_both_schemas(
    official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    root = parse_xml(build_berichten(_request(_letter(attachments=(_att(1),)))))
    bijlagen = root[1][1]
    bijlagen.remove(bijlagen[0])
    data = _tostring(root)
    assert official_bvs_registry.validate(data, OFFICIAL)
    assert own_registry.validate(data, OWN)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(req=batch_requests)
def test_random_valid_batches_are_valid_in_the_official_schema(
    req: BatchRequest, official_bvs_registry: SchemaRegistry
) -> None:
    assert official_bvs_registry.validate(build_berichten(req), OFFICIAL) == []


# --------------------------------------------------------------------------- GEB-BV.xml

EXAMPLE_BATCH_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
EXAMPLE_BERICHT_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def _example(reference_dir: Path) -> bytes:
    return (reference_dir / "logius" / "examples" / "GEB-BV.xml").read_bytes()


def _filled_example(reference_dir: Path) -> bytes:
    data = _example(reference_dir)
    for placeholder, value in (
        (b">batchID<", EXAMPLE_BATCH_ID),
        (b">batchId<", EXAMPLE_BATCH_ID),
        (b">berichtId1<", EXAMPLE_BERICHT_ID),
        (b">Berichttype<", "TYPE0001"),
    ):
        assert data.count(placeholder) == 1
        data = data.replace(placeholder, b">" + value.encode() + b"<")
    return data


def _lines(issues: list[SchemaIssue]) -> set[int]:
    return {i.line for i in issues}


def test_example_as_shipped_fails_both_schemas_on_the_same_placeholders(
    reference_dir: Path, official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    data = _example(reference_dir)
    official = official_bvs_registry.validate(data, OFFICIAL)
    own = own_registry.validate(data, OWN)
    assert len(official) == 4
    assert _lines(own) == _lines(official)


def test_filled_example_validates_against_our_schema_and_parses(
    reference_dir: Path, official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    data = _filled_example(reference_dir)
    assert b"\r\n" in data  # the Logius files keep their CRLF line endings
    assert official_bvs_registry.validate(data, OFFICIAL) == []
    assert own_registry.validate(data, OWN) == []

    req = parse_berichten(data)
    assert req.batch_id == EXAMPLE_BATCH_ID
    assert req.aanmaak_datum == datetime(2017, 3, 3, 8, 9, 8, 790000, tzinfo=UTC)
    assert req.bericht_leverancier_id == "OIN Nummer"
    (letter,) = req.letters
    assert letter.bericht_id == EXAMPLE_BERICHT_ID
    assert letter.berichttype == "TYPE0001"
    assert letter.publicatie_datum == datetime(2017, 3, 3, 8, 9, 8, 790000, tzinfo=UTC)
    assert letter.eind_datum_handelingstermijn is None
    assert letter.onderwerp == "Opgevuld met een zin van maximaal 50 karakters"
    assert letter.berichttekst == "Dit is berichtinhoud van batch bericht"
    assert letter.referentie == "Dit is bericht referentie"
    assert letter.bsn == "BSN"
    (att,) = letter.attachments
    assert att.content == base64.b64decode("RGl0IGlzIGluaG91ZCB2YW4gYmlqbGFnZSAx")
    assert att.omschrijving == "Omschrijving van de bijlage 1"
    assert att.volgorde == 1

    # What we build from it is valid in the official schema and reads back the same.
    rebuilt = build_berichten(req)
    assert official_bvs_registry.validate(rebuilt, OFFICIAL) == []
    assert parse_berichten(rebuilt) == req
