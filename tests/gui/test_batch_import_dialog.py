"""Batch importeren through a real window on the real services (SQLite in a temp dir; the
engine is stopped, so the letters stay where the import put them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.secrets.store import MemoryStore
from console.services.bootstrap import ConsoleServices, open_workspace
from console.services.dto import LetterQuery
from console.settings import resolve_paths
from console.ui.batch_import_dialog import BatchImportDialog
from console.ui.main_window import MainWindow
from console.ui.tasks import TaskRunner
from tests.gui.conftest import drop
from tests.unit.test_batch_import import HEADER, mixed_file


@pytest.fixture
def live(tmp_path: Path) -> Iterator[ConsoleServices]:
    services = open_workspace(
        resolve_paths(tmp_path / "data"), start_engine=False, secrets=MemoryStore()
    )
    try:
        yield services
    finally:
        services.close()


def make_window(qtbot: QtBot, live: ConsoleServices, task_runner: TaskRunner) -> MainWindow:
    window = MainWindow(live, task_runner)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.workspace_status is not None)
    return window


def opened_dialog(qtbot: QtBot, window: MainWindow) -> BatchImportDialog:
    dialogs = window.findChildren(BatchImportDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    qtbot.waitUntil(lambda: dialog.preview is not None or bool(dialog.error))
    return dialog


def test_drop_a_file_on_verzenden_see_every_row_import_and_open_the_log(
    qtbot: QtBot, live: ConsoleServices, task_runner: TaskRunner, tmp_path: Path
) -> None:
    window = make_window(qtbot, live, task_runner)
    window.show_page("verzenden")
    path = mixed_file(tmp_path)

    with qtbot.waitSignal(window.send_view.importRequested) as requested:
        drop(window.send_view, path)
    assert requested.args == [path]
    dialog = opened_dialog(qtbot, window)
    assert dialog.isVisible() and dialog.error == ""

    # Every row, with the totals on top.
    assert dialog.model.rowCount() == 7
    assert dialog.total_label.text() == "7 brieven"
    assert dialog.ok_label.text() == "✓ 2 ok"
    assert dialog.warning_label.text() == "! 2 let op"
    assert dialog.refused_label.text() == "✕ 3 afgekeurd"
    model = dialog.table.model()
    cells = [[model.index(r, c).data() for c in range(7)] for r in range(model.rowCount())]
    assert cells[0][:6] == ["2", "*****0019", "BELAST", "Aanslag 2026", "a1a.pdf", "ok"]
    assert cells[4][1] == "*****6789" and cells[4][5] == "afgekeurd"
    assert "elfproef" in cells[4][6]
    assert not any("999990019" in str(cell) for row in cells for cell in row)  # masked
    dialog.show_combo.setCurrentIndex(dialog.show_combo.findData("afgekeurd"))
    assert dialog.table.model().rowCount() == 3
    dialog.show_combo.setCurrentIndex(0)

    # A chosen row shows all its points; the warnings can stay behind.
    dialog.table.selectRow(5)
    assert dialog.detail_label.isVisible()
    assert "Onderwerp is 51 tekens; maximaal 50." in dialog.detail_label.text()
    assert dialog.send_button.text() == "4 brieven versturen"
    dialog.warnings_check.setChecked(False)
    assert dialog.send_button.text() == "2 brieven versturen"
    assert "5 niet te versturen brieven" in dialog.rejected_label.text()
    dialog.warnings_check.setChecked(True)
    assert "afgekeurd.csv" in dialog.rejected_label.text()
    assert live.letters.count(LetterQuery()) == 0  # nothing stored before Versturen

    with qtbot.waitSignal(dialog.imported, timeout=10_000) as imported:
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    result = imported.args[0]
    assert dialog.result_card.isVisible() and not dialog.send_button.isVisible()
    assert dialog.result_label.text() == result.summary
    assert result.summary.startswith("4 brieven in de wachtrij, 3 afgekeurd (opgeslagen als ")
    assert result.rejected_path.is_file()
    assert window.notice_label.text() == result.summary

    qtbot.mouseClick(dialog.log_button, Qt.MouseButton.LeftButton)
    assert window.current_page() == "berichten"
    log = window.log_view
    assert log.model.query.search == result.tag
    qtbot.waitUntil(lambda: log.model.rowCount() == 4 and not log.model.loading)


def test_the_same_file_again_needs_an_explicit_resend(
    qtbot: QtBot, live: ConsoleServices, task_runner: TaskRunner, tmp_path: Path
) -> None:
    path = tmp_path / "brieven.csv"
    path.write_text(HEADER + "\n999990019;BELAST;Aanslag;;R1;;\n", encoding="utf-8")
    assert live.batch_import is not None
    first = live.batch_import.import_letters(live.batch_import.preview(path))
    window = make_window(qtbot, live, task_runner)

    dialog = window.open_batch_import_dialog(path)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.preview is not None)
    assert dialog.previous_label.isVisible()
    day = first.imported_at.astimezone().strftime("%d-%m-%Y")
    assert f"al geïmporteerd op {day}" in dialog.previous_label.text()
    assert not dialog.send_button.isEnabled()
    assert dialog.reason_label.text() == "Dit bestand is al geïmporteerd."

    dialog.resend_check.setChecked(True)
    assert dialog.send_button.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as imported:
        dialog.send_button.click()
    assert imported.args[0].resent and imported.args[0].queued == 1
    assert live.letters.count(LetterQuery()) == 2


def test_an_unreadable_file_says_why_and_sends_nothing(
    qtbot: QtBot, live: ConsoleServices, task_runner: TaskRunner, tmp_path: Path
) -> None:
    window = make_window(qtbot, live, task_runner)
    broken = tmp_path / "brieven.json"
    broken.write_text("[{", encoding="utf-8")
    dialog = window.open_batch_import_dialog(broken)
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.error))
    assert dialog.error_label.isVisible() and "geen geldige JSON" in dialog.error_label.text()
    assert not dialog.send_button.isEnabled() and not dialog.totals_box.isVisible()

    # Another file dropped on the dialog replaces it.
    good = tmp_path / "goed.csv"
    good.write_text(HEADER + "\n999990019;BELAST;Aanslag;;R1;;\n", encoding="utf-8")
    drop(dialog, good)
    qtbot.waitUntil(lambda: dialog.preview is not None)
    assert not dialog.error_label.isVisible()
    assert dialog.send_button.isEnabled() and dialog.send_button.text() == "1 brief versturen"


def test_only_letter_files_are_taken_from_a_drop(
    qtbot: QtBot, live: ConsoleServices, task_runner: TaskRunner, tmp_path: Path
) -> None:
    window = make_window(qtbot, live, task_runner)
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with qtbot.assertNotEmitted(window.send_view.importRequested):
        drop(window.send_view, pdf)
    assert window.findChildren(BatchImportDialog) == []
