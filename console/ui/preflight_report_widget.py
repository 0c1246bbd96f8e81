"""The preflight report: per letter a verdict, and under it every point with field and limit.

Used in the send dialog (one letter) and for a checked file (many letters). Blocking points
are red and say FOUT, warnings amber and say "let op": never colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from console.berichtenbox.preflight import PreflightReport
from console.domain.letter import FieldIssue
from console.ui import theme
from console.ui.status_badge import StatusBadgeLabel


class PreflightReportWidget(QWidget):
    """Shows :class:`PreflightReport` objects; ``set_reports`` or ``set_issues`` fills it."""

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Controle vooraf (preflight)"))
        self.badge = StatusBadgeLabel(self.tr("Nog niet gecontroleerd"), "grey")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([self.tr("Bericht / veld"), self.tr("Soort"), self.tr("Melding")])
        self.tree.setAccessibleName(self.tr("Punten uit de controle vooraf"))
        self.tree.setRootIsDecorated(not compact)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setColumnWidth(0, self.fontMetrics().averageCharWidth() * 22)
        self.tree.setColumnWidth(1, self.fontMetrics().averageCharWidth() * 10)
        self._compact = compact
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        self.reports: tuple[PreflightReport, ...] = ()

    def set_issues(self, issues: Sequence[FieldIssue], key: str = "") -> None:
        """One letter (the send dialog): its issues as one report."""
        self.set_reports([PreflightReport(key or self.tr("Dit bericht"), tuple(issues))])

    def set_reports(self, reports: Sequence[PreflightReport]) -> None:
        self.reports = tuple(reports)
        self.tree.clear()
        refused = sum(1 for r in reports if not r.passed)
        warned = sum(1 for r in reports if r.passed and r.warnings)
        if not reports:
            self.badge.set_status(self.tr("Nog niet gecontroleerd"), "grey")
        elif refused:
            self.badge.set_status(self.tr("Afgekeurd"), "red")
        elif warned:
            self.badge.set_status(self.tr("Goedgekeurd, let op"), "amber")
        else:
            self.badge.set_status(self.tr("Goedgekeurd"), "green")
        if len(reports) == 1:
            self.summary.setText(reports[0].verdict)
        elif reports:
            self.summary.setText(
                self.tr(
                    "{n} berichten: {ok} goedgekeurd, {warn} met waarschuwingen, {bad} afgekeurd."
                ).format(
                    n=len(reports), ok=len(reports) - refused - warned, warn=warned, bad=refused
                )
            )
        else:
            self.summary.setText("")
        for report in reports:
            parent: QTreeWidget | QTreeWidgetItem = self.tree
            if not (self._compact and len(reports) == 1):
                top = QTreeWidgetItem([report.key, "", report.verdict])
                tone = "red" if not report.passed else ("amber" if report.warnings else "green")
                top.setForeground(2, QBrush(QColor(theme.tone(tone).text)))
                self.tree.addTopLevelItem(top)
                parent = top
            for issue in report.issues:
                kind = self.tr("FOUT") if issue.blocking else self.tr("let op")
                item = QTreeWidgetItem([issue.field, kind, issue.message])
                item.setToolTip(2, issue.message)
                colour = theme.ERROR_TEXT if issue.blocking else theme.WARNING_TEXT
                item.setForeground(1, QBrush(QColor(colour)))
                if isinstance(parent, QTreeWidget):
                    parent.addTopLevelItem(item)
                else:
                    parent.addChild(item)
        self.tree.expandAll()

    def messages(self) -> list[str]:
        """Every point as shown (for tests and copy)."""
        return [f"{i.field}: {i.message}" for r in self.reports for i in r.issues]
