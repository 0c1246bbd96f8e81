"""Bulk resend or mark for paper: first a preview of what will happen, then a confirmation.

The preview (from ``services.bulk``) says how many letters the action applies to and, grouped
by reason, why the others are left alone; the first letters are listed. Resend asks the user
to confirm that the cause is fixed (the Berichtenbox rule); on production the user also types
the organisation's name. Everything runs in the background.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.environment import Environment
from console.services.bulk import BulkOutcome, BulkPreview
from console.ui import theme
from console.ui.formatting import format_count
from console.ui.tasks import TaskRunner

RESEND = "resend"
PAPER = "paper"


class BulkActionDialog(QDialog):
    #: The action ran (a BulkOutcome).
    actionDone = Signal(object)

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        action: str,
        letter_ids: tuple[int, ...],
        *,
        environment: Environment = Environment.SIMULATOR,
        organisation_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if action not in (RESEND, PAPER):
            raise ValueError(f"unknown bulk action {action!r}")
        self.services = services
        self.runner = runner
        self.action = action
        self.letter_ids = letter_ids
        self.environment = environment
        self.organisation_name = organisation_name
        self.preview: BulkPreview | None = None
        self.outcome: BulkOutcome | None = None
        resend = action == RESEND
        title = self.tr("Opnieuw versturen") if resend else self.tr("Per post versturen")
        self.setWindowTitle(title)
        self.setAccessibleName(title)

        self.summary_label = QLabel(
            self.tr("{n} berichten worden gecontroleerd…").format(n=format_count(len(letter_ids)))
        )
        self.summary_label.setWordWrap(True)
        self.summary_label.setFont(theme.heading_font(self.font(), scale=1.05))
        self.rule_label = QLabel("")
        self.rule_label.setWordWrap(True)
        self.rule_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")

        self.reasons_table = QTableWidget(0, 2)
        self.reasons_table.setAccessibleName(self.tr("Waarom berichten worden overgeslagen"))
        self.reasons_table.setHorizontalHeaderLabels([self.tr("Aantal"), self.tr("Niet, omdat")])
        self._setup_table(self.reasons_table, stretch=1)
        self.sample_table = QTableWidget(0, 4)
        self.sample_table.setAccessibleName(self.tr("De eerste berichten"))
        self.sample_table.setHorizontalHeaderLabels(
            [self.tr("Nr"), self.tr("BSN"), self.tr("Status"), self.tr("Wat gebeurt er")]
        )
        self._setup_table(self.sample_table, stretch=3)

        self.confirm_check = QCheckBox(
            self.tr("&Ik heb de oorzaak hersteld; verstuur met dezelfde BatchID en BerichtID")
            if resend
            else self.tr("&Deze berichten gaan per post; markeer ze zo")
        )
        self.confirm_check.setEnabled(False)
        self.confirm_check.toggled.connect(self._update_button)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(self.tr("Naam van de organisatie"))
        self.name_edit.setPlaceholderText(organisation_name)
        self.name_edit.textChanged.connect(self._update_button)
        production = environment is Environment.PRODUCTIE
        self.name_label = QLabel(
            self.tr("Dit is PRODUCTIE. Typ de naam van de organisatie om te bevestigen:")
        )
        self.name_label.setVisible(production)
        self.name_edit.setVisible(production)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.error_label.setVisible(False)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setStyleSheet(f"color: {theme.OK_TEXT};")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(self.tr("&Annuleren"))
        self.run_button = QPushButton(title)
        self.run_button.setEnabled(False)
        self.buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.clicked.connect(self._run)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.rule_label)
        layout.addWidget(QLabel(self.tr("Overgeslagen:")))
        layout.addWidget(self.reasons_table, 1)
        layout.addWidget(QLabel(self.tr("De eerste berichten:")))
        layout.addWidget(self.sample_table, 2)
        layout.addWidget(self.confirm_check)
        layout.addWidget(self.name_label)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 120, self.fontMetrics().height() * 34)
        self._load_preview()

    # -- preview -----------------------------------------------------------------------------

    def _setup_table(self, table: QTableWidget, *, stretch: int) -> None:
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setShowGrid(False)
        table.setWordWrap(True)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)

    def _load_preview(self) -> None:
        bulk = getattr(self.services, "bulk", None)
        if bulk is None:
            self._failed(ValueError(self.tr("Deze actie is in deze werkmap niet beschikbaar.")))
            return
        fn = bulk.preview_resend if self.action == RESEND else bulk.preview_paper
        self.runner.run(
            fn,
            self.letter_ids,
            on_done=self._previewed,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    def _previewed(self, preview: BulkPreview) -> None:
        self.preview = preview
        self.summary_label.setText(preview.summary)
        self.rule_label.setText(preview.rule)
        self.rule_label.setVisible(bool(preview.rule))
        self.reasons_table.setRowCount(len(preview.refused))
        for n, (reason, count) in enumerate(preview.refused):
            number = QTableWidgetItem(format_count(count))
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.reasons_table.setItem(n, 0, number)
            self.reasons_table.setItem(n, 1, QTableWidgetItem(reason))
        self.reasons_table.resizeRowsToContents()
        self.sample_table.setRowCount(len(preview.sample))
        for n, row in enumerate(preview.sample):
            values = (
                str(row.letter_id),
                row.bsn_masked,
                row.status_label,
                (self.tr("Ja: ") if row.allowed else self.tr("Nee: ")) + row.reason,
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(f"{row.onderwerp}\n{row.code or ''}".strip())
                if col == 3:
                    colour = theme.OK_TEXT if row.allowed else theme.MUTED_TEXT
                    item.setForeground(theme_colour(colour))
                self.sample_table.setItem(n, col, item)
        self.sample_table.resizeRowsToContents()
        self.confirm_check.setEnabled(bool(preview.allowed_ids))
        self._update_button()

    # -- action ------------------------------------------------------------------------------

    def _confirmed(self) -> bool:
        if self.preview is None or not self.preview.allowed_ids:
            return False
        if not self.confirm_check.isChecked():
            return False
        if self.environment is Environment.PRODUCTIE:
            return self.name_edit.text().strip() == self.organisation_name.strip()
        return True

    def _update_button(self) -> None:
        self.run_button.setEnabled(self._confirmed() and self.outcome is None)
        if self.preview is not None and not self.preview.allowed_ids:
            self.run_button.setToolTip(self.tr("Geen van deze berichten komt in aanmerking."))
        elif not self.confirm_check.isChecked():
            self.run_button.setToolTip(self.tr("Vink eerst de bevestiging aan."))
        else:
            self.run_button.setToolTip("")

    def _run(self) -> None:
        if not self._confirmed() or self.preview is None:
            return
        bulk = self.services.bulk
        self.run_button.setEnabled(False)
        self.confirm_check.setEnabled(False)
        user = getattr(getattr(self.services, "privacy", None), "user", "gebruiker")
        if self.action == RESEND:
            self.runner.run(
                bulk.resend,
                self.preview.allowed_ids,
                cause_fixed=True,
                actor=user,
                on_done=self._done,
                on_error=self._failed,
                lane="db",
                owner=self,
            )
        else:
            self.runner.run(
                bulk.mark_paper,
                self.preview.allowed_ids,
                confirmed=True,
                actor=user,
                on_done=self._done,
                on_error=self._failed,
                lane="db",
                owner=self,
            )

    def _done(self, outcome: BulkOutcome) -> None:
        self.outcome = outcome
        self.result_label.setText(outcome.text)
        self.cancel_button.setText(self.tr("&Sluiten"))
        self.run_button.setVisible(False)
        self.actionDone.emit(outcome)

    def _failed(self, exc: BaseException) -> None:
        self.error_label.setText(str(exc))
        self.error_label.setVisible(True)
        self._update_button()


def theme_colour(name: str) -> Any:
    from PySide6.QtGui import QColor

    return QColor(name)
