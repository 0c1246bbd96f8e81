"""The Organisaties page: forms that validate while typing, connections, the intermediary set-up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from console.services.demo import DEMO_OIN, demo_cpa_document
from console.ui.letter_table_model import LetterRole
from console.ui.organisations_view import ConnectionDialog, OrganisationsView
from console.ui.tasks import TaskRunner
from tests.gui.fake_services import FakeServices
from tests.gui.flow_gui_support import ConfigServices, config_services
from tests.unit.flow_support import add_letter

REAL_OIN = "00000001001234567000"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[ConfigServices]:
    real = config_services(tmp_path / "data")
    yield real
    real.db.dispose()


@pytest.fixture
def view(qtbot: QtBot, services: ConfigServices, task_runner: TaskRunner) -> OrganisationsView:
    widget = OrganisationsView(services, task_runner)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.organisations.list.count() == 14)
    qtbot.waitUntil(lambda: widget.connections.table.rowCount() == 7)
    return widget


def _settle(qtbot: QtBot, validator: object, runner: TaskRunner) -> None:
    qtbot.waitUntil(lambda: validator.settled and runner.pending == 0)  # type: ignore[attr-defined]


def test_a_new_organisation_is_checked_while_typing_and_saved(
    qtbot: QtBot, view: OrganisationsView, services: ConfigServices, task_runner: TaskRunner
) -> None:
    panel = view.organisations
    form = panel.form
    panel.new()
    assert not form.save_button.isEnabled() and "naam en het OIN" in form.reason_label.text()
    qtbot.keyClicks(form.name_edit, "Gemeente Echt")
    form.oin_edit.setFocus()
    qtbot.keyClicks(form.oin_edit, "0000000100")
    _settle(qtbot, form.validator, task_runner)
    assert form.rows["OIN"].message.text() == "Nog 10 cijfers."  # counting down, not scolding
    form.name_edit.setFocus()
    form._changed()
    _settle(qtbot, form.validator, task_runner)
    assert form.rows["OIN"].message.text() == "Een OIN heeft 20 cijfers; dit zijn er 10."
    assert not form.save_button.isEnabled()
    assert "Een OIN heeft 20 cijfers" in form.reason_label.text()
    qtbot.keyClicks(form.oin_edit, "1234567000")
    qtbot.keyClicks(form.website_edit, "http://www.echt.nl/")
    _settle(qtbot, form.validator, task_runner)
    assert form.rows["OIN"].message.text() == ""
    assert "moet beginnen met https://" in form.rows["Website"].message.text()
    form.website_edit.clear()
    qtbot.keyClicks(form.website_edit, "https://www.echt.nl/")
    email = form.contact_edits["technisch"][1]
    qtbot.keyClicks(form.contact_edits["technisch"][0], "Applicatiebeheer")
    qtbot.keyClicks(email, "beheer@echt.nl")
    _settle(qtbot, form.validator, task_runner)
    assert form.save_button.isEnabled(), form.reason_label.text()
    with qtbot.waitSignal(form.saved):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    saved = services.organisations.get(REAL_OIN)
    assert saved.profile.website_url == "https://www.echt.nl/"
    assert {c.role: c.email for c in saved.contacts}["technisch"] == "beheer@echt.nl"
    qtbot.waitUntil(lambda: panel.list.count() == 15 and panel.current_id() == saved.id)
    assert services.audit.entries()[0].entity_label == "Gemeente Echt"


def test_a_duplicate_oin_is_named_under_the_field(
    qtbot: QtBot, view: OrganisationsView, task_runner: TaskRunner
) -> None:
    form = view.organisations.form
    view.organisations.new()
    qtbot.keyClicks(form.name_edit, "Dubbel")
    qtbot.keyClicks(form.oin_edit, DEMO_OIN)
    form.name_edit.setFocus()
    _settle(qtbot, form.validator, task_runner)
    assert form.rows["OIN"].message.text() == (
        f"OIN {DEMO_OIN} is al in gebruik door Gemeente Voorbeeld."
    )


def test_an_organisation_with_letters_is_deactivated_instead_of_deleted(
    qtbot: QtBot,
    view: OrganisationsView,
    services: ConfigServices,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buurdorp = services.organisations.get("Gemeente Buurdorp")
    add_letter(services.db, buurdorp.oin, berichttype="AANSLAG", connection="Grensdorp-simulator")
    panel = view.organisations
    panel.select(buurdorp.id)
    form = panel.form
    assert form.detail.id == buurdorp.id
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    form.delete()
    qtbot.waitUntil(lambda: form.general_label.isVisible())
    assert "Deactiveer de organisatie" in form.general_label.text()
    with qtbot.waitSignal(form.changed):
        form.toggle_active()
    assert form.status_badge.text() == "Gedeactiveerd"
    assert not services.organisations.get(buurdorp.id).active
    qtbot.waitUntil(
        lambda: "gedeactiveerd" in (panel.list.currentItem() or panel.list.item(0)).text()
    )


def test_the_connections_tab_explains_the_intermediary_set_up(
    qtbot: QtBot, view: OrganisationsView, services: ConfigServices, task_runner: TaskRunner
) -> None:
    panel = view.connections
    coop = services.connections.get("Belastingsamenwerking-simulator")
    panel.select(coop.id)
    text = panel.intermediary_label.text()
    assert "00000099300000000001" in text and "BerichtLeverancierID" in text
    assert "Waterschap Lage Weiden (00000099300000000004)" in text
    assert panel.party_field.value() == "00000099300000000001"
    row = next(
        r for r in range(panel.table.rowCount()) if panel.table.item(r, 0).text() == coop.name
    )
    assert panel.table.item(row, 1).data(LetterRole.STATUS_TONE) == "blue"
    assert panel.use_button.isEnabled()
    with qtbot.waitSignal(panel.workspaceChanged):
        qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert services.connections.get(coop.id).is_current
    assert "Start de console opnieuw" in panel.message_label.text()
    qtbot.waitUntil(lambda: task_runner.pending == 0)
    qtbot.waitUntil(lambda: panel.current() is not None and panel.current().is_current)
    assert not panel.use_button.isEnabled()


def test_the_connection_dialog_refuses_what_logius_would(
    qtbot: QtBot,
    view: OrganisationsView,
    services: ConfigServices,
    task_runner: TaskRunner,
    tmp_path: Path,
) -> None:
    grensdorp = services.connections.get("Grensdorp-simulator")
    dialog = ConnectionDialog(
        services,
        task_runner,
        services.organisations.list_all(),
        [],
        grensdorp,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    _settle(qtbot, dialog.validator, task_runner)
    assert dialog.save_button.isEnabled()
    owner_item = next(
        dialog.members_list.item(n)
        for n in range(dialog.members_list.count())
        if dialog.members_list.item(n).data(Qt.ItemDataRole.UserRole) == grensdorp.owner.id
    )
    assert owner_item.isHidden()  # the owner always sends for itself
    dialog.environment_combo.setCurrentIndex(dialog.environment_combo.findData("productie"))
    _settle(qtbot, dialog.validator, task_runner)
    assert "clientcertificaat" in dialog.rows["Certificaat"].message.text()
    assert "test-OIN" in dialog.rows["Eigenaar"].message.text()
    assert "Gemeente Buurdorp heeft test-OIN" in dialog.rows["Organisaties"].message.text()
    assert not dialog.save_button.isEnabled()
    dialog.environment_combo.setCurrentIndex(dialog.environment_combo.findData("simulator"))
    wrong = tmp_path / "voorbeeld-cpa.xml"
    wrong.write_bytes(
        demo_cpa_document(client_cert_pem=None, inbound_cert_pem=None, simulator_cert_pem=None)
    )
    dialog.choose_cpa_path = lambda: wrong
    dialog.choose_cpa()
    _settle(qtbot, dialog.validator, task_runner)
    assert "staat er niet in" in dialog.rows["CPA"].message.text()
    assert not dialog.save_button.isEnabled()
    dialog.reject()


def test_a_page_without_configuration_services_says_so(
    qtbot: QtBot, task_runner: TaskRunner
) -> None:
    widget = OrganisationsView(FakeServices(), task_runner)
    qtbot.addWidget(widget)
    assert not widget.available
    assert "niet beschikbaar" in widget.empty.text_label.text()


def test_the_main_window_hosts_the_pages_and_the_extra_menu(
    qtbot: QtBot, services: ConfigServices, task_runner: TaskRunner, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    from console.ui.flows_view import FlowsView
    from console.ui.main_window import MainWindow
    from tests.gui.fake_services import FakeServices

    fake = FakeServices()
    for name in ("organisations", "connections", "berichttypes", "flows", "audit"):
        setattr(fake, name, getattr(services, name))
    fake.config_transfer = services.config_transfer
    window = MainWindow(
        fake, task_runner, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.workspace_status is not None)
    assert isinstance(window.pages["organisaties"], OrganisationsView)
    assert isinstance(window.pages["stromen"], FlowsView)
    window.show_page("organisaties")
    assert window.windowTitle() == "Organisaties — Berichtenbox console [SIMULATOR]"
    dialog = window.open_audit_log()
    qtbot.waitUntil(lambda: dialog.view.loaded_once and task_runner.pending == 0)
    assert dialog.view.model.rowCount() >= 1
    dialog.close()
    assert window.config_export_action.text() and window.config_import_action.text()
