"""Render the main screens to PNG files, to look at them (not a test).

    python -m tests.gui.render_screenshots OUTDIR [--scale 1.5]

Uses the in-memory fake services with generated letters, offscreen unless a display is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _wait(app: object, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("het scherm werd niet op tijd klaar")
        QCoreApplication.processEvents()
        QTest.qWait(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--scale", default="1", help="QT_SCALE_FACTOR, bijvoorbeeld 1.5")
    parser.add_argument("--letters", type=int, default=1234)
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = str(args.scale)

    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from console.domain.lifecycle import LetterStatus
    from console.services.dto import LetterQuery
    from console.ui.main_window import MainWindow
    from console.ui.tasks import TaskRunner
    from console.ui.theme import apply_application_style
    from tests.gui.fake_services import ORGANISATIONS, FakeServices

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_application_style(app)
    suffix = "" if args.scale in ("1", "1.0") else f"-{args.scale}x"

    services = FakeServices(organisations=ORGANISATIONS, certificate_days_left=43)
    services.letters.add_generated(args.letters)
    runner = TaskRunner()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(services, runner, settings=settings)
        # At 150 % a 1920x1080 screen offers 1280x720 logical pixels.
        size = (1280, 800) if not suffix else (1280, 720)
        window.resize(*size)
        window.show()
        _wait(app, lambda: window.workspace_status is not None and bool(window.overview.counts))
        QTest.qWait(50)
        shots: list[Path] = []

        def save(widget: object, name: str) -> None:
            path = args.outdir / f"{name}{suffix}.png"
            widget.grab().save(str(path))  # type: ignore[attr-defined]
            shots.append(path)

        save(window, "01-overzicht")

        # The log with a letter selected that has a result with a code.
        window.open_log(LetterQuery())
        log = window.log_view
        _wait(app, lambda: log.model.rowCount() == args.letters and not log.model.loading)
        target = next(
            letter_id
            for letter_id in services.letters.ids(LetterQuery(status=LetterStatus.NOT_SUBSCRIBED))
        )
        log.select_letter(target)
        _wait(app, lambda: log.detail.detail is not None and log.detail.detail.row.id == target)
        _wait(app, lambda: runner.pending == 0)
        QTest.qWait(50)
        save(window, "02-berichten")

        # The test-letter dialog with a validation error.
        window.show_page("verzenden")
        save(window, "03-verzenden")
        dialog = window.open_test_letter_dialog()
        assert dialog is not None
        _wait(app, lambda: dialog.berichttype() is not None)
        QTest.keyClicks(dialog.bsn_edit, "123456789")
        dialog.onderwerp_edit.setFocus()
        QTest.keyClicks(
            dialog.onderwerp_edit, "Uw aanslag gemeentelijke belastingen 2025 is bekend"
        )
        QTest.keyClicks(dialog.tekst_edit, "Geachte heer/mevrouw,")
        QTest.keyClick(dialog.tekst_edit, "\r")  # a line break counts as four characters
        QTest.keyClicks(dialog.tekst_edit, "Bekijk de aanslag op https://www.example.nl/belasting.")
        QTest.qWait(50)
        save(dialog, "04-testbericht-fouten")
        dialog.reject()

        window.show_page("stromen")
        save(window, "05-stromen-placeholder")

        empty = FakeServices()
        empty_window = MainWindow(empty, runner, settings=settings)
        empty_window.resize(*size)
        empty_window.show()
        empty_window.show_page("berichten")
        _wait(app, lambda: empty_window.log_view.model.loaded_once)
        _wait(app, lambda: empty_window.workspace_status is not None)
        QTest.qWait(50)
        save(empty_window, "06-berichten-leeg")
        empty_window.close()
        window.close()
    runner.shutdown(wait=True)
    for path in shots:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
