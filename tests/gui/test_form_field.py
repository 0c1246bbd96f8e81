"""What the configuration forms share: ServiceFormMixin's refusal handling and the row lookups."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from console.domain.letter import FieldIssue
from console.services.errors import ConfigRefused, ServiceError
from console.ui.form_field import (
    FieldRowWidget,
    LiveValidator,
    ServiceFormMixin,
    field_form,
    line_edit,
    muted,
    notice_box,
)
from console.ui.tables import badge_cell, read_only_table, select_row_with_id, selected_row_id
from console.ui.tasks import TaskRunner

SAFETY = 30  # seconds the service waits for the test to let a save finish (never reached)
SHORT = "Een korte naam is lastig terug te vinden."


class NotesStub:
    """Stands in for a configuration service; a save waits for ``release`` and then fails with
    ``refusal`` when one is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.refusal: Exception | None = None
        self.calls: list[tuple[Any, ...]] = []

    def validate(self, name: str) -> list[FieldIssue]:
        if not name:
            return [FieldIssue("Naam", "Vul een naam in.")]
        return [FieldIssue("Naam", SHORT, blocking=False)] if len(name) < 4 else []

    def create(self, name: str) -> Any:
        return self._store("create", name)

    def update(self, note_id: int, name: str) -> Any:
        return self._store("update", note_id, name)

    def _store(self, *call: Any) -> Any:
        self.calls.append(call)
        assert self.release.wait(SAFETY)
        if self.refusal is not None:
            raise self.refusal
        return SimpleNamespace(id=7, name=call[-1])


class NoteFormWidget(ServiceFormMixin, QWidget):
    """The smallest form on the mixin: one name, saved through a NotesStub."""

    saved = Signal(object)

    def __init__(self, notes: NotesStub, runner: TaskRunner) -> None:
        super().__init__()
        self.notes = notes
        self.runner = runner
        self.detail: Any = None
        self.issues: list[FieldIssue] = []
        self._saving = False
        self.subject = "De notitie"
        self.saving_text = "Bezig met opslaan…"
        self.name_edit = line_edit("Naam")
        self.rows = {"Naam": FieldRowWidget(self.name_edit)}
        self.general_label = notice_box("red")
        self.reason_label = muted(QLabel(""), small=True)
        self.save_button = QPushButton("&Opslaan")
        self.save_button.clicked.connect(self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(field_form(self.rows, [("Naam", "&Naam", self.name_edit)]))
        layout.addWidget(self.general_label)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.save_button)
        self.name_edit.textEdited.connect(self._changed)
        self.validator = LiveValidator(
            runner, lambda: self.notes.validate(self.data()), self._show_issues, self
        )
        self.validator.run_now()

    def data(self) -> str:
        return self.name_edit.text()

    def save(self) -> None:
        if self._saving:
            return
        self._saving = True
        self._update_buttons()
        self._create_or_update(self.notes)

    def _saved(self, detail: Any) -> None:
        self._saving = False
        self.detail = detail
        self._update_buttons()
        self.saved.emit(detail)


@pytest.fixture
def notes() -> NotesStub:
    return NotesStub()


@pytest.fixture
def form(qtbot: QtBot, notes: NotesStub, task_runner: TaskRunner) -> Iterator[NoteFormWidget]:
    widget = NoteFormWidget(notes, task_runner)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.validator.settled)
    yield widget
    notes.release.set()  # a save the test left waiting may finish before the runner stops


def _type(qtbot: QtBot, form: NoteFormWidget, text: str) -> None:
    """Type at the end of the name, as after clicking behind it."""
    form.name_edit.setFocus()
    form.name_edit.end(False)
    qtbot.keyClicks(form.name_edit, text)
    qtbot.waitUntil(lambda: form.validator.settled)


def test_a_refusal_shows_its_issues_under_the_fields_and_its_message_above_the_button(
    qtbot: QtBot, form: NoteFormWidget, notes: NotesStub
) -> None:
    assert not form.save_button.isEnabled()
    assert form.reason_label.text() == "De notitie kan nog niet worden opgeslagen: Vul een naam in."
    _type(qtbot, form, "Kantoor")
    assert form.save_button.isEnabled() and form.reason_label.text() == ""
    refusal = ConfigRefused("De notitie", [FieldIssue("Naam", "Deze naam bestaat al.")])
    notes.refusal = refusal

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert not form.save_button.isEnabled()
    assert form.reason_label.text() == "Bezig met opslaan…"
    notes.release.set()
    qtbot.waitUntil(lambda: form.general_label.isVisible())

    assert notes.calls == [("create", "Kantoor")]
    assert form.rows["Naam"].message.text() == "Deze naam bestaat al."
    assert form.general_label.text() == str(refusal)
    assert "De notitie is niet opgeslagen" in form.general_label.text()
    assert not form._saving
    assert not form.save_button.isEnabled()  # the refusal's issue blocks, and says so
    assert form.reason_label.text() == (
        "De notitie kan nog niet worden opgeslagen: Deze naam bestaat al."
    )
    # The next change hides the refusal and asks the service again.
    _type(qtbot, form, " 2")
    assert form.name_edit.text() == "Kantoor 2"
    assert not form.general_label.isVisible()
    assert form.rows["Naam"].message.text() == ""
    assert form.save_button.isEnabled()


def test_a_refusal_without_field_issues_keeps_the_fields_and_lets_the_user_save_again(
    qtbot: QtBot, form: NoteFormWidget, notes: NotesStub
) -> None:
    form.detail = SimpleNamespace(id=3, name="Hal")  # an existing note: saving updates it
    _type(qtbot, form, "Hal")
    assert form.rows["Naam"].message.text() == SHORT  # a warning, not a blocking issue
    notes.refusal = ServiceError("De database is bezig. Probeer het zo opnieuw.")

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.reason_label.text() == "Bezig met opslaan…"
    notes.release.set()
    qtbot.waitUntil(lambda: form.general_label.isVisible())

    assert notes.calls == [("update", 3, "Hal")]
    assert form.general_label.text() == "De database is bezig. Probeer het zo opnieuw."
    assert form.rows["Naam"].message.text() == SHORT  # what the fields said stays
    assert form.save_button.isEnabled() and form.reason_label.text() == ""

    notes.refusal = None
    with qtbot.waitSignal(form.saved):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert notes.calls[-1] == ("update", 3, "Hal")
    assert form.detail.id == 7 and form.save_button.isEnabled()


def test_rows_are_found_and_selected_by_the_id_in_their_first_cell(qtbot: QtBot) -> None:
    table = read_only_table(["Naam", "Status"], "Notities")
    qtbot.addWidget(table)
    table.setRowCount(3)
    for row, (note_id, name) in enumerate(((4, "Hal"), (9, "Zaal"), (12, "Kantoor"))):
        table.setItem(row, 0, badge_cell(name, note_id))
        table.setItem(row, 1, badge_cell("Actief", tone="green"))
    assert selected_row_id(table) is None

    assert select_row_with_id(table, 12)
    assert selected_row_id(table) == 12
    assert not select_row_with_id(table, 5)  # no such row: the selection stays
    assert selected_row_id(table) == 12
    assert select_row_with_id(table, 4)
    assert selected_row_id(table) == 4
