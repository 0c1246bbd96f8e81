"""The Aansluiten page on a real workspace: typing updates the estimate, bad input is named
under its field, answers are saved, the checklist shows the console's own evidence, steps
open their page, manual steps are ticked, the report is exported. And in the real window."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from console.domain.onboarding import F_KOSTEN, LetterKind, StepState
from console.services.bootstrap import ConsoleServices
from console.ui.main_window import MainWindow
from console.ui.onboarding_view import OnboardingView
from console.ui.tasks import TaskRunner
from tests.gui.fake_services import FakeServices
from tests.integration.conftest import submit, wait_for


@pytest.fixture
def organisation_id(live: ConsoleServices) -> int:
    org = live.workspace.status().organisation_id
    assert org is not None
    return org


@pytest.fixture
def view(
    qtbot: QtBot, live: ConsoleServices, task_runner: TaskRunner, organisation_id: int
) -> OnboardingView:
    widget = OnboardingView(live, task_runner)
    qtbot.addWidget(widget)
    widget.resize(1100, 900)
    widget.set_organisation(organisation_id)
    widget.show()
    qtbot.waitUntil(lambda: widget.overview is not None and task_runner.pending == 0)
    _shown(qtbot, widget)
    return widget


def _shown(qtbot: QtBot, view: OnboardingView) -> None:
    """New step rows become visible on the next turn of the event loop; click them after."""
    qtbot.waitUntil(
        lambda: bool(view.step_widgets) and all(w.isVisible() for w in view.step_widgets.values())
    )


def _set_count(view: OnboardingView, row: int, text: str) -> None:
    item = view.kinds_table.item(row, 1)
    assert isinstance(item, QTableWidgetItem)
    item.setText(text)  # as the table's editor does when the user confirms a cell


def _settle(qtbot: QtBot, view: OnboardingView) -> None:
    qtbot.waitUntil(lambda: view.preview_settled)


def test_typing_updates_the_estimate_and_saving_keeps_the_answers(
    qtbot: QtBot, view: OnboardingView, live: ConsoleServices, organisation_id: int
) -> None:
    assert view.organisation_combo.currentData() == organisation_id
    assert view.kinds_table.rowCount() == 4  # the usual letters of a municipality, 0 each
    assert view.kinds_table.item(0, 0).text() == "Aanslag gemeentelijke belastingen"  # type: ignore[union-attr]
    assert "Nog niet opgeslagen" in view.saved_label.text()

    _set_count(view, 0, "40.000")
    _set_count(view, 1, "12345")
    view.cost_edit.setFocus()
    qtbot.keyClicks(view.cost_edit, "0,85")
    _settle(qtbot, view)
    labels = view.estimate_labels
    assert labels["digital"].text() == "13.086"
    assert labels["paper"].text() == "39.259"
    assert labels["saving"].text() == "€ 11.123,10"
    assert "4.362 brieven per maand" in view.monthly_label.text()
    assert view.saved_label.text() == "Niet opgeslagen wijzigingen."

    qtbot.keyClicks(view.one_off_edits["aanvraag"], "1500")
    _settle(qtbot, view)
    assert labels["one_off"].text() == "€ 1.500,00"
    assert labels["payback"].text() == "2 maanden"

    view.save_button.click()
    qtbot.waitUntil(lambda: view.saved_label.text().startswith("Opgeslagen door "))
    saved = live.onboarding.answers(organisation_id)  # type: ignore[union-attr]
    assert saved.saved
    assert saved.answers.letter_kinds[:2] == (
        LetterKind("Aanslag gemeentelijke belastingen", 40_000),
        LetterKind("WOZ-beschikking", 12_345),
    )
    assert saved.answers.cost_per_letter == Decimal("0.85")
    assert saved.answers.one_off("aanvraag") == Decimal("1500")
    qtbot.waitUntil(
        lambda: view.step_widgets["impactanalyse"].step.state is StepState.DONE, timeout=10_000
    )


def test_bad_input_is_named_under_its_field_and_blocks_saving(
    qtbot: QtBot, view: OnboardingView
) -> None:
    qtbot.keyClicks(view.cost_edit, "abc")
    _settle(qtbot, view)
    message = view.rows[F_KOSTEN].message
    assert not message.isHidden()
    assert message.text() == "Kosten per brief: 'abc' is geen getal. Vul bijvoorbeeld 0,85 in."
    assert not view.save_button.isEnabled()
    assert view.save_button.toolTip().startswith("De impactanalyse kan nog niet worden opgeslagen")

    view.share_edit.clear()
    qtbot.keyClicks(view.share_edit, "120")
    _settle(qtbot, view)
    assert view.rows["Aandeel digitaal"].message.text() == (
        "Aandeel digitaal is 120 %; maximaal 100 %."
    )
    view.share_default_button.click()
    view.cost_edit.clear()
    qtbot.keyClicks(view.cost_edit, "0,92")
    _settle(qtbot, view)
    assert view.save_button.isEnabled()
    assert view.share_edit.text() == "25"
    assert view.rows[F_KOSTEN].message.isHidden()


def test_typed_answers_survive_a_switch_to_another_organisation_and_a_reload(
    qtbot: QtBot, view: OnboardingView, organisation_id: int
) -> None:
    qtbot.keyClicks(view.cost_edit, "0,7x")  # not readable yet: kept exactly as typed
    _settle(qtbot, view)
    other = next(
        i
        for i in range(view.organisation_combo.count())
        if view.organisation_combo.itemData(i) != organisation_id
    )
    view.organisation_combo.setCurrentIndex(other)
    qtbot.waitUntil(lambda: view.organisation_id == view.organisation_combo.itemData(other))
    assert view.cost_edit.text() == ""
    view.organisation_combo.setCurrentIndex(view.organisation_combo.findData(organisation_id))
    qtbot.waitUntil(lambda: view.organisation_id == organisation_id)
    assert view.cost_edit.text() == "0,7x"
    assert view.saved_label.text() == "Niet opgeslagen wijzigingen."
    _settle(qtbot, view)
    assert "'0,7x' is geen getal" in view.rows[F_KOSTEN].message.text()

    view.refresh_button.click()  # reloading the evidence keeps what is typed, too
    qtbot.waitUntil(lambda: view.runner.pending == 0)
    assert view.cost_edit.text() == "0,7x" and view.dirty


def test_checklist_shows_the_evidence_of_a_simulator_letter(
    qtbot: QtBot, view: OnboardingView, live: ConsoleServices
) -> None:
    step = view.step_widgets["testbericht_simulator"]
    assert step.badge.text() == "Open" and step.evidence_label.isHidden()
    detail = wait_for(live, submit(live, "999990019"))
    assert detail.row.verwerkings_code == "Verwerkt"

    view.refresh_button.click()
    qtbot.waitUntil(
        lambda: view.step_widgets["testbericht_simulator"].badge.text() == "Gedaan",
        timeout=10_000,
    )
    done = view.step_widgets["testbericht_simulator"]
    assert f"BerichtID {detail.row.bericht_id}" in done.evidence_label.text()
    assert not done.evidence_label.isHidden()
    assert done.tick_box is None  # evidence, not a checkbox
    assert "stappen gedaan" in view.progress.format()


def test_a_step_opens_its_page_and_a_manual_step_is_ticked(
    qtbot: QtBot, view: OnboardingView, live: ConsoleServices, organisation_id: int
) -> None:
    oin = view.step_widgets["oin"]
    assert oin.page_button is not None and oin.page_button.text() == "Naar Organisaties"
    with qtbot.waitSignal(view.openPage) as opened:
        qtbot.mouseClick(oin.page_button, Qt.MouseButton.LeftButton)
    assert opened.args == ["organisaties"]

    tick = view.step_widgets["intentieverklaring"].tick_box
    assert tick is not None and not tick.isChecked()
    tick.click()
    qtbot.waitUntil(
        lambda: view.step_widgets["intentieverklaring"].badge.text() == "Gedaan", timeout=10_000
    )
    widget = view.step_widgets["intentieverklaring"]
    assert widget.mark_label.text().startswith("Afgevinkt door ")
    assert widget.tick_box is not None and widget.tick_box.isChecked()
    step = live.onboarding.checklist(organisation_id).step("intentieverklaring")  # type: ignore[union-attr]
    assert step.state is StepState.DONE and step.mark is not None


def test_export_writes_the_report(qtbot: QtBot, view: OnboardingView, tmp_path: Path) -> None:
    target = tmp_path / "verslag.txt"
    asked: list[str] = []

    def choose(suggested: str) -> str:
        asked.append(suggested)
        return str(target)

    view.choose_report_path = choose
    with qtbot.waitSignal(view.notice) as notice:
        view.export_button.click()
    assert asked == ["aansluiten-gemeente-voorbeeld.pdf"]
    assert notice.args == [f"Verslag opgeslagen in {target}."]
    text = target.read_text(encoding="utf-8")
    assert text.startswith("Verslag: aansluiten op de MijnOverheid Berichtenbox")
    assert "4. Checklist:" in text


def test_without_the_service_the_page_says_so(qtbot: QtBot, task_runner: TaskRunner) -> None:
    widget = OnboardingView(FakeServices(), task_runner)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.stack.currentWidget() is widget.empty_state
    assert "niet beschikbaar" in widget.empty_state.text_label.text()
    assert not widget.export_button.isEnabled()


def test_the_page_in_the_real_window_sends_the_user_to_the_right_page(
    qtbot: QtBot, live: ConsoleServices, task_runner: TaskRunner, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(live, task_runner, settings=settings)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.workspace_status is not None)
    window.page_actions[6].trigger()  # Ctrl+7: Aansluiten
    assert window.current_page() == "aansluiten"
    page = window.onboarding_view
    qtbot.waitUntil(lambda: page.overview is not None and task_runner.pending == 0)
    _shown(qtbot, page)
    assert page.organisation_id == window.organisation_id  # the banner's organisation
    assert "Aansluiten" in window.windowTitle()

    certificate = page.step_widgets["certificaat_preprod"]
    assert certificate.page_button is not None
    qtbot.mouseClick(certificate.page_button, Qt.MouseButton.LeftButton)
    assert window.current_page() == "certificaten"

    window.show_page("aansluiten")
    page.step_widgets["impactanalyse"].page_button.click()  # type: ignore[union-attr]
    assert window.current_page() == "aansluiten"  # the questionnaire is on this page
    image = window.grab()
    assert image.save(str(tmp_path / "aansluiten.png"))
