"""BerichtVerwerkResponse: build_result against Logius' official GLOBEBatchResponse.xsd and
our own schema; parse_result on the hand-authored ebms-adapter-client sample.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from console.berichtenbox.result import (
    BatchResult,
    LetterResult,
    build_result,
    parse_result,
    result_from_letters,
)
from console.domain.ids import NIL_GUID
from console.domain.verwerkingscode import VerwerkingsCode
from console.xml.schemas import SchemaRegistry

OFFICIAL = "Response/GLOBEBatchResponse.xsd"
OWN = "berichtverwerk-response.xsd"
BATCH_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
OIN = "00000099000000001000"


def _result(letters: list[LetterResult], **changes: Any) -> BatchResult:
    res = result_from_letters(
        bericht_leverancier_code=OIN,
        batch_id=BATCH_ID,
        datum_ontvangen=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
        datum_verwerkt=datetime(2026, 11, 28, 10, 2, 30, 250000, tzinfo=UTC),
        letters=letters,
    )
    return replace(res, **changes)


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


CASES: dict[str, BatchResult] = {
    "alle tien codes": _result(
        [LetterResult(_id(n), "BELAST", str(code), "NA") for n, code in enumerate(VerwerkingsCode)]
    ),
    "stadium nil": _result([LetterResult(_id(1), "BELAST", "TechnischProbleem", None)]),
    "stadium met waarde": _result(
        [LetterResult(_id(1), "BELAST", "TechnischProbleem", "StoreMessage")]
    ),
    "stadium leeg": _result([LetterResult(_id(1), "BELAST", "Verwerkt", "")]),
    "nil bericht-id": _result(
        [LetterResult(NIL_GUID, "BELAST", "OinInCPAKomtNietOvereenMetOinInBericht", None)]
    ),
    "geen berichten": _result([], totaal=0),
    "1000 berichten": _result([LetterResult(_id(n), "T", "Verwerkt", "NA") for n in range(1000)]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_built_results_are_valid_in_both_schemas(
    case: str, official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    data = build_result(CASES[case])
    assert official_bvs_registry.validate(data, OFFICIAL) == []
    assert own_registry.validate(data, OWN) == []
    assert parse_result(data) == CASES[case]


@pytest.mark.parametrize(
    "res",
    [
        _result([LetterResult(_id(1), "T", "00", "NA")]),
        _result([LetterResult(_id(1), "T", "ValidatieGebruiker", "NA")]),
        _result([LetterResult("berichtId1", "T", "Verwerkt", "NA")]),
        _result([LetterResult(_id(1), "T", "Verwerkt", "NA")], batch_id="batch-123"),
        _result([LetterResult(_id(n), "T", "Verwerkt", "NA") for n in range(1001)]),
    ],
    ids=[
        "code 00",
        "code buiten de enumeratie",
        "bericht-id geen guid",
        "batch-id geen guid",
        "1001 berichten",
    ],
)
def test_invalid_results_are_rejected_by_both_schemas(
    res: BatchResult, official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    data = build_result(res)
    official = official_bvs_registry.validate(data, OFFICIAL)
    own = own_registry.validate(data, OWN)
    assert official and own
    assert {i.line for i in own} == {i.line for i in official}
    assert parse_result(data) == res  # the parser still keeps everything


def _sample(reference_dir: Path) -> bytes:
    return (
        reference_dir / "ebms-adapter-client" / "berichten_verwerk_response_sample.xml"
    ).read_bytes()


def test_hand_authored_sample_parses_and_keeps_the_raw_code(reference_dir: Path) -> None:
    res = parse_result(_sample(reference_dir))
    assert res.bericht_leverancier_code == "00000000000000000000"
    assert res.batch_id == "batch-123"
    assert (res.totaal, res.verwerkt) == (2, 2)
    assert res.all_delivered
    assert res.datum_ontvangen == datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    assert res.datum_verwerkt == datetime(2024, 1, 1, 9, 1, 30, tzinfo=UTC)
    assert [(x.bericht_id, x.berichttype, x.code, x.stadium) for x in res.letters] == [
        ("11111111-1111-1111-1111-111111111111", "bericht", "00", "NA"),
        ("22222222-2222-2222-2222-222222222222", "bericht", "00", "NA"),
    ]
    assert all(x.verwerkingscode is None for x in res.letters)  # "00" is not a real code


def test_sample_is_invalid_as_shipped_and_valid_when_fixed_in_both_schemas(
    reference_dir: Path, official_bvs_registry: SchemaRegistry, own_registry: SchemaRegistry
) -> None:
    data = _sample(reference_dir)
    official = official_bvs_registry.validate(data, OFFICIAL)
    own = own_registry.validate(data, OWN)
    assert len(official) == 3  # BatchID and two VerwerkingsCodes
    assert {i.line for i in own} == {i.line for i in official}

    fixed = data.replace(b">batch-123<", f">{BATCH_ID}<".encode()).replace(
        b"<VerwerkingsCode>00<", b"<VerwerkingsCode>Verwerkt<"
    )
    assert official_bvs_registry.validate(fixed, OFFICIAL) == []
    assert own_registry.validate(fixed, OWN) == []
    assert all(x.verwerkingscode is VerwerkingsCode.VERWERKT for x in parse_result(fixed).letters)
