"""Berichten: the message log with search, filters, count, table, detail pane and actions.

Filters: the search box (nine digits: BSN; a GUID: BatchID or BerichtID; otherwise the start of
the Referentie or Onderwerp), status, and under "Meer filters" organisation and berichttype
(together: a flow), VerwerkingsCode, a date range and "zonder resultaat na N uur". What the
controls cannot show (a group of statuses from the dashboard) is summarised above the table with
a button to clear it. Export, resend and "per post" act on the selected letters, or on the whole
filtered list when at most one is selected. Searching by BSN is recorded in the lookup log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QDate,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.environment import Environment
from console.domain.ids import is_guid
from console.domain.lifecycle import FINAL, STATUS_LABELS, LetterStatus
from console.domain.verwerkingscode import VerwerkingsCode
from console.services.dto import FlowKey, LetterDetail, LetterQuery, WorkspaceStatus
from console.ui import theme
from console.ui.bsn_reveal_dialog import BsnRevealDialog
from console.ui.bulk_action_dialog import BulkActionDialog
from console.ui.empty_state_widget import EmptyStateWidget
from console.ui.export_dialog import ExportDialog
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
    #: Export (letter ids, or None for the filtered list), resend or paper was asked for.
    exportRequested = Signal(object)
    bulkRequested = Signal(str, object)  # ("resend" | "paper", letter ids)
    #: The user wants to see the full BSN of a letter, or its evidence pack.
    revealRequested = Signal(int)
    evidenceRequested = Signal(int)
    #: An evidence pack was written (what happened, in Dutch, for the status bar).
    evidenceMade = Signal(str)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.model = LetterTableModel(services.letters, runner, self)
        self._detail_serial = 0
        self._pending_select: int | None = None
        self._idle_ticks = 0
        self._pending_bsn_log: str | None = None
        self._organisations: list[tuple[int, str]] = []
        self.raw_dialog: RawXmlDialog | None = None
        self.dialog: QDialog | None = None  # the export, bulk or BSN dialog last opened
        self.workspace_status: WorkspaceStatus | None = None
        self.last_evidence: Any = None

        title = theme.page_heading(self, self.tr("Berichten"))

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
        # Narrow when the window is: the longest status shows in the open list anyway.
        self.status_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.status_filter.setMinimumContentsLength(14)
        status_label = QLabel(self.tr("&Status:"))
        status_label.setBuddy(self.status_filter)

        self.more_button = QToolButton()
        self.more_button.setText(self.tr("Meer filters"))
        self.more_button.setAccessibleName(self.tr("Meer filters"))
        self.more_button.setCheckable(True)
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.setArrowType(Qt.ArrowType.RightArrow)
        self.more_button.toggled.connect(self._toggle_filters)
        self._build_filter_panel()

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
        search_row.addWidget(self.more_button)
        search_row.addStretch(1)

        self.filter_summary = QLabel("")
        self.filter_summary.setAccessibleName(self.tr("Actieve filters"))
        self.filter_summary.setWordWrap(True)
        self.clear_filters_button = QPushButton(self.tr("Filters &wissen"))
        self.clear_filters_button.clicked.connect(self.clear_filters)
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.filter_summary, 1)
        summary_row.addWidget(self.clear_filters_button)
        self.summary_holder = QWidget()
        self.summary_holder.setLayout(summary_row)
        summary_row.setContentsMargins(0, 0, 0, 0)
        self.summary_holder.setVisible(False)

        self.export_button = QPushButton(self.tr("&Exporteren…"))
        self.export_button.setToolTip(
            self.tr("De gekozen berichten, of de hele lijst, opslaan als CSV of Excel")
        )
        self.export_button.clicked.connect(self._request_export)
        self.resend_button = QPushButton(self.tr("&Opnieuw versturen…"))
        self.resend_button.setToolTip(
            self.tr("Afgekeurde berichten opnieuw aanbieden, na herstel van de oorzaak")
        )
        self.resend_button.clicked.connect(lambda: self._request_bulk("resend"))
        self.paper_button = QPushButton(self.tr("&Per post…"))
        self.paper_button.setToolTip(self.tr("Berichten markeren voor verzending per post"))
        self.paper_button.clicked.connect(lambda: self._request_bulk("paper"))

        count_row = QHBoxLayout()
        count_row.addWidget(self.count_label)
        count_row.addSpacing(12)
        count_row.addWidget(self.search_hint)
        count_row.addStretch(1)
        count_row.addWidget(self.export_button)
        count_row.addWidget(self.resend_button)
        count_row.addWidget(self.paper_button)

        # -- table, empty state --
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Lijst met berichten"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
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
        self.detail.revealRequested.connect(self.revealRequested)
        self.detail.evidenceRequested.connect(self.evidenceRequested)
        self.revealRequested.connect(self.open_reveal_dialog)
        self.evidenceRequested.connect(lambda letter_id: self.make_evidence(letter_id))
        self.exportRequested.connect(self.open_export_dialog)
        self.bulkRequested.connect(self.open_bulk_dialog)

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
        layout.addWidget(self.filters_panel)
        layout.addWidget(self.summary_holder)
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

        for first, second in (
            (self.search_field, self.status_filter),
            (self.status_filter, self.more_button),
            (self.more_button, self.organisation_filter),
            (self.organisation_filter, self.berichttype_filter),
            (self.berichttype_filter, self.code_filter),
            (self.code_filter, self.period_check),
            (self.period_check, self.from_date),
            (self.from_date, self.to_date),
            (self.to_date, self.no_result_check),
            (self.no_result_check, self.no_result_hours),
            (self.no_result_hours, self.clear_filters_button),
            (self.clear_filters_button, self.table),
            (self.table, self.export_button),
            (self.export_button, self.resend_button),
            (self.resend_button, self.paper_button),
        ):
            QWidget.setTabOrder(first, second)

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
        self._set_filter_controls(query)
        current = self.model.query
        self._set_query(replace(query, sort_key=current.sort_key, descending=current.descending))

    def clear_filters(self) -> None:
        """Every filter off (search, status, the extra filters); the sort order stays."""
        current = self.model.query
        self.show_filtered(
            LetterQuery(
                organisation_id=current.organisation_id if self._single_organisation() else None,
                sort_key=current.sort_key,
                descending=current.descending,
            )
        )

    def selected_letter_ids(self) -> tuple[int, ...]:
        """The ids of the selected rows (from the model's id list: no row data needed)."""
        ids: list[int] = []
        ranges: Any = self.table.selectionModel().selection()  # a list of row ranges
        for selection_range in ranges:
            for row in range(selection_range.top(), selection_range.bottom() + 1):
                letter_id = self.model.letter_id(row)
                if letter_id is not None:
                    ids.append(letter_id)
        return tuple(dict.fromkeys(ids))

    def action_target(self) -> tuple[int, ...] | None:
        """What export and bulk actions act on: the selection if it has several letters,
        otherwise None (the whole filtered list)."""
        ids = self.selected_letter_ids()
        return ids if len(ids) > 1 else None

    def set_organisations(self, organisations: list[tuple[int, str]]) -> None:
        """The organisations of the connection, for the organisation filter."""
        if organisations == self._organisations:
            return
        self._organisations = list(organisations)
        chosen = self.organisation_filter.currentData()
        self.organisation_filter.blockSignals(True)
        self.organisation_filter.clear()
        self.organisation_filter.addItem(self.tr("Alle organisaties"), None)
        for org_id, name in organisations:
            self.organisation_filter.addItem(name, org_id)
        self.organisation_filter.setCurrentIndex(max(self.organisation_filter.findData(chosen), 0))
        self.organisation_filter.blockSignals(False)
        single = self._single_organisation()
        self.organisation_filter.setVisible(not single)
        self.organisation_label.setVisible(not single)
        self._load_berichttypes()

    def set_berichttypes(self, codes: list[tuple[str, str]]) -> None:
        """(code, name) pairs for the berichttype filter."""
        chosen = self.berichttype_filter.currentData()
        self.berichttype_filter.blockSignals(True)
        self.berichttype_filter.clear()
        self.berichttype_filter.addItem(self.tr("Alle berichttypes"), None)
        for code, name in codes:
            self.berichttype_filter.addItem(f"{code} – {name}" if name else code, code)
        index = self.berichttype_filter.findData(chosen)
        if index < 0 and chosen:
            self.berichttype_filter.addItem(str(chosen), chosen)
            index = self.berichttype_filter.count() - 1
        self.berichttype_filter.setCurrentIndex(max(index, 0))
        self.berichttype_filter.blockSignals(False)

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

    # -- the extra filters -------------------------------------------------------------------

    def _build_filter_panel(self) -> None:
        self.filters_panel = QWidget()
        self.filters_panel.setObjectName("filtersPanel")
        self.filters_panel.setVisible(False)
        row = QHBoxLayout(self.filters_panel)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)

        self.organisation_filter = QComboBox()
        self.organisation_filter.setAccessibleName(self.tr("Filter op organisatie"))
        self.organisation_filter.addItem(self.tr("Alle organisaties"), None)
        self.organisation_label = QLabel(self.tr("Or&ganisatie:"))
        self.organisation_label.setBuddy(self.organisation_filter)
        self.berichttype_filter = QComboBox()
        self.berichttype_filter.setAccessibleName(self.tr("Filter op berichttype"))
        self.berichttype_filter.addItem(self.tr("Alle berichttypes"), None)
        berichttype_label = QLabel(self.tr("&Berichttype:"))
        berichttype_label.setBuddy(self.berichttype_filter)
        self.code_filter = QComboBox()
        self.code_filter.setAccessibleName(self.tr("Filter op verwerkingscode"))
        self.code_filter.addItem(self.tr("Alle codes"), None)
        for code in VerwerkingsCode:
            self.code_filter.addItem(code.value, code.value)
        code_label = QLabel(self.tr("&Code:"))
        code_label.setBuddy(self.code_filter)

        today = QDate.currentDate()
        self.period_check = QCheckBox(self.tr("&Periode"))
        self.period_check.setAccessibleName(self.tr("Filter op periode"))
        self.from_date = QDateEdit(today.addDays(-7))
        self.to_date = QDateEdit(today)
        for edit, name in (
            (self.from_date, self.tr("Vanaf")),
            (self.to_date, self.tr("Tot en met")),
        ):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd-MM-yyyy")
            edit.setAccessibleName(name)
            edit.setEnabled(False)
        self.period_check.toggled.connect(self.from_date.setEnabled)
        self.period_check.toggled.connect(self.to_date.setEnabled)
        self.no_result_check = QCheckBox(self.tr("&Zonder resultaat na"))
        self.no_result_check.setAccessibleName(self.tr("Alleen berichten zonder resultaat"))
        self.no_result_hours = QSpinBox()
        self.no_result_hours.setRange(1, 24 * 30)
        self.no_result_hours.setValue(24)
        self.no_result_hours.setSuffix(self.tr(" uur"))
        self.no_result_hours.setAccessibleName(self.tr("Aantal uur zonder resultaat"))
        self.no_result_hours.setEnabled(False)
        self.no_result_check.toggled.connect(self.no_result_hours.setEnabled)

        for widget in (
            self.organisation_filter,
            self.berichttype_filter,
            self.code_filter,
        ):
            widget.currentIndexChanged.connect(self._apply_filters)
        for check in (self.period_check, self.no_result_check):
            check.toggled.connect(self._apply_filters)
        self.from_date.dateChanged.connect(self._apply_filters)
        self.to_date.dateChanged.connect(self._apply_filters)
        self.no_result_hours.valueChanged.connect(self._apply_filters)

        row.addWidget(self.organisation_label)
        row.addWidget(self.organisation_filter)
        row.addWidget(berichttype_label)
        row.addWidget(self.berichttype_filter)
        row.addWidget(code_label)
        row.addWidget(self.code_filter)
        row.addSpacing(8)
        row.addWidget(self.period_check)
        row.addWidget(self.from_date)
        row.addWidget(QLabel(self.tr("t/m")))
        row.addWidget(self.to_date)
        row.addSpacing(8)
        row.addWidget(self.no_result_check)
        row.addWidget(self.no_result_hours)
        row.addStretch(1)

    def _toggle_filters(self, shown: bool) -> None:
        self.filters_panel.setVisible(shown)
        self.more_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _single_organisation(self) -> bool:
        return len(self._organisations) <= 1

    def _load_berichttypes(self) -> None:
        workspace = getattr(self.services, "workspace", None)
        if workspace is None or not self._organisations:
            return
        self.runner.run(
            _berichttypes_of,
            workspace,
            [org_id for org_id, _name in self._organisations],
            on_done=self.set_berichttypes,
            on_error=self._on_load_failed_exc,
            lane="io",
            owner=self,
        )

    def _filters_from_controls(self, query: LetterQuery) -> LetterQuery:
        organisation_id = self.organisation_filter.currentData()
        berichttype = self.berichttype_filter.currentData()
        created_from = created_to = None
        if self.period_check.isChecked():
            first = self.from_date.date().toPython()
            last = self.to_date.date().toPython()
            if isinstance(first, date) and isinstance(last, date):
                first, last = min(first, last), max(first, last)
                created_from = local_day_start(first)
                created_to = local_day_start(date.fromordinal(last.toordinal() + 1))
        return replace(
            query,
            organisation_id=organisation_id,
            berichttype=berichttype,
            flow=None,
            verwerkings_code=self.code_filter.currentData(),
            created_from=created_from,
            created_to=created_to,
            no_result_hours=self.no_result_hours.value()
            if self.no_result_check.isChecked()
            else None,
        )

    def _apply_filters(self) -> None:
        query = self._filters_from_controls(self.model.query)
        if query != self.model.query:
            self._set_query(query)

    def _set_filter_controls(self, query: LetterQuery) -> None:
        """Show *query* in the controls (without re-querying)."""
        widgets = (
            self.organisation_filter,
            self.berichttype_filter,
            self.code_filter,
            self.period_check,
            self.from_date,
            self.to_date,
            self.no_result_check,
            self.no_result_hours,
        )
        for widget in widgets:
            widget.blockSignals(True)
        try:
            org = query.flow.organisation_id if query.flow else query.organisation_id
            bt = query.flow.berichttype if query.flow else query.berichttype
            self.organisation_filter.setCurrentIndex(max(self.organisation_filter.findData(org), 0))
            index = self.berichttype_filter.findData(bt)
            if index < 0 and bt:
                self.berichttype_filter.addItem(bt, bt)
                index = self.berichttype_filter.count() - 1
            self.berichttype_filter.setCurrentIndex(max(index, 0))
            index = self.code_filter.findData(query.verwerkings_code)
            if index < 0 and query.verwerkings_code:
                self.code_filter.addItem(query.verwerkings_code, query.verwerkings_code)
                index = self.code_filter.count() - 1
            self.code_filter.setCurrentIndex(max(index, 0))
            period = query.created_from is not None or query.created_to is not None
            self.period_check.setChecked(period)
            self.from_date.setEnabled(period)
            self.to_date.setEnabled(period)
            if query.created_from is not None:
                first_day = query.created_from.astimezone().date()
                self.from_date.setDate(QDate(first_day.year, first_day.month, first_day.day))
            if query.created_to is not None:
                last = query.created_to.astimezone().date()
                last_day = date.fromordinal(last.toordinal() - 1)
                self.to_date.setDate(QDate(last_day.year, last_day.month, last_day.day))
            elif period:
                self.to_date.setDate(QDate.currentDate())
            self.no_result_check.setChecked(query.no_result_hours is not None)
            self.no_result_hours.setEnabled(query.no_result_hours is not None)
            if query.no_result_hours is not None:
                self.no_result_hours.setValue(query.no_result_hours)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        extra = any(
            (
                org is not None and not self._single_organisation(),
                bt,
                query.verwerkings_code,
                period,
                query.no_result_hours is not None,
            )
        )
        if extra and not self.more_button.isChecked():
            self.more_button.setChecked(True)

    def _set_query(self, query: LetterQuery) -> None:
        self._update_summary(query)
        self.model.set_query(query)

    def _update_summary(self, query: LetterQuery) -> None:
        parts = describe_query(query, self._organisations)
        self.filter_summary.setText(self.tr("Filter: {parts}").format(parts=" · ".join(parts)))
        self.summary_holder.setVisible(bool(parts))

    # -- actions -----------------------------------------------------------------------------

    def set_workspace(self, status: WorkspaceStatus) -> None:
        """The environment and organisations (production asks to type the name for bulk)."""
        self.workspace_status = status
        self.set_organisations([(o.id, o.name) for o in status.organisations])

    def open_export_dialog(self, letter_ids: tuple[int, ...] | None = None) -> ExportDialog:
        dialog = ExportDialog(
            self.services,
            self.runner,
            query=self.model.query if letter_ids is None else None,
            letter_ids=letter_ids,
            count=self.model.rowCount() if letter_ids is None else None,
            parent=self,
        )
        self._open(dialog)
        return dialog

    def open_bulk_dialog(self, action: str, letter_ids: tuple[int, ...] | None = None) -> None:
        """Preview and confirm a bulk action on *letter_ids*, or on the whole filtered list."""
        if letter_ids is not None:
            self._show_bulk(action, letter_ids)
            return
        bulk = getattr(self.services, "bulk", None)
        if bulk is None:
            self._on_load_failed(self.tr("Deze actie is in deze werkmap niet beschikbaar."))
            return
        self.runner.run(
            bulk.selection,
            self.model.query,
            on_done=lambda ids: self._show_bulk(action, tuple(ids)),
            on_error=self._on_load_failed_exc,
            lane="io",
            owner=self,
        )

    def _show_bulk(self, action: str, letter_ids: tuple[int, ...]) -> None:
        if not letter_ids:
            self._on_load_failed(self.tr("Er zijn geen berichten om dit mee te doen."))
            return
        status = self.workspace_status
        dialog = BulkActionDialog(
            self.services,
            self.runner,
            action,
            letter_ids,
            environment=status.environment if status else Environment.SIMULATOR,
            organisation_name=status.organisation_name if status else "",
            parent=self,
        )
        dialog.actionDone.connect(lambda _outcome: self.refresh())
        self._open(dialog)

    def open_reveal_dialog(self, letter_id: int) -> BsnRevealDialog:
        row = self.detail.detail.row if self.detail.detail is not None else None
        masked = row.bsn_masked if row is not None and row.id == letter_id else ""
        dialog = BsnRevealDialog(self.services, self.runner, letter_id, masked, self)
        dialog.revealed.connect(self.detail.show_revealed_bsn)
        dialog.revealed.connect(lambda letter_id, _bsn: self._load_detail(letter_id))
        self._open(dialog)
        return dialog

    def make_evidence(self, letter_id: int, folder: Path | None = None) -> None:
        """Write the evidence pack of a letter into *folder* (asked for when not given)."""
        evidence = getattr(self.services, "evidence", None)
        if evidence is None:
            self._on_load_failed(self.tr("Een bewijsstuk maken is in deze werkmap niet mogelijk."))
            return
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self, self.tr("Map voor het bewijsstuk van bericht {n}").format(n=letter_id)
            )
            if not chosen:
                return
            folder = Path(chosen)
        self.runner.run(
            evidence.build,
            letter_id,
            folder,
            on_done=self._evidence_made,
            on_error=self._on_load_failed_exc,
            lane="io",
            owner=self,
        )

    def _evidence_made(self, pack: Any) -> None:
        self.last_evidence = pack
        self.evidenceMade.emit(pack.text)

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def _request_export(self) -> None:
        self.exportRequested.emit(self.action_target())

    def _request_bulk(self, action: str) -> None:
        self.bulkRequested.emit(action, self.action_target())

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
            self._idle_ticks = 0
            self.model.refresh(light=True)

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
            # A search by BSN goes into the lookup log once the number of hits is known.
            self._pending_bsn_log = text if len(text) == 9 and text.isdigit() else None
            self._set_query(replace(self.model.query, search=text))

    def _apply_status_filter(self, index: int) -> None:
        value = self.status_filter.itemData(index)
        status = LetterStatus(value) if value else None
        if status != self.model.query.status:
            self._set_query(replace(self.model.query, status=status))

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
        self._log_bsn_search(count)
        if count == 1:
            self.count_label.setText(self.tr("1 bericht"))
        else:
            self.count_label.setText(self.tr("{count} berichten").format(count=format_count(count)))
        self.detail.setVisible(count > 0)
        if count:
            self._list_stack.setCurrentWidget(self.table)
        else:
            query = self.model.query
            if query.is_filtered:
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
        if self.model.query.is_filtered:
            self.clear_filters()
        else:
            self.sendTestRequested.emit()

    def _log_bsn_search(self, count: int) -> None:
        bsn = self._pending_bsn_log
        if bsn is None or self.model.query.search != bsn:
            return
        self._pending_bsn_log = None
        privacy = getattr(self.services, "privacy", None)
        if privacy is not None:
            self.runner.run(
                privacy.record_search,
                bsn,
                matches=count,
                on_error=self._on_load_failed_exc,
                lane="db",
                owner=self,
            )

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


