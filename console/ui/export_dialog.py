"""Export the filtered log (or the chosen letters) to CSV or Excel, in the background.

The export runs on the task runner's I/O lane; a timer shows its progress (after a short
delay, as long work does everywhere) and Cancel stops it between blocks, leaving no file.
BSNs are masked unless the user ticks "volledige BSN's" and gives a reason (recorded).
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from console.services.dto import LetterQuery
from console.services.export import ExportFormat, ExportRequest, ExportResult
from console.ui import theme
from console.ui.formatting import format_count
from console.ui.tasks import TaskRunner

PROGRESS_DELAY_MS = 400
POLL_MS = 100


class _Progress:
    """Written by the worker, read by the GUI timer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        with self._lock:
            self.done, self.total = done, total

    def read(self) -> tuple[int, int]:
        with self._lock:
            return self.done, self.total


class ExportDialog(QDialog):
    #: The export finished (an ExportResult).
    finishedExport = Signal(object)

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        *,
        query: LetterQuery | None = None,
        letter_ids: tuple[int, ...] | None = None,
        count: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.query = query
        self.letter_ids = letter_ids
        self.export_result: ExportResult | None = None
        self._cancel = threading.Event()
        self._progress = _Progress()
        self._running = False
        self.setWindowTitle(self.tr("Berichten exporteren"))
        self.setAccessibleName(self.tr("Berichten exporteren"))

        if letter_ids is not None:
            what = self.tr("De {n} gekozen berichten.").format(n=format_count(len(letter_ids)))
        elif count is not None:
            what = self.tr("Alle {n} berichten in de lijst, in de volgorde van de lijst.").format(
                n=format_count(count)
            )
        else:
            what = self.tr("Alle berichten in de lijst, in de volgorde van de lijst.")
        self.what_label = QLabel(what)
        self.what_label.setWordWrap(True)

        self.csv_radio = QRadioButton(self.tr("&CSV (puntkomma, UTF-8)"))
        self.xlsx_radio = QRadioButton(self.tr("&Excel (.xlsx)"))
        self.xlsx_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.csv_radio)
        group.addButton(self.xlsx_radio)
        self.csv_radio.toggled.connect(self._format_changed)
        formats = QHBoxLayout()
        formats.addWidget(self.csv_radio)
        formats.addWidget(self.xlsx_radio)
        formats.addStretch(1)

        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name = f"berichten-{datetime.now():%Y%m%d-%H%M}.xlsx"
        self.path_edit = QLineEdit(str(Path(folder or Path.home()) / name))
        self.path_edit.setAccessibleName(self.tr("Bestand"))
        browse = QPushButton(self.tr("&Bladeren…"))
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_label = QLabel(self.tr("&Bestand:"))
        path_label.setBuddy(self.path_edit)
        path_row.addWidget(path_label)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.full_bsn_check = QCheckBox(self.tr("&Volledige BSN's (anders afgeschermd: *****6782)"))
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(self.tr("Reden (wordt vastgelegd in het inzagelog)"))
        self.reason_edit.setAccessibleName(self.tr("Reden voor volledige BSN's"))
        self.reason_edit.setEnabled(False)
        self.full_bsn_check.toggled.connect(self.reason_edit.setEnabled)

        self.progress_bar = QProgressBar()
        self.progress_bar.setAccessibleName(self.tr("Voortgang van de export"))
        self.progress_bar.setVisible(False)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.error_label.setVisible(False)

        self.buttons = QDialogButtonBox()
        self.export_button = QPushButton(self.tr("&Exporteren"))
        self.export_button.setDefault(True)
        self.cancel_button = QPushButton(self.tr("&Annuleren"))
        self.buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.what_label)
        layout.addLayout(formats)
        layout.addLayout(path_row)
        layout.addWidget(self.full_bsn_check)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 80, self.sizeHint().height())

        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.setInterval(PROGRESS_DELAY_MS)
        self._delay.timeout.connect(lambda: self.progress_bar.setVisible(self._running))
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._show_progress)

    # -- public ------------------------------------------------------------------------------

    def format(self) -> ExportFormat:
        return ExportFormat.CSV if self.csv_radio.isChecked() else ExportFormat.XLSX

    def start(self) -> None:
        exports = getattr(self.services, "exports", None)
        if exports is None:
            self._failed(ValueError(self.tr("Exporteren is in deze werkmap niet beschikbaar.")))
            return
        path = Path(self.path_edit.text().strip()).expanduser()
        if path.suffix.lower() != f".{self.format().value}":
            path = path.with_suffix(f".{self.format().value}")
            self.path_edit.setText(str(path))
        request = ExportRequest(
            path=path,
            format=self.format(),
            query=self.query,
            letter_ids=self.letter_ids,
            full_bsn=self.full_bsn_check.isChecked(),
            reason=self.reason_edit.text(),
        )
        self._cancel.clear()
        self._running = True
        self.error_label.setVisible(False)
        self.export_button.setEnabled(False)
        self.cancel_button.setText(self.tr("&Stoppen"))
        self.status_label.setText(self.tr("Bezig met exporteren…"))
        self.progress_bar.setRange(0, 0)
        self._delay.start()
        self._poll.start()
        self.runner.run(
            exports.export,
            request,
            progress=self._progress,
            cancel=self._cancel,
            on_done=self._done,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    def cancel(self) -> None:
        self._cancel.set()
        self.status_label.setText(self.tr("Wordt gestopt…"))

    @property
    def running(self) -> bool:
        return self._running

    # -- internals ---------------------------------------------------------------------------

    def _format_changed(self) -> None:
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(Path(text).with_suffix(f".{self.format().value}")))

    def _browse(self) -> None:
        suffix = self.format().value
        name, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Exporteren naar"),
            self.path_edit.text(),
            self.tr("Excel (*.xlsx)") if suffix == "xlsx" else self.tr("CSV (*.csv)"),
        )
        if name:
            self.path_edit.setText(name)

    def _show_progress(self) -> None:
        done, total = self._progress.read()
        if total:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            self.status_label.setText(
                self.tr("{done} van {total} berichten…").format(
                    done=format_count(done), total=format_count(total)
                )
            )

    def _stop_running(self) -> None:
        self._running = False
        self._delay.stop()
        self._poll.stop()
        self.progress_bar.setVisible(False)
        self.export_button.setEnabled(True)
        self.cancel_button.setText(self.tr("&Sluiten"))

    def _done(self, result: ExportResult) -> None:
        self._stop_running()
        self.export_result = result
        self.status_label.setText(result.text)
        self.status_label.setStyleSheet(
            f"color: {theme.MUTED_TEXT if result.cancelled else theme.OK_TEXT};"
        )
        self.finishedExport.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._stop_running()
        self.status_label.setText("")
        self.error_label.setText(str(exc))
        self.error_label.setVisible(True)

    def _cancel_or_close(self) -> None:
        if self._running:
            self.cancel()
        else:
            self.reject()
