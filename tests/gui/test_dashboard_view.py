"""Overzicht: tiles, chart and per-flow table from the real monitoring service; every number and
bar opens the log filtered on exactly its letters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console.domain.lifecycle import LetterStatus
from console.services.dto import EngineSnapshot, FlowKey, LetterQuery
from console.services.monitoring import Category
from console.ui.dashboard_view import CHART_CATEGORIES, DashboardView
from tests.gui.test_letter_log_scale import real_services
from tests.letter_factory import Workspace, add_letter, workspace_db

NOW = datetime.now(UTC)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = workspace_db(tmp_path)
    for _ in range(4):
        add_letter(workspace, status=LetterStatus.DELIVERED, code="Verwerkt")
    add_letter(workspace, status=LetterStatus.NOT_SUBSCRIBED, code="NietActiefOfGeabonneerd")
    add_letter(
        workspace,
        status=LetterStatus.REJECTED,
        code="BerichtTypeNietOndersteund",
        berichttype="WOZ",
        created_at=NOW - timedelta(days=3),
    )
    add_letter(
        workspace,
        status=LetterStatus.ACKNOWLEDGED,
        created_at=NOW - timedelta(days=2),
        acknowledged_at=NOW - timedelta(days=2),
    )
    yield workspace
    workspace.db.dispose()


def make_dashboard(
    ws: Workspace, task_runner, qtbot, days_left: int | None = 40
) -> tuple[DashboardView, object]:
    services = real_services(ws)
    services.monitoring._engine_snapshot = lambda: EngineSnapshot(
        True, 0, 0, 0, "", certificate_days_left=days_left
    )
    view = DashboardView(services, task_runner)
    qtbot.addWidget(view)
    view.resize(1200, 900)
    view.show()
    qtbot.waitUntil(lambda: view.dashboard is not None)
    return view, services


def test_tiles_show_the_period_and_today(ws: Workspace, task_runner, qtbot) -> None:
    view, _services = make_dashboard(ws, task_runner, qtbot)
    assert view.counts["all"] == 7
    assert view.tiles["all"].number.text() == "7"
    assert view.tiles["all"].subline.text() == "vandaag 5"
    assert view.counts["delivered"] == 4
    assert view.counts["not_subscribed"] == 1
    assert view.counts["failed"] == 1
    assert view.counts["in_transit"] == 1
    assert view.counts["missing_results"] == 1
    assert view.missing_tile.caption.text() == "Zonder resultaat na 24 uur"
    assert view.certificate_tile.number.text() == "40"
    assert view.certificate_tile.subline.text() == "dagen tot het verloopt"
    assert "verloopt over 40 dagen" in view.warnings_label.text()
    assert "Verwerkt: 4" in view.tiles["delivered"].accessibleName()


def test_tiles_and_table_open_the_filtered_log(ws: Workspace, task_runner, qtbot) -> None:
    view, services = make_dashboard(ws, task_runner, qtbot)
    with qtbot.waitSignal(view.openLog) as blocker:
        qtbot.mouseClick(view.tiles["failed"], Qt.MouseButton.LeftButton)
    query: LetterQuery = blocker.args[0]
    assert set(query.statuses) == {LetterStatus.REJECTED, LetterStatus.FAILED, LetterStatus.EXPIRED}
    assert services.letters.count(query) == 1

    with qtbot.waitSignal(view.openLog) as blocker:
        qtbot.mouseClick(view.missing_tile, Qt.MouseButton.LeftButton)
    assert blocker.args[0].no_result_hours == 24
    assert services.letters.count(blocker.args[0]) == 1

    # The per-flow table: one row per flow, each number a click away from its letters.
    labels = [view.flow_table.item(r, 0).text() for r in range(view.flow_table.rowCount())]
    assert labels[0] == "Aanslag gemeentelijke belastingen (Gemeente Voorbeeld)"
    assert "WOZ-beschikking (Gemeente Voorbeeld)" in labels
    row = labels.index("WOZ-beschikking (Gemeente Voorbeeld)")
    column = 1 + [Category.OFFERED, *CHART_CATEGORIES].index(Category.FAILED)
    assert view.flow_table.item(row, column).text() == "1"
    with qtbot.waitSignal(view.openLog) as blocker:
        view._open_cell(row, column)
    query = blocker.args[0]
    assert query.flow == FlowKey(ws.organisation_id, "WOZ")
    assert services.letters.count(query) == 1


def test_chart_bars_per_day_and_a_click_opens_that_day(ws: Workspace, task_runner, qtbot) -> None:
    view, services = make_dashboard(ws, task_runner, qtbot)
    delivered = view.bar_sets[Category.DELIVERED]
    assert delivered.count() == 30 and delivered.at(29) == 4.0
    assert view.bar_sets[Category.FAILED].at(26) == 1.0  # three days ago
    assert len(view.x_axis.categories()) == 30
    with qtbot.waitSignal(view.openLog) as blocker:
        view.bar_sets[Category.FAILED].clicked.emit(26)
    query = blocker.args[0]
    assert query.created_from is not None and query.created_to is not None
    assert (query.created_to - query.created_from) <= timedelta(hours=25)
    assert services.letters.count(query) == 1
    # One flow chosen: the chart and tiles follow it, the bars open only its letters.
    woz = view.flow_index(FlowKey(ws.organisation_id, "WOZ"))
    assert woz > 0
    view.flow_combo.setCurrentIndex(woz)
    assert view.bar_sets[Category.DELIVERED].at(29) == 0.0
    assert view.counts["all"] == 1
    assert view.query_for_bar(Category.FAILED, 26).flow == FlowKey(ws.organisation_id, "WOZ")


def test_expired_certificate_and_no_data(tmp_path: Path, task_runner, qtbot) -> None:
    ws = workspace_db(tmp_path)
    try:
        view, _services = make_dashboard(ws, task_runner, qtbot, days_left=-3)
        assert view.certificate_tile.number.text() == "verlopen"
        assert view.flow_table.item(0, 0).text() == "Nog geen berichten in de laatste 30 dagen."
        assert view.counts["all"] == 0
    finally:
        ws.db.dispose()
