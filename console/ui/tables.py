"""Small read-only tables used on the configuration pages (one look everywhere)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from console.ui.letter_table_model import LetterRole


def read_only_table(headers: list[str], name: str) -> QTableWidget:
    """A table of whole rows to select one from, with an accessible name."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def badge_cell(text: str, data: object = None, tone: str | None = None) -> QTableWidgetItem:
    """A cell with a tooltip, an id in UserRole and a badge tone for the status delegate."""
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    if tone is not None:
        item.setData(LetterRole.STATUS_TONE, tone)
    return item


def selected_row_id(table: QTableWidget) -> int | None:
    """The id (UserRole of the first cell) of the selected row, or None."""
    model = table.selectionModel()
    rows = model.selectedRows() if model is not None else []
    if not rows:
        return None
    item = table.item(rows[0].row(), 0)
    return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None


def select_row_with_id(table: QTableWidget, wanted: int) -> bool:
    """Select the row whose first cell holds *wanted*; False when no row does."""
    for row in range(table.rowCount()):
        item = table.item(row, 0)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == wanted:
            table.selectRow(row)
            return True
    return False
