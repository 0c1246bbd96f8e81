"""The Instellingen page in the real main window, on the real SettingsService (SQLite).

Change, save and see it stored; a wrong value shows its message and is not stored; reset to
the default; leaving with unsaved changes asks; the administrators; the data folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from console.db.database import Database
from console.db.repositories import SettingsRepository
from console.secrets.store import MemoryStore
from console.services.privacy import PrivacyService
from console.services.settings import DEFINITIONS, SettingsService
from console.settings import AppPaths
from console.ui.main_window import MainWindow
from console.ui.settings_view import DISCARD, SAVE, STAY, NamesEditor, SettingsView
from console.ui.tasks import TaskRunner
from tests.gui.fake_services import FakeServices
from tests.unit.flow_support import demo_db

USER = "j.jansen"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = demo_db(data_dir)
    yield database
    database.dispose()


@pytest.fixture
def services(db: Database, data_dir: Path) -> FakeServices:
    """The in-memory services for the rest of the window, the real settings service."""
    fake = FakeServices()
    fake.settings = SettingsService(
        db,
        paths=AppPaths(data_dir),
        secrets=MemoryStore(),
        privacy=PrivacyService(db, user=USER),
    )
    return fake


@pytest.fixture
def window(
    services: FakeServices, task_runner: TaskRunner, qtbot: QtBot, tmp_path: Path
) -> MainWindow:
    settings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    win = MainWindow(services, task_runner, settings=settings)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    # A test that leaves unsaved changes behind: closing at the end throws them away, without
    # a (modal) question.
    win.settings_view.ask_leave = lambda titles, can_save: DISCARD
    win.show_page("instellingen")
    qtbot.waitUntil(lambda: win.settings_view.overview is not None)
    return win


def stored(db: Database) -> dict[str, Any]:
    with db.session() as s:
        return SettingsRepository(s).all()


def line_edit(view: SettingsView, group: str, key: str) -> QLineEdit:
    editor = view.cards[group].rows[key].editor
    assert isinstance(editor, QLineEdit)
    return editor


def retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_every_setting_is_shown_with_default_allowed_values_and_unconfirmed_badge(
    window: MainWindow,
) -> None:
    view = window.settings_view
    assert window.current_page() == "instellingen"
    rows = {key: row for card in view.cards.values() for key, row in card.rows.items()}
    assert set(rows) == {d.key for d in DEFINITIONS}
    for d in DEFINITIONS:
        row = rows[d.key]
        assert row.isEnabled()
        assert row.title_label.text() == d.label
        assert row.help_label.text() == d.help
        assert row.editor.accessibleName() == d.label
        assert f"Toegestaan: {d.allowed}" in row.facts_label.text()
        assert "(standaard)" in row.facts_label.text()
        assert row.unconfirmed_badge.isVisibleTo(view) == bool(d.unconfirmed)
        assert not row.reset_button.isEnabled()  # nothing stored yet
    assert rows["batch.max_bytes"].unconfirmed_badge.text() == "Niet bevestigd door Logius"
    assert "104.857.600" in rows["batch.max_bytes"].unconfirmed_label.text()
    assert line_edit(view, "batches", "batch.max_bytes").text() == "100"
    assert line_edit(view, "preflight", "preflight.bijlagen_max_bytes").text() == "500.000"
    batches = view.cards["batches"]
    assert "volgende batch" in batches.effect_label.text()
    assert not batches.save_button.isEnabled() and not batches.undo_button.isEnabled()


def test_change_save_and_it_is_stored(window: MainWindow, qtbot: QtBot, db: Database) -> None:
    view = window.settings_view
    card = view.cards["batches"]
    retype(qtbot, line_edit(view, "batches", "batch.max_berichten"), "250")
    retype(qtbot, line_edit(view, "batches", "batch.max_bytes"), "12,5")
    assert card.save_button.isEnabled()
    assert card.status_label.text() == "Niet opgeslagen wijzigingen."
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stored(db).get("batch.max_berichten") == 250)
    qtbot.waitUntil(lambda: card.status_label.text() == "Opgeslagen.")
    assert stored(db)["batch.max_bytes"] == 12_500_000
    assert "Berichten per batch 1.000 → 250" in window.notice_label.text()
    assert "Geldt vanaf de volgende batch" in window.notice_label.text()
    assert not card.save_button.isEnabled()
    row = card.rows["batch.max_berichten"]
    assert "Nu: 250 (ingesteld) · Standaard: 1.000" in row.facts_label.text()
    assert row.reset_button.isEnabled()
    assert view.unsaved_groups() == []


def test_a_choice_and_a_flag_are_saved(window: MainWindow, qtbot: QtBot, db: Database) -> None:
    view = window.settings_view
    pdfa = view.cards["preflight"].rows["preflight.pdfa"].editor
    assert isinstance(pdfa, QComboBox) and pdfa.currentData() == "warn"
    pdfa.setCurrentIndex(pdfa.findData("block"))
    flag = view.cards["abonnementen"].rows["wus.ws_addressing"].editor
    assert isinstance(flag, QCheckBox) and flag.isChecked()
    flag.setChecked(False)
    view.save_all()
    qtbot.waitUntil(lambda: stored(db).get("wus.ws_addressing") is False)
    qtbot.waitUntil(lambda: stored(db).get("preflight.pdfa") == "block")


def test_a_wrong_value_shows_its_message_and_is_not_stored(
    window: MainWindow, qtbot: QtBot, db: Database, task_runner: TaskRunner
) -> None:
    view = window.settings_view
    card = view.cards["batches"]
    edit = line_edit(view, "batches", "batch.max_berichten")
    retype(qtbot, edit, "1200")
    message = card.rows["batch.max_berichten"].field_row.message
    assert message.isVisibleTo(view)
    assert message.text() == "Berichten per batch is 1.200; maximaal 1.000."
    assert edit.accessibleDescription() == message.text()
    assert edit.text() == "1200"  # what was typed stays
    assert not card.save_button.isEnabled()
    assert "maximaal 1.000" in card.save_button.toolTip()
    view.save_group(card)  # even when asked directly, nothing goes to the service
    qtbot.wait(50)
    assert task_runner.pending == 0
    assert "batch.max_berichten" not in stored(db)

    action = line_edit(view, "abonnementen", "abs.antwoord_actie")
    retype(qtbot, action, "GLOBE R A")
    abs_card = view.cards["abonnementen"]
    assert (
        "mag geen spaties bevatten" in abs_card.rows["abs.antwoord_actie"].field_row.message.text()
    )
    assert not abs_card.save_button.isEnabled()
    retype(qtbot, edit, "900")
    assert not message.isVisibleTo(view) and card.save_button.isEnabled()


def test_a_refusal_from_the_service_lands_under_its_field(
    window: MainWindow, qtbot: QtBot, db: Database
) -> None:
    view = window.settings_view
    card = view.cards["abonnementen"]
    # Each field is valid on its own; together the two actions are the same (service rule).
    retype(qtbot, line_edit(view, "abonnementen", "abs.antwoord_actie"), "GLOBE-R-A-Request")
    assert card.save_button.isEnabled()
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    row = card.rows["abs.antwoord_actie"]
    qtbot.waitUntil(lambda: "eigen ebMS-actie" in row.field_row.message.text())
    assert "niet opgeslagen" in card.status_label.text()
    assert "abs.antwoord_actie" not in stored(db)
    assert line_edit(view, "abonnementen", "abs.antwoord_actie").text() == "GLOBE-R-A-Request"


def test_reset_to_default(window: MainWindow, qtbot: QtBot, db: Database) -> None:
    view = window.settings_view
    card = view.cards["preflight"]
    retype(qtbot, line_edit(view, "preflight", "preflight.omschrijving_max"), "128")
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stored(db).get("preflight.omschrijving_max") == 128)
    row = card.rows["preflight.omschrijving_max"]
    qtbot.waitUntil(row.reset_button.isEnabled)
    qtbot.mouseClick(row.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "preflight.omschrijving_max" not in stored(db))
    qtbot.waitUntil(
        lambda: line_edit(view, "preflight", "preflight.omschrijving_max").text() == "40"
    )
    assert "teruggezet op de standaardwaarde" in window.notice_label.text()
    assert not row.reset_button.isEnabled()
    assert "Nu: 40 tekens (standaard)" in row.facts_label.text()


def test_leaving_with_unsaved_changes_asks(window: MainWindow, qtbot: QtBot, db: Database) -> None:
    view = window.settings_view
    asked: list[tuple[list[str], bool]] = []
    answer = [STAY]

    def ask(titles: list[str], can_save: bool) -> str:
        asked.append((titles, can_save))
        return answer[0]

    view.ask_leave = ask
    edit = line_edit(view, "resultaten", "resultaten.ontbrekend_na_uren")
    retype(qtbot, edit, "48")

    window.show_page("berichten")  # stay: the page and the typed value remain
    assert asked == [(["Resultaten"], True)]
    assert window.current_page() == "instellingen"
    assert window.navigation.currentRow() == window.stack.currentIndex()
    assert edit.text() == "48"

    answer[0] = DISCARD
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "berichten"
    assert edit.text() == "24" and "resultaten.ontbrekend_na_uren" not in stored(db)

    window.show_page("instellingen")
    retype(qtbot, edit, "48")
    answer[0] = SAVE
    window.show_page("overzicht")
    assert window.current_page() == "overzicht"
    qtbot.waitUntil(lambda: stored(db).get("resultaten.ontbrekend_na_uren") == 48)
    qtbot.waitUntil(lambda: not view.saving)

    window.show_page("instellingen")
    retype(qtbot, edit, "9999")  # not valid: saving is not offered
    asked.clear()
    answer[0] = SAVE
    window.show_page("overzicht")
    assert asked == [(["Resultaten"], False)]
    assert window.current_page() == "instellingen"
    assert stored(db)["resultaten.ontbrekend_na_uren"] == 48

    answer[0] = STAY
    window.close()  # closing asks too
    assert window.isVisible()
    answer[0] = DISCARD
    window.close()
    assert not window.isVisible()


def test_administrators_add_myself_and_save(window: MainWindow, qtbot: QtBot, db: Database) -> None:
    view = window.settings_view
    card = view.cards["privacy"]
    names = card.rows["privacy.beheerders"].editor
    assert isinstance(names, NamesEditor)
    assert "Er is nog geen beheerder aangewezen" in view.access_label.text()
    assert names.self_button.isVisibleTo(view)
    qtbot.mouseClick(names.self_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(names.name_edit, "p.pietersen")
    qtbot.keyClick(names.name_edit, Qt.Key.Key_Return)
    assert names.names() == ["j.jansen", "p.pietersen"]
    assert not names.self_button.isVisibleTo(view)
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stored(db).get("privacy.beheerders") == ["j.jansen", "p.pietersen"])
    qtbot.waitUntil(lambda: "U bent beheerder (j.jansen)" in view.access_label.text())

    names.list.setCurrentRow(0)  # j.jansen: removing yourself is refused by the service
    qtbot.mouseClick(names.remove_button, Qt.MouseButton.LeftButton)
    assert names.names() == ["p.pietersen"]
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "uzelf niet als beheerder verwijderen" in card.status_label.text())
    assert stored(db)["privacy.beheerders"] == ["j.jansen", "p.pietersen"]


def test_about_shows_where_the_data_is_and_opens_the_folder(
    window: MainWindow, data_dir: Path
) -> None:
    view = window.settings_view
    about = view.about_card
    assert about is not None
    assert about.values["data_dir"].text() == str(data_dir)
    assert about.values["database"].text().startswith(str(data_dir / "console.sqlite3") + " (")
    assert about.values["schema"].text().endswith("(bijgewerkt)")
    assert "alleen in het geheugen" in about.values["keys"].text()
    assert about.values["language"].text().startswith("Nederlands.")
    assert "Engelse vertaling volgt" in about.values["language"].text()
    opened: list[Path] = []

    def open_folder(path: Path) -> bool:
        opened.append(path)
        return True

    view.open_folder = open_folder
    about.open_data_button.click()
    about.open_logs_button.click()
    assert opened == [data_dir, data_dir / "logs"]


def test_wus_address_note_leads_to_the_connections(window: MainWindow) -> None:
    window.settings_view.wus_button.click()
    assert window.current_page() == "organisaties"


def test_without_a_settings_service_the_page_says_so(task_runner: TaskRunner, qtbot: QtBot) -> None:
    view = SettingsView(FakeServices(), task_runner)
    qtbot.addWidget(view)
    view.show()
    assert view.empty_state is not None and view.cards == {}
    assert view.confirm_leave()


def test_closing_with_save_closes_once_it_is_stored(
    window: MainWindow, qtbot: QtBot, db: Database
) -> None:
    view = window.settings_view
    view.ask_leave = lambda titles, can_save: SAVE
    retype(qtbot, line_edit(view, "resultaten", "resultaten.ontbrekend_na_uren"), "36")
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert stored(db)["resultaten.ontbrekend_na_uren"] == 36
