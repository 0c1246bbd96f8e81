from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from console.domain.environment import Environment
from console.domain.letter import FieldIssue
from console.ui.test_letter_dialog import TestLetterDialog
from tests.gui.fake_services import LetterRefused, valid_bsns

VALID_BSN = valid_bsns(1)[0]
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def make_dialog(services, task_runner, qtbot, status=None) -> TestLetterDialog:
    dialog = TestLetterDialog(services, task_runner, status or services.workspace.status())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.berichttype() is not None)
    return dialog


def fill_valid(qtbot, dialog: TestLetterDialog) -> None:
    qtbot.keyClicks(dialog.bsn_edit, VALID_BSN)
    qtbot.keyClicks(dialog.onderwerp_edit, "Uw WOZ-beschikking")
    qtbot.keyClicks(dialog.tekst_edit, "Geachte heer/mevrouw, zie de bijlage.")
    qtbot.keyClicks(dialog.referentie_edit, "ZK-1")


def test_invalid_bsn_shows_the_elfproef_message_and_disables_send_with_reason(
    services, task_runner, qtbot
):
    dialog = make_dialog(services, task_runner, qtbot)
    fill_valid(qtbot, dialog)
    assert dialog.send_button.isEnabled()

    dialog.bsn_edit.clear()
    qtbot.keyClicks(dialog.bsn_edit, "123456789")
    message = dialog.rows["BSN"].message.text()
    assert "elfproef" in message
    assert dialog.rows["BSN"].message.isVisible()
    assert not dialog.send_button.isEnabled()
    assert dialog.reason_label.isVisible()
    assert "Nog niet te versturen" in dialog.reason_label.text()
    assert "elfproef" in dialog.reason_label.text()
    assert dialog.bsn_edit.accessibleDescription() == message


def test_bsn_counts_down_while_typing_and_confirms_a_valid_one(services, task_runner, qtbot):
    dialog = make_dialog(services, task_runner, qtbot)
    dialog.bsn_edit.setFocus()
    qtbot.keyClicks(dialog.bsn_edit, VALID_BSN[:5])
    assert dialog.rows["BSN"].message.text() == "Nog 4 cijfers."
    qtbot.keyClicks(dialog.bsn_edit, VALID_BSN[5:])
    assert "klopt" in dialog.rows["BSN"].message.text()
    assert "elfproef" in dialog.rows["BSN"].message.text()


def test_onderwerp_of_51_characters_names_the_limit(services, task_runner, qtbot):
    dialog = make_dialog(services, task_runner, qtbot)
    qtbot.keyClicks(dialog.onderwerp_edit, "x" * 50)
    assert dialog.rows["Onderwerp"].counter.text() == "50/50"
    assert dialog.rows["Onderwerp"].message.text() == ""
    qtbot.keyClicks(dialog.onderwerp_edit, "y")
    assert "Onderwerp is 51 tekens; maximaal 50" in dialog.rows["Onderwerp"].message.text()
    assert dialog.rows["Onderwerp"].counter.text() == "51/50"
    assert not dialog.send_button.isEnabled()


def test_line_breaks_count_as_four_in_the_text_counter(services, task_runner, qtbot):
    dialog = make_dialog(services, task_runner, qtbot)
    dialog.tekst_edit.setPlainText("ab\ncd")
    assert dialog.rows["BerichtTekst"].counter.text() == "8/4000"


def test_untouched_fields_stay_quiet_but_the_reason_is_visible(services, task_runner, qtbot):
    dialog = make_dialog(services, task_runner, qtbot)
    assert dialog.rows["BSN"].message.text() == ""
    assert dialog.rows["Onderwerp"].message.text() == ""
    assert not dialog.send_button.isEnabled()
    assert "BSN" in dialog.reason_label.text()


def test_berichttypes_show_code_and_name_and_mark_inactive_ones(services, task_runner, qtbot):
    dialog = make_dialog(services, task_runner, qtbot)
    known = services.workspace.berichttypes(services.workspace.status().organisation_id)
    inactive = [b for b in known if not b.active]
    assert inactive, "the workspace needs an inactive berichttype for this test"
    texts = [dialog.berichttype_combo.itemText(i) for i in range(dialog.berichttype_combo.count())]
    for bt in known:
        expected = f"{bt.code} — {bt.name}" + ("" if bt.active else " (niet actief)")
        assert expected in texts
    assert texts[-1].endswith("(niet actief)")  # inactive ones last

    fill_valid(qtbot, dialog)
    dialog.berichttype_combo.setCurrentIndex(
        texts.index(f"{inactive[0].code} — {inactive[0].name} (niet actief)")
    )
    assert "niet actief" in dialog.rows["BerichtType"].message.text()
    assert dialog.send_button.isEnabled()  # a warning, so a test can show the rejection


