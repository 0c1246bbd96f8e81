"""Overzicht: a few honest numbers, each a button that opens the filtered message log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.domain.lifecycle import STATUS_LABELS, LetterStatus
from console.services.dto import LetterQuery
from console.ui import theme
from console.ui.formatting import format_count
from console.ui.tasks import TaskRunner

REFRESH_INTERVAL_MS = 5000


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    status: LetterStatus | None  # None: all letters
    tone: str


TILES = (
    Tile("all", None, "blue"),
    Tile(LetterStatus.QUEUED.value, LetterStatus.QUEUED, "grey"),
    Tile(LetterStatus.ACKNOWLEDGED.value, LetterStatus.ACKNOWLEDGED, "blue"),
    Tile(LetterStatus.DELIVERED.value, LetterStatus.DELIVERED, "green"),
    Tile(LetterStatus.NOT_SUBSCRIBED.value, LetterStatus.NOT_SUBSCRIBED, "amber"),
    Tile(LetterStatus.REJECTED.value, LetterStatus.REJECTED, "red"),
    Tile(LetterStatus.FAILED.value, LetterStatus.FAILED, "red"),
    Tile(LetterStatus.EXPIRED.value, LetterStatus.EXPIRED, "red"),
)


def _count_all(letters: Any, organisation_id: int | None) -> dict[str, int]:
    return {
        tile.key: letters.count(LetterQuery(status=tile.status, organisation_id=organisation_id))
        for tile in TILES
    }


class CountTileButton(QPushButton):
    """A big number with its word; the whole tile is one keyboard-reachable button."""

    def __init__(self, label: str, tone: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label_text = label
        colours = theme.tone(tone)
        self._tone_text = colours.text
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.number = QLabel("–")
        self.number.setFont(theme.heading_font(self.font(), scale=2.0))
        self.number.setStyleSheet(f"color: {colours.text}; background: transparent;")
        self.caption = QLabel(label)
        self.caption.setStyleSheet("background: transparent;")
        for child in (self.number, self.caption):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 12)
        layout.setSpacing(0)
        layout.addWidget(self.number)
        layout.addWidget(self.caption)
        height = self.number.sizeHint().height() + self.caption.sizeHint().height() + 26
        self.setMinimumHeight(height)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 18)
        self.setStyleSheet(
            "QPushButton { background: #FFFFFF; border: 1px solid #DADEE4;"
            f" border-left: 5px solid {colours.border}; border-radius: 6px; text-align: left; }}"
            "QPushButton:hover { background: #F6F8FB; }"
            f"QPushButton:focus {{ border: 2px solid {theme.ACCENT};"
            f" border-left: 5px solid {colours.border}; }}"
        )
        self.set_count(None)

    def set_count(self, count: int | None) -> None:
        self.number.setText("–" if count is None else format_count(count))
        # Zero is nothing to worry about: no alarm colour for it.
        colour = self._tone_text if count else theme.MUTED_TEXT
        self.number.setStyleSheet(f"color: {colour}; background: transparent;")
        shown = self.tr("onbekend") if count is None else format_count(count)
        self.setAccessibleName(
            self.tr("{label}: {count}. Open de berichten.").format(
                label=self.label_text, count=shown
            )
        )
        self.setToolTip(self.tr("Toon deze berichten in de lijst"))


class OverviewView(QWidget):
    #: Open the message log with this filter.
    openLog = Signal(object)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.organisation_id: int | None = None
        self._busy = False
        self.counts: dict[str, int] = {}

        heading = QLabel(self.tr("Overzicht"))
        heading.setFont(theme.heading_font(self.font(), scale=1.45))
        subtitle = QLabel(
            self.tr("Alle berichten in deze werkmap, per status. Klik op een getal voor de lijst.")
        )
        subtitle.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        subtitle.setWordWrap(True)

        self.tiles: dict[str, CountTileButton] = {}
        grid = QGridLayout()
        grid.setSpacing(12)
        for n, tile in enumerate(TILES):
            label = (
                self.tr("Alle berichten")
                if tile.status is None
                else STATUS_LABELS[tile.status].text
            )
            button = CountTileButton(label, tile.tone)
            button.clicked.connect(lambda _=False, t=tile: self._open(t))
            self.tiles[tile.key] = button
            grid.addWidget(button, n // 4, n % 4)

        later = QLabel(
            self.tr(
                "In een volgende versie: cijfers per dag en per berichtstroom, batches die op een "
                "resultaat wachten, en meldingen over certificaten, CPA en berichttypes."
            )
        )
        later.setWordWrap(True)
        later.setStyleSheet(f"color: {theme.MUTED_TEXT};")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(subtitle)
        layout.addSpacing(4)
        layout.addLayout(grid)
        layout.addSpacing(8)
        layout.addWidget(later)
        layout.addStretch(1)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def refresh(self) -> None:
        if self._busy:
            return
        self._busy = True
        self.runner.run(
            _count_all,
            self.services.letters,
            self.organisation_id,
            on_done=self._counted,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def _tick(self) -> None:
        if self.isVisible():
            self.refresh()

    def _counted(self, counts: dict[str, int]) -> None:
        self._busy = False
        self.counts = counts
        for key, button in self.tiles.items():
            button.set_count(counts.get(key))

    def _failed(self, _exc: BaseException) -> None:
        self._busy = False

    def _open(self, tile: Tile) -> None:
        self.openLog.emit(LetterQuery(status=tile.status, organisation_id=self.organisation_id))
