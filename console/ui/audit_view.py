"""Het auditlog: every configuration change, who made it and when, with before and after.

A table (newest first, loaded in blocks of 500), a filter, the change of the selected row field
by field, and export to CSV or JSON. Opened from Extra → Auditlog.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.form_field import muted, service
from console.ui.formatting import format_datetime
from console.ui.tasks import TaskRunner

PAGE = 500
ENTITIES = (
    ("", "Alle onderdelen"),
    ("organisatie", "Organisaties"),
    ("koppeling", "Koppelingen"),
    ("berichttype", "Berichttypes"),
    ("berichtstroom", "Berichtstromen"),
    ("sjabloon", "Sjablonen"),
    ("configuratie", "Export en import"),
    ("instelling", "Instellingen"),
    ("aansluiten", "Aansluiten"),
)

_Index = QModelIndex | QPersistentModelIndex


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested before/after values as ``field.subfield -> text`` for a side-by-side view."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        return {prefix: json.dumps(value, ensure_ascii=False)}
    if value is None:
        return {prefix: "-"} if prefix else {}
    if isinstance(value, bool):
        return {prefix: "ja" if value else "nee"}
    return {prefix: str(value)}


def field_changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """(field, before, after) for every field that differs (or all fields for a creation)."""
    old = _flat(before or {})
    new = _flat(after or {})
    keys = sorted(old.keys() | new.keys())
    return [(k, old.get(k, "-"), new.get(k, "-")) for k in keys if old.get(k) != new.get(k)]


class AuditTableModel(QAbstractTableModel):
    COLUMNS = ("Tijd", "Wie", "Onderdeel", "Actie", "Omschrijving")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def append_rows(self, rows: list[Any]) -> None:
        if not rows:
            return
        start = len(self.rows)
        self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.tr(self.COLUMNS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        r = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            col = index.column()
            if col == 0:
                return format_datetime(r.at)
            if col == 1:
                return r.actor
            if col == 2:
                return r.entity
            if col == 3:
                return r.action
            if col == 4:
                return r.summary
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        return None

    def row(self, index: int) -> Any:
        return self.rows[index] if 0 <= index < len(self.rows) else None


class AuditLogView(QWidget):
    """The audit log: filter, table, the change of the selected row, export."""

    notice = Signal(str)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.total = 0
        self.loading = False
        self.loaded_once = False
        self.choose_export_path = self._ask_export_path
        self.setAccessibleName(self.tr("Auditlog"))

        heading = QLabel(self.tr("Auditlog"))
        heading.setFont(theme.heading_font(self.font(), scale=1.3))
        intro = muted(
            QLabel(
                self.tr(
                    "Elke wijziging van de configuratie: wie, wanneer, wat, en de waarden ervoor "
                    "en erna. Het log wordt nooit ingekort."
                )
            )
        )
        self.search_edit = QLineEdit()
        self.search_edit.setAccessibleName(self.tr("Zoeken in het auditlog"))
        self.search_edit.setPlaceholderText(self.tr("Zoek op naam, omschrijving of gebruiker"))
        self.search_edit.setClearButtonEnabled(True)
        self.entity_combo = QComboBox()
        self.entity_combo.setAccessibleName(self.tr("Onderdeel"))
        for value, label in ENTITIES:
            self.entity_combo.addItem(self.tr(label), value or None)
        self.export_button = QPushButton(self.tr("&Exporteren…"))
        self.export_button.clicked.connect(self.export)
        self.count_label = muted(QLabel(""))
        top = QHBoxLayout()
        top.addWidget(self.search_edit, 2)
        top.addWidget(self.entity_combo, 1)
        top.addWidget(self.export_button)

        self.model = AuditTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Wijzigingen"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        selection = self.table.selectionModel()
        if selection is not None:
            selection.currentRowChanged.connect(self._row_changed)
        self.more_button = QPushButton(self.tr("&Meer laden"))
        self.more_button.clicked.connect(self.load_more)
        self.more_button.setVisible(False)

        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.changes = QTableWidget(0, 3)
        self.changes.setAccessibleName(self.tr("Waarden voor en na"))
        self.changes.setHorizontalHeaderLabels([self.tr("Veld"), self.tr("Voor"), self.tr("Na")])
        self.changes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.changes.verticalHeader().setVisible(False)
        self.changes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail_label)
        detail_layout.addWidget(self.changes, 1)

        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(detail)
        self.splitter.setSizes([400, 250])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.count_label)
        layout.addWidget(self.splitter, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.refresh)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.entity_combo.activated.connect(lambda _i: self.refresh())

    def query(self) -> Any:
        from console.services.audit import AuditQuery

        return AuditQuery(text=self.search_edit.text(), entity=self.entity_combo.currentData())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        audit = service(self.services, "audit")
        if audit is None:
            self.count_label.setText(self.tr("Het auditlog is in deze omgeving niet beschikbaar."))
            return
        query = self.query()
        self.loading = True
        self.runner.run(
            lambda: (audit.count(query), audit.entries(query, limit=PAGE)),
            on_done=self._loaded,
            lane="io",
            owner=self,
        )

    def load_more(self) -> None:
        audit = service(self.services, "audit")
        if audit is None:
            return
        self.loading = True
        self.runner.run(
            audit.entries,
            self.query(),
            limit=PAGE,
            offset=self.model.rowCount(),
            on_done=self._more,
            lane="io",
            owner=self,
        )

    def export(self) -> None:
        audit = service(self.services, "audit")
        if audit is None:
            return
        path = self.choose_export_path()
        if path is None:
            return
        fmt = "json" if path.suffix.lower() == ".json" else "csv"
        query = self.query()

        def write() -> Path:
            data = audit.export(query, fmt=fmt)
            path.write_bytes(data)
            return path

        self.runner.run(
            write,
            on_done=lambda p: self.notice.emit(self.tr("Auditlog opgeslagen in {p}.").format(p=p)),
            lane="io",
            owner=self,
        )

    # -- internals ---------------------------------------------------------------------------

    def _ask_export_path(self) -> Path | None:
        name, chosen = QFileDialog.getSaveFileName(
            self,
            self.tr("Auditlog exporteren"),
            "auditlog.csv",
            self.tr("CSV voor Excel (*.csv);;JSON (*.json)"),
        )
        if not name:
            return None
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".json" if "json" in chosen.lower() else ".csv")
        return path

    def _loaded(self, result: tuple[int, list[Any]]) -> None:
        self.total, rows = result
        self.loading = False
        self.loaded_once = True
        self.model.set_rows(rows)
        self._update_count()
        if rows:
            self.table.selectRow(0)
        else:
            self._show_detail(None)

    def _more(self, rows: list[Any]) -> None:
        self.loading = False
        self.model.append_rows(rows)
        self._update_count()

    def _update_count(self) -> None:
        shown = self.model.rowCount()
        if self.total == 0:
            self.count_label.setText(self.tr("Geen wijzigingen gevonden."))
        elif shown < self.total:
            self.count_label.setText(
                self.tr("{shown} van {total} wijzigingen").format(shown=shown, total=self.total)
            )
        elif self.total == 1:
            self.count_label.setText(self.tr("1 wijziging"))
        else:
            self.count_label.setText(self.tr("{total} wijzigingen").format(total=self.total))
        self.more_button.setVisible(shown < self.total)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail(self.model.row(current.row()) if current.isValid() else None)

    def _show_detail(self, record: Any) -> None:
        if record is None:
            self.detail_label.setText("")
            self.changes.setRowCount(0)
            return
        self.detail_label.setText(
            self.tr("{when} — {who}: {summary}").format(
                when=format_datetime(record.at), who=record.actor, summary=record.summary
            )
        )
        rows = field_changes(record.before, record.after)
        self.changes.setRowCount(len(rows))
        for n, (name, old, new) in enumerate(rows):
            for col, text in enumerate((name, old, new)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.changes.setItem(n, col, item)


class AuditLogDialog(QDialog):
    """The audit log in its own (non-modal) window."""

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Auditlog — Berichtenbox console"))
        self.view = AuditLogView(services, runner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.resize(1000, 640)
        self._settings = settings
        if settings is not None:
            geometry = settings.value("auditlog/geometrie")
            if geometry is not None:
                self.restoreGeometry(geometry)

    def done(self, result: int) -> None:
        if self._settings is not None:
            self._settings.setValue("auditlog/geometrie", self.saveGeometry())
        super().done(result)
