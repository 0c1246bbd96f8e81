"""Pure rules of berichttypes and berichtstromen: codes, lifecycle, amounts, links, templates."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.domain.environment import Environment
from console.domain.flow import (
    AmountError,
    BerichtTypeStage,
    BerichtTypeStatus,
    FlowLinks,
    berichttype_code_problem,
    berichttype_stage,
    duplicate_code_problem,
    format_amount,
    https_url_problem,
    parse_amount,
    payment_link,
    placeholders,
    render_template,
    status_change_problem,
    template_issues,
)
from console.domain.letter import LetterDraft, unspaced_urls, validate_letter

LINKS = FlowLinks("https://mijn.voorbeeld.nl/", "https://betalen.voorbeeld.nl/aanslag")
C, A, G = BerichtTypeStatus.CONCEPT, BerichtTypeStatus.ACTIEF, BerichtTypeStatus.GEDEACTIVEERD


@pytest.mark.parametrize("code", ["BELAST", "A", "UPO", "AB_12-x", "bericht", "12345678"])
def test_valid_berichttype_codes(code: str) -> None:
    assert berichttype_code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("", "Vul een code in"),
        ("   ", "Vul een code in"),
        ("ABCDEFGHI", "De code is 9 tekens; maximaal 8."),
        ("BE LAST", "een spatie mag niet"),
        ("BÉLAST", "'É' mag niet"),
        ("AB/C", "'/' mag niet"),
    ],
)
def test_invalid_berichttype_codes_say_why(code: str, expected: str) -> None:
    problem = berichttype_code_problem(code)
    assert problem is not None and expected in problem


def test_duplicate_codes_are_found_regardless_of_case() -> None:
    assert duplicate_code_problem("WOZ", ["BELAST"]) is None
    exact = duplicate_code_problem("WOZ", ["BELAST", "WOZ"], "Gemeente Voorbeeld")
    assert exact == (
        "Berichttype WOZ bestaat al van Gemeente Voorbeeld. Een code is uniek per organisatie."
    )
    folded = duplicate_code_problem("woz", ["WOZ"])
    assert folded is not None and "verschilt alleen in hoofdletters" in folded


@pytest.mark.parametrize(
    ("preprod", "productie", "stage"),
    [
        (C, C, BerichtTypeStage.CONCEPT),
        (A, C, BerichtTypeStage.ACTIEF_PREPROD),
        (A, A, BerichtTypeStage.ACTIEF_PRODUCTIE),
        (G, A, BerichtTypeStage.ACTIEF_PRODUCTIE),
        (G, C, BerichtTypeStage.GEDEACTIVEERD),
        (A, G, BerichtTypeStage.ACTIEF_PREPROD),
        (G, G, BerichtTypeStage.GEDEACTIVEERD),
    ],
)
def test_lifecycle_stage_follows_the_logius_environments(
    preprod: BerichtTypeStatus, productie: BerichtTypeStatus, stage: BerichtTypeStage
) -> None:
    assert berichttype_stage(preprod, productie) is stage
    assert stage.label and stage.tone in {"grey", "blue", "green", "amber"}


def _statuses(sim: BerichtTypeStatus, pre: BerichtTypeStatus, prod: BerichtTypeStatus) -> dict:
    return {Environment.SIMULATOR: sim, Environment.PREPROD: pre, Environment.PRODUCTIE: prod}


def test_production_only_after_preprod() -> None:
    problem = status_change_problem("WOZ", Environment.PRODUCTIE, A, _statuses(A, C, C))
    assert problem is not None and "eerst in preprod" in problem
    assert status_change_problem("WOZ", Environment.PRODUCTIE, A, _statuses(C, A, C)) is None
    # Deactivated in preprod after go-live: production may still be (re)activated.
    assert status_change_problem("WOZ", Environment.PRODUCTIE, A, _statuses(C, G, G)) is None


def test_no_way_back_to_concept_but_reactivation_is_fine() -> None:
    problem = status_change_problem("WOZ", Environment.PREPROD, C, _statuses(C, A, C))
    assert problem is not None and "niet terug naar concept" in problem and "preprod" in problem
    assert status_change_problem("WOZ", Environment.PREPROD, A, _statuses(C, G, C)) is None
    assert status_change_problem("WOZ", Environment.SIMULATOR, G, _statuses(C, C, C)) is None
    assert status_change_problem("WOZ", Environment.SIMULATOR, C, _statuses(C, C, C)) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("312,40", Decimal("312.40")),
        ("312.40", Decimal("312.40")),
        ("1.234,50", Decimal("1234.50")),
        ("€ 12", Decimal("12.00")),
        ("12,5", Decimal("12.50")),
        ("0,01", Decimal("0.01")),
    ],
)
def test_amounts_in_dutch_and_plain_notation(text: str, value: Decimal) -> None:
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Vul een bedrag in"),
        ("abc", "geen bedrag"),
        ("0", "groter zijn dan 0"),
        ("-5", "groter zijn dan 0"),
        ("1,234", "meer dan 2 decimalen"),
        ("2000000", "groter dan"),
        ("NaN", "groter zijn dan 0"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(text: str, expected: str) -> None:
    with pytest.raises(AmountError, match=expected):
        parse_amount(text)


def test_amounts_are_written_the_dutch_way() -> None:
    assert format_amount(Decimal("1234567.5")) == "1.234.567,50"
    assert format_amount(Decimal("12")) == "12,00"


def test_payment_link_carries_reference_and_amount_and_keeps_the_existing_query() -> None:
    url = payment_link(
        "https://betalen.voorbeeld.nl/pay?gemeente=0363&referentie=oud",
        "AS 2027/001&x",
        Decimal("312.4"),
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "betalen.voorbeeld.nl", "/pay")
    query = parse_qs(parts.query)
    assert query == {"gemeente": ["0363"], "referentie": ["AS 2027/001&x"], "bedrag": ["312.40"]}
    assert " " not in url  # a space would end the link in MijnOverheid


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.voorbeeld.nl/", "moet beginnen met https://"),
        ("https://voorbeeld", "geen geldige servernaam"),
        ("https://www.voorbeeld.nl/a b", "bevat een spatie"),
    ],
)
def test_link_addresses_must_be_https(url: str, expected: str) -> None:
    problem = https_url_problem(url, "betaaladres")
    assert problem is not None and expected in problem and "betaaladres" in problem
    assert https_url_problem("", "betaaladres") is None
    assert https_url_problem("https://betalen.voorbeeld.nl/", "betaaladres") is None


def _blocking(issues: list) -> list[str]:
    return [i.message for i in issues if i.blocking]


def test_a_good_template_has_no_issues() -> None:
    text = "Beste {{naam}},\nBetaal via {{betaallink}}\nOf kijk op {{portaallink}} voor meer."
    assert template_issues("Uw aanslag {{jaar}}", text, LINKS, name="Aanslag") == []
    assert placeholders(text) == ["naam", "betaallink", "portaallink"]


def test_links_without_spaces_around_them_are_refused() -> None:
    issues = template_issues("A", "Betaal via{{betaallink}}.", LINKS, name="x")
    assert _blocking(issues) == [
        "Zet een spatie voor en na {{betaallink}}, anders toont MijnOverheid de link niet als link."
    ]
    literal = template_issues("A", "Zie (https://www.voorbeeld.nl/x) nu", LINKS, name="x")
    assert any("https://www.voorbeeld.nl/x)" in m for m in _blocking(literal))


def test_a_link_the_flow_has_no_address_for_is_refused() -> None:
    issues = template_issues(
        "A", "Betaal via {{betaallink}} of {{portaallink}} nu", FlowLinks(), name="x"
    )
    messages = " ".join(_blocking(issues))
    assert "geen adres van de betaalomgeving" in messages
    assert "geen portaaladres" in messages


def test_template_structure_and_limits() -> None:
    messages = _blocking(template_issues("{{Naam}} " + "x" * 51, "Tekst {{naam", LINKS, name=""))
    assert "Vul een naam in voor het sjabloon." in messages
    assert any("geen geldige naam" in m for m in messages)
    assert any("zonder {{ of }}" in m for m in messages)
    assert any("zonder de velden al 52 tekens; maximaal 50" in m for m in messages)
    in_subject = _blocking(template_issues("Betaal {{betaallink}}", "", LINKS, name="x"))
    assert any("onderwerp toont geen links" in m for m in in_subject)


def test_unknown_fields_are_a_warning_not_a_refusal() -> None:
    issues = template_issues("A", "Uw {{document}} verloopt.", LINKS, name="x")
    assert [(i.blocking, "{{document}}" in i.message) for i in issues] == [(False, True)]


def test_render_builds_the_payment_link_with_spaces_around_it() -> None:
    rendered = render_template(
        "Aanslag {{jaar}}",
        "Beste {{naam}},\nU betaalt {{bedrag}} euro via {{betaallink}}\nGroet",
        {"naam": "J. de Vries", "jaar": "2027", "bedrag": "312,4", "referentie": "AS-1"},
        LINKS,
    )
    assert rendered.ok, rendered.issues
    assert rendered.onderwerp == "Aanslag 2027"
    assert "U betaalt 312,40 euro via " in rendered.berichttekst
    link = "https://betalen.voorbeeld.nl/aanslag?referentie=AS-1&bedrag=312.40"
    assert f" {link} \nGroet" in rendered.berichttekst
    draft = LetterDraft("999990019", "BELAST", rendered.onderwerp, rendered.berichttekst)
    assert validate_letter(draft) == []


def test_render_refuses_a_payment_link_without_reference_or_amount() -> None:
    missing_ref = render_template("A", "Via {{betaallink}} nu", {"bedrag": "10"}, LINKS)
    assert [i.field for i in missing_ref.issues if i.blocking] == ["referentie"]
    bad_amount = render_template(
        "A", "Via {{betaallink}} nu", {"referentie": "X", "bedrag": "?"}, LINKS
    )
    assert [i.field for i in bad_amount.issues if i.blocking] == ["bedrag"]
    missing_value = render_template("Aanslag {{jaar}}", "", {}, LINKS)
    assert [i.message for i in missing_value.issues] == ["Veld {{jaar}} heeft geen waarde."]
    assert not missing_value.ok


words = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" .,!?()"),
    max_size=30,
).filter(lambda t: "http" not in t.lower())


@given(before=words, after=words, link=st.sampled_from(["betaallink", "portaallink"]))
def test_rendered_links_always_have_spaces_around_them(before: str, after: str, link: str) -> None:
    # Whatever surrounds the field in the template, the letter's links are spaced.
    rendered = render_template(
        "A", f"{before}{{{{{link}}}}}{after}", {"referentie": "R1", "bedrag": "5"}, LINKS
    )
    assert unspaced_urls(rendered.berichttekst) == []
    assert ("https://" in rendered.berichttekst) is True
