"""Resultaten: letters without a result, letters that may go again, results nobody asked for.

Three lists on one page:

- *Zonder resultaat*: acknowledged by Logius, no result after N hours (a setting). The
  advice is to ask Logius, not to resend: a resend would come back BerichtBestaatAl.
- *Afgekeurd of mislukt*: refused, failed or expired letters, each with whether it may go
  again under the Logius rule; "Opnieuw versturen…" opens the :class:`ResendDialog`.
- *Resultaten voor onbekende batches*: kept and shown, never dropped.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.resend_dialog import ResendDialog
from console.ui.tasks import TaskRunner


def _section(title: str) -> QLabel:
    label = QLabel(title)
    label.setFont(theme.heading_font(label.font(), scale=1.1))
    return label


class MissingResultsView(QWidget):
    #: The user wants to see a letter in the message log.
    openLetter = Signal(int)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.dialog: ResendDialog | None = None
        self.setAccessibleName(self.tr("Resultaten"))
        heading = theme.page_heading(self, self.tr("Resultaten"))
        self.refresh_button = QPushButton(self.tr("&Vernieuwen"))
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.refresh_button)

        self.missing_title = _section(self.tr("Zonder resultaat"))
        self.missing_hint = QLabel(
            self.tr(
                "Deze berichten zijn door Logius ontvangen, maar het resultaat van MijnOverheid "
                "blijft uit. Neem contact op met Logius met de BatchID en BerichtID erbij. "
                "Verstuur ze niet zomaar opnieuw: dat geeft BerichtBestaatAl."
            )
        )
        self.missing_hint.setWordWrap(True)
        self.missing_hint.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.missing = QTreeWidget()
        self.missing.setHeaderLabels(
            [
                self.tr("Onderwerp"),
                self.tr("BSN"),
                self.tr("Wacht (uur)"),
                self.tr("BatchID"),
                self.tr("BerichtID"),
            ]
        )
        self.missing.setRootIsDecorated(False)
        self.missing.setAccessibleName(self.tr("Berichten zonder resultaat"))
        self.missing.itemActivated.connect(self._activated)

        self.resend_title = _section(self.tr("Afgekeurd of mislukt"))
        self.resend_list = QTreeWidget()
        self.resend_list.setHeaderLabels(
            [
                self.tr("Onderwerp"),
                self.tr("BSN"),
                self.tr("Code"),
                self.tr("Opnieuw?"),
                self.tr("Waarom"),
            ]
        )
        self.resend_list.setRootIsDecorated(False)
        self.resend_list.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.resend_list.setAccessibleName(self.tr("Afgekeurde en mislukte berichten"))
        self.resend_list.itemSelectionChanged.connect(self._selection_changed)
        self.resend_list.itemActivated.connect(self._activated)
        self.resend_button = QPushButton(self.tr("&Opnieuw versturen…"))
        self.resend_button.setEnabled(False)
        self.resend_button.clicked.connect(self.open_resend_dialog)
        self.resend_rule = QLabel(
            self.tr(
                "Opnieuw versturen kan alleen na herstel van de oorzaak, met dezelfde BatchID "
                "en BerichtID (regel van Logius)."
            )
        )
        self.resend_rule.setWordWrap(True)
        self.resend_rule.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        resend_row = QHBoxLayout()
        resend_row.addWidget(self.resend_rule, 1)
        resend_row.addWidget(self.resend_button)

        self.unmatched_title = _section(self.tr("Resultaten voor onbekende batches"))
        self.unmatched = QTreeWidget()
        self.unmatched.setHeaderLabels([self.tr("Ontvangen"), self.tr("BatchID"), self.tr("Reden")])
        self.unmatched.setRootIsDecorated(False)
        self.unmatched.setAccessibleName(self.tr("Resultaten voor onbekende batches"))

        self.error_label = QLabel("")
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.error_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(self.missing_title)
        layout.addWidget(self.missing_hint)
        layout.addWidget(self.missing, 2)
        layout.addWidget(self.resend_title)
        layout.addWidget(self.resend_list, 3)
        layout.addLayout(resend_row)
        layout.addWidget(self.unmatched_title)
        layout.addWidget(self.unmatched, 1)
        self.refresh()

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        results = self.services.results

        def load() -> tuple[int, list[Any], list[Any], list[Any]]:
            return (
                results.missing_hours(),
                results.missing_results(),
                results.resend_candidates(),
                results.unmatched_results(),
            )

        self.refresh_button.setEnabled(False)
        self.runner.run(load, on_done=self._loaded, on_error=self._failed, lane="io", owner=self)

    def _loaded(self, data: tuple[int, list[Any], list[Any], list[Any]]) -> None:
        hours, missing, candidates, unmatched = data
        self.refresh_button.setEnabled(True)
        self.error_label.setText("")
        self.missing_title.setText(
            self.tr("Zonder resultaat na {h} uur ({n})").format(h=hours, n=len(missing))
        )
        self.missing.clear()
        for row in missing:
            item = QTreeWidgetItem(
                [
                    row.onderwerp,
                    row.bsn_masked,
                    str(row.hours_waiting),
                    row.batch_id or "",
                    row.bericht_id,
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, row.letter_id)
            self.missing.addTopLevelItem(item)
        self.resend_title.setText(self.tr("Afgekeurd of mislukt ({n})").format(n=len(candidates)))
        self.resend_list.clear()
        for c in candidates:
            item = QTreeWidgetItem(
                [
                    c.onderwerp,
                    c.bsn_masked,
                    c.code or c.code_title,
                    self.tr("Ja") if c.allowed else self.tr("Nee"),
                    c.reason,
                ]
            )
            item.setToolTip(4, c.reason)
            item.setData(0, Qt.ItemDataRole.UserRole, c.letter_id)
            self.resend_list.addTopLevelItem(item)
        self.unmatched_title.setText(
            self.tr("Resultaten voor onbekende batches ({n})").format(n=len(unmatched))
        )
        self.unmatched.clear()
        for u in unmatched:
            self.unmatched.addTopLevelItem(
                QTreeWidgetItem(
                    [
                        u.received_at.astimezone().strftime("%d-%m-%Y %H:%M"),
                        u.batch_id or "",
                        u.reason,
                    ]
                )
            )
        self._selection_changed()

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.error_label.setText(str(exc))

    # -- actions -----------------------------------------------------------------------------

    def selected_letter_ids(self) -> list[int]:
        return [int(i.data(0, Qt.ItemDataRole.UserRole)) for i in self.resend_list.selectedItems()]

    def _selection_changed(self) -> None:
        self.resend_button.setEnabled(bool(self.selected_letter_ids()))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        letter_id = item.data(0, Qt.ItemDataRole.UserRole)
        if letter_id is not None:
            self.openLetter.emit(int(letter_id))

    def _resent(self, _outcome: object) -> None:
        self.refresh()

    def _dialog_gone(self) -> None:
        self.dialog = None

    def open_resend_dialog(self) -> ResendDialog | None:
        ids = self.selected_letter_ids()
        if not ids:
            return None
        dialog = ResendDialog(self.services, self.runner, ids, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.resent.connect(self._resent)
        dialog.destroyed.connect(self._dialog_gone)
        self.dialog = dialog
        dialog.open()
        return dialog
