"""Status badges: a rounded coloured pill that always carries the word.

``StatusBadgeDelegate`` paints it in table cells (tone from ``LetterRole.STATUS_TONE``);
``StatusBadgeLabel`` is the same badge as a widget, for detail panes and dashboards.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from console.ui import theme
from console.ui.letter_table_model import LetterRole

_H_PADDING = 9  # px inside the pill, left and right
_V_PADDING = 2
_MARGIN = 5  # px between the cell edge and the pill


class StatusBadgeDelegate(QStyledItemDelegate):
    """Paints the cell's text as a pill in the tone the model gives for it."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        tone_name = index.data(LetterRole.STATUS_TONE)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not tone_name or not text:
            super().paint(painter, option, index)  # still loading: the plain placeholder
            return

        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        tone = theme.tone(str(tone_name))
        background, foreground, border = tone.qcolors()
        metrics = QFontMetrics(opt.font)
        height = metrics.height() + 2 * _V_PADDING
        available = opt.rect.width() - 2 * _MARGIN - 2 * _H_PADDING
        shown = metrics.elidedText(str(text), Qt.TextElideMode.ElideRight, max(available, 0))
        width = metrics.horizontalAdvance(shown) + 2 * _H_PADDING
        rect = QRectF(
            opt.rect.left() + _MARGIN,
            opt.rect.top() + (opt.rect.height() - height) / 2,
            min(width, opt.rect.width() - 2 * _MARGIN),
            height,
        )

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(border, 1))
        painter.setBrush(background)
        radius = height / 2
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
        painter.setPen(foreground)
        painter.setFont(opt.font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, shown)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        base = super().sizeHint(option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        metrics = QFontMetrics(option.font)
        width = metrics.horizontalAdvance(str(text)) + 2 * (_H_PADDING + _MARGIN)
        height = metrics.height() + 2 * _V_PADDING + 8
        return QSize(max(base.width(), width), max(base.height(), height))


class StatusBadgeLabel(QLabel):
    """The badge as a widget: word plus tone."""

    def __init__(
        self, text: str = "", tone: str = theme.DEFAULT_TONE, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tone_name = tone
        self.set_status(text, tone)

    def set_status(self, text: str, tone: str) -> None:
        self.tone_name = tone
        colours = theme.tone(tone)
        self.setText(text)
        self.setAccessibleName(self.tr("Status: {text}").format(text=text))
        self.setStyleSheet(
            f"QLabel {{ background: {colours.background}; color: {colours.text};"
            f" border: 1px solid {colours.border}; border-radius: 0.75em;"
            " padding: 0.1em 0.75em; font-weight: 600; }"
        )
