"""The whole foundation through a real window: type a letter, send it, watch it reach Verwerkt.

Real services on a temp data dir (SQLite file, engine, inbound endpoint and the simulator over
two-way TLS on loopback); nothing is faked.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.domain.lifecycle import LetterStatus
from console.services.bootstrap import ConsoleServices
from console.ui.main_window import MainWindow
from console.ui.tasks import TaskRunner


def test_send_a_test_letter_and_see_it_verwerkt(
    qtbot: QtBot, live: ConsoleServices, task_runner: TaskRunner, tmp_path: Path
) -> None:
    window = MainWindow(live, task_runner)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.workspace_status is not None)

    dialog = window.open_test_letter_dialog()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.berichttype_combo.count() > 0)
    index = next(
        i
        for i in range(dialog.berichttype_combo.count())
        if "BELAST" in dialog.berichttype_combo.itemText(i)
    )
    dialog.berichttype_combo.setCurrentIndex(index)
    qtbot.keyClicks(dialog.bsn_edit, "999990019")
    qtbot.keyClicks(dialog.onderwerp_edit, "Uw aanslag gemeentelijke belastingen")
    qtbot.keyClicks(dialog.tekst_edit, "Geachte heer/mevrouw,")
    qtbot.waitUntil(dialog.send_button.isEnabled)
    with qtbot.waitSignal(dialog.letterSubmitted, timeout=10_000) as submitted:
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    letter_id = submitted.args[0]

    window.show_page("berichten")
    model = window.log_view.model

    def row_is_verwerkt() -> bool:
        window.log_view.refresh()
        row = model.row_of(letter_id)
        if row is None:
            return False
        cached = model.cached_row(row)
        return cached is not None and cached.status is LetterStatus.DELIVERED

    qtbot.waitUntil(row_is_verwerkt, timeout=30_000)
    row = model.cached_row(model.row_of(letter_id))  # type: ignore[arg-type]
    assert row is not None
    assert row.verwerkings_code == "Verwerkt"
    assert row.explanation == "Het bericht staat in de Berichtenbox van de burger."
    assert row.bsn_masked == "*****0019"
    # The window as the user sees it now, kept for a human look (make screenshots).
    window.log_view.select_letter(letter_id)
    qtbot.wait(200)
    image = window.grab()
    assert image.save(str(tmp_path / "verwerkt.png"))
    assert image.width() >= 1000


def test_support_tools_open_from_the_menus_and_answer(
    qtbot: QtBot, live: ConsoleServices, task_runner: TaskRunner
) -> None:
    from console.ui.missing_results_view import MissingResultsView
    from console.ui.subscription_check_widget import SubscriptionCheckWidget

    window = MainWindow(live, task_runner)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.workspace_status is not None)

    # "Zou deze burger het bericht nu digitaal krijgen?" asks the simulator's WUS service.
    window.subscription_action.trigger()
    dialog = window.tool_dialogs["subscriptions"]
    assert dialog.isVisible()
    (widget,) = dialog.findChildren(SubscriptionCheckWidget)
    widget.bsn_edit.setPlainText("999990019\n999990044")
    qtbot.waitUntil(widget.check_button.isEnabled, timeout=10_000)
    with qtbot.waitSignal(widget.checked, timeout=20_000) as checked:
        widget.check_button.click()
    assert checked.args[0] is widget.result
    assert widget.result.digital_count == 1  # 999990019 is subscribed, 999990044 is not

    window.missing_results_action.trigger()
    results = window.tool_dialogs["results"]
    assert results.isVisible() and results.findChildren(MissingResultsView)

    window.inspect_action.trigger()
    assert window.tool_dialogs["inspect"].isVisible()
    assert window.pages["certificaten"] is window.certificates_view
