"""The CPA section and the ebMS inspection dialog, on a real workspace (demo CPA imported)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from console.digikoppeling.ebms import envelope as env
from console.digikoppeling.ebms.model import Party
from console.services.bootstrap import ConsoleServices
from console.services.demo import DEMO_CPA_ID, DEMO_OIN, LOGIUS_OIN, demo_cpa_document
from console.ui.cpa_view import CpaView, cpa_paths
from console.ui.ebms_inspect_dialog import EbmsInspectDialog
from console.ui.tasks import TaskRunner
from tests.gui.conftest import drop
from tests.integration.conftest import open_test_workspace

REFERENCE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "reference").resolve()
STUB = REFERENCE / "ebms-core" / "cpas" / "cpaStubEBF.rm.https.signed.xml"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[ConsoleServices]:
    real = open_test_workspace(tmp_path / "data")
    try:
        yield real
    finally:
        real.close()


@pytest.fixture
def view(qtbot: QtBot, services: ConsoleServices, task_runner: TaskRunner) -> CpaView:
    widget = CpaView(services, task_runner)
    qtbot.addWidget(widget)
    widget.resize(1100, 900)
    widget.show()
    qtbot.waitUntil(lambda: widget.details.details is not None)
    return widget


def test_shows_the_demo_cpa_of_the_active_connection(view: CpaView) -> None:
    d = view.details
    assert d.cpa_id_field.value() == DEMO_CPA_ID
    assert d.status_badge.text() == "agreed" and d.status_badge.tone_name == "green"
    assert d.profile_label.text() == "osb-rm"
    assert not d.warnings_label.isVisibleTo(view)
    assert len(d.party_widgets) == 2
    names = [w.accessibleName() for w in d.party_widgets]
    assert names == ["Partij Gemeente Voorbeeld", "Partij Logius (simulator)"]
    texts = " ".join(
        lbl.text() for w in d.party_widgets for lbl in w.findChildren(type(d.validity_label))
    )
    for fragment in (
        "GLOBE-R-BV-Request",
        "syncReplyMode: none",
        "Retries: 5",
        "PT10S (10 seconden)",
    ):
        assert fragment in texts
    # The local test PKI's certificates are in the demo CPA, each with a copyable fingerprint.
    assert d.fingerprint_fields and all(f.value().count(":") == 31 for f in d.fingerprint_fields)
    assert "Er wordt verstuurd naar https://127.0.0.1" in view.endpoint_label.text()
    assert view.history_combo.count() == 1 and not view.history_combo.isEnabled()


def test_import_with_the_file_dialog_replaces_the_cpa_and_keeps_history(
    view: CpaView, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "nieuwe-cpa.xml"
    path.write_bytes(
        demo_cpa_document(
            client_cert_pem=None,
            inbound_cert_pem=None,
            simulator_cert_pem=None,
            sync_reply_mode="mshSignalsOnly",
        )
    )
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "CPA (*.xml *.cpa)")
    )
    view.import_button.click()
    qtbot.waitUntil(lambda: view.history_combo.count() == 2)
    assert "Koppeling Demo-simulator gebruikt deze CPA nu" in view.message_label.text()
    texts = " ".join(
        lbl.text()
        for w in view.details.party_widgets
        for lbl in w.findChildren(type(view.message_label))
    )
    assert "syncReplyMode: mshSignalsOnly" in texts
    assert "huidige" in view.history_combo.currentText()
    # Looking at the older one shows it as replaced.
    older = 1 - view.history_combo.currentIndex()
    view.history_combo.setCurrentIndex(older)
    view.history_combo.activated.emit(older)
    qtbot.waitUntil(lambda: "vervangen" in view.details.import_label.text())


def test_a_dropped_cpa_for_other_parties_is_stored_and_shown(view: CpaView, qtbot: QtBot) -> None:
    if not STUB.is_file():
        pytest.skip("referentiebestanden ontbreken")
    assert cpa_paths([QUrl.fromLocalFile(str(STUB)), QUrl("https://x/y.xml")]) == [STUB]
    drop(view, STUB)
    qtbot.waitUntil(lambda: "alleen bewaard" in view.message_label.text())
    d = view.details
    assert d.cpa_id_field.value() == "cpaStubEBF.rm.https.signed"
    assert "Deze console verstuurt niet met deze CPA" in d.profile_label.text()
    assert d.warnings_label.isVisibleTo(view) and d.warning_tone == "red"
    assert "osb-rm-s" in d.warnings_label.text()


def test_a_broken_file_is_refused_with_the_reason(
    view: CpaView, qtbot: QtBot, tmp_path: Path, services: ConsoleServices
) -> None:
    bad = tmp_path / "kapot.xml"
    bad.write_text("<geen-cpa/>")
    drop(view, bad)
    qtbot.waitUntil(lambda: "niet in orde" in view.message_label.text())
    assert "Dit is geen CPA" in view.message_label.text()
    assert services.cpa is not None and len(services.cpa.summaries()) == 1


def test_endpoint_override(view: CpaView, qtbot: QtBot, services: ConsoleServices) -> None:
    view.endpoint_edit.setText("http://proxy.example/ebms")
    view.endpoint_save.click()
    qtbot.waitUntil(lambda: "https://" in view.message_label.text())
    view.endpoint_edit.setText("https://proxy.example/ebms")
    view.endpoint_save.click()
    qtbot.waitUntil(lambda: "naar https://proxy.example/ebms" in view.endpoint_label.text())
    assert services.cpa is not None and view.connection_id is not None
    assert services.cpa.connection_endpoint(view.connection_id)[1] == "https://proxy.example/ebms"


# --- the inspection dialog -------------------------------------------------------------------


@pytest.fixture
def dialog(qtbot: QtBot, services: ConsoleServices, task_runner: TaskRunner) -> EbmsInspectDialog:
    d = EbmsInspectDialog(services, task_runner)
    qtbot.addWidget(d)
    return d


def test_pasted_valid_message(dialog: EbmsInspectDialog, qtbot: QtBot) -> None:
    assert not dialog.check_button.isEnabled()
    ping = env.ping(DEMO_CPA_ID, Party(LOGIUS_OIN, None), Party(DEMO_OIN, None))
    dialog.message_edit.setPlainText(env.build_envelope(ping).decode())
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None)
    assert dialog.verdict_badge.text() == "Geldig"
    assert "zou dit bericht aannemen" in dialog.summary_label.text()
    assert "niet gecontroleerd" in dialog.summary_label.text()  # no TLS here
    assert dialog.error_cards == []


def test_pasted_refused_message_shows_explanation_and_code(
    dialog: EbmsInspectDialog, qtbot: QtBot
) -> None:
    ping = env.ping(DEMO_CPA_ID, Party(LOGIUS_OIN, None), Party(DEMO_OIN, None))
    dialog.message_edit.setPlainText(env.build_envelope(ping).decode())
    dialog.oin_edit.setText("00000099000000000666")  # not the From PartyId
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None)
    assert dialog.verdict_badge.text() == "Geweigerd"
    (card,) = dialog.error_cards
    assert card.accessibleName() == "Fout SecurityFailure"
    text = " ".join(lbl.text() for lbl in card.findChildren(type(dialog.summary_label)))
    assert "certificaat of OIN past niet bij de CPA" in text
    assert "//Header/MessageHeader/From/PartyId" in text


def test_dropped_file_is_checked(dialog: EbmsInspectDialog, qtbot: QtBot, tmp_path: Path) -> None:
    bad = env.ping("onbekend", Party(LOGIUS_OIN, None), Party(DEMO_OIN, None))
    path = tmp_path / "bericht.xml"
    path.write_bytes(env.build_envelope(bad))
    drop(dialog, path)
    qtbot.waitUntil(lambda: dialog.report is not None)
    assert [e.code for e in dialog.report.errors] == ["ValueNotRecognized"]
    assert "onbekend" in dialog.message_edit.toPlainText()
