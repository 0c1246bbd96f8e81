"""Opnieuw versturen, volgens de regel van Logius.

The dialog explains the rule first (same BatchID and BerichtID, only after the cause is
fixed; never for BerichtBestaatAl or NietActiefOfGeabonneerd), then shows per letter
whether it may go again and why, and asks the user to confirm that the cause is fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.tasks import TaskRunner


class ResendDialog(QDialog):
    #: Letters were queued again; carries the ResendOutcome.
    resent = Signal(object)

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        letter_ids: Sequence[int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.letter_ids = list(letter_ids)
        self.plan: Any = None
        self.outcome: Any = None
        self._busy = False
        self.setWindowTitle(self.tr("Opnieuw versturen"))
        self.setAccessibleName(self.tr("Opnieuw versturen"))
        self.setModal(True)

        self.rule_label = QLabel(self.tr("De regel wordt geladen…"))
        self.rule_label.setWordWrap(True)
        amber = theme.tone("amber")
        self.rule_label.setStyleSheet(
            f"background: {amber.background}; color: {amber.text}; border: 1px solid "
            f"{amber.border}; border-radius: 4px; padding: 8px;"
        )
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(
            [self.tr("Bericht"), self.tr("Code"), self.tr("Opnieuw?"), self.tr("Waarom")]
        )
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setAccessibleName(self.tr("Berichten en of ze opnieuw mogen"))
        self.confirm = QCheckBox(
            self.tr("De oorzaak is hersteld (bijvoorbeeld: het berichttype is geactiveerd)")
        )
        self.confirm.setAccessibleName(self.tr("Bevestig dat de oorzaak is hersteld"))
        self.confirm.toggled.connect(lambda _c: self._update())
        self.reason_label = QLabel("")
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet(f"color: {theme.WARNING_TEXT};")
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.error_label.setVisible(False)
        self.cancel_button = QPushButton(self.tr("Annuleren"))
        self.cancel_button.clicked.connect(self.reject)
        self.resend_button = QPushButton(self.tr("&Opnieuw versturen"))
        self.resend_button.setObjectName("primary")
        self.resend_button.clicked.connect(self.resend)

        bottom = QHBoxLayout()
        bottom.addWidget(self.reason_label, 1)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.resend_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.rule_label)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.confirm)
        layout.addWidget(self.error_label)
        layout.addLayout(bottom)
        self.resize(self.fontMetrics().averageCharWidth() * 130, self.fontMetrics().height() * 28)
        self._update()
        self.runner.run(
            self.services.results.resend_plan,
            self.letter_ids,
            on_done=self._plan_loaded,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    def _plan_loaded(self, plan: Any) -> None:
        self.plan = plan
        self.rule_label.setText(plan.rule)
        self.tree.clear()
        for c in plan.candidates:
            item = QTreeWidgetItem(
                [
                    f"{c.onderwerp}  ({c.bsn_masked})",
                    c.code or c.code_title,
                    self.tr("Ja") if c.allowed else self.tr("Nee"),
                    c.reason,
                ]
            )
            item.setToolTip(3, c.reason)
            item.setData(0, Qt.ItemDataRole.UserRole, c.letter_id)
            colour = theme.OK_TEXT if c.allowed else theme.WARNING_TEXT
            item.setForeground(2, QBrush(QColor(colour)))
            self.tree.addTopLevelItem(item)
        self._update()

    def _update(self) -> None:
        allowed = len(self.plan.allowed) if self.plan is not None else 0
        self.resend_button.setText(
            self.tr("&Opnieuw versturen ({n})").format(n=allowed)
            if allowed
            else self.tr("&Opnieuw versturen")
        )
        if self._busy:
            self.resend_button.setEnabled(False)
            self.reason_label.setText(self.tr("Bezig…"))
            return
        if self.plan is None:
            reason = self.tr("De berichten worden gecontroleerd…")
        elif not allowed:
            reason = self.tr("Geen van deze berichten mag nu opnieuw; zie de kolom Waarom.")
        elif not self.confirm.isChecked():
            reason = self.tr("Bevestig eerst dat de oorzaak is hersteld.")
        else:
            reason = ""
        self.reason_label.setText(reason)
        self.resend_button.setEnabled(not reason)

    def resend(self) -> None:
        if not self.resend_button.isEnabled() or self.plan is None:
            return
        self._busy = True
        self._update()
        self.runner.run(
            self.services.results.resend,
            [c.letter_id for c in self.plan.allowed],
            cause_fixed=self.confirm.isChecked(),
            on_done=self._resent,
            on_error=self._failed,
            lane="db",
            owner=self,
        )

    def _resent(self, outcome: Any) -> None:
        self._busy = False
        self.outcome = outcome
        self.resent.emit(outcome)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.error_label.setText(str(exc))
        self.error_label.setVisible(True)
        self._update()
