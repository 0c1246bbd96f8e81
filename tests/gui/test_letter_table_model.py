from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView

from console.domain.lifecycle import LetterStatus
from console.domain.verwerkingscode import VerwerkingsCode
from console.services.dto import LetterQuery
from console.ui.letter_table_model import (
    PLACEHOLDER,
    LetterColumn,
    LetterRole,
    LetterTableModel,
)
from tests.gui.conftest import submit_letters

BLOCK = 50


def make_model(services, task_runner, qtbot, **kwargs) -> LetterTableModel:
    model = LetterTableModel(services.letters, task_runner, block_size=BLOCK, **kwargs)
    with qtbot.waitSignal(model.countChanged):
        model.refresh()
    return model


def wait_loaded(qtbot, model: LetterTableModel, row: int) -> None:
    index = model.index(row, 0)
    model.data(index)  # asks for the block
    qtbot.waitUntil(lambda: model.data(index, LetterRole.LOADED))


def test_row_count_is_exact_once_ids_arrive_and_rows_load_in_blocks(
    services, letter_calls, task_runner, qtbot
):
    submit_letters(services, 320)
    letter_calls.clear()
    model = make_model(services, task_runner, qtbot)

    assert model.rowCount() == 320
    assert letter_calls.first_args("rows") == []  # nothing loaded before it is shown

    first = model.index(0, LetterColumn.ONDERWERP)
    assert model.data(first) == PLACEHOLDER
    wait_loaded(qtbot, model, 0)
    # Newest first (the default sort): the last submitted letter is on top.
    assert model.data(first) == "Testbericht 0320"

    calls = letter_calls.first_args("rows")
    assert len(calls) == 1
    assert list(calls[0]) == [model.letter_id(r) for r in range(BLOCK)]

    wait_loaded(qtbot, model, 319)
    calls = letter_calls.first_args("rows")
    assert len(calls) == 2
    assert len(calls[1]) == 320 % BLOCK  # the last, partial block
    assert all(len(c) <= BLOCK for c in calls)


def test_model_passes_qt_model_tester_with_hundreds_of_rows(
    services, letter_calls, task_runner, qtbot, qtmodeltester, model_test_failures
):
    submit_letters(services, 450)
    model = make_model(services, task_runner, qtbot)
    qtmodeltester.check(model, force_py=False)  # Qt's tester: stays attached, reports by warning
    qtbot.waitUntil(lambda: task_runner.pending == 0)
    # The tester touched every row; every fetch still asked for one block, not all ids.
    calls = letter_calls.first_args("rows")
    assert calls
    assert all(0 < len(c) <= BLOCK for c in calls)
    assert max(len(c) for c in calls) < 450

    # Refreshes that add rows, re-sort and filter, all watched by the attached tester.
    submit_letters(services, 7)
    with qtbot.waitSignal(model.countChanged):
        model.refresh()
    with qtbot.waitSignal(model.countChanged):
        model.sort(LetterColumn.ONDERWERP, Qt.SortOrder.AscendingOrder)
    with qtbot.waitSignal(model.countChanged):
        model.set_query(replace(model.query, search="Testbericht 01"))
    assert model.rowCount() == 100
    wait_loaded(qtbot, model, 99)
    qtbot.waitUntil(lambda: task_runner.pending == 0)
    assert model_test_failures == []

    qtmodeltester.check(model, force_py=True)  # the Python tester asserts directly
    assert model_test_failures == []


def test_sort_requeries_with_sort_key_instead_of_sorting_in_qt(
    services, letter_calls, task_runner, qtbot
):
    submit_letters(services, 30)
    model = make_model(services, task_runner, qtbot)
    letter_calls.clear()

    with qtbot.waitSignal(model.countChanged):
        model.sort(LetterColumn.REFERENTIE, Qt.SortOrder.AscendingOrder)

    queries = letter_calls.first_args("ids")
    assert queries[-1].sort_key == "referentie"
    assert queries[-1].descending is False
    wait_loaded(qtbot, model, 0)
    assert model.data(model.index(0, LetterColumn.REFERENTIE)) == "REF-00001"

    # The BSN column cannot be sorted: no query at all.
    letter_calls.clear()
    model.sort(LetterColumn.BSN, Qt.SortOrder.AscendingOrder)
    assert letter_calls.first_args("ids") == []


