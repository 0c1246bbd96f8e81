"""Berichten: the message log with search, status filter, count, table and detail pane."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.domain.ids import is_guid
from console.domain.lifecycle import FINAL, STATUS_LABELS, LetterStatus
from console.services.dto import LetterDetail, LetterQuery
from console.ui import theme
from console.ui.empty_state_widget import EmptyStateWidget
from console.ui.formatting import format_count
from console.ui.letter_detail_widget import LetterDetailWidget
from console.ui.letter_table_model import SORT_KEYS, LetterColumn, LetterTableModel
from console.ui.raw_xml_dialog import RawXmlDialog
from console.ui.status_badge import StatusBadgeDelegate
from console.ui.tasks import TaskRunner

REFRESH_INTERVAL_MS = 1000  # while letters are on their way
IDLE_REFRESH_TICKS = 15  # otherwise every 15 ticks, for letters sent from elsewhere
SEARCH_DELAY_MS = 300

# Default column widths: the width of a typical value plus room for padding and the sort arrow.
_COLUMN_SAMPLES = {
    LetterColumn.DATE: "28-11-2026 22:13",
    LetterColumn.ORGANISATION: "Gemeente Voorbeeld",
    LetterColumn.BERICHTTYPE: "Berichttype",
    LetterColumn.BSN: "*****6782",
    LetterColumn.REFERENTIE: "ZK-2025-001234",
    LetterColumn.STATUS: "Al eerder aangeboden",
    LetterColumn.VERWERKINGSCODE: "NietActiefOfGeab",
}


class LetterLogView(QWidget):
    """The message log. ``refresh()`` re-queries; a timer does so while letters are in transit."""

    #: The user asked to send a test letter (from the empty state).
    sendTestRequested = Signal()
    #: The selected letter changed (its id, or 0 for none).
    letterSelected = Signal(int)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.model = LetterTableModel(services.letters, runner, self)
        self._detail_serial = 0
        self._pending_select: int | None = None
        self._idle_ticks = 0
        self.raw_dialog: RawXmlDialog | None = None

        title = QLabel(self.tr("Berichten"))
        title.setFont(theme.heading_font(self.font(), scale=1.45))

        # -- search and filter --
        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText(
            self.tr("Zoek op BSN, BatchID, BerichtID, referentie of onderwerp")
        )
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setAccessibleName(self.tr("Zoeken in berichten"))
        self.search_field.setMinimumWidth(self.fontMetrics().averageCharWidth() * 30)
        self.search_hint = QLabel("")
        self.search_hint.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.search_hint.setFont(theme.small_font(self.font()))
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search_field.textChanged.connect(self._on_search_text)
        self.search_field.returnPressed.connect(self._apply_search)

        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName(self.tr("Filter op status"))
        self.status_filter.addItem(self.tr("Alle statussen"), None)
        for status, label in STATUS_LABELS.items():
            self.status_filter.addItem(label.text, status.value)
        self.status_filter.currentIndexChanged.connect(self._apply_status_filter)
        status_label = QLabel(self.tr("&Status:"))
        status_label.setBuddy(self.status_filter)

        self.count_label = QLabel(self.tr("Berichten worden geladen…"))
        self.count_label.setAccessibleName(self.tr("Aantal berichten"))
        count_font = self.count_label.font()
        count_font.setBold(True)
        self.count_label.setFont(count_font)
        self.problem_label = QLabel("")
        self.problem_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.problem_label.setWordWrap(True)
        self.problem_label.setVisible(False)

        search_row = QHBoxLayout()
        search_row.setSpacing(8)
        search_row.addWidget(self.search_field, 3)
        search_row.addSpacing(8)
        search_row.addWidget(status_label)
        search_row.addWidget(self.status_filter)
        search_row.addStretch(1)

        count_row = QHBoxLayout()
        count_row.addWidget(self.count_label)
        count_row.addSpacing(12)
        count_row.addWidget(self.search_hint)
        count_row.addStretch(1)

        # -- table, empty state --
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Lijst met berichten"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list; arrows move in it
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setVisible(False)
        row_height = self.fontMetrics().height() + 14
        self.table.verticalHeader().setDefaultSectionSize(row_height)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setItemDelegateForColumn(LetterColumn.STATUS, StatusBadgeDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("BSN") + 24)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        metrics = self.fontMetrics()
        for column, sample in _COLUMN_SAMPLES.items():
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 28)
        # The subject takes the room that is left, so the table never needs to scroll sideways.
        header.setSectionResizeMode(LetterColumn.ONDERWERP, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(LetterColumn.DATE, Qt.SortOrder.DescendingOrder)
        header.setSortIndicatorShown(True)
        self.table.setSortingEnabled(True)
        header.sortIndicatorChanged.connect(self._on_sort_indicator)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)

        self.empty_state = EmptyStateWidget()
        self.empty_state.actionTriggered.connect(self._on_empty_action)
        self.loading_state = EmptyStateWidget(self.tr("Berichten worden geladen…"))

        self._list_stack = QStackedWidget()
        self._list_stack.addWidget(self.table)
        self._list_stack.addWidget(self.empty_state)
        self._list_stack.addWidget(self.loading_state)
        self._list_stack.setCurrentWidget(self.loading_state)

        # -- detail --
        self.detail = LetterDetailWidget()
        self.detail.rawRequested.connect(self.show_raw_exchange)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._list_stack)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([10 * row_height, 12 * row_height])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addLayout(search_row)
        layout.addLayout(count_row)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.splitter, 1)

        QShortcut(
            QKeySequence(QKeySequence.StandardKey.Find),
            self,
            self._focus_search,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search_field)
        escape.setContext(Qt.ShortcutContext.WidgetShortcut)
        escape.activated.connect(self.search_field.clear)

        self.model.countChanged.connect(self._on_count)
        self.model.loadFailed.connect(self._on_load_failed)
        self.model.rowsLoaded.connect(self._on_rows_loaded)

        self.auto_refresh_timer = QTimer(self)
        self.auto_refresh_timer.setInterval(REFRESH_INTERVAL_MS)
        self.auto_refresh_timer.timeout.connect(self._tick)
        self.auto_refresh_timer.start()

    # -- public ------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._idle_ticks = 0
        self.model.refresh()

    def show_filtered(self, query: LetterQuery) -> None:
        """Show the log filtered as *query* says (used by the dashboard's numbers)."""
        self.search_field.blockSignals(True)
        self.search_field.setText(query.search)
        self.search_field.blockSignals(False)
        self._update_search_hint(query.search)
        self.status_filter.blockSignals(True)
        index = self.status_filter.findData(query.status.value if query.status else None)
        self.status_filter.setCurrentIndex(max(index, 0))
        self.status_filter.blockSignals(False)
        current = self.model.query
        self.model.set_query(
            replace(query, sort_key=current.sort_key, descending=current.descending)
        )

    def select_letter(self, letter_id: int) -> None:
        """Select a letter; if it is not in the list yet, as soon as it appears."""
        row = self.model.row_of(letter_id)
        if row is None:
            self._pending_select = letter_id
            return
        self._pending_select = None
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def selected_letter_id(self) -> int | None:
        index = self.table.selectionModel().currentIndex()
        return self.model.letter_id(index.row()) if index.isValid() else None

    def show_raw_exchange(self, raw_ref: int, title: str) -> None:
        self.runner.run(
            self.services.letters.raw_exchange,
            raw_ref,
            on_done=lambda xml: self._open_raw_dialog(str(xml), title),
            on_error=self._on_load_failed_exc,
            lane="io",
            owner=self,
        )

    def set_single_organisation(self, single: bool) -> None:
        """Hide the Organisatie column when the connection serves only one organisation."""
        self.table.setColumnHidden(LetterColumn.ORGANISATION, single)

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("berichten/splitter", self.splitter.saveState())
        settings.setValue("berichten/kolommen", self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        splitter = settings.value("berichten/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        columns = settings.value("berichten/kolommen")
        if columns is not None:
            self.table.horizontalHeader().restoreState(columns)

    # -- events ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.model.loading:
            self.refresh()

    def _tick(self) -> None:
        if not self.isVisible() or self.model.loading:
            return
        self._idle_ticks += 1
        if self.model.has_unfinished_rows() or self._idle_ticks >= IDLE_REFRESH_TICKS:
            self.refresh()

    def _focus_search(self) -> None:
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def _on_search_text(self, text: str) -> None:
        self._update_search_hint(text)
        self._search_timer.start()

    def _update_search_hint(self, text: str) -> None:
        text = text.strip()
        if not text:
            hint = ""
        elif len(text) == 9 and text.isdigit():
            hint = self.tr("Zoekt op BSN")
        elif is_guid(text):
            hint = self.tr("Zoekt op BatchID of BerichtID")
        else:
            hint = self.tr("Zoekt in referentie en onderwerp")
        self.search_hint.setText(hint)

    def _apply_search(self) -> None:
        self._search_timer.stop()
        text = self.search_field.text().strip()
        if text != self.model.query.search:
            self.model.set_query(replace(self.model.query, search=text))

    def _apply_status_filter(self, index: int) -> None:
        value = self.status_filter.itemData(index)
        status = LetterStatus(value) if value else None
        if status != self.model.query.status:
            self.model.set_query(replace(self.model.query, status=status))

    def _on_sort_indicator(self, column: int, _order: Qt.SortOrder) -> None:
        try:
            sortable = LetterColumn(column) in SORT_KEYS
        except ValueError:
            sortable = False
        if sortable:
            return
        # Not sortable (the masked BSN): put the indicator back where the query is.
        query = self.model.query
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        for col, key in SORT_KEYS.items():
            if key == query.sort_key:
                order = (
                    Qt.SortOrder.DescendingOrder
                    if query.descending
                    else Qt.SortOrder.AscendingOrder
                )
                header.setSortIndicator(col, order)
        header.blockSignals(False)

    def _on_count(self, count: int) -> None:
        self.problem_label.setVisible(False)
        if count == 1:
            self.count_label.setText(self.tr("1 bericht"))
        else:
            self.count_label.setText(self.tr("{count} berichten").format(count=format_count(count)))
        self.detail.setVisible(count > 0)
        if count:
            self._list_stack.setCurrentWidget(self.table)
        else:
            query = self.model.query
            if query.search or query.status or query.verwerkings_code:
                self.empty_state.set_content(
                    self.tr("Geen berichten gevonden die aan uw zoekopdracht voldoen."),
                    self.tr("Zoekopdracht wissen"),
                )
            else:
                self.empty_state.set_content(
                    self.tr("Nog geen berichten. Verstuur een testbericht."),
                    self.tr("Testbericht versturen"),
                )
            self._list_stack.setCurrentWidget(self.empty_state)
            self.detail.clear()
        if self._pending_select is not None:
            self.select_letter(self._pending_select)
        self._reload_detail_if_moving()

    def _on_empty_action(self) -> None:
        query = self.model.query
        if query.search or query.status or query.verwerkings_code:
            self.show_filtered(LetterQuery())
        else:
            self.sendTestRequested.emit()

    def _on_load_failed(self, message: str) -> None:
        self.problem_label.setText(message)
        self.problem_label.setVisible(True)

    def _on_load_failed_exc(self, exc: BaseException) -> None:
        self._on_load_failed(str(exc))

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        letter_id = self.model.letter_id(current.row()) if current.isValid() else None
        if letter_id is None:
            self.detail.clear()
            self.letterSelected.emit(0)
            return
        if letter_id == self.detail.letter_id:
            return  # the same letter moved to another row after a refresh
        row = self.model.cached_row(current.row())
        if row is not None:
            self.detail.show_row(row)
        self._load_detail(letter_id)
        self.letterSelected.emit(letter_id)

    def _on_rows_loaded(self, first: int, last: int) -> None:
        current = self.table.selectionModel().currentIndex()
        if not current.isValid() or not first <= current.row() <= last:
            return
        row = self.model.cached_row(current.row())
        if row is None:
            return
        if self.detail.detail is None or self.detail.detail.row.status != row.status:
            self.detail.show_row(row)
            if self.detail.detail is not None:
                self._load_detail(row.id)

    def _reload_detail_if_moving(self) -> None:
        detail = self.detail.detail
        if detail is not None and detail.row.status not in FINAL:
            self._load_detail(detail.row.id)

    def _load_detail(self, letter_id: int) -> None:
        self._detail_serial += 1
        serial = self._detail_serial
        self.runner.run(
            self.services.letters.detail,
            letter_id,
            on_done=lambda d: self._detail_loaded(serial, d),
            on_error=self._on_load_failed_exc,
            lane="io",
            owner=self,
        )

    def _detail_loaded(self, serial: int, detail: LetterDetail) -> None:
        if serial == self._detail_serial and detail.row.id == self.selected_letter_id():
            self.detail.show_detail(detail)

    def _open_raw_dialog(self, xml: str, title: str) -> None:
        dialog = RawXmlDialog(xml, title, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.raw_dialog = dialog
        dialog.open()
