"""Support tool: paste or drop a raw ebMS message and see what the inbound endpoint says.

The check is :meth:`console.services.ebms.EbmsService.inspect_bytes`, which is the inbound
endpoint's own check; the dialog shows every ebMS error it would answer with, the plain
Dutch explanation first and the original code beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.copyable_field import CopyableField
from console.ui.form_field import scroll_area
from console.ui.status_badge import StatusBadgeLabel
from console.ui.tasks import TaskRunner

MAX_PASTE_BYTES = 150 * 1000 * 1000


class _MessageEdit(QPlainTextEdit):
    """A text box that takes a dropped file as its content."""

    def __init__(self, dialog: EbmsInspectDialog) -> None:
        super().__init__()
        self._dialog = dialog

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self._dialog.load_file(Path(urls[0].toLocalFile()))
        else:
            super().dropEvent(event)


class EbmsInspectDialog(QDialog):
    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.report: Any = None
        self._data: bytes | None = None  # a loaded file, byte for byte (binary parts stay intact)
        self.setWindowTitle(self.tr("ebMS-bericht controleren"))
        self.setAccessibleName(self.tr("ebMS-bericht controleren"))
        self.setAcceptDrops(True)

        intro = QLabel(
            self.tr(
                "Plak een ruw ebMS-bericht (SOAP-envelope, MIME multipart of een opgeslagen "
                "HTTP-verzoek met kopregels) of sleep het bestand hierheen. De console controleert "
                "het precies zoals de inbound endpoint dat doet, tegen de bekende CPA's, en laat "
                "zien welke ebMS-fouten hij zou teruggeven. Er wordt niets opgeslagen of verstuurd."
            )
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(f"color: {theme.MUTED_TEXT};")

        self.message_edit = _MessageEdit(self)
        self.message_edit.setAccessibleName(self.tr("Ruw ebMS-bericht"))
        self.message_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.message_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.message_edit.textChanged.connect(self._typed)

        self.oin_edit = QLineEdit()
        self.oin_edit.setAccessibleName(self.tr("OIN van het clientcertificaat"))
        self.oin_edit.setPlaceholderText(self.tr("optioneel: OIN uit het clientcertificaat"))
        self.open_button = QPushButton(self.tr("Bestand &openen…"))
        self.open_button.clicked.connect(self.choose_file)
        self.check_button = QPushButton(self.tr("&Controleren"))
        self.check_button.setObjectName("primary")
        self.check_button.clicked.connect(self.check)
        controls = QHBoxLayout()
        controls.addWidget(self.open_button)
        controls.addWidget(QLabel(self.tr("Clientcertificaat:")))
        controls.addWidget(self.oin_edit, 1)
        controls.addWidget(self.check_button)

        self.verdict_badge = StatusBadgeLabel()
        self.verdict_badge.hide()
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName(self.tr("Uitkomst"))
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head = QHBoxLayout()
        head.addWidget(self.verdict_badge, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.summary_label, 1)

        self.errors_box = QVBoxLayout()
        self.errors_box.setSpacing(8)
        errors_widget = QWidget()
        errors_widget.setLayout(self.errors_box)
        scroll = scroll_area(errors_widget)
        self.error_cards: list[QFrame] = []

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("&Sluiten"))
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.message_edit, 2)
        layout.addLayout(controls)
        layout.addLayout(head)
        layout.addWidget(scroll, 2)
        layout.addWidget(buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * 110, metrics.lineSpacing() * 40)
        self._typed()

    # -- input ---------------------------------------------------------------------------

    def _typed(self) -> None:
        if self._data is not None and self.message_edit.toPlainText() != self._shown:
            self._data = None  # edited after loading: check what is in the box now
        self.check_button.setEnabled(bool(self.message_edit.toPlainText().strip()))

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("ebMS-bericht openen"),
            "",
            self.tr("Berichten (*.xml *.txt *.eml *.mime);;Alle bestanden (*)"),
        )
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.summary_label.setText(
                self.tr("Het bestand {path} kan niet worden gelezen: {reason}.").format(
                    path=path, reason=exc.strerror
                )
            )
            return
        if len(data) > MAX_PASTE_BYTES:
            self.summary_label.setText(self.tr("Het bestand is te groot om te controleren."))
            return
        self._shown = data.decode("utf-8", "replace")
        self._data = data
        self.message_edit.setPlainText(self._shown)
        self.check()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if not urls:
            event.ignore()
            return
        event.acceptProposedAction()
        self.load_file(Path(urls[0].toLocalFile()))

    # -- checking ------------------------------------------------------------------------

    def check(self) -> None:
        data = self._data if self._data is not None else self.message_edit.toPlainText().encode()
        if not data.strip():
            return
        oin = self.oin_edit.text().strip() or None
        self.check_button.setEnabled(False)
        self.summary_label.setText(self.tr("Bezig met controleren…"))
        self.runner.run(
            self.services.ebms.inspect_bytes,
            data,
            client_oin=oin,
            on_done=self.show_report,
            on_error=self._failed,
            owner=self,
        )

    def _failed(self, exc: BaseException) -> None:
        self.check_button.setEnabled(True)
        self.summary_label.setText(str(exc))

    def show_report(self, report: Any) -> None:
        self.report = report
        self.check_button.setEnabled(True)
        for card in self.error_cards:
            card.hide()
            card.deleteLater()
        self.error_cards = []
        self.verdict_badge.show()
        if report.valid:
            self.verdict_badge.set_status(self.tr("Geldig"), "green")
        else:
            self.verdict_badge.set_status(self.tr("Geweigerd"), "red")
        lines: list[str] = []
        if report.message_id:
            lines.append(
                self.tr("Bericht {mid}, CPA {cpa}, actie {action}, van {frm} aan {to}.").format(
                    mid=report.message_id,
                    cpa=report.cpa_id,
                    action=report.action,
                    frm=report.from_party,
                    to=report.to_party,
                )
            )
        if not report.valid:
            lines.append(
                self.tr("De inbound endpoint zou antwoorden met {n} ebMS-fout(en):").format(
                    n=len(report.errors)
                )
            )
        lines += list(report.notes)
        self.summary_label.setText("\n".join(lines))
        for error in report.errors:
            card = self._error_card(error)
            self.errors_box.addWidget(card)
            self.error_cards.append(card)

    def _error_card(self, e: Any) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        card.setAccessibleName(self.tr("Fout {code}").format(code=e.code))
        box = QVBoxLayout(card)
        box.setContentsMargins(12, 8, 12, 8)
        explanation = QLabel(e.explanation)
        explanation.setWordWrap(True)
        explanation.setFont(theme.heading_font(self.font(), scale=1.0))
        code = CopyableField(self.tr("ebMS-foutcode"), e.code, monospace=True, small=True)
        top = QHBoxLayout()
        top.addWidget(explanation, 1)
        top.addWidget(code, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(top)
        detail = QLabel(
            self.tr("{description}\nPlaats: {location}\nWat te doen: {step}").format(
                description=e.description,
                location=e.location or self.tr("(geen)"),
                step=e.next_step,
            )
        )
        detail.setWordWrap(True)
        detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(detail)
        return card

    _shown = ""
