from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from console.domain.lifecycle import LetterStatus
from console.domain.verwerkingscode import VerwerkingsCode
from console.ui import theme
from console.ui.letter_log_view import LetterLogView
from console.ui.main_window import PAGES, MainWindow
from tests.gui.conftest import submit_letters
from tests.gui.fake_services import valid_bsns


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)


def make_window(services, task_runner, qtbot, settings, *, resize: bool = True) -> MainWindow:
    window = MainWindow(services, task_runner, settings=settings)
    qtbot.addWidget(window)
    if resize:
        window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.workspace_status is not None)
    return window


def test_window_renders_with_banner_navigation_and_status_bar(
    services, task_runner, qtbot, settings
):
    window = make_window(services, task_runner, qtbot, settings)
    assert window.banner.badge.text() == "SIMULATOR"
    assert window.banner.badge.isVisible()
    assert window.banner.demo_label.isVisible()
    labels = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert labels == [
        "Overzicht",
        "Berichten",
        "Verzenden",
        "Stromen",
        "Organisaties",
        "Certificaten",
        "Aansluiten",
        "Instellingen",
    ]
    assert all(not window.navigation.item(i).icon().isNull() for i in range(8))
    assert window.current_page() == "overzicht"
    snap = services.engine.snapshot()
    expected = "Engine: actief" if snap.running else "Engine: gestopt"
    expected += f" · {snap.queued} in wachtrij"
    if snap.inbound_url:
        expected += f" · inbound {snap.inbound_url}"
    assert window.engine_label.text().startswith(expected)
    days = services.engine.snapshot().certificate_days_left
    if days is not None:
        assert window.certificate_label.text() == f"certificaat nog {days} dagen"


