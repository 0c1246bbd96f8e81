"""Overzicht: per flow and day what was offered and what became of it; every number opens the log.

Top: the period's numbers as tiles (with today's beside them), then what needs attention
(batches waiting for a result, letters without a result beyond the threshold, the client
certificate). Middle: a stacked bar chart per day (QtCharts) for all flows or one; a click on a
bar opens the message log filtered on that day, flow and outcome. Bottom: one row per flow,
each number a click (or Enter) away from its letters. Data from ``services.monitoring``,
refreshed in the background while the page is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QCursor, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from console.domain.lifecycle import LetterStatus
from console.services.dto import FlowKey, LetterQuery
from console.services.monitoring import (
    CATEGORY_LABELS,
    CATEGORY_TONES,
    Category,
    Counts,
    Dashboard,
    query_for,
)
from console.ui import theme
from console.ui.form_field import scroll_area
from console.ui.formatting import format_count
from console.ui.tasks import TaskRunner

REFRESH_INTERVAL_MS = 10_000
CHART_CATEGORIES = (
    Category.DELIVERED,
    Category.NOT_SUBSCRIBED,
    Category.FAILED,
    Category.IN_TRANSIT,
)
TABLE_CATEGORIES = (Category.OFFERED, *CHART_CATEGORIES)
# Tile keys (kept stable: tests and the screenshot script look them up).
TILE_KEYS = {
    Category.OFFERED: "all",
    Category.DELIVERED: "delivered",
    Category.NOT_SUBSCRIBED: "not_subscribed",
    Category.FAILED: "failed",
    Category.IN_TRANSIT: "in_transit",
}


class CountTileButton(QPushButton):
    """A big number with its word (and a second line); the whole tile is one button."""

    def __init__(self, label: str, tone: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label_text = label
        colours = theme.tone(tone)
        self._tone_text = colours.text
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.number = QLabel("–")
        self.number.setFont(theme.heading_font(self.font(), scale=1.8))
        self.caption = QLabel(label)
        self.caption.setStyleSheet("background: transparent;")
        self.subline = QLabel("")
        self.subline.setFont(theme.small_font(self.font()))
        self.subline.setStyleSheet(f"color: {theme.MUTED_TEXT}; background: transparent;")
        for child in (self.number, self.caption, self.subline):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 10)
        layout.setSpacing(0)
        layout.addWidget(self.number)
        layout.addWidget(self.caption)
        layout.addWidget(self.subline)
        height = sum(w.sizeHint().height() for w in (self.number, self.caption, self.subline))
        self.setMinimumHeight(height + 22)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 16)
        self.setStyleSheet(
            "QPushButton { background: #FFFFFF; border: 1px solid #DADEE4;"
            f" border-left: 5px solid {colours.border}; border-radius: 6px; text-align: left; }}"
            "QPushButton:hover { background: #F6F8FB; }"
            f"QPushButton:focus {{ border: 2px solid {theme.ACCENT};"
            f" border-left: 5px solid {colours.border}; }}"
        )
        self.set_count(None)

    def set_count(self, count: int | None, subline: str = "", *, alarm: bool = True) -> None:
        self.number.setText("–" if count is None else format_count(count))
        colour = self._tone_text if (count and alarm) else theme.MUTED_TEXT
        if count and not alarm:
            colour = "#1F2329"
        self.number.setStyleSheet(f"color: {colour}; background: transparent;")
        self.subline.setText(subline)
        shown = self.tr("onbekend") if count is None else format_count(count)
        self.setAccessibleName(
            self.tr("{label}: {count}. {sub} Open de berichten.").format(
                label=self.label_text, count=shown, sub=subline
            )
        )
        self.setToolTip(self.tr("Toon deze berichten in de lijst"))

    def set_text(self, text: str, subline: str, tone: str | None) -> None:
        """A tile that shows a word instead of a number (the certificate)."""
        self.number.setText(text)
        colour = theme.tone(tone).text if tone else "#1F2329"
        self.number.setStyleSheet(f"color: {colour}; background: transparent;")
        self.subline.setText(subline)
        self.setAccessibleName(f"{self.label_text}: {text}. {subline}")


@dataclass(frozen=True, slots=True)
class _FlowChoice:
    key: FlowKey | None
    label: str


class DashboardView(QWidget):
    #: Open the message log with this filter (a LetterQuery).
    openLog = Signal(object)
    #: The user wants the certificates page.
    openCertificates = Signal()

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.organisation_id: int | None = None
        self.dashboard: Dashboard | None = None
        self.counts: dict[str, int] = {}
        self._busy = False
        self._flow: FlowKey | None = None

        heading = theme.page_heading(self, self.tr("Overzicht"))
        self.subtitle = QLabel(
            self.tr(
                "De laatste 30 dagen, per berichtstroom en per dag. Klik op een getal of een staaf voor de berichten."
            )
        )
        self.subtitle.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.subtitle.setWordWrap(True)
        self.flow_combo = QComboBox()
        self.flow_combo.setAccessibleName(self.tr("Berichtstroom"))
        self.flow_combo.setMinimumWidth(self.fontMetrics().averageCharWidth() * 36)
        self.flow_combo.addItem(self.tr("Alle berichtstromen"), None)
        self.flow_combo.currentIndexChanged.connect(self._on_flow_chosen)
        flow_label = QLabel(self.tr("&Stroom:"))
        flow_label.setBuddy(self.flow_combo)
        head = QHBoxLayout()
        head.addWidget(heading)
        head.addStretch(1)
        head.addWidget(flow_label)
        head.addWidget(self.flow_combo)

        # -- tiles --
        self.tiles: dict[str, CountTileButton] = {}
        grid = QGridLayout()
        grid.setSpacing(10)
        for n, category in enumerate(TABLE_CATEGORIES):
            tile = CountTileButton(CATEGORY_LABELS[category], CATEGORY_TONES[category])
            tile.clicked.connect(lambda _=False, c=category: self._open_period(c))
            self.tiles[TILE_KEYS[category]] = tile
            grid.addWidget(tile, 0, n)
        self.waiting_tile = CountTileButton(self.tr("Batches wachten op resultaat"), "amber")
        self.waiting_tile.clicked.connect(self._open_waiting)
        self.missing_tile = CountTileButton(self.tr("Zonder resultaat"), "red")
        self.missing_tile.clicked.connect(self._open_missing)
        self.certificate_tile = CountTileButton(self.tr("Clientcertificaat"), "grey")
        self.certificate_tile.clicked.connect(self.openCertificates)
        self.tiles["waiting_batches"] = self.waiting_tile
        self.tiles["missing_results"] = self.missing_tile
        self.tiles["certificate"] = self.certificate_tile
        grid.addWidget(self.waiting_tile, 1, 0, 1, 2)
        grid.addWidget(self.missing_tile, 1, 2, 1, 2)
        grid.addWidget(self.certificate_tile, 1, 4)

        self.warnings_label = QLabel("")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setAccessibleName(self.tr("Meldingen"))
        self.warnings_label.setVisible(False)
        amber = theme.tone("amber")
        self.warnings_label.setStyleSheet(
            f"QLabel {{ background: {amber.background}; color: {amber.text};"
            f" border: 1px solid {amber.border}; border-radius: 4px; padding: 6px 10px; }}"
        )
        self.problem_label = QLabel("")
        self.problem_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.problem_label.setWordWrap(True)
        self.problem_label.setVisible(False)

        # -- chart --
        self.chart = QChart()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.setBackgroundRoundness(4)
        self.series = QStackedBarSeries()
        self.bar_sets: dict[Category, QBarSet] = {}
        for category in CHART_CATEGORIES:
            bar_set = QBarSet(CATEGORY_LABELS[category])
            colours = theme.tone(CATEGORY_TONES[category])
            bar_set.setColor(QColor(colours.border))
            bar_set.setBorderColor(QColor(colours.text))
            bar_set.clicked.connect(lambda index, c=category: self._open_bar(c, index))
            bar_set.hovered.connect(lambda on, index, c=category: self._hover_bar(on, c, index))
            self.series.append(bar_set)
            self.bar_sets[category] = bar_set
        self.chart.addSeries(self.series)
        self.x_axis = QBarCategoryAxis()
        self.y_axis = QValueAxis()
        self.y_axis.setLabelFormat("%d")
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.x_axis)
        self.series.attachAxis(self.y_axis)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(self.fontMetrics().height() * 16)
        self.chart_view.setAccessibleName(self.tr("Grafiek: berichten per dag"))
        self.chart_view.setToolTip(self.tr("Klik op een staaf voor die berichten"))

        # -- per flow --
        self.flow_table = QTableWidget(0, 1 + len(TABLE_CATEGORIES))
        self.flow_table.setAccessibleName(self.tr("Berichten per berichtstroom"))
        self.flow_table.setHorizontalHeaderLabels(
            [self.tr("Berichtstroom (30 dagen)")] + [CATEGORY_LABELS[c] for c in TABLE_CATEGORIES]
        )
        self.flow_table.verticalHeader().setVisible(False)
        self.flow_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.flow_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.flow_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.flow_table.setShowGrid(False)
        self.flow_table.setAlternatingRowColors(True)
        self.flow_table.setTabKeyNavigation(False)
        header = self.flow_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for n in range(1, 1 + len(TABLE_CATEGORIES)):
            header.setSectionResizeMode(n, QHeaderView.ResizeMode.ResizeToContents)
        self.flow_table.cellClicked.connect(self._open_cell)
        self.flow_table.activated.connect(
            lambda index: self._open_cell(index.row(), index.column())
        )
        self.flow_table.setMinimumHeight(self.fontMetrics().height() * 8)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.subtitle)
        layout.addLayout(grid)
        layout.addWidget(self.warnings_label)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.chart_view, 3)
        layout.addWidget(self.flow_table, 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll_area(content))

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    # -- public ------------------------------------------------------------------------------

    def refresh(self) -> None:
        monitoring = getattr(self.services, "monitoring", None)
        if monitoring is None:
            self._show_problem(self.tr("Het overzicht is in deze werkmap niet beschikbaar."))
            return
        if self._busy:
            return
        self._busy = True
        self.runner.run(
            monitoring.dashboard,
            self.organisation_id,
            on_done=self._loaded,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    def set_organisation(self, organisation_id: int | None) -> None:
        if organisation_id != self.organisation_id:
            self.organisation_id = organisation_id
            self.refresh()

    def flow_index(self, flow: FlowKey | None) -> int:
        """The combo row of *flow* (Qt's findData cannot compare Python objects); -1 if none."""
        for n in range(self.flow_combo.count()):
            if self.flow_combo.itemData(n) == flow:
                return n
        return -1

    def query_for_bar(self, category: Category, index: int) -> LetterQuery | None:
        """The log filter behind one bar of the chart (day *index*, the chosen flow)."""
        if self.dashboard is None or not 0 <= index < len(self.dashboard.days):
            return None
        return query_for(
            category,
            flow=self._flow,
            day=self.dashboard.days[index],
            organisation_id=self.organisation_id,
        )

    # -- events ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def _tick(self) -> None:
        if self.isVisible():
            self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self._show_problem(str(exc))

    def _show_problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setVisible(True)

    def _loaded(self, dashboard: Dashboard) -> None:
        self._busy = False
        self.problem_label.setVisible(False)
        self.dashboard = dashboard
        self._fill_flow_choices(dashboard)
        self._fill_tiles(dashboard)
        self._fill_chart(dashboard)
        self._fill_table(dashboard)

    # -- filling -----------------------------------------------------------------------------

    def _series(self) -> tuple[tuple[Counts, ...], Counts, Counts]:
        """Per day, the period and today, for the chosen flow (or all)."""
        assert self.dashboard is not None
        d = self.dashboard
        if self._flow is not None:
            for f in d.flows:
                if f.flow.key == self._flow:
                    return f.days, f.total, f.days[-1] if f.days else Counts()
            empty = tuple(Counts() for _ in d.days)
            return empty, Counts(), Counts()
        return d.per_day, d.period, d.today

    def _fill_flow_choices(self, d: Dashboard) -> None:
        wanted = [_FlowChoice(None, self.tr("Alle berichtstromen"))] + [
            _FlowChoice(f.flow.key, f.flow.label) for f in d.flows
        ]
        current = [
            _FlowChoice(self.flow_combo.itemData(n), self.flow_combo.itemText(n))
            for n in range(self.flow_combo.count())
        ]
        if current == wanted:
            return
        self.flow_combo.blockSignals(True)
        self.flow_combo.clear()
        for choice in wanted:
            self.flow_combo.addItem(choice.label, choice.key)
        index = self.flow_index(self._flow)
        if index < 0:
            self._flow = None
            index = 0
        self.flow_combo.setCurrentIndex(index)
        self.flow_combo.blockSignals(False)

    def _fill_tiles(self, d: Dashboard) -> None:
        _days, period, today = self._series()
        for category in TABLE_CATEGORIES:
            key = TILE_KEYS[category]
            value = period.get(category)
            self.counts[key] = value
            self.tiles[key].set_count(
                value,
                self.tr("vandaag {n}").format(n=format_count(today.get(category))),
                alarm=category is not Category.OFFERED,
            )
        self.counts["waiting_batches"] = d.waiting_batch_count
        oldest = max((b.hours_waiting for b in d.waiting_batches), default=0)
        self.waiting_tile.set_count(
            d.waiting_batch_count,
            self.tr("langst wachtend: {h} uur").format(h=oldest) if d.waiting_batch_count else "",
        )
        self.counts["missing_results"] = d.missing_results
        self.missing_tile.label_text = self.tr("Zonder resultaat na {h} uur").format(
            h=d.missing_hours
        )
        self.missing_tile.caption.setText(self.missing_tile.label_text)
        self.missing_tile.set_count(
            d.missing_results,
            self.tr("ontvangen door Logius, geen resultaat") if d.missing_results else "",
        )
        days = d.certificate_days_left
        if days is None:
            self.certificate_tile.set_text("–", self.tr("geen certificaat bekend"), None)
        elif days < 0:
            self.certificate_tile.set_text(self.tr("verlopen"), self.tr("vervang het nu"), "red")
        else:
            # The number alone is big; the words go in the caption so a narrow tile never clips.
            self.certificate_tile.set_text(
                f"{days}",
                self.tr("dagen tot het verloopt"),
                theme.certificate_tone(days),
            )
        self.warnings_label.setText("\n".join(d.warnings))
        self.warnings_label.setVisible(bool(d.warnings))

    def _fill_chart(self, d: Dashboard) -> None:
        days, _period, _today = self._series()
        labels = [day.strftime("%d") for day in d.days]
        if self.x_axis.categories() != labels:
            self.x_axis.clear()
            self.x_axis.append(labels)
        if d.days:
            self.x_axis.setTitleText(
                self.tr("dag ({first} t/m {last})").format(
                    first=d.days[0].strftime("%d-%m-%Y"), last=d.days[-1].strftime("%d-%m-%Y")
                )
            )
        for category, bar_set in self.bar_sets.items():
            values = [float(c.get(category)) for c in days]
            if bar_set.count() != len(values):
                bar_set.remove(0, bar_set.count())
                bar_set.append(values)
            else:
                for n, value in enumerate(values):
                    if bar_set.at(n) != value:
                        bar_set.replace(n, value)
        top = max((c.offered for c in days), default=0)
        self.y_axis.setRange(0, max(4, _nice_ceiling(top)))
        self.y_axis.setTickCount(5)

    def _fill_table(self, d: Dashboard) -> None:
        self.flow_table.setRowCount(len(d.flows))
        for row, series in enumerate(d.flows):
            name = QTableWidgetItem(series.flow.label)
            name.setData(Qt.ItemDataRole.UserRole, series.flow.key)
            name.setToolTip(self.tr("Alle berichten van deze stroom"))
            self.flow_table.setItem(row, 0, name)
            for col, category in enumerate(TABLE_CATEGORIES, start=1):
                value = series.total.get(category)
                item = QTableWidgetItem(format_count(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if value and category in (Category.FAILED, Category.NOT_SUBSCRIBED):
                    item.setForeground(QColor(theme.tone(CATEGORY_TONES[category]).text))
                item.setToolTip(
                    self.tr("{what}: {n} — klik voor de berichten").format(
                        what=CATEGORY_LABELS[category], n=format_count(value)
                    )
                )
                self.flow_table.setItem(row, col, item)
        if not d.flows:
            self.flow_table.setRowCount(1)
            empty = QTableWidgetItem(self.tr("Nog geen berichten in de laatste 30 dagen."))
            empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.flow_table.setItem(0, 0, empty)
            for col in range(1, self.flow_table.columnCount()):
                self.flow_table.setItem(0, col, QTableWidgetItem(""))

    # -- clicks ------------------------------------------------------------------------------

    def _on_flow_chosen(self, index: int) -> None:
        self._flow = self.flow_combo.itemData(index)
        if self.dashboard is not None:
            self._fill_tiles(self.dashboard)
            self._fill_chart(self.dashboard)

    def _period_query(self, category: Category, flow: FlowKey | None) -> LetterQuery:
        first = self.dashboard.days[0] if self.dashboard is not None else None
        return query_for(category, flow=flow, first_day=first, organisation_id=self.organisation_id)

    def _open_period(self, category: Category) -> None:
        self.openLog.emit(self._period_query(category, self._flow))

    def _open_bar(self, category: Category, index: int) -> None:
        query = self.query_for_bar(category, index)
        if query is not None:
            self.openLog.emit(query)

    def _hover_bar(self, on: bool, category: Category, index: int) -> None:
        if not on or self.dashboard is None or not 0 <= index < len(self.dashboard.days):
            QToolTip.hideText()
            return
        days, _p, _t = self._series()
        day = self.dashboard.days[index]
        QToolTip.showText(
            QCursor.pos(),
            self.tr("{day}: {n} {what}. Klik voor de berichten.").format(
                day=day.strftime("%d-%m-%Y"),
                n=format_count(days[index].get(category)),
                what=CATEGORY_LABELS[category].lower(),
            ),
            self.chart_view,
        )

    def _open_cell(self, row: int, column: int) -> None:
        item = self.flow_table.item(row, 0)
        key = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(key, FlowKey):
            return
        category = Category.OFFERED if column == 0 else TABLE_CATEGORIES[column - 1]
        self.openLog.emit(self._period_query(category, key))

    def _open_waiting(self) -> None:
        d = self.dashboard
        if d is None or not d.waiting_batches:
            return
        if len(d.waiting_batches) == 1:
            self.openLog.emit(
                LetterQuery(
                    organisation_id=self.organisation_id,
                    batch_or_bericht_id=d.waiting_batches[0].batch_id,
                )
            )
            return
        self.openLog.emit(
            LetterQuery(
                organisation_id=self.organisation_id,
                statuses=(LetterStatus.SENT, LetterStatus.ACKNOWLEDGED),
            )
        )

    def _open_missing(self) -> None:
        hours = self.dashboard.missing_hours if self.dashboard is not None else 24
        self.openLog.emit(LetterQuery(organisation_id=self.organisation_id, no_result_hours=hours))


def _nice_ceiling(value: int) -> int:
    """A round upper bound for the axis (4 ticks): 10, 20, 40, 100, 200, 400, 1.000 ..."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 4, 5, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude
