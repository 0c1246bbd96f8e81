"""Aansluiten, the pure rules: parsing Dutch numbers, the estimate to the cent, validation,
the stored form of the answers, and how each checklist step gets its state."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.domain.onboarding import (
    DEFAULT_DIGITAL_SHARE,
    STEPS,
    Answers,
    ConnectionVariant,
    DigidStatus,
    Finding,
    LetterKind,
    ManualMark,
    OrganisationType,
    Phase,
    Sender,
    StepKind,
    StepState,
    answers_from_json,
    answers_to_json,
    applicable_steps,
    default_answers,
    derive_checklist,
    estimate,
    format_count,
    format_euro,
    format_percent,
    parse_amount,
    parse_count,
    parse_percent,
    tick_refusal,
    validate_answers,
)

D = Decimal
MARK = ManualMark("j.jansen", datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


def _answers(**kw: object) -> Answers:
    values: dict[str, object] = {
        "organisation_type": OrganisationType.GEMEENTE,
        "letter_kinds": (LetterKind("Aanslag", 40_000), LetterKind("WOZ", 12_345)),
        "cost_per_letter": D("0.85"),
    }
    values.update(kw)
    return Answers(**values)  # type: ignore[arg-type]


# --- numbers as a Dutch user types them -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0,85", D("0.85")),
        ("0.85", D("0.85")),
        ("€ 1.234,50", D("1234.50")),
        ("1.500", D("1500")),
        ("2400", D("2400")),
        ("  12,5 ", D("12.5")),
    ],
)
def test_amounts_accept_comma_point_and_thousands(text: str, value: Decimal) -> None:
    assert parse_amount(text, "Kosten per brief") == value


def test_an_empty_amount_is_not_filled_in_and_bad_ones_say_why() -> None:
    assert parse_amount("", "Kosten per brief") is None
    assert parse_amount("abc", "Kosten per brief") == (
        "Kosten per brief: 'abc' is geen getal. Vul bijvoorbeeld 0,85 in."
    )
    assert parse_amount("0,855", "Kosten per brief") == (
        "Kosten per brief heeft te veel cijfers achter de komma; maximaal 2 cijfers."
    )
    assert parse_amount("-1", "Kosten per brief") == (
        "Kosten per brief is -€ 1,00; dat kan niet negatief zijn."
    )
    assert parse_percent("101") == "Aandeel digitaal is 101 %; maximaal 100 %."
    assert parse_percent("12,55") == (
        "Aandeel digitaal heeft te veel cijfers achter de komma; maximaal 1 cijfer."
    )


def test_counts_are_whole_numbers_with_optional_thousand_dots() -> None:
    assert parse_count("40.000", "Brieven") == 40_000
    assert parse_count("", "Brieven") == 0
    assert parse_count("1,5", "Brieven") == (
        "Brieven: '1,5' is geen heel getal. Vul bijvoorbeeld 40.000 in."
    )
    assert parse_count("100.000.001", "Brieven") == (
        "Brieven is 100.000.001; maximaal 100.000.000."
    )


def test_formats_are_dutch() -> None:
    assert format_euro(D("1234.5")) == "€ 1.234,50"
    assert format_euro(D("0.005")) == "€ 0,01"  # half up
    assert format_euro(D("-3")) == "-€ 3,00"
    assert format_count(1_234_567) == "1.234.567"
    assert format_percent(D("25")) == "25 %"
    assert format_percent(D("12.5")) == "12,5 %"
    assert format_percent(D("100")) == "100 %"


# --- the estimate -------------------------------------------------------------------------


def test_estimate_with_exact_numbers() -> None:
    e = estimate(_answers(one_off_costs=(("aanvraag", D("1500")),)))
    # 40.000 x 25 % = 10.000; 12.345 x 25 % = 3.086,25 -> 3.086
    assert [(k.digital_per_year, k.paper_per_year) for k in e.kinds] == [
        (10_000, 30_000),
        (3_086, 9_259),
    ]
    assert [k.saving_per_year for k in e.kinds] == [D("8500.00"), D("2623.10")]
    assert (e.letters_per_year, e.digital_per_year, e.paper_per_year) == (52_345, 13_086, 39_259)
    assert (e.letters_per_month, e.digital_per_month) == (4_362, 1_091)  # 4.362,08 and 1.090,5
    assert e.gross_saving_per_year == D("11123.10")  # 13.086 x 0,85
    assert e.recurring_per_year == D("0.00")
    assert e.net_saving_per_year == D("11123.10")
    assert e.one_off_total == D("1500.00")
    assert e.payback_months == 2  # 1.500 x 12 / 11.123,10 = 1,6 -> 2
    assert e.payback_text == "De eenmalige kosten zijn in ongeveer 2 maanden terugverdiend."
    assert "Kosten per brief: € 0,85 (uw eigen bedrag)." in e.assumptions
    assert any("standaardaanname" in a for a in e.assumptions)


def test_rounding_is_per_kind_and_half_up() -> None:
    e = estimate(_answers(letter_kinds=(LetterKind("A", 10), LetterKind("B", 10))))
    assert [k.digital_per_year for k in e.kinds] == [3, 3]  # 2,5 -> 3 each
    assert e.digital_per_year == 6


def test_zero_letters_gives_zero_and_says_what_is_missing() -> None:
    e = estimate(_answers(letter_kinds=(LetterKind("Aanslag", 0),)))
    assert (e.letters_per_year, e.digital_per_year, e.paper_per_year) == (0, 0, 0)
    assert e.gross_saving_per_year == D("0.00")
    assert e.payback_months is None
    assert "niet op tegen" in e.payback_text
    assert e.missing[0].startswith("Vul bij Brieven per jaar in")


def test_no_kinds_and_no_cost_per_letter() -> None:
    e = estimate(Answers())
    assert e.kinds == () and e.letters_per_year == 0
    assert e.gross_saving_per_year is None and e.net_saving_per_year is None
    assert e.payback_text == "Nog niet te berekenen: de kosten per brief ontbreken."
    assert "Vul de kosten per brief in (porto en drukwerk)." in e.missing


def test_hundred_percent_moves_every_letter() -> None:
    e = estimate(_answers(digital_share_percent=D("100")))
    assert e.digital_per_year == 52_345 and e.paper_per_year == 0
    assert e.gross_saving_per_year == D("44493.25")  # 52.345 x 0,85
    assert not any("standaardaanname" in a for a in e.assumptions)


def test_intermediary_costs_per_letter_and_yearly_costs_are_subtracted() -> None:
    e = estimate(
        _answers(
            variant=ConnectionVariant.INTERMEDIAIR,
            intermediary_cost_per_letter=D("0.10"),
            yearly_costs=D("500"),
            one_off_costs=(("intermediair", D("3000")), ("certificaat", D("999"))),
        )
    )
    per_letter = next(i for i in e.recurring_items if i.key == "intermediair_per_bericht")
    assert per_letter.amount == D("1308.60")  # 13.086 x 0,10
    assert per_letter.assumption == "€ 0,10 x 13.086 berichten per jaar"
    assert e.recurring_per_year == D("1808.60")
    assert e.net_saving_per_year == D("9314.50")  # 11.123,10 - 1.808,60
    # The certificate is not an item of the intermediary variant: its amount is not counted.
    assert [i.key for i in e.one_off_items] == [
        "aanvraag",
        "logius",
        "intermediair",
        "bronsysteem",
        "testen",
        "communicatie",
        "digid",
    ]
    assert e.one_off_total == D("3000.00")
    assert e.payback_months == 4  # 3.000 x 12 / 9.314,50 = 3,87 -> 4


def test_costs_above_the_saving_are_never_paid_back() -> None:
    e = estimate(_answers(yearly_costs=D("20000"), one_off_costs=(("aanvraag", D("10")),)))
    assert e.net_saving_per_year == D("-8876.90")
    assert e.payback_months is None
    assert "niet terugverdiend" in e.payback_text


def test_no_one_off_costs_means_nothing_to_pay_back() -> None:
    e = estimate(_answers())
    assert e.one_off_total == D("0.00") and e.payback_months == 0
    assert e.missing == ("Bij 8 eenmalige posten staat nog geen bedrag; die tellen als € 0.",)


def test_digid_already_connected_drops_the_digid_item_and_the_extra_month() -> None:
    connected = estimate(_answers(digid=DigidStatus.JA))
    not_connected = estimate(_answers(digid=DigidStatus.NEE))
    assert "digid" not in [i.key for i in connected.one_off_items]
    assert "digid" in [i.key for i in not_connected.one_off_items]
    assert any("minstens een maand extra" in a for a in not_connected.assumptions)
    assert not any("minstens een maand extra" in a for a in connected.assumptions)


def test_no_logius_price_is_built_in() -> None:
    e = estimate(_answers())
    logius = next(i for i in e.one_off_items if i.key == "logius")
    assert logius.amount is None and "Niet bevestigd" in logius.assumption
    assert any("Logius-kosten zijn niet meegerekend" in a for a in e.assumptions)


# --- validation and storage ---------------------------------------------------------------


def test_validation_names_the_field_and_the_limit() -> None:
    issues = validate_answers(
        _answers(
            letter_kinds=(LetterKind("Aanslag", 1), LetterKind(" aanslag ", 2), LetterKind("", 3)),
            digital_share_percent=D("120"),
            cost_per_letter=D("250"),
            one_off_costs=(("bronsysteem", D("1.234")),),
        )
    )
    messages = {(i.field, i.message) for i in issues if i.blocking}
    assert messages == {
        ("Brieven per jaar", "Regel 2: 'aanslag' staat al in de lijst ('Aanslag')."),
        ("Brieven per jaar", "Regel 3: vul in om welke soort brief het gaat."),
        ("Aandeel digitaal", "Aandeel digitaal is 120 %; maximaal 100 %."),
        ("Kosten per brief", "Kosten per brief is € 250,00; maximaal € 100,00."),
        (
            "Bronsysteem aanpassen (berichten en PDF/A-bijlagen aanleveren)",
            "Bronsysteem aanpassen (berichten en PDF/A-bijlagen aanleveren) heeft te veel "
            "cijfers achter de komma; maximaal 2 cijfers.",
        ),
    }


def test_missing_cost_and_no_kinds_are_warnings_not_refusals() -> None:
    issues = validate_answers(Answers())
    assert issues and not any(i.blocking for i in issues)
    assert {i.field for i in issues} == {"Brieven per jaar", "Kosten per brief"}


def test_default_answers_start_from_the_kind_of_organisation() -> None:
    first = default_answers("waterschap")
    assert first.organisation_type is OrganisationType.WATERSCHAP
    assert [k.name for k in first.letter_kinds] == [
        "Aanslag waterschapsbelasting",
        "Herinnering en aanmaning",
    ]
    assert all(k.letters_per_year == 0 for k in first.letter_kinds)
    assert first.digital_share_percent == DEFAULT_DIGITAL_SHARE
    assert default_answers("iets-anders").organisation_type is OrganisationType.OVERIG


amounts = st.none() | st.decimals(min_value=0, max_value=99, places=2)


@given(
    kinds=st.lists(st.tuples(st.text(min_size=1, max_size=20), st.integers(0, 10**8)), max_size=5),
    share=st.decimals(min_value=0, max_value=100, places=1),
    cost=amounts,
    variant=st.sampled_from(ConnectionVariant),
    sender=st.sampled_from(Sender),
    digid=st.sampled_from(DigidStatus),
    extra=amounts,
)
def test_answers_survive_their_stored_form(
    kinds: list[tuple[str, int]],
    share: Decimal,
    cost: Decimal | None,
    variant: ConnectionVariant,
    sender: Sender,
    digid: DigidStatus,
    extra: Decimal | None,
) -> None:
    answers = Answers(
        organisation_type=OrganisationType.BELASTINGSAMENWERKING,
        letter_kinds=tuple(LetterKind(n, c) for n, c in kinds),
        digital_share_percent=share,
        cost_per_letter=cost,
        variant=variant,
        sender=sender,
        digid=digid,
        yearly_costs=extra,
        one_off_costs=(("aanvraag", extra),) if extra is not None else (),
    )
    assert answers_from_json(answers_to_json(answers)) == answers


def test_unreadable_stored_values_fall_back_to_defaults() -> None:
    answers = answers_from_json(
        {
            "organisation_type": "kasteel",
            "letter_kinds": [{"name": "Aanslag", "letters_per_year": "veel"}, "rommel"],
            "digital_share_percent": "NaN",
            "cost_per_letter": "nul",
            "variant": "per duif",
            "one_off_costs": {"onbekend": "5", "testen": "7.5"},
        }
    )
    assert answers == Answers(
        letter_kinds=(LetterKind("Aanslag", 0),), one_off_costs=(("testen", D("7.5")),)
    )


# --- the checklist ------------------------------------------------------------------------


def test_steps_are_ordered_after_what_they_require() -> None:
    seen: set[str] = set()
    for step in STEPS:
        assert set(step.requires) <= seen, step.key
        seen.add(step.key)
    assert [p for p in Phase] == sorted({s.phase for s in STEPS}, key=list(Phase).index)


def test_nothing_known_every_step_is_open_or_waits_for_an_earlier_one() -> None:
    checklist = derive_checklist(None, {}, {})
    assert checklist.done == 0
    assert "netwerk" not in [s.key for s in checklist.steps]  # variant not chosen yet
    first = checklist.step("impactanalyse")
    assert first.state is StepState.OPEN and first.page == "aansluiten"
    waiting = checklist.step("intentieverklaring")
    assert waiting.state is StepState.BLOCKED and waiting.tone == "amber"
    assert waiting.next_step.startswith(
        "Eerst: Impactanalyse ingevuld en aansluitvariant gekozen. Daarna: "
    )
    assert checklist.next_open is not None and checklist.next_open.key == "impactanalyse"


def test_evidence_makes_a_step_done_and_unblocks_the_next() -> None:
    findings = {
        "impactanalyse": Finding(True, ("Opgeslagen door j.jansen.",)),
        "oin": Finding(True, ("OIN 00000001002220647000.",)),
    }
    checklist = derive_checklist(_answers(), findings, {"intentieverklaring": MARK})
    assert checklist.step("impactanalyse").state is StepState.DONE
    assert checklist.step("impactanalyse").evidence == ("Opgeslagen door j.jansen.",)
    ticked = checklist.step("intentieverklaring")
    assert ticked.state is StepState.DONE and ticked.mark == MARK and ticked.next_step == ""
    assert checklist.step("aanvraag").state is StepState.OPEN  # its requirement is ticked
    assert checklist.step("netwerk").state is StepState.BLOCKED  # needs the application
    assert "intermediair" not in [s.key for s in checklist.steps]  # own connection chosen


def test_a_problem_in_the_evidence_blocks_in_red_with_the_reason() -> None:
    problem = "Het certificaat van koppeling Logius preprod is verlopen op 1 maart 2026."
    checklist = derive_checklist(
        _answers(),
        {"oin": Finding(True), "certificaat_preprod": Finding(False, ("cert",), problem=problem)},
        {},
    )
    step = checklist.step("certificaat_preprod")
    assert step.state is StepState.BLOCKED and step.problem == problem and step.tone == "red"


def test_a_derived_step_cannot_be_ticked_unless_a_supplier_sends() -> None:
    own = _answers()
    assert tick_refusal("testbericht_simulator", own) is not None
    assert "leidt hem af uit zijn eigen gegevens" in (tick_refusal("oin", own) or "")
    # A mark stored anyway is ignored for a step the console proves itself.
    checklist = derive_checklist(own, {}, {"testbericht_simulator": MARK})
    assert checklist.step("testbericht_simulator").state is StepState.OPEN
    supplier = _answers(sender=Sender.LEVERANCIER)
    assert tick_refusal("testbericht_preprod", supplier) is None
    step = derive_checklist(supplier, {}, {"testbericht_simulator": MARK}).step(
        "testbericht_simulator"
    )
    assert step.state is StepState.DONE and step.tickable
    assert tick_refusal("oin", supplier) is not None  # the OIN is always the console's own


def test_tick_refusals_for_unknown_and_other_variant_steps() -> None:
    assert (tick_refusal("bestaat-niet", None) or "").startswith(
        "Stap 'bestaat-niet' bestaat niet."
    )
    assert "hoort niet bij de gekozen aansluitvariant" in (
        tick_refusal("intermediair", _answers()) or ""
    )
    assert tick_refusal("intermediair", _answers(variant=ConnectionVariant.INTERMEDIAIR)) is None
    assert tick_refusal("verbindingstest_preprod", _answers()) is None  # manual fallback


def test_every_manual_step_is_tickable_and_every_step_says_what_to_do() -> None:
    for step in STEPS:
        assert step.next_step and step.title and step.explanation
        if step.kind is StepKind.MANUAL:
            assert tick_refusal(step.key, Answers(variant=next(iter(step.variants)))) is None


def test_the_variant_decides_which_preparation_step_appears() -> None:
    own = [s.key for s in applicable_steps(_answers())]
    via = [s.key for s in applicable_steps(_answers(variant=ConnectionVariant.INTERMEDIAIR))]
    assert "netwerk" in own and "intermediair" not in own
    assert "intermediair" in via and "netwerk" not in via
    assert len(own) == len(via) == len(STEPS) - 1
