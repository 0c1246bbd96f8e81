"""The message log over a real SQLite database: two-step loading, paging, filters, selection,
export, bulk actions and the BSN reveal, with the real services (no engine needed)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt

from console.domain.lifecycle import LetterStatus
from console.services.bulk import BulkService
from console.services.dto import LetterQuery
from console.services.export import ExportService
from console.services.letters import LetterService
from console.services.monitoring import MonitoringService
from console.services.preflight import PreflightService
from console.services.privacy import PrivacyService
from console.services.results import ResultsService
from console.services.workspace import WorkspaceService
from console.ui.bsn_reveal_dialog import BsnRevealDialog
from console.ui.bulk_action_dialog import BulkActionDialog
from console.ui.export_dialog import ExportDialog
from console.ui.letter_log_view import LetterLogView
from console.ui.letter_table_model import LetterRole, LetterTableModel
from console.ui.lookup_log_view import LookupLogView
from tests.letter_factory import StatementCounter, Workspace, add_letter, workspace_db

NOW = datetime.now(UTC)
BSN = "999990019"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = workspace_db(tmp_path)
    yield workspace
    workspace.db.dispose()


def real_services(ws: Workspace, user: str = "jan") -> Any:
    workspace = WorkspaceService(ws.db)
    results = ResultsService(ws.db, workspace, PreflightService(ws.db, workspace))
    privacy = PrivacyService(ws.db, user=user)
    return SimpleNamespace(
        workspace=workspace,
        letters=LetterService(ws.db, workspace),
        monitoring=MonitoringService(ws.db, missing_hours=results.missing_hours),
        privacy=privacy,
        exports=ExportService(ws.db, privacy),
        bulk=BulkService(ws.db, results),
        results=results,
    )


def many(ws: Workspace, n: int) -> None:
    with ws.db.engine.begin() as con:
        first = con.exec_driver_sql("SELECT coalesce(max(id), 0) FROM letters").scalar() or 0
    for k in range(n):
        add_letter(
            ws,
            status=LetterStatus.DELIVERED,
            code="Verwerkt",
            created_at=NOW - timedelta(minutes=k),
            referentie=f"BULK-{first + k:05d}",
        )


def test_big_list_loads_in_two_steps_and_passes_the_model_tester(
    ws: Workspace, task_runner, qtbot, qtmodeltester, model_test_failures
) -> None:
    many(ws, 2600)
    services = real_services(ws)
    counter = StatementCounter(ws.db)
    model = LetterTableModel(services.letters, task_runner, block_size=100)
    model.first_page = 300
    seen: list[int] = []
    model.countChanged.connect(seen.append)
    with qtbot.waitSignal(model.countChanged):
        model.refresh()
    # Step one: the exact count at once, only the first page of ids.
    assert model.rowCount() == 2600 and not model.complete
    assert model.letter_id(299) is not None and model.letter_id(300) is None
    assert model.data(model.index(2000, 0)) == "…"
    assert model.data(model.index(2000, 0), LetterRole.LOADED) is False
    # Step two: the full id list follows in the background.
    qtbot.waitUntil(lambda: model.complete and not model.loading, timeout=10_000)
    assert model.rowCount() == 2600 and seen[0] == 2600
    qtmodeltester.check(model, force_py=False)
    assert not model_test_failures

    # Rows come in blocks, one query each, only where the view looks.
    counter.reset()
    index = model.index(2345, 3)
    model.data(index)  # asks for block 23
    qtbot.waitUntil(lambda: bool(model.data(index, LetterRole.LOADED)))
    block_statements = [s for s in counter.statements if "FROM letters" in s]
    assert len(block_statements) == 1 and "letter_texts" not in block_statements[0]
    assert model.data(index) == "*****" + model.data(index, LetterRole.ROW).bsn_masked[-4:]
    counter.close()


def test_light_refresh_keeps_an_unchanged_big_list(ws: Workspace, task_runner, qtbot) -> None:
    many(ws, 1500)
    services = real_services(ws)
    model = LetterTableModel(services.letters, task_runner, block_size=100)
    model.first_page = 200
    with qtbot.waitSignal(model.countChanged):
        model.refresh()
    qtbot.waitUntil(lambda: model.complete and not model.loading, timeout=10_000)
    counter = StatementCounter(ws.db)
    with qtbot.waitSignal(model.countChanged):
        model.refresh(light=True)
    qtbot.waitUntil(lambda: not model.loading)
    assert not full_lists(counter)  # no full list again
    add_letter(ws, created_at=NOW + timedelta(minutes=1))  # a new letter on top
    counter.reset()
    with qtbot.waitSignal(model.countChanged):
        model.refresh(light=True)
    qtbot.waitUntil(lambda: model.complete and not model.loading, timeout=10_000)
    assert model.rowCount() == 1501
    assert len(full_lists(counter)) == 1
    counter.close()


def full_lists(counter: StatementCounter) -> list[str]:
    """Statements that read a whole id list (no LIMIT: not the first page)."""
    return [s for s in counter.statements if "group_concat" in s and "LIMIT" not in s]


def make_view(services: Any, task_runner, qtbot) -> LetterLogView:
    view = LetterLogView(services, task_runner)
    qtbot.addWidget(view)
    view.auto_refresh_timer.stop()
    view.resize(1200, 800)
    with qtbot.waitSignal(view.model.countChanged):
        view.show()
    status = services.workspace.status()
    view.set_workspace(status)
    return view


def test_extra_filters_go_into_the_query(ws: Workspace, task_runner, qtbot) -> None:
    add_letter(ws, status=LetterStatus.REJECTED, code="BijlageTeGroot", berichttype="WOZ")
    add_letter(
        ws,
        organisation_id=ws.second_organisation_id,
        berichttype="WSBEL",
        status=LetterStatus.DELIVERED,
        code="Verwerkt",
    )
    add_letter(ws, status=LetterStatus.ACKNOWLEDGED, acknowledged_at=NOW - timedelta(hours=40))
    view = make_view(real_services(ws), task_runner, qtbot)
    assert view.count_label.text() == "3 berichten"
    qtbot.mouseClick(view.more_button, Qt.MouseButton.LeftButton)
    assert view.filters_panel.isVisible() and view.organisation_filter.isVisible()
    qtbot.waitUntil(lambda: view.berichttype_filter.findData("WSBEL") > 0)

    with qtbot.waitSignal(view.model.countChanged) as blocker:
        view.organisation_filter.setCurrentIndex(
            view.organisation_filter.findData(ws.second_organisation_id)
        )
    assert blocker.args == [1] and view.model.query.organisation_id == ws.second_organisation_id
    with qtbot.waitSignal(view.model.countChanged) as blocker:
        view.organisation_filter.setCurrentIndex(0)
    with qtbot.waitSignal(view.model.countChanged) as blocker:
        view.code_filter.setCurrentIndex(view.code_filter.findData("BijlageTeGroot"))
    assert blocker.args == [1]
    with qtbot.waitSignal(view.model.countChanged):
        view.code_filter.setCurrentIndex(0)
    with qtbot.waitSignal(view.model.countChanged) as blocker:
        view.no_result_check.setChecked(True)
    assert blocker.args == [1] and view.model.query.no_result_hours == 24
    assert "zonder resultaat na 24 uur" in view.filter_summary.text()
    with qtbot.waitSignal(view.model.countChanged) as blocker:
        view.period_check.setChecked(True)  # the last week: still that one letter
    assert blocker.args == [1] and view.model.query.created_from is not None
    with qtbot.waitSignal(view.model.countChanged) as blocker:
        qtbot.mouseClick(view.clear_filters_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [3] and not view.model.query.is_filtered
    assert not view.no_result_check.isChecked() and not view.period_check.isChecked()


def test_show_filtered_sets_the_extra_controls(ws: Workspace, task_runner, qtbot) -> None:
    add_letter(ws, status=LetterStatus.FAILED, berichttype="WOZ")
    view = make_view(real_services(ws), task_runner, qtbot)
    query = LetterQuery(
        statuses=(LetterStatus.FAILED, LetterStatus.REJECTED),
        berichttype="WOZ",
        created_from=NOW - timedelta(days=1),
        created_to=NOW + timedelta(days=1),
    )
    with qtbot.waitSignal(view.model.countChanged) as blocker:
        view.show_filtered(query)
    assert blocker.args == [1]
    assert view.more_button.isChecked() and view.period_check.isChecked()
    assert view.berichttype_filter.currentData() == "WOZ"
    assert view.filter_summary.text().startswith("Filter: Verzending mislukt of Afgekeurd")
    assert view.summary_holder.isVisible()


def test_selection_acts_on_ids_and_export_runs_in_the_background(
    ws: Workspace, task_runner, qtbot, tmp_path: Path
) -> None:
    many(ws, 30)
    view = make_view(real_services(ws), task_runner, qtbot)
    model = view.model
    selection = QItemSelection(model.index(2, 0), model.index(6, 0))
    view.table.selectionModel().select(
        selection,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    chosen = view.selected_letter_ids()
    assert chosen == tuple(model.letter_id(r) for r in range(2, 7))
    assert view.action_target() == chosen

    dialog = view.open_export_dialog(view.action_target())
    assert isinstance(dialog, ExportDialog) and "5 gekozen berichten" in dialog.what_label.text()
    dialog.csv_radio.setChecked(True)
    target = tmp_path / "keuze.csv"
    dialog.path_edit.setText(str(target))
    with qtbot.waitSignal(dialog.finishedExport, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].rows == 5 and not dialog.running
    with target.open(encoding="utf-8-sig") as f:
        ids = [int(r[0]) for r in list(csv.reader(f, delimiter=";"))[1:]]
    assert tuple(ids) == chosen
    assert "5 berichten geëxporteerd" in dialog.status_label.text()

    # Full BSNs without a reason: refused in plain Dutch, no file.
    dialog.path_edit.setText(str(tmp_path / "vol.csv"))
    dialog.full_bsn_check.setChecked(True)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible())
    assert "reden" in dialog.error_label.text() and not (tmp_path / "vol.csv").exists()


def test_bulk_dialog_previews_then_marks_for_paper(ws: Workspace, task_runner, qtbot) -> None:
    paper = [
        add_letter(ws, status=LetterStatus.NOT_SUBSCRIBED, code="NietActiefOfGeabonneerd")
        for _ in range(3)
    ]
    add_letter(ws, status=LetterStatus.DELIVERED, code="Verwerkt")
    services = real_services(ws)
    view = make_view(services, task_runner, qtbot)
    view.open_bulk_dialog("paper")  # the whole list
    qtbot.waitUntil(
        lambda: isinstance(view.dialog, BulkActionDialog) and view.dialog.preview is not None
    )
    dialog = view.dialog
    assert isinstance(dialog, BulkActionDialog)
    assert (
        dialog.summary_label.text()
        == "3 van de 4 berichten worden per post verstuurd. 1 niet (zie waarom)."
    )
    assert "Berichtenbox" in dialog.reasons_table.item(0, 1).text()
    assert not dialog.run_button.isEnabled()  # not without the confirmation
    dialog.confirm_check.setChecked(True)
    assert dialog.run_button.isEnabled()
    with qtbot.waitSignal(dialog.actionDone, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert sorted(blocker.args[0].done) == paper
    rows = services.letters.rows(paper)
    assert {r.status for r in rows} == {LetterStatus.PAPER}


def test_production_bulk_asks_to_type_the_organisation_name(
    ws: Workspace, task_runner, qtbot
) -> None:
    from console.domain.environment import Environment

    ids = (add_letter(ws, status=LetterStatus.NOT_SUBSCRIBED, code="NietActiefOfGeabonneerd"),)
    dialog = BulkActionDialog(
        real_services(ws),
        task_runner,
        "paper",
        ids,
        environment=Environment.PRODUCTIE,
        organisation_name="Gemeente Voorbeeld",
    )
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview is not None)
    dialog.confirm_check.setChecked(True)
    assert not dialog.run_button.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "Gemeente Voorbeeld")
    assert dialog.run_button.isEnabled()


def test_reveal_asks_why_shows_the_bsn_and_the_lookup_log_lists_it(
    ws: Workspace, task_runner, qtbot
) -> None:
    letter_id = add_letter(ws, bsn=BSN, status=LetterStatus.DELIVERED, code="Verwerkt")
    services = real_services(ws)
    view = make_view(services, task_runner, qtbot)
    view.select_letter(letter_id)
    qtbot.waitUntil(lambda: view.detail.detail is not None)
    qtbot.mouseClick(view.detail.reveal_button, Qt.MouseButton.LeftButton)
    dialog = view.dialog
    assert (
        isinstance(dialog, BsnRevealDialog)
        and "*****0019" in dialog.findChildren(type(dialog.hint_label))[0].text()
    )
    assert not dialog.show_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, "telefoon burger")
    assert dialog.show_button.isEnabled()
    with qtbot.waitSignal(dialog.revealed) as blocker:
        qtbot.mouseClick(dialog.show_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [letter_id, BSN]
    assert dialog.bsn_field.edit.text() == BSN
    assert view.detail.bsn_row.isVisible() and view.detail.bsn_field.edit.text() == BSN
    qtbot.waitUntil(lambda: any(e.kind == "bsn_revealed" for e in view.detail.detail.timeline))

    log = LookupLogView(services, task_runner)
    qtbot.addWidget(log)
    qtbot.waitUntil(lambda: len(log.rows) == 1)
    assert [log.table.item(0, c).text() for c in (1, 2, 3, 4, 5)] == [
        "jan",
        "BSN getoond",
        BSN,
        str(letter_id),
        "telefoon burger",
    ]
    services.privacy.set_administrators(["marie"])
    log.refresh()
    qtbot.waitUntil(lambda: "Alleen een beheerder" in log.problem_label.text())
    assert log.problem_label.isVisibleTo(log) and log.table.rowCount() == 0


def test_search_by_bsn_is_recorded_once(ws: Workspace, task_runner, qtbot) -> None:
    add_letter(ws, bsn=BSN)
    services = real_services(ws)
    view = make_view(services, task_runner, qtbot)
    with qtbot.waitSignal(view.model.countChanged):
        qtbot.keyClicks(view.search_field, BSN)
    qtbot.waitUntil(lambda: len(services.privacy.lookups()) == 1)
    view.refresh()  # a refresh is not a new look
    qtbot.wait(200)
    [row] = services.privacy.lookups()
    assert (row.kind, row.bsn, row.letter_count) == ("search", BSN, 1)
