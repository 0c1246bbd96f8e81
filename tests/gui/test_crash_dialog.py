from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from console.ui.crash_dialog import CrashDialog, crash_report, mask_personal_data, show_crash_dialog
from console.ui.tasks import TaskRunner


def _raise_inside() -> BaseException:
    try:
        {}["onbekende sleutel voor BSN 999990019"]
    except KeyError as exc:
        return exc
    raise AssertionError("unreachable")


def test_report_names_the_error_and_its_place_and_masks_bsns():
    report = crash_report(_raise_inside())
    assert "Fout: builtins.KeyError" in report
    assert "_raise_inside" in report  # the traceback is in the report
    assert "Traceback (most recent call last)" in report
    assert "999990019" not in report
    assert "*****0019" in report
    assert "PySide6" in report and "Python" in report


def test_masking_leaves_other_numbers_alone():
    assert mask_personal_data("BSN 123456782, OIN 00000099123456780000, 2025") == (
        "BSN *****6782, OIN 00000099123456780000, 2025"
    )


def test_dialog_hides_the_traceback_until_asked_and_copies_the_report(qtbot):
    report = crash_report(_raise_inside())
    dialog = CrashDialog(report)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.report_view.isVisible()  # never a traceback in the face
    assert "verkeerd deed" in " ".join(
        label.text() for label in dialog.findChildren(type(dialog.copied_label))
    )

    qtbot.mouseClick(dialog.details_button, Qt.MouseButton.LeftButton)
    assert dialog.report_view.isVisible()
    assert dialog.report_view.toPlainText() == report

    QApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == report
    assert dialog.copied_label.text() != ""


def test_runner_without_crash_handler_shows_the_crash_dialog(qtbot):
    runner = TaskRunner()

    def boom() -> None:
        raise RuntimeError("onverwacht")

    runner.run(boom)

    def dialog() -> CrashDialog | None:
        return next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, CrashDialog) and w.isVisible()
            ),
            None,
        )

    qtbot.waitUntil(lambda: dialog() is not None)
    shown = dialog()
    assert shown is not None
    assert "RuntimeError: onverwacht" in shown.report
    shown.close()
    runner.shutdown()


def test_show_crash_dialog_keeps_a_parentless_dialog_alive(qtbot):
    shown = show_crash_dialog(RuntimeError("x"))
    QApplication.processEvents()
    assert shown.isVisible()
    shown.reject()