def test_valid_letter_is_submitted_on_the_db_lane_and_the_dialog_closes(
    services, letter_calls, engine_calls, task_runner, qtbot
):
    dialog = make_dialog(services, task_runner, qtbot)
    fill_valid(qtbot, dialog)
    assert dialog.send_button.isEnabled()
    assert dialog.reason_label.text() == ""

    with qtbot.waitSignal(dialog.letterSubmitted) as blocker:
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    letter_id = blocker.args[0]
    assert dialog.result() == QDialog.DialogCode.Accepted
    (draft, organisation_id) = letter_calls.args_of("submit")[-1][:2]
    assert draft.bsn == VALID_BSN
    assert draft.onderwerp == "Uw WOZ-beschikking"
    chosen = dialog.berichttype()
    assert chosen is not None and chosen.active  # the first active type is preselected
    assert draft.berichttype == chosen.code
    assert organisation_id == services.workspace.status().organisation_id
    assert services.letters.detail(letter_id).row.onderwerp == "Uw WOZ-beschikking"
    assert len(engine_calls.args_of("wake")) == 1


def test_refused_letter_shows_the_issues_under_the_fields(
    services, task_runner, qtbot, monkeypatch
):
    def refuse(draft, organisation_id, actor="gebruiker"):
        raise LetterRefused([FieldIssue("Referentie", "Deze referentie is al gebruikt.")])

    monkeypatch.setattr(services.letters, "submit", refuse)
    dialog = make_dialog(services, task_runner, qtbot)
    fill_valid(qtbot, dialog)
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "al gebruikt" in dialog.rows["Referentie"].message.text())
    assert dialog.isVisible()
    assert dialog.general_label.isVisible()
    assert not dialog.send_button.isEnabled()
    # Editing the field clears the server's verdict.
    qtbot.keyClicks(dialog.referentie_edit, "b")
    assert dialog.rows["Referentie"].message.text() == ""
    assert dialog.send_button.isEnabled()


def test_dialog_stays_open_while_the_letter_is_stored(services, task_runner, qtbot, monkeypatch):
    gate = threading.Event()
    real_submit = services.letters.submit

    def slow_submit(*args, **kwargs):
        gate.wait(30)
        return real_submit(*args, **kwargs)

    monkeypatch.setattr(services.letters, "submit", slow_submit)
    dialog = make_dialog(services, task_runner, qtbot)
    fill_valid(qtbot, dialog)
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    assert not dialog.send_button.isEnabled()
    assert not dialog.bsn_edit.isEnabled()
    dialog.reject()
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.letterSubmitted):
        gate.set()


def test_pdf_attachment_name_size_and_refusals(services, task_runner, qtbot, tmp_path: Path):
    dialog = make_dialog(services, task_runner, qtbot)
    fill_valid(qtbot, dialog)

    good = tmp_path / "besluit.pdf"
    good.write_bytes(PDF)
    dialog.attach_pdf(good)
    qtbot.waitUntil(lambda: dialog.draft().attachments != ())
    assert "besluit.pdf" in dialog.pdf_label.text()
    assert "bytes" in dialog.pdf_label.text()
    assert dialog.send_button.isEnabled()
    assert dialog.draft().attachments[0].content == PDF

    fake = tmp_path / "brief.docx"
    fake.write_bytes(b"PK\x03\x04 not a pdf")
    dialog.attach_pdf(fake)
    qtbot.waitUntil(lambda: "geen PDF" in dialog.rows["Bijlagen"].message.text())
    assert not dialog.send_button.isEnabled()

    big = tmp_path / "groot.pdf"
    big.write_bytes(PDF + b"0" * 600_000)
    dialog.attach_pdf(big)
    qtbot.waitUntil(lambda: "maximaal 500 kB" in dialog.rows["Bijlagen"].message.text())
    assert "is 600 kB" in dialog.rows["Bijlagen"].message.text()
    assert not dialog.send_button.isEnabled()

    dialog.remove_pdf()
    assert dialog.rows["Bijlagen"].message.text() == ""
    assert dialog.send_button.isEnabled()


def test_production_asks_to_type_the_organisation_name(services, task_runner, qtbot):
    status = replace(services.workspace.status(), environment=Environment.PRODUCTIE, is_demo=False)
    dialog = make_dialog(services, task_runner, qtbot, status=status)
    assert dialog.production_warning.isVisible()
    fill_valid(qtbot, dialog)
    assert not dialog.send_button.isEnabled()
    assert "Gemeente Voorbeeld" in dialog.reason_label.text()
    qtbot.keyClicks(dialog.confirm_edit, "Gemeente Voorbeeld")
    assert dialog.send_button.isEnabled()


def test_fields_have_accessible_names_and_mnemonic_labels(services, task_runner, qtbot):
    dialog = make_dialog(services, task_runner, qtbot)
    for widget in (
        dialog.organisation_combo,
        dialog.berichttype_combo,
        dialog.bsn_edit,
        dialog.onderwerp_edit,
        dialog.tekst_edit,
        dialog.referentie_edit,
        dialog.pdf_button,
    ):
        assert widget.accessibleName()
    assert dialog.tekst_edit.tabChangesFocus()
