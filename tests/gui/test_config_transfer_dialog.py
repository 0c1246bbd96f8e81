"""Configuratie exporteren en importeren in the GUI: first the preview, then (maybe) the import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from console.services.demo import DEMO_OIN
from console.ui.config_transfer_dialog import ConfigImportDialog, export_configuration
from console.ui.tasks import TaskRunner
from tests.gui.flow_gui_support import ConfigServices, config_services


@pytest.fixture
def source(tmp_path: Path) -> Iterator[ConfigServices]:
    real = config_services(tmp_path / "a")
    yield real
    real.db.dispose()


@pytest.fixture
def target(tmp_path: Path) -> Iterator[ConfigServices]:
    real = config_services(tmp_path / "b")
    yield real
    real.db.dispose()


def test_export_then_import_with_a_preview(
    qtbot: QtBot,
    source: ConfigServices,
    target: ConfigServices,
    task_runner: TaskRunner,
    tmp_path: Path,
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    path = tmp_path / "configuratie.json"
    notices: list[str] = []
    export_configuration(parent, source, task_runner, notices.append, choose_path=lambda: path)
    qtbot.waitUntil(lambda: bool(notices))
    assert "zonder geheimen" in notices[0] and path.is_file()

    voorbeeld = target.organisations.get(DEMO_OIN)
    changed = voorbeeld.input()
    target.organisations.update(voorbeeld.id, type(changed)(changed.name, changed.oin, "overig"))
    dialog = ConfigImportDialog(target, task_runner, path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.preview is not None)
    assert dialog.summary_label.text() == ("Bij importeren: 0 nieuw, 1 gewijzigd, 50 ongewijzigd.")
    group = dialog.tree.topLevelItem(0)
    assert group is not None and group.text(0) == "Organisatie"
    item = group.child(0)
    assert item.text(0) == f"gewijzigd: Gemeente Voorbeeld ({DEMO_OIN})"
    field = item.child(0)
    assert [field.text(c) for c in range(3)] == ["kind", "overig", "gemeente"]
    assert target.organisations.get(DEMO_OIN).kind == "overig"  # nothing changed yet
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.result_preview.applied
    assert target.organisations.get(DEMO_OIN).kind == "gemeente"


def test_a_broken_file_says_why_and_cannot_be_imported(
    qtbot: QtBot, target: ConfigServices, task_runner: TaskRunner, tmp_path: Path
) -> None:
    path = tmp_path / "kapot.json"
    path.write_text('{"format": "iets anders"}', encoding="utf-8")
    dialog = ConfigImportDialog(target, task_runner, path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.error_label.isVisible())
    assert "geen configuratie-export" in dialog.error_label.text()
    assert not dialog.import_button.isEnabled()
