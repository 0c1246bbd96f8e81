"""The results page and the resend dialog that explains the Logius rule."""

from __future__ import annotations

from datetime import UTC, datetime

from console.domain.lifecycle import LetterStatus
from console.services.errors import ServiceError
from console.services.results import (
    RESEND_RULE,
    MissingResultRow,
    ResendCandidate,
    ResendOutcome,
    ResendPlan,
    UnmatchedResultRow,
)
from console.ui.missing_results_view import MissingResultsView

BATCH = "0f0e0d0c-0000-4000-8000-000000000001"


def _candidate(letter_id: int, allowed: bool, code: str, reason: str) -> ResendCandidate:
    return ResendCandidate(
        letter_id,
        f"b-{letter_id}",
        BATCH,
        "*****0019",
        f"Brief {letter_id}",
        LetterStatus.REJECTED,
        code,
        code,
        allowed,
        reason,
    )


class FakeResults:
    def __init__(self) -> None:
        self.candidates = [
            _candidate(1, True, "BerichtTypeNietOndersteund", "Mag opnieuw na herstel."),
            _candidate(
                2, False, "BerichtBestaatAl", "BerichtBestaatAl: geen nieuwe fout; niet opnieuw."
            ),
        ]
        self.resent: list[tuple[list[int], bool]] = []

    def missing_hours(self) -> int:
        return 24

    def missing_results(self) -> list[MissingResultRow]:
        return [
            MissingResultRow(
                7, "b-7", BATCH, "*****0020", "Aanslag", "Gemeente Voorbeeld", datetime.now(UTC), 30
            )
        ]

    def resend_candidates(self) -> list[ResendCandidate]:
        return list(self.candidates)

    def unmatched_results(self) -> list[UnmatchedResultRow]:
        return [UnmatchedResultRow(1, datetime.now(UTC), BATCH, "Resultaat voor onbekende batch")]

    def resend_plan(self, ids: list[int]) -> ResendPlan:
        return ResendPlan(tuple(c for c in self.candidates if c.letter_id in ids))

    def resend(self, ids: list[int], *, cause_fixed: bool) -> ResendOutcome:
        if not cause_fixed:
            raise ServiceError("Bevestig eerst dat de oorzaak is hersteld.")
        self.resent.append((ids, cause_fixed))
        return ResendOutcome(tuple(ids), (), (BATCH,))


def make(services, task_runner, qtbot) -> MissingResultsView:  # type: ignore[no-untyped-def]
    services.results = FakeResults()
    view = MissingResultsView(services, task_runner)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.missing.topLevelItemCount() == 1)
    return view


def test_three_lists_with_counts_and_advice(services, task_runner, qtbot) -> None:
    view = make(services, task_runner, qtbot)
    assert view.missing_title.text() == "Zonder resultaat na 24 uur (1)"
    assert view.missing.topLevelItem(0).text(2) == "30"
    assert "Verstuur ze niet zomaar opnieuw" in view.missing_hint.text()
    assert view.resend_title.text() == "Afgekeurd of mislukt (2)"
    assert view.resend_list.topLevelItem(1).text(3) == "Nee"
    assert view.unmatched.topLevelItem(0).text(1) == BATCH
    assert not view.resend_button.isEnabled()


def test_resend_dialog_explains_the_rule_and_needs_confirmation(
    services, task_runner, qtbot
) -> None:
    view = make(services, task_runner, qtbot)
    view.resend_list.selectAll()
    assert view.resend_button.isEnabled()
    dialog = view.open_resend_dialog()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.plan is not None)
    assert dialog.rule_label.text() == RESEND_RULE
    assert "dezelfde BatchID en hetzelfde BerichtID" in dialog.rule_label.text()
    assert [dialog.tree.topLevelItem(i).text(2) for i in range(2)] == ["Ja", "Nee"]
    assert not dialog.resend_button.isEnabled()
    assert dialog.reason_label.text() == "Bevestig eerst dat de oorzaak is hersteld."
    dialog.confirm.setChecked(True)
    assert (
        dialog.resend_button.isEnabled() and dialog.resend_button.text() == "&Opnieuw versturen (1)"
    )
    with qtbot.waitSignal(dialog.resent, timeout=5000):
        dialog.resend_button.click()
    assert services.results.resent == [([1], True)]  # only the allowed letter


def test_nothing_allowed_keeps_the_button_disabled_with_the_reason(
    services, task_runner, qtbot
) -> None:
    view = make(services, task_runner, qtbot)
    view.resend_list.topLevelItem(1).setSelected(True)
    dialog = view.open_resend_dialog()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.plan is not None)
    dialog.confirm.setChecked(True)
    assert not dialog.resend_button.isEnabled()
    assert "Geen van deze berichten mag nu opnieuw" in dialog.reason_label.text()
