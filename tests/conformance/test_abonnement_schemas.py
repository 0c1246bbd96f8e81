"""AbonnementService: our requests against Logius' examples, and our own answer schema.

Logius' AbonnementAanvraag.xsd and AbonnementAntwoord.xsd could not be obtained. The
request side is checked against the three official example messages (same namespace, same
element names and order; the examples, placeholders filled in memory, are valid under our
schema). The answer schema is our own design; our answers must be valid under it.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from console.berichtenbox.abonnement import (
    AanvraagSoort,
    AbonnementAanvraag,
    AbonnementRegel,
    AbonnementStatus,
    AntwoordKop,
    build_aanvraag,
    build_antwoord,
    parse_aanvraag,
)
from console.xml.schemas import default_registry

OIN = "00000099123456789000"
EXAMPLES = {
    AanvraagSoort.VOLLEDIG: "GLOBE-R-A-Request_Volledig.xml",
    AanvraagSoort.BSN_LIJST: "GLOBE-R-A-Request_BSN-Lijst.xml",
    AanvraagSoort.MUTATIE: "GLOBE-R-A-Request_Mutatie.xml",
}


def _filled(path: Path) -> bytes:
    """The example with its placeholders replaced by real values (in memory only)."""
    root = etree.parse(
        str(path), etree.XMLParser(resolve_entities=False, no_network=True)
    ).getroot()
    root.find("BerichtLeverancier/OIN").text = OIN  # type: ignore[union-attr]
    root.find("VerzoekId").text = "verzoek-1"  # type: ignore[union-attr]
    for n, bsn in enumerate(root.iterfind("BSNLijst/BSN")):
        bsn.text = f"99999001{n}"
    return bytes(etree.tostring(root))


def _shape(el: etree._Element) -> list[tuple[str, int]]:
    return [(str(e.tag), len(list(e.iterancestors()))) for e in el.iter() if isinstance(e.tag, str)]


@pytest.mark.parametrize("soort", list(EXAMPLES))
def test_official_examples_are_valid_under_our_request_schema(
    reference_dir: Path, soort: AanvraagSoort
) -> None:
    data = _filled(reference_dir / "logius" / "examples" / EXAMPLES[soort])
    assert default_registry().validate(data, "abonnement-aanvraag.xsd") == []
    assert parse_aanvraag(data).soort is soort


@pytest.mark.parametrize("soort", list(EXAMPLES))
def test_our_requests_have_the_structure_of_the_examples(
    reference_dir: Path, soort: AanvraagSoort
) -> None:
    example = etree.fromstring(_filled(reference_dir / "logius" / "examples" / EXAMPLES[soort]))
    bsns = tuple(e.text or "" for e in example.iterfind("BSNLijst/BSN"))
    ours = build_aanvraag(
        AbonnementAanvraag(
            OIN,
            "verzoek-1",
            soort,
            bsns,
            datetime(2016, 2, 2, 12, 23, 16, 326000, tzinfo=UTC)
            if soort is AanvraagSoort.MUTATIE
            else None,
        )
    )
    assert default_registry().validate(ours, "abonnement-aanvraag.xsd") == []
    assert _shape(etree.fromstring(ours)) == _shape(example)
    if soort is AanvraagSoort.MUTATIE:
        assert etree.fromstring(ours).findtext("MutatieDatum") == example.findtext("MutatieDatum")


@pytest.mark.parametrize("soort", list(AanvraagSoort))
def test_our_answers_are_valid_under_our_answer_schema(soort: AanvraagSoort) -> None:
    regels = [
        AbonnementRegel("999990019", AbonnementStatus.SUBSCRIBED),
        AbonnementRegel("999990044", AbonnementStatus.NOT_SUBSCRIBED),
        AbonnementRegel("999990068", AbonnementStatus.NO_BOX),
    ]
    kop = AntwoordKop(
        OIN,
        "verzoek-1",
        soort,
        datetime.now(UTC),
        datetime(2026, 11, 1, tzinfo=UTC) if soort is AanvraagSoort.MUTATIE else None,
    )
    data = gzip.decompress(build_antwoord(kop, regels))
    assert default_registry().validate(data, "abonnement-antwoord.xsd") == []


def test_answer_schema_refuses_an_unknown_status() -> None:
    data = gzip.decompress(
        build_antwoord(AntwoordKop(OIN, "v", AanvraagSoort.BSN_LIJST, datetime.now(UTC)), [])
    ).replace(
        b"<Abonnementen>",
        b"<Abonnementen><Abonnement><BSN>999990019</BSN><Status>Misschien</Status></Abonnement>",
    )
    assert default_registry().validate(data, "abonnement-antwoord.xsd") != []
