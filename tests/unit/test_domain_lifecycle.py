from __future__ import annotations

import pytest

from console.domain.lifecycle import (
    FINAL,
    STATUS_LABELS,
    IllegalTransition,
    LetterEvent,
    LetterStatus,
    can,
    transition,
)
from console.domain.verwerkingscode import (
    CATALOGUE,
    Outcome,
    VerwerkingsCode,
    explain,
    explain_stadium,
)

S, E = LetterStatus, LetterEvent


def test_happy_path() -> None:
    st = transition(S.QUEUED, E.CLAIM)
    st = transition(st, E.HTTP_ACCEPTED)
    st = transition(st, E.ACKNOWLEDGED)
    assert transition(st, E.RESULT, VerwerkingsCode.VERWERKT) is S.DELIVERED


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (VerwerkingsCode.VERWERKT, S.DELIVERED),
        (VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD, S.NOT_SUBSCRIBED),
        (VerwerkingsCode.BERICHT_BESTAAT_AL, S.DUPLICATE),
        (VerwerkingsCode.BERICHTTYPE_NIET_ONDERSTEUND, S.REJECTED),
        (VerwerkingsCode.XML_VALIDATIE, S.REJECTED),
        (VerwerkingsCode.TECHNISCH_PROBLEEM, S.REJECTED),
    ],
)
def test_result_code_decides_final_state(code: VerwerkingsCode, status: LetterStatus) -> None:
    assert transition(S.ACKNOWLEDGED, E.RESULT, code) is status


def test_result_may_overtake_the_acknowledgment() -> None:
    assert transition(S.SENT, E.RESULT, VerwerkingsCode.VERWERKT) is S.DELIVERED


def test_retries_keep_the_letter_in_its_batch() -> None:
    assert transition(S.SENDING, E.TRANSPORT_ERROR) is S.SENDING
    assert transition(S.SENDING, E.RECOVER) is S.SENDING


@pytest.mark.parametrize("final", sorted(FINAL))
def test_no_second_final_state(final: LetterStatus) -> None:
    with pytest.raises(IllegalTransition):
        transition(final, E.RESULT, VerwerkingsCode.VERWERKT)
    assert not can(final, E.ACKNOWLEDGED)


def test_result_without_code_and_before_sending_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        transition(S.ACKNOWLEDGED, E.RESULT)
    with pytest.raises(IllegalTransition):
        transition(S.QUEUED, E.RESULT, VerwerkingsCode.VERWERKT)


def test_resend_only_after_failure_and_never_after_delivery() -> None:
    assert transition(S.REJECTED, E.RESEND) is S.QUEUED
    assert transition(S.EXPIRED, E.RESEND) is S.QUEUED
    for st in (S.DELIVERED, S.DUPLICATE, S.NOT_SUBSCRIBED, S.ACKNOWLEDGED):
        assert not can(st, E.RESEND)


def test_paper_fallback() -> None:
    assert transition(S.NOT_SUBSCRIBED, E.MARK_PAPER) is S.PAPER
    assert not can(S.DELIVERED, E.MARK_PAPER)


def test_every_status_has_a_word_and_a_tone() -> None:
    assert set(STATUS_LABELS) == set(LetterStatus)
    for label in STATUS_LABELS.values():
        assert label.text and label.tone in {"grey", "blue", "green", "amber", "red"}


def test_catalogue_covers_all_ten_codes_in_plain_dutch() -> None:
    assert len(VerwerkingsCode) == 10
    assert set(CATALOGUE) == set(VerwerkingsCode)
    for code, expl in CATALOGUE.items():
        assert expl.explanation.endswith(".") and expl.next_step
        assert explain(code.value) is expl
    assert explain("00") is None
    assert CATALOGUE[VerwerkingsCode.BERICHT_BESTAAT_AL].outcome is Outcome.DUPLICATE
    assert not CATALOGUE[VerwerkingsCode.BERICHT_BESTAAT_AL].resend_allowed
    assert (
        CATALOGUE[VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD].next_step
        == "Verstuur het bericht per post."
    )


def test_stadium_explained() -> None:
    assert explain_stadium("NA") == "Geen probleem."
    assert "opgeslagen" in explain_stadium("StoreMessage")
    assert "Iets" in explain_stadium("Iets")
    assert explain_stadium(None) == ""
