"""The audit log in the GUI: the changes, before and after, filter and export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.services.organisations import OrganisationInput
from console.ui.audit_view import AuditLogView, AuditTableModel, field_changes
from console.ui.tasks import TaskRunner
from tests.gui.flow_gui_support import ConfigServices, config_services


@pytest.fixture
def services(tmp_path: Path) -> Iterator[ConfigServices]:
    real = config_services(tmp_path / "data")
    org = real.organisations.create(
        OrganisationInput("Gemeente Echt", "00000001001234567000"), actor="anne"
    )
    real.organisations.update(
        org.id,
        OrganisationInput("Gemeente Echt", "00000001001234567000", "waterschap"),
        actor="bram",
    )
    yield real
    real.db.dispose()


def test_the_model_passes_qts_model_tester(
    qtmodeltester: object, model_test_failures: list[str], services: ConfigServices
) -> None:
    model = AuditTableModel()
    model.set_rows(services.audit.entries())
    qtmodeltester.check(model, force_py=False)  # type: ignore[attr-defined]
    model.append_rows(services.audit.entries(limit=1))
    qtmodeltester.check(model, force_py=False)  # type: ignore[attr-defined]
    assert model_test_failures == []


def test_the_view_shows_who_changed_what_before_and_after(
    qtbot: QtBot, services: ConfigServices, task_runner: TaskRunner, tmp_path: Path
) -> None:
    view = AuditLogView(services, task_runner)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.loaded_once and task_runner.pending == 0)
    assert view.model.rowCount() == 3  # the demo, then anne, then bram (newest first)
    assert view.count_label.text() == "3 wijzigingen"
    newest = view.model.row(0)
    assert (newest.actor, newest.action) == ("bram", "gewijzigd")
    assert view.changes.rowCount() == 1
    assert [view.changes.item(0, c).text() for c in range(3)] == ["soort", "gemeente", "waterschap"]
    assert "bram" in view.detail_label.text()

    view.search_edit.setText("anne")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1 and task_runner.pending == 0)
    assert view.count_label.text() == "1 wijziging"

    target = tmp_path / "auditlog.csv"
    view.choose_export_path = lambda: target
    with qtbot.waitSignal(view.notice):
        view.export()
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and rows[1][1] == "anne"  # the filter applies to the export too


def test_field_changes_flatten_nested_values() -> None:
    before = {"naam": "A", "profiel": {"website": "https://a.nl/", "telefoon": "1"}}
    after = {"naam": "A", "profiel": {"website": "https://b.nl/", "telefoon": "1"}, "actief": True}
    assert field_changes(before, after) == [
        ("actief", "-", "ja"),
        ("profiel.website", "https://a.nl/", "https://b.nl/"),
    ]
    assert field_changes(None, {"code": "X"}) == [("code", "-", "X")]