def local_day_start(day: date) -> Any:
    """The start of a local calendar day as an aware UTC moment."""
    from console.services.monitoring import local_day_bounds

    return local_day_bounds(day)[0]


def _berichttypes_of(workspace: Any, organisation_ids: list[int]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for org_id in organisation_ids:
        for b in workspace.berichttypes(org_id):
            seen.setdefault(b.code, b.name)
    return sorted(seen.items())


def describe_query(query: LetterQuery, organisations: list[tuple[int, str]]) -> list[str]:
    """The filters of *query* beside the search box and the status box, in words."""
    names = dict(organisations)
    parts: list[str] = []
    if query.statuses:
        parts.append(" of ".join(STATUS_LABELS[s].text for s in query.statuses))
    flow: FlowKey | None = query.flow
    org = flow.organisation_id if flow else query.organisation_id
    bt = flow.berichttype if flow else query.berichttype
    if org is not None and len(organisations) > 1:
        parts.append(names.get(org, f"organisatie {org}"))
    if bt:
        parts.append(f"berichttype {bt}")
    if query.verwerkings_code:
        parts.append(f"code {query.verwerkings_code}")
    if query.referentie:
        parts.append(f"referentie {query.referentie}")
    if query.batch_or_bericht_id:
        parts.append(f"BatchID/BerichtID {query.batch_or_bericht_id}")
    if query.created_from is not None or query.created_to is not None:
        first = query.created_from.astimezone().strftime("%d-%m-%Y") if query.created_from else "…"
        last = (
            date.fromordinal(query.created_to.astimezone().date().toordinal() - 1).strftime(
                "%d-%m-%Y"
            )
            if query.created_to
            else "nu"
        )
        parts.append(first if first == last else f"{first} t/m {last}")
    if query.no_result_hours is not None:
        parts.append(f"zonder resultaat na {query.no_result_hours} uur")
    return parts
