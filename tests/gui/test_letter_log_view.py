from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from console.domain.lifecycle import LetterStatus
from console.domain.verwerkingscode import VerwerkingsCode
from console.services.dto import LetterQuery
from console.ui import theme
from console.ui.letter_log_view import LetterLogView
from console.ui.letter_table_model import LetterColumn, LetterRole
from console.ui.raw_xml_dialog import RawXmlDialog
from tests.gui.conftest import submit_letters


def make_view(services, task_runner, qtbot) -> LetterLogView:
    view = LetterLogView(services, task_runner)
    qtbot.addWidget(view)
    view.resize(1100, 760)
    with qtbot.waitSignal(view.model.countChanged):
        view.show()
    return view


def wait_rows(qtbot, view: LetterLogView) -> None:
    qtbot.waitUntil(
        lambda: (
            view.model.rowCount() > 0
            and bool(view.model.data(view.model.index(0, 0), LetterRole.LOADED))
        )
    )


def test_count_label_uses_dutch_thousands(services, task_runner, qtbot):
    submit_letters(services, 1234)
    view = make_view(services, task_runner, qtbot)
    assert view.count_label.text() == "1.234 berichten"
    assert view.table.isVisibleTo(view)


def test_empty_state_explains_and_offers_the_test_letter(services, task_runner, qtbot):
    view = make_view(services, task_runner, qtbot)
    assert view.count_label.text() == "0 berichten"
    assert view.empty_state.isVisible()
    assert view.empty_state.text_label.text() == "Nog geen berichten. Verstuur een testbericht."
    assert not view.detail.isVisible()
    with qtbot.waitSignal(view.sendTestRequested):
        qtbot.mouseClick(view.empty_state.action_button, Qt.MouseButton.LeftButton)


