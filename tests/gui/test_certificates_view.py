"""The Certificaten page on a real workspace: import (dialog, password, drop), trust, test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from console.secrets.store import KeyringStore, MemoryStore
from console.services.bootstrap import ConsoleServices
from console.services.certificates import CertificateService
from console.services.demo import DEMO_OIN
from console.ui.certificates_view import CertificatesView, certificate_paths
from console.ui.expiry_notifier import ExpiryNotifier
from console.ui.session_key_banner import SessionKeyBanner
from console.ui.tasks import TaskRunner
from tests.certificate_factory import (
    NOW,
    OTHER_OIN,
    Made,
    MemoryKeyring,
    make_ca,
    make_leaf,
    p12,
)
from tests.integration.conftest import open_test_workspace

PASSWORD = "gui-Wachtwoord-7"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[ConsoleServices]:
    real = open_test_workspace(tmp_path / "data")  # MemoryStore: no OS keyring in tests
    try:
        yield real
    finally:
        real.close()


@pytest.fixture
def ca() -> Made:
    return make_ca("GUI-CA")


@pytest.fixture
def view(qtbot: QtBot, services: ConsoleServices, task_runner: TaskRunner) -> CertificatesView:
    widget = CertificatesView(services, task_runner)
    qtbot.addWidget(widget)
    widget.resize(1100, 900)
    widget.refresh()
    qtbot.waitUntil(lambda: widget.certificate_table.rowCount() == 1)
    return widget


def _column(view: CertificatesView, column: int) -> list[str]:
    table = view.certificate_table
    return [table.item(r, column).text() for r in range(table.rowCount())]  # type: ignore[union-attr]


def test_page_shows_the_demo_certificate_with_oin_expiry_and_checks(
    qtbot: QtBot, view: CertificatesView
) -> None:
    assert _column(view, 1) == [f"{DEMO_OIN} (test)"]
    assert _column(view, 3) == ["Geldig"]
    assert _column(view, 4) == ["Demo-simulator"]
    qtbot.waitUntil(lambda: not view.detail.isHidden())
    assert view.detail_fields["oin"].value() == DEMO_OIN
    assert len(view.detail_fields["sha256"].value()) == 95  # 32 bytes as AB:CD:...
    assert "Test-CA" in view.detail_labels["chain"].text()
    assert "in orde" in view.checks_label.text()
    # no OS keyring in the tests: the page says keys live only for this session
    assert not view.session_banner.isHidden()
    assert "opnieuw importeren" in view.session_banner.text_label.text()


def test_import_asks_for_the_password_and_shows_the_new_certificate(
    qtbot: QtBot, view: CertificatesView, tmp_path: Path, ca: Made
) -> None:
    path = tmp_path / "gemeente.p12"
    path.write_bytes(p12(make_leaf(ca, common_name="Productie-koppeling"), [ca], PASSWORD.encode()))
    asked: list[str] = []

    def answer(name: str, reason: str) -> str:
        asked.append(reason)
        return "fout" if len(asked) == 1 else PASSWORD

    view.ask_password = answer
    view.choose_files = lambda: [str(path)]
    view.choose_and_import()

    qtbot.waitUntil(lambda: view.certificate_table.rowCount() == 2, timeout=10_000)
    assert len(asked) == 2
    assert "wachtwoord" in asked[0].lower() and "klopt niet" in asked[1]
    assert "Productie-koppeling" in _column(view, 0)
    assert "geïmporteerd" in view.import_message.text()
    assert "(niet gebruikt)" in _column(view, 4)


def test_cancelled_password_stops_the_import(
    qtbot: QtBot, view: CertificatesView, tmp_path: Path, ca: Made
) -> None:
    path = tmp_path / "gemeente.p12"
    path.write_bytes(p12(make_leaf(ca), [ca], PASSWORD.encode()))
    view.ask_password = lambda name, reason: None
    view.import_path(path)
    qtbot.waitUntil(lambda: "afgebroken" in view.import_message.text())
    assert view.certificate_table.rowCount() == 1


def test_a_dropped_certificate_file_is_imported(
    qtbot: QtBot, view: CertificatesView, tmp_path: Path, ca: Made
) -> None:
    pem = tmp_path / "ander.pem"
    leaf = make_leaf(ca, oin=OTHER_OIN, common_name="Gesleept")
    pem.write_bytes(leaf.cert_pem + ca.cert_pem + leaf.key_pem)
    ignored = tmp_path / "brief.pdf"
    ignored.write_bytes(b"%PDF-1.4")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(pem)), QUrl.fromLocalFile(str(ignored))])
    assert certificate_paths(list(mime.urls())) == [pem]

    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(event)

    qtbot.waitUntil(lambda: view.certificate_table.rowCount() == 2, timeout=10_000)
    assert "Gesleept" in _column(view, 0)
    assert f"{OTHER_OIN} (test)" in _column(view, 1)


def test_trust_store_lists_and_removes_per_environment(
    qtbot: QtBot, view: CertificatesView
) -> None:
    view.environment_combo.setCurrentIndex(view.environment_combo.findData("simulator"))
    assert view.trust_table.rowCount() == 1
    assert "Test-CA" in view.trust_table.item(0, 0).text()  # type: ignore[union-attr]
    view.environment_combo.setCurrentIndex(view.environment_combo.findData("preprod"))
    assert view.trust_table.rowCount() == 0 and "leeg" in view.trust_message.text()

    view.environment_combo.setCurrentIndex(view.environment_combo.findData("simulator"))
    view.trust_table.selectRow(0)
    questions: list[str] = []
    view.confirm = lambda q: questions.append(q) is None
    view.remove_selected_anchor()
    qtbot.waitUntil(lambda: view.trust_table.rowCount() == 0)
    assert questions and "geweigerd" in questions[0]
    assert "SIMULATOR" in view.trust_message.text()


def test_connection_test_shows_the_steps_live(qtbot: QtBot, view: CertificatesView) -> None:
    live: list[Any] = []
    view._relay.step.connect(live.append)
    qtbot.waitUntil(lambda: view.test_combo.findText("Demo-simulator (SIMULATOR)") >= 0)
    view.test_combo.setCurrentIndex(view.test_combo.findText("Demo-simulator (SIMULATOR)"))
    view.start_test()
    assert [r.status for r in view.step_rows.values()] == ["waiting"] * 6

    qtbot.waitUntil(lambda: view.last_test is not None, timeout=20_000)

    assert view.last_test.ok
    assert [r.status for r in view.step_rows.values()] == ["ok"] * 6
    assert "Pong" in view.step_rows["ping"].detail_label.text()
    assert any(s.status.value == "running" for s in live)  # steps arrived while running
    assert "geslaagd" in view.test_summary.text()
    assert view.test_button.isEnabled()


def test_request_dialog_makes_a_key_and_csr(
    qtbot: QtBot, view: CertificatesView, tmp_path: Path
) -> None:
    dialog = view.open_request_dialog()
    qtbot.addWidget(dialog)
    # the demo connection: the OIN comes from its CPA
    dialog.connection_combo.setCurrentIndex(
        dialog.connection_combo.findText("Demo-simulator (SIMULATOR)")
    )
    dialog.key_combo.setCurrentIndex(dialog.key_combo.findData("ec256"))
    dialog.create_request()
    qtbot.waitUntil(lambda: dialog.result_pem != "", timeout=10_000)
    assert "BEGIN CERTIFICATE REQUEST" in dialog.csr_text.toPlainText()
    assert DEMO_OIN in dialog.error_label.text()
    target = tmp_path / "aanvraag.csr"
    dialog.save_path_chooser = lambda suggested: str(target)
    dialog.save()
    assert target.read_text() == dialog.result_pem


def test_session_banner_hides_with_a_real_keyring(qtbot: QtBot) -> None:
    banner = SessionKeyBanner()
    qtbot.addWidget(banner)
    banner.set_store(False, MemoryStore().description)
    assert not banner.isHidden()
    store = KeyringStore(backend=MemoryKeyring())
    banner.set_store(store.persistent, store.description)
    assert banner.isHidden()


class FakeTray:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str, QSystemTrayIcon.MessageIcon]] = []

    def showMessage(
        self, title: str, message: str, icon: QSystemTrayIcon.MessageIcon, msecs: int
    ) -> None:
        self.messages.append((title, message, icon))


def test_expiry_notifier_warns_on_start_and_once_per_level(
    qtbot: QtBot, services: ConsoleServices, task_runner: TaskRunner, ca: Made
) -> None:
    when = {"now": NOW}
    certs = CertificateService(services.db, services.secrets, clock=lambda: when["now"])
    leaf = make_leaf(ca, oin=DEMO_OIN, not_after=NOW + dt.timedelta(days=50, hours=6))
    certs.import_file(p12(leaf, [ca], None), connection="Demo-simulator")
    tray = FakeTray()
    notifier = ExpiryNotifier(certs, task_runner, tray=tray, interval_ms=3_600_000)
    changed: list[list[Any]] = []
    notifier.warningsChanged.connect(changed.append)

    notifier.start()
    qtbot.waitUntil(lambda: bool(tray.messages))
    (title, text, icon) = tray.messages[0]
    assert "50 dagen" in title and "Demo-simulator" in text
    assert icon is QSystemTrayIcon.MessageIcon.Warning
    assert [w.threshold for w in changed[0]] == [60]

    notifier.check_due()  # same level: nothing new
    qtbot.wait(50)
    qtbot.waitUntil(lambda: task_runner.pending == 0)
    assert len(tray.messages) == 1

    when["now"] = NOW + dt.timedelta(days=51)  # expired
    with qtbot.waitSignal(notifier.notified):
        notifier.check_due()
    assert len(tray.messages) == 2
    assert tray.messages[1][2] is QSystemTrayIcon.MessageIcon.Critical
    assert "verlopen" in tray.messages[1][0]
    notifier.stop()