def test_ctrl_2_opens_berichten_and_every_page_has_its_shortcut(
    services, task_runner, qtbot, settings
):
    window = make_window(services, task_runner, qtbot, settings)
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "berichten"
    assert isinstance(window.stack.currentWidget(), LetterLogView)
    assert window.navigation.currentRow() == 1
    for n, action in enumerate(window.page_actions):
        assert action.shortcut().toString() == f"Ctrl+{n + 1}"
    qtbot.keyClick(window, Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "instellingen"


def test_tab_walks_navigation_page_and_detail(services, task_runner, qtbot, settings):
    ids = submit_letters(services, 3)
    window = make_window(services, task_runner, qtbot, settings)
    window.show_page("berichten")
    qtbot.waitUntil(lambda: window.log_view.model.rowCount() == 3)
    window.log_view.select_letter(ids[0])
    qtbot.waitUntil(lambda: window.log_view.detail.detail is not None)
    window.activateWindow()
    qtbot.waitActive(window)
    window.navigation.setFocus()

    names = []
    for _ in range(7):
        focused = QApplication.focusWidget()
        names.append(focused.accessibleName() or focused.text())
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
    # The hidden "Meer filters" panel and the action buttons are skipped or come after the list.
    assert names == [
        "Navigatie",
        "Zoeken in berichten",
        "Filter op status",
        "Meer filters",
        "Lijst met berichten",
        "&Exporteren…",
        "&Opnieuw versturen…",
    ]


def test_every_navigation_page_is_its_own_view(services, task_runner, qtbot, settings):
    window = make_window(services, task_runner, qtbot, settings)
    # Every page is built and tested in its own file (Aansluiten and Instellingen since wave
    # 3); batch import on Verzenden too (tests/gui/test_batch_import_dialog.py).
    assert set(window.pages) == {page.key for page in PAGES}
    assert len({id(page) for page in window.pages.values()}) == len(PAGES)
    assert window.stack.count() == len(PAGES)
    assert "volgende versie" not in " ".join(
        label.text() for label in window.send_view.findChildren(type(window.engine_label))
    )
    assert window.send_view.import_button.isEnabled()


def test_screenshot_is_not_trivial(services, task_runner, qtbot, settings, tmp_path):
    submit_letters(services, 25)
    window = make_window(services, task_runner, qtbot, settings)
    qtbot.waitUntil(lambda: bool(window.overview.counts))
    path = tmp_path / "hoofdvenster.png"
    assert window.grab().save(str(path))

    image = QImage(str(path))
    assert image.width() >= 1280 and image.height() >= 800
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 20  # not one flat colour: text, badges, borders
    badge = window.banner.badge
    centre = badge.mapTo(window, badge.rect().center())
    blue = theme.ENVIRONMENT_COLOURS[window.banner.status.environment].badge_background
    badge_pixels = {
        image.pixelColor(centre.x() + dx, centre.y() + dy).name().upper()
        for dx in range(-badge.width() // 2 + 3, badge.width() // 2 - 3)
        for dy in (-badge.height() // 2 + 3,)
    }
    assert blue in badge_pixels


def test_overview_numbers_open_the_filtered_log(
    services, task_runner, qtbot, settings, move_letter
):
    ids = submit_letters(services, 6)
    move_letter(ids[0], LetterStatus.DELIVERED, VerwerkingsCode.VERWERKT)
    move_letter(ids[1], LetterStatus.DELIVERED, VerwerkingsCode.VERWERKT)
    window = make_window(services, task_runner, qtbot, settings)
    qtbot.waitUntil(lambda: window.overview.counts.get("delivered") == 2)
    tile = window.overview.tiles["delivered"]
    assert tile.number.text() == "2"
    assert window.overview.tiles["all"].number.text() == "6"

    with qtbot.waitSignal(window.log_view.model.countChanged) as blocker:
        qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    assert blocker.args == [2]
    assert window.current_page() == "berichten"
    assert window.log_view.model.query.status is LetterStatus.DELIVERED


def test_send_page_opens_the_dialog_and_a_sent_letter_is_shown_in_the_log(
    services, task_runner, qtbot, settings
):
    window = make_window(services, task_runner, qtbot, settings)
    window.show_page("verzenden")
    qtbot.mouseClick(window.send_view.send_button, Qt.MouseButton.LeftButton)
    dialog = window.test_letter_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.berichttype() is not None)
    qtbot.keyClicks(dialog.bsn_edit, valid_bsns(1)[0])
    qtbot.keyClicks(dialog.onderwerp_edit, "Proef")
    with qtbot.waitSignal(dialog.letterSubmitted) as blocker:
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    letter_id = blocker.args[0]
    assert window.current_page() == "berichten"
    qtbot.waitUntil(lambda: window.log_view.selected_letter_id() == letter_id)
    assert "wachtrij" in window.notice_label.text()
    window.poll_engine()
    if services.engine.snapshot().running:  # a stopped engine counts nothing
        assert "1 in wachtrij" in window.engine_label.text()


def set_snapshot(monkeypatch, services, **changes) -> None:
    snapshot = replace(services.engine.snapshot(), **changes)
    monkeypatch.setattr(services.engine, "snapshot", lambda: snapshot)


@pytest.mark.parametrize(("days", "tone"), [(212, None), (43, "amber"), (13, "red"), (-2, "red")])
def test_certificate_warning_colours(
    services, task_runner, qtbot, settings, monkeypatch, days, tone
):
    set_snapshot(monkeypatch, services, certificate_days_left=days)
    window = make_window(services, task_runner, qtbot, settings)
    sheet = window.certificate_label.styleSheet()
    if tone is None:
        assert theme.TONES["amber"].text not in sheet and theme.TONES["red"].text not in sheet
    else:
        assert theme.TONES[tone].background in sheet
    if days < 0:
        assert window.certificate_label.text() == "certificaat verlopen"
    else:
        assert window.certificate_label.text() == f"certificaat nog {days} dagen"


def test_engine_stopped_and_last_error_are_shown(
    services, task_runner, qtbot, settings, monkeypatch
):
    window = make_window(services, task_runner, qtbot, settings)
    set_snapshot(monkeypatch, services, running=False, last_error="Logius niet bereikbaar")
    window.poll_engine()
    assert window.engine_label.text().startswith("Engine: gestopt")
    assert "Logius niet bereikbaar" in window.error_label.text()


def test_window_state_and_last_page_are_remembered(services, task_runner, qtbot, settings):
    window = make_window(services, task_runner, qtbot, settings)
    window.resize(761, 612)  # within the offscreen test screen (800x800)
    window.show_page("certificaten")
    window.close()

    again = make_window(services, task_runner, qtbot, settings, resize=False)
    assert again.current_page() == "certificaten"
    assert again.size().width() == 761
    assert again.size().height() == 612


def test_menus_offer_quit_and_about(services, task_runner, qtbot, settings):
    window = make_window(services, task_runner, qtbot, settings)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&Bestand", "&Ga naar", "Be&richten", "E&xtra", "&Help"]
    assert window.quit_action.text() == "&Afsluiten"
    assert window.about_action.text().startswith("&Over")
    window.quit_action.trigger()
    assert not window.isVisible()


def test_window_owns_a_runner_when_none_is_given(services, qtbot, settings):
    window = MainWindow(services, settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.workspace_status is not None)
    assert window.banner.badge.text() == "SIMULATOR"
    window.close()
    QApplication.processEvents()


def test_pages_cover_the_navigation():
    assert len(PAGES) == 8


def test_choosing_another_organisation_is_remembered_and_used_for_sending(
    task_runner, qtbot, settings
):
    from tests.gui.fake_services import ORGANISATIONS, FakeServices

    services = FakeServices(organisations=ORGANISATIONS)  # a connection serving two
    window = make_window(services, task_runner, qtbot, settings)
    combo = window.banner.organisation_combo
    assert combo.isVisible()
    combo.setCurrentIndex(1)
    combo.activated.emit(1)
    qtbot.waitUntil(lambda: services.workspace.status().organisation_id == 2)
    qtbot.waitUntil(lambda: window.workspace_status.organisation_id == 2)
    dialog = window.open_test_letter_dialog()
    assert dialog is not None
    assert dialog.organisation_id() == 2
    dialog.reject()
