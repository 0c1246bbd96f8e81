"""The Stromen page: berichtstromen with templates, berichttypes with badges, the drift check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.domain.environment import Environment
from console.services.demo import DEMO_OIN
from console.ui.flows_view import FlowsView
from console.ui.letter_table_model import LetterRole
from console.ui.tasks import TaskRunner
from tests.gui.flow_gui_support import ConfigServices, config_services


@pytest.fixture
def services(tmp_path: Path) -> Iterator[ConfigServices]:
    real = config_services(tmp_path / "data")
    yield real
    real.db.dispose()


@pytest.fixture
def view(qtbot: QtBot, services: ConfigServices, task_runner: TaskRunner) -> FlowsView:
    widget = FlowsView(services, task_runner)
    qtbot.addWidget(widget)
    widget.resize(1280, 900)
    widget.show()
    qtbot.waitUntil(lambda: widget.flows.table.rowCount() == 15 and task_runner.pending == 0)
    qtbot.waitUntil(lambda: widget.berichttypes.table.rowCount() == 15)
    return widget


def _settle(qtbot: QtBot, validator: object, runner: TaskRunner) -> None:
    qtbot.waitUntil(lambda: validator.settled and runner.pending == 0)  # type: ignore[attr-defined]


def _row(table: object, text: str, column: int = 0, also: tuple[int, str] | None = None) -> int:
    for row in range(table.rowCount()):  # type: ignore[attr-defined]
        if table.item(row, column).text() == text and (  # type: ignore[attr-defined]
            also is None or table.item(row, also[0]).text() == also[1]  # type: ignore[attr-defined]
        ):
            return row
    raise AssertionError(f"{text} niet gevonden")


def test_drift_is_shown_and_goes_away_when_the_berichttype_is_activated(
    qtbot: QtBot, view: FlowsView, services: ConfigServices, task_runner: TaskRunner
) -> None:
    assert view.drift_label.isVisible()
    assert "Berichttype NIEUW van Gemeente Voorbeeld is concept" in view.drift_label.text()
    flow_row = _row(view.flows.table, "Parkeervergunning")
    assert view.flows.table.item(flow_row, 4).text() == "Berichttype niet actief"
    assert view.flows.table.item(flow_row, 4).data(LetterRole.STATUS_TONE) == "amber"

    panel = view.berichttypes
    view.tabs.setCurrentWidget(panel)
    panel.table.selectRow(_row(panel.table, "NIEUW"))
    assert panel.detail.code == "NIEUW"
    assert panel.status_badges[Environment.SIMULATOR].text() == "Concept"
    qtbot.mouseClick(panel.activate_buttons[Environment.SIMULATOR], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.drift_label.isVisible() and task_runner.pending == 0)
    assert services.berichttypes.find(DEMO_OIN, "NIEUW").status_simulator.value == "actief"
    assert panel.status_badges[Environment.SIMULATOR].text() == "Actief"
    assert "door" in panel.status_notes[Environment.SIMULATOR].text()
    assert "SIMULATOR: concept → actief" in panel.history_list.item(0).text()


def test_berichttypes_show_a_badge_per_environment_and_refuse_production_first(
    qtbot: QtBot, view: FlowsView, task_runner: TaskRunner
) -> None:
    panel = view.berichttypes
    view.tabs.setCurrentWidget(panel)
    row = _row(panel.table, "BELAST")
    assert [panel.table.item(row, c).text() for c in (2, 3, 4, 5)] == [
        "Actief in preprod",
        "Actief",
        "Actief",
        "Concept",
    ]
    assert [panel.table.item(row, c).data(LetterRole.STATUS_TONE) for c in (2, 3, 4, 5)] == [
        "blue",
        "green",
        "green",
        "grey",
    ]
    panel.table.selectRow(_row(panel.table, "WOZ", also=(1, "Gemeente Voorbeeld")))
    qtbot.mouseClick(panel.activate_buttons[Environment.PRODUCTIE], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.status_message.isVisible())
    assert "eerst in preprod" in panel.status_message.text()


def test_a_duplicate_code_is_named_under_the_field(
    qtbot: QtBot, view: FlowsView, task_runner: TaskRunner
) -> None:
    panel = view.berichttypes
    view.tabs.setCurrentWidget(panel)
    panel.new()
    panel.organisation_combo.setCurrentIndex(
        next(
            i
            for i in range(panel.organisation_combo.count())
            if "Gemeente Voorbeeld" in panel.organisation_combo.itemText(i)
        )
    )
    qtbot.keyClicks(panel.code_edit, "woz")
    qtbot.keyClicks(panel.name_edit, "Nog een WOZ")
    _settle(qtbot, panel.validator, task_runner)
    assert "verschilt alleen in hoofdletters" in panel.rows["Code"].message.text()
    assert not panel.save_button.isEnabled()
    panel.code_edit.clear()
    qtbot.keyClicks(panel.code_edit, "WOZBEZW")
    _settle(qtbot, panel.validator, task_runner)
    assert panel.save_button.isEnabled()
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.detail is not None and panel.detail.code == "WOZBEZW")
    assert panel.detail.stage.label == "Concept"


def test_a_template_with_an_unspaced_payment_link_is_refused_while_typing(
    qtbot: QtBot, view: FlowsView, task_runner: TaskRunner
) -> None:
    flows = view.flows
    flows.table.selectRow(
        _row(flows.table, "Aanslag gemeentelijke belastingen", also=(1, "Gemeente Voorbeeld"))
    )
    editor = flows.form.templates
    qtbot.waitUntil(lambda: editor.template is not None and task_runner.pending == 0)
    assert editor.name_edit.text() == "Aanslagbiljet"
    preview = editor.preview.text()
    assert "referentie=2027-000123&amp;bedrag=312.40" in preview  # the example values
    assert "312,40 euro" in preview
    editor.tekst_edit.setPlainText(
        editor.tekst_edit.toPlainText().replace("via {{betaallink}}", "via{{betaallink}}")
    )
    _settle(qtbot, editor.validator, task_runner)
    assert "Zet een spatie voor en na {{betaallink}}" in editor.rows["BerichtTekst"].message.text()
    assert not editor.save_button.isEnabled()
    assert "kan nog niet worden opgeslagen" in editor.reason_label.text()


def test_a_new_flow_is_saved_from_the_form(
    qtbot: QtBot, view: FlowsView, services: ConfigServices, task_runner: TaskRunner
) -> None:
    flows = view.flows
    form = flows.form
    flows.new()
    form.organisation_combo.setCurrentIndex(
        next(
            i
            for i in range(form.organisation_combo.count())
            if "Gemeente Voorbeeld" in form.organisation_combo.itemText(i)
        )
    )
    form._organisation_changed()
    qtbot.waitUntil(lambda: form.berichttype_combo.findData("WOZ") >= 0)
    qtbot.keyClicks(form.name_edit, "Hondenbelasting")
    form.berichttype_combo.setCurrentIndex(form.berichttype_combo.findData("BELAST"))
    qtbot.keyClicks(form.payment_edit, "http://betalen.voorbeeld.nl/")
    form.add_peak()
    form.peaks_table.item(0, 0).setText("28-02-2027")
    _settle(qtbot, form.validator, task_runner)
    assert "moet beginnen met https://" in form.rows["Betaaladres"].message.text()
    assert "is geen datum" in form.rows["Piekdagen"].message.text()
    form.payment_edit.clear()
    qtbot.keyClicks(form.payment_edit, "https://betalen.voorbeeld.nl/hond")
    form.peaks_table.item(0, 0).setText("2027-02-28")
    form.peaks_table.item(0, 1).setText("1.200")
    _settle(qtbot, form.validator, task_runner)
    assert form.save_button.isEnabled(), form.reason_label.text()
    with qtbot.waitSignal(form.saved):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    saved = services.flows.find("Hondenbelasting", DEMO_OIN)
    assert saved.payment_url == "https://betalen.voorbeeld.nl/hond"
    assert [(p.day.isoformat(), p.expected_letters) for p in saved.peaks] == [("2027-02-28", 1200)]
    qtbot.waitUntil(lambda: flows.table.rowCount() == 16)
    assert form.templates_card.isVisibleTo(form)