def test_status_cells_carry_word_and_tone(services, task_runner, qtbot, move_letter):
    ids = submit_letters(services, 3)
    move_letter(ids[0], LetterStatus.DELIVERED, VerwerkingsCode.VERWERKT)
    move_letter(ids[1], LetterStatus.NOT_SUBSCRIBED, VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD)
    model = make_model(services, task_runner, qtbot)
    wait_loaded(qtbot, model, 0)

    by_id = {
        model.letter_id(r): (
            model.data(model.index(r, LetterColumn.STATUS)),
            model.data(model.index(r, LetterColumn.STATUS), LetterRole.STATUS_TONE),
            model.data(model.index(r, LetterColumn.VERWERKINGSCODE)),
            model.data(model.index(r, LetterColumn.BSN)),
        )
        for r in range(3)
    }
    assert by_id[ids[0]][:3] == ("Verwerkt", "green", "Verwerkt")
    assert by_id[ids[1]][:3] == ("Niet geabonneerd", "amber", "NietActiefOfGeabonneerd")
    assert by_id[ids[2]][:3] == ("In wachtrij", "grey", "")
    for _status, _tone, _code, bsn in by_id.values():
        assert bsn.startswith("*****") and len(bsn) == 9


def test_refresh_keeps_the_selection_on_the_same_letter(services, task_runner, qtbot):
    submit_letters(services, 120)
    model = make_model(services, task_runner, qtbot)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    selection = view.selectionModel()

    chosen_row = 10
    chosen_id = model.letter_id(chosen_row)
    selection.setCurrentIndex(
        model.index(chosen_row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )

    # Five new letters arrive; with newest first they push the selected letter down.
    submit_letters(services, 5)
    with qtbot.waitSignal(model.countChanged):
        model.refresh()

    assert model.rowCount() == 125
    assert selection.currentIndex().row() == chosen_row + 5
    assert model.letter_id(selection.currentIndex().row()) == chosen_id
    selected_rows = {i.row() for i in selection.selectedRows()}
    assert selected_rows == {chosen_row + 5}


def test_refresh_shows_previous_rows_until_fresh_ones_arrive_then_updates(
    services, task_runner, qtbot, move_letter
):
    ids = submit_letters(services, 5)
    model = make_model(services, task_runner, qtbot)
    wait_loaded(qtbot, model, 0)
    row = model.row_of(ids[0])
    status = model.index(row, LetterColumn.STATUS)
    assert model.data(status) == "In wachtrij"
    assert model.has_unfinished_rows()

    for letter_id in ids:
        move_letter(letter_id, LetterStatus.DELIVERED, VerwerkingsCode.VERWERKT)
    with qtbot.waitSignal(model.countChanged):
        model.refresh()
    # Same ids: the old row stays visible (no "…" flicker) until the new block is in.
    assert model.data(status) == "In wachtrij"
    wait_loaded(qtbot, model, row)
    assert model.data(status) == "Verwerkt"
    assert not model.has_unfinished_rows()


def test_search_and_filter_go_into_the_query(services, task_runner, qtbot, move_letter):
    ids = submit_letters(services, 40)
    move_letter(ids[3], LetterStatus.DELIVERED, VerwerkingsCode.VERWERKT)
    model = make_model(services, task_runner, qtbot)

    with qtbot.waitSignal(model.countChanged) as blocker:
        model.set_query(replace(model.query, search="REF-0001"))
    assert blocker.args == [10]  # REF-00010 .. REF-00019

    with qtbot.waitSignal(model.countChanged) as blocker:
        model.set_query(LetterQuery(status=LetterStatus.DELIVERED))
    assert blocker.args == [1]
    assert model.letter_id(0) == ids[3]


def test_lru_keeps_a_bounded_number_of_blocks(services, task_runner, qtbot):
    submit_letters(services, 10 * BLOCK)
    model = make_model(services, task_runner, qtbot, max_blocks=3)
    for block in range(6):
        wait_loaded(qtbot, model, block * BLOCK)
    loaded = [b for b in range(10) if model.data(model.index(b * BLOCK, 0), LetterRole.LOADED)]
    assert len(loaded) <= 3
    assert 5 in loaded
