"""The dialog for bugs: a calm explanation and a report the user can copy to the supplier.

Never a traceback in the user's face: the traceback is in the report, behind a "Details" toggle,
and every nine-digit number in it is masked because it may be a BSN.
"""

from __future__ import annotations

import platform
import re
import sys
import traceback
from datetime import datetime
from importlib import metadata
from types import TracebackType

import PySide6
from PySide6.QtCore import QCoreApplication, Qt, qVersion
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme

_NINE_DIGITS = re.compile(r"(?<!\d)\d{5}(\d{4})(?!\d)")


def _app_version() -> str:
    try:
        return metadata.version("berichtenbox-console")
    except metadata.PackageNotFoundError:
        return "onbekend"


def mask_personal_data(text: str) -> str:
    """Mask every nine-digit number (it may be a BSN) to ``*****1234``."""
    return _NINE_DIGITS.sub(lambda m: "*****" + m.group(1), text)


def crash_report(exc: BaseException, *, when: datetime | None = None) -> str:
    """A plain-text report for the supplier: versions, the error and its traceback, BSNs masked."""
    when = when or datetime.now().astimezone()
    lines = [
        "Berichtenbox console - foutrapport",
        f"Tijdstip: {when.isoformat(timespec='seconds')}",
        f"Versie: {_app_version()}",
        f"Python: {platform.python_version()} ({sys.platform})",
        f"Qt: {qVersion()} / PySide6 {PySide6.__version__}",
        f"Systeem: {platform.platform()}",
        "",
        f"Fout: {type(exc).__module__}.{type(exc).__qualname__}: {exc}",
        "",
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip(),
    ]
    return mask_personal_data("\n".join(lines))


class CrashDialog(QDialog):
    """Something went wrong that the user could not have prevented."""

    def __init__(self, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Er ging iets mis"))
        self.setAccessibleName(self.tr("Foutmelding"))
        self._report = report

        icon = QLabel()
        style = self.style()
        size = style.pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        icon.setPixmap(
            style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(size, size)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)

        title = QLabel(self.tr("Er ging iets mis in de console"))
        title.setFont(theme.heading_font(self.font(), scale=1.15))
        text = QLabel(
            self.tr(
                "Dit is een fout in de software, niet iets wat u verkeerd deed. Uw gegevens zijn "
                "niet verloren: wat al was opgeslagen, blijft bewaard.\n\n"
                "Kopieer het rapport en stuur het naar uw leverancier. Vertel erbij wat u aan "
                "het doen was."
            )
        )
        text.setWordWrap(True)

        self.report_view = QPlainTextEdit(report)
        self.report_view.setReadOnly(True)
        self.report_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report_view.setAccessibleName(self.tr("Foutrapport"))
        self.report_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.report_view.setVisible(False)
        self.report_view.setMinimumHeight(self.fontMetrics().lineSpacing() * 12)

        self.details_button = QPushButton(self.tr("&Details tonen"))
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._toggle_details)

        self.copy_button = QPushButton(self.tr("Rapport &kopiëren"))
        self.copy_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self.copy_button.clicked.connect(self.copy_report)
        self.copied_label = QLabel("")
        self.copied_label.setStyleSheet(f"color: {theme.OK_TEXT};")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("&Sluiten"))
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.HelpRole)

        head = QHBoxLayout()
        head.addWidget(icon)
        body = QVBoxLayout()
        body.addWidget(title)
        body.addWidget(text)
        head.addLayout(body, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.report_view, 1)
        layout.addWidget(self.copied_label)
        layout.addWidget(buttons)
        self.copy_button.setDefault(True)
        self.copy_button.setFocus()
        self.resize(self.fontMetrics().averageCharWidth() * 80, self.sizeHint().height())

    @property
    def report(self) -> str:
        return self._report

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self._report)
        self.copied_label.setText(self.tr("Het rapport staat op het klembord."))

    def _toggle_details(self, shown: bool) -> None:
        self.report_view.setVisible(shown)
        self.details_button.setText(
            self.tr("&Details verbergen") if shown else self.tr("&Details tonen")
        )
        self.adjustSize()


def show_crash_dialog(exc: BaseException, parent: QWidget | None = None) -> CrashDialog:
    """Show the crash dialog without blocking; the caller may keep working."""
    dialog = CrashDialog(crash_report(exc), parent or QApplication.activeWindow())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    # A dialog without a parent window is owned by Python: keep it alive while it is open.
    _open_dialogs.append(dialog)
    dialog.finished.connect(lambda _r: _open_dialogs.remove(dialog))
    dialog.show()
    return dialog


_open_dialogs: list[CrashDialog] = []


def install_excepthook() -> None:
    """Route uncaught exceptions (for example in a Qt slot) to the crash dialog.

    For the composition root (console/app.py) to call once the QApplication exists.
    """
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt) or QCoreApplication.instance() is None:
            previous(exc_type, exc, tb)
            return
        try:
            show_crash_dialog(exc.with_traceback(tb))
        except Exception:
            previous(exc_type, exc, tb)

    sys.excepthook = hook
