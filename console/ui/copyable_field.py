"""An identifier the user can select, copy with Ctrl+C, or copy with one click."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QSizePolicy, QToolButton, QWidget

from console.ui import theme


class CopyableField(QWidget):
    """A read-only value (BerichtID, BatchID, OIN, a code) with a "Kopiëren" button."""

    copied = Signal(str)

    def __init__(
        self,
        name: str,
        value: str = "",
        parent: QWidget | None = None,
        *,
        monospace: bool = False,
        small: bool = False,
    ) -> None:
        super().__init__(parent)
        self._name = name
        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        self.edit.setFrame(False)
        self.edit.setAccessibleName(name)
        self.edit.setStyleSheet("QLineEdit { background: transparent; padding: 0; }")
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        if monospace:
            font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
            font.setPointSizeF(self.font().pointSizeF() * (0.9 if small else 1.0))
            self.edit.setFont(font)
        elif small:
            self.edit.setFont(theme.small_font(self.font()))
        if small:
            self.edit.setStyleSheet(
                f"QLineEdit {{ background: transparent; padding: 0; color: {theme.MUTED_TEXT}; }}"
            )

        self.button = QToolButton()
        self.button.setText(self.tr("Kopiëren"))
        self.button.setAccessibleName(self.tr("{name} kopiëren").format(name=name))
        self.button.setToolTip(self.tr("{name} naar het klembord kopiëren").format(name=name))
        self.button.setAutoRaise(True)
        small_font = QFont(self.button.font())
        small_font.setPointSizeF(small_font.pointSizeF() * 0.9)
        self.button.setFont(small_font)
        self.button.clicked.connect(self.copy)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.set_value(value)

    def value(self) -> str:
        return self.edit.text()

    def set_value(self, value: str) -> None:
        self.edit.setText(value)
        self.edit.setCursorPosition(0)
        self.edit.setToolTip(value)
        self.button.setEnabled(bool(value))
        metrics = self.edit.fontMetrics()
        self.edit.setMinimumWidth(
            min(metrics.horizontalAdvance(value) + 8, 36 * metrics.averageCharWidth())
        )

    def copy(self) -> None:
        value = self.value()
        if not value:
            return
        QGuiApplication.clipboard().setText(value)
        self.button.setText(self.tr("Gekopieerd"))
        QTimer.singleShot(1500, self._reset_button)
        self.copied.emit(value)

    def _reset_button(self) -> None:
        self.button.setText(self.tr("Kopiëren"))