def test_typed_search_goes_into_the_query(services, letter_calls, task_runner, qtbot):
    submit_letters(services, 30)
    view = make_view(services, task_runner, qtbot)
    letter_calls.clear()

    with qtbot.waitSignal(view.model.countChanged) as blocker:
        qtbot.keyClicks(view.search_field, "REF-0000")
    assert blocker.args == [9]
    assert view.count_label.text() == "9 berichten"
    assert letter_calls.first_args("ids")[-1].search == "REF-0000"
    assert view.search_hint.text() == "Zoekt in referentie en onderwerp"

    view.search_field.clear()
    with qtbot.waitSignal(view.model.countChanged):
        qtbot.keyClicks(view.search_field, "geen-treffer")
    assert view.empty_state.isVisible()
    assert "Geen berichten gevonden" in view.empty_state.text_label.text()
    with qtbot.waitSignal(view.model.countChanged) as blocker:
        qtbot.mouseClick(view.empty_state.action_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [30]
    assert view.search_field.text() == ""


def test_search_hint_recognises_bsn_and_guid(services, task_runner, qtbot):
    view = make_view(services, task_runner, qtbot)
    qtbot.keyClicks(view.search_field, "999990019")
    assert view.search_hint.text() == "Zoekt op BSN"
    view.search_field.setText("0f8fad5b-d9cb-469f-a165-70867728950e")
    assert view.search_hint.text() == "Zoekt op BatchID of BerichtID"


def test_status_filter_goes_into_the_query(services, task_runner, qtbot, move_letter):
    ids = submit_letters(services, 5)
    move_letter(ids[1], LetterStatus.DELIVERED, VerwerkingsCode.VERWERKT)
    view = make_view(services, task_runner, qtbot)
    index = view.status_filter.findData(LetterStatus.DELIVERED.value)
    with qtbot.waitSignal(view.model.countChanged) as blocker:
        view.status_filter.setCurrentIndex(index)
    assert blocker.args == [1]
    assert view.model.query.status is LetterStatus.DELIVERED


def test_show_filtered_sets_the_controls(services, task_runner, qtbot):
    submit_letters(services, 3)
    view = make_view(services, task_runner, qtbot)
    with qtbot.waitSignal(view.model.countChanged):
        view.show_filtered(LetterQuery(status=LetterStatus.QUEUED, search="REF"))
    assert view.search_field.text() == "REF"
    assert view.status_filter.currentData() == LetterStatus.QUEUED.value
    assert view.count_label.text() == "3 berichten"


def test_detail_pane_explains_first_and_offers_the_raw_xml(
    services, task_runner, qtbot, move_letter
):
    ids = submit_letters(services, 4)
    target = ids[2]
    move_letter(target, LetterStatus.NOT_SUBSCRIBED, VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD)
    view = make_view(services, task_runner, qtbot)
    view.select_letter(target)
    qtbot.waitUntil(lambda: view.detail.detail is not None)
    detail = view.detail

    assert detail.status_badge.text() == "Niet geabonneerd"
    assert detail.explanation_label.text().startswith("De burger heeft geen actieve Berichtenbox")
    assert detail.code_field.value() == "NietActiefOfGeabonneerd"
    assert "Verstuur het bericht per post." in detail.next_step_label.text()
    row = services.letters.rows([target])[0]
    assert detail.bericht_id_field.value() == row.bericht_id
    assert detail.batch_id_field.value() == row.batch_id

    QApplication.clipboard().clear()
    qtbot.mouseClick(detail.bericht_id_field.button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == row.bericht_id

    steps = services.letters.detail(target).timeline
    with_xml = [s for s in steps if s.raw_ref is not None]
    assert len(detail.timeline_buttons) == len(with_xml) >= 2
    qtbot.mouseClick(detail.timeline_buttons[-1], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(view.raw_dialog, RawXmlDialog))
    dialog = view.raw_dialog
    assert dialog is not None
    assert dialog.text.toPlainText() == services.letters.raw_exchange(with_xml[-1].raw_ref)
    assert "NietActiefOfGeabonneerd" in dialog.text.toPlainText()
    dialog.copy_all()
    assert QApplication.clipboard().text() == dialog.text.toPlainText()
    dialog.close()


def test_auto_refresh_follows_a_letter_in_transit(services, task_runner, qtbot, move_letter):
    ids = submit_letters(services, 3)
    view = make_view(services, task_runner, qtbot)
    view.select_letter(ids[0])
    qtbot.waitUntil(lambda: view.detail.detail is not None)
    assert view.detail.status_badge.text() == "In wachtrij"

    move_letter(ids[0], LetterStatus.DELIVERED, VerwerkingsCode.VERWERKT)
    # Nobody calls refresh(): the view's own timer notices the letter was still moving.
    qtbot.waitUntil(lambda: view.detail.status_badge.text() == "Verwerkt", timeout=10_000)
    row = view.model.row_of(ids[0])
    # The list row follows in its own block fetch, possibly a moment after the detail.
    qtbot.waitUntil(
        lambda: view.model.data(view.model.index(row, LetterColumn.STATUS)) == "Verwerkt"
    )
    assert view.selected_letter_id() == ids[0]


def test_new_letters_keep_the_selection(services, task_runner, qtbot):
    ids = submit_letters(services, 10)
    view = make_view(services, task_runner, qtbot)
    view.select_letter(ids[4])
    submit_letters(services, 2)
    with qtbot.waitSignal(view.model.countChanged):
        view.refresh()
    assert view.selected_letter_id() == ids[4]
    assert view.count_label.text() == "12 berichten"


def test_status_column_is_painted_as_a_coloured_pill(services, task_runner, qtbot, move_letter):
    ids = submit_letters(services, 3)
    for letter_id in ids:
        move_letter(letter_id, LetterStatus.DELIVERED, VerwerkingsCode.VERWERKT)
    view = make_view(services, task_runner, qtbot)
    wait_rows(qtbot, view)
    view.table.clearSelection()
    rect = view.table.visualRect(view.model.index(0, LetterColumn.STATUS))
    image = view.table.viewport().grab(rect).toImage()
    green = QColor(theme.TONES["green"].background)
    pixels = [
        image.pixelColor(x, y) for x in range(0, image.width(), 2) for y in range(image.height())
    ]
    assert sum(1 for p in pixels if p == green) > 20


def test_state_is_saved_and_restored(services, task_runner, qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    view = make_view(services, task_runner, qtbot)
    view.table.horizontalHeader().resizeSection(LetterColumn.REFERENTIE, 222)
    view.save_state(settings)

    again = make_view(services, task_runner, qtbot)
    again.restore_state(settings)
    assert again.table.horizontalHeader().sectionSize(LetterColumn.REFERENTIE) == 222
