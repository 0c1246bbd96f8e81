"""Certificate expiry warnings on start and as tray notifications (90, 60, 30, 7 days).

On start every current warning is shown (signal :attr:`ExpiryNotifier.warningsChanged`
and a tray message). After that the notifier checks every hour and only notifies a level
that was not notified before, so the user gets one message at 90 days, one at 60, and so
on, and one when a certificate has expired. The levels already notified are remembered
by the certificate service, across restarts.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from console.ui.tasks import TaskRunner

CHECK_INTERVAL_MS = 60 * 60 * 1000
MESSAGE_MS = 15_000


class TrayLike(Protocol):
    def showMessage(
        self, title: str, message: str, icon: QSystemTrayIcon.MessageIcon, msecs: int
    ) -> None: ...


def make_tray_icon(parent: QObject | None = None) -> QSystemTrayIcon | None:
    """A tray icon when the desktop has a system tray, else None (then only the signal)."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    app = QApplication.instance()
    style = app.style() if isinstance(app, QApplication) else None
    icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning) if style else None
    tray = QSystemTrayIcon(parent)
    if icon is not None:
        tray.setIcon(icon)
    tray.setToolTip(QApplication.translate("ExpiryNotifier", "Berichtenbox console"))
    tray.show()
    return tray


class ExpiryNotifier(QObject):
    #: The current warnings (a list of ``ExpiryWarning``), after the start check.
    warningsChanged = Signal(object)
    #: A notification was shown (title, text); also emitted without a tray, for the status bar.
    notified = Signal(str, str)

    def __init__(
        self,
        certificates: Any,
        runner: TaskRunner,
        *,
        tray: TrayLike | None = None,
        interval_ms: int = CHECK_INTERVAL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.certificates = certificates
        self.runner = runner
        self.tray = tray
        self.warnings: list[Any] = []
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check_due)

    def start(self) -> None:
        """Check now (show every current warning), then every interval for new levels."""
        self.runner.run(self._start_check, on_done=self._started, on_error=self._failed, owner=self)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def check_due(self) -> None:
        self.runner.run(self._due_check, on_done=self._notify, on_error=self._failed, owner=self)

    # -- worker side -----------------------------------------------------------------------

    def _start_check(self) -> list[Any]:
        warnings = list(self.certificates.expiry_warnings())
        self.certificates.mark_notified(warnings)
        return warnings

    def _due_check(self) -> list[Any]:
        due = list(self.certificates.due_notifications())
        if due:
            self.certificates.mark_notified(due)
        return due

    # -- GUI side --------------------------------------------------------------------------

    def _started(self, warnings: list[Any]) -> None:
        self.warnings = warnings
        self.warningsChanged.emit(warnings)
        self._notify(warnings)

    def _notify(self, warnings: list[Any]) -> None:
        if not warnings:
            return
        expired = [w for w in warnings if w.threshold == 0]
        if expired:
            title = self.tr("Certificaat verlopen: er wordt niets verstuurd")
        elif len(warnings) == 1:
            title = self.tr("Certificaat verloopt over {n} dagen").format(n=warnings[0].days_left)
        else:
            title = self.tr("{n} certificaten verlopen binnenkort").format(n=len(warnings))
        text = "\n".join(w.message for w in warnings)
        if self.tray is not None:
            icon = (
                QSystemTrayIcon.MessageIcon.Critical
                if expired
                else QSystemTrayIcon.MessageIcon.Warning
            )
            self.tray.showMessage(title, text, icon, MESSAGE_MS)
        self.notified.emit(title, text)

    def _failed(self, exc: BaseException) -> None:
        self.notified.emit(self.tr("Certificaten konden niet worden gecontroleerd"), str(exc))
