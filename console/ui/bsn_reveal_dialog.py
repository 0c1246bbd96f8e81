"""Show one BSN in full, on purpose: the dialog asks why, and the console records the look."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.copyable_field import CopyableField
from console.ui.tasks import TaskRunner

MIN_REASON = 5


class BsnRevealDialog(QDialog):
    """Asks for a reason; on "Toon BSN" the service records the look and returns the BSN."""

    #: The BSN was shown: (letter id, full BSN).
    revealed = Signal(int, str)

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        letter_id: int,
        masked: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.letter_id = letter_id
        self.bsn: str | None = None
        self.setWindowTitle(self.tr("BSN tonen"))
        self.setAccessibleName(self.tr("BSN tonen"))

        intro = QLabel(
            self.tr(
                "Het BSN {masked} is afgeschermd. Waarom hebt u het volledige nummer nodig? "
                "Uw naam, het tijdstip en de reden worden vastgelegd in het inzagelog."
            ).format(masked=masked)
        )
        intro.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(self.tr("Bijvoorbeeld: telefoon burger, zaak 2025-123"))
        self.reason_edit.setAccessibleName(self.tr("Reden"))
        self.reason_edit.setMaxLength(500)
        reason_label = QLabel(self.tr("&Reden:"))
        reason_label.setBuddy(self.reason_edit)
        self.hint_label = QLabel("")
        self.hint_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.error_label = QLabel("")
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        self.bsn_field = CopyableField(self.tr("BSN"), monospace=True)
        self.bsn_field.setVisible(False)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("&Annuleren"))
        self.show_button = QPushButton(self.tr("&Toon BSN"))
        self.show_button.setDefault(True)
        self.buttons.addButton(self.show_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.show_button.clicked.connect(self._reveal)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.bsn_field)
        layout.addWidget(self.buttons)
        self.reason_edit.textChanged.connect(self._validate)
        self._validate("")
        self.resize(self.fontMetrics().averageCharWidth() * 70, self.sizeHint().height())

    def _validate(self, text: str) -> None:
        n = len(" ".join(text.split()))
        ok = n >= MIN_REASON
        self.show_button.setEnabled(ok and self.bsn is None)
        if ok:
            self.hint_label.setText("")
        else:
            self.hint_label.setText(
                self.tr("Vul een reden in van minimaal {min} tekens ({n} nu).").format(
                    min=MIN_REASON, n=n
                )
            )

    def _reveal(self) -> None:
        privacy = getattr(self.services, "privacy", None)
        if privacy is None:
            self._failed(ValueError(self.tr("Het BSN tonen is in deze werkmap niet beschikbaar.")))
            return
        self.show_button.setEnabled(False)
        self.runner.run(
            privacy.reveal_bsn,
            self.letter_id,
            self.reason_edit.text(),
            on_done=self._shown,
            on_error=self._failed,
            lane="db",
            owner=self,
        )

    def _shown(self, revealed: Any) -> None:
        self.bsn = str(revealed.bsn)
        self.bsn_field.set_value(self.bsn)
        self.bsn_field.setVisible(True)
        self.reason_edit.setReadOnly(True)
        self.error_label.setVisible(False)
        self.hint_label.setText(self.tr("Vastgelegd in het inzagelog."))
        self.show_button.setVisible(False)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        close.setText(self.tr("&Sluiten"))
        close.setFocus(Qt.FocusReason.OtherFocusReason)
        self.revealed.emit(self.letter_id, self.bsn)

    def _failed(self, exc: BaseException) -> None:
        self.error_label.setText(str(exc))
        self.error_label.setVisible(True)
        self._validate(self.reason_edit.text())
