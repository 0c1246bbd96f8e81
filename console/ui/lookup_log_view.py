"""The BSN lookup log (administrators): who looked at which BSN, when and why."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.formatting import format_datetime_seconds
from console.ui.tasks import TaskRunner

COLUMNS = ("Tijdstip", "Wie", "Wat", "BSN", "Bericht", "Reden", "Toelichting")


class LookupLogView(QDialog):
    """A window with the lookup log, newest first, filterable on one BSN."""

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.rows: list[Any] = []
        self.setWindowTitle(self.tr("Inzagelog BSN"))
        self.setAccessibleName(self.tr("Inzagelog BSN"))

        intro = QLabel(
            self.tr(
                "Wie welk BSN volledig heeft bekeken, gezocht of geëxporteerd, wanneer en waarom. "
                "Regels worden alleen toegevoegd, nooit gewijzigd."
            )
        )
        intro.setWordWrap(True)
        self.access_label = QLabel("")
        self.access_label.setWordWrap(True)
        self.access_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.problem_label = QLabel("")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.problem_label.setVisible(False)

        self.bsn_edit = QLineEdit()
        self.bsn_edit.setPlaceholderText(self.tr("Alleen dit BSN (9 cijfers)"))
        self.bsn_edit.setAccessibleName(self.tr("Filter op BSN"))
        self.bsn_edit.setMaxLength(9)
        self.bsn_edit.setMinimumWidth(self.fontMetrics().averageCharWidth() * 26)
        self.bsn_edit.setClearButtonEnabled(True)
        self.bsn_edit.returnPressed.connect(self.refresh)
        self.search_button = QPushButton(self.tr("&Zoeken"))
        self.search_button.clicked.connect(self.refresh)
        filter_row = QHBoxLayout()
        label = QLabel(self.tr("&BSN:"))
        label.setBuddy(self.bsn_edit)
        filter_row.addWidget(label)
        filter_row.addWidget(self.bsn_edit)
        filter_row.addWidget(self.search_button)
        filter_row.addStretch(1)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setAccessibleName(self.tr("Regels van het inzagelog"))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("&Sluiten"))
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.access_label)
        layout.addLayout(filter_row)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 150, self.fontMetrics().height() * 30)
        self.refresh()

    def refresh(self) -> None:
        privacy = getattr(self.services, "privacy", None)
        if privacy is None:
            self._failed(ValueError(self.tr("Het inzagelog is in deze werkmap niet beschikbaar.")))
            return
        self.runner.run(
            _load,
            privacy,
            self.bsn_edit.text().strip() or None,
            on_done=self._loaded,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    def _loaded(self, result: tuple[Any, list[Any]]) -> None:
        access, rows = result
        self.access_label.setText(access.note)
        self.problem_label.setVisible(False)
        self.rows = rows
        self.table.setRowCount(len(rows))
        for n, r in enumerate(rows):
            values = (
                format_datetime_seconds(r.at),
                r.actor,
                r.kind_label,
                r.bsn or self.tr("{n} berichten").format(n=r.letter_count),
                str(r.letter_id) if r.letter_id is not None else "",
                r.reason,
                r.detail,
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col == 5:
                    item.setToolTip(value)
                self.table.setItem(n, col, item)
        if not rows:
            self.table.setRowCount(1)
            empty = QTableWidgetItem(self.tr("Geen regels."))
            empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(0, 0, empty)

    def _failed(self, exc: BaseException) -> None:
        self.problem_label.setText(str(exc))
        self.problem_label.setVisible(True)
        self.table.setRowCount(0)


def _load(privacy: Any, bsn: str | None) -> tuple[Any, list[Any]]:
    access = privacy.lookup_access()
    return access, privacy.lookups(bsn=bsn)
