"""An empty page or list that says what to do next, with the button to do it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QStyle, QVBoxLayout, QWidget

from console.ui import theme


class EmptyStateWidget(QWidget):
    actionTriggered = Signal()

    def __init__(
        self,
        text: str = "",
        action_text: str = "",
        parent: QWidget | None = None,
        *,
        icon: QStyle.StandardPixmap = QStyle.StandardPixmap.SP_FileDialogInfoView,
    ) -> None:
        super().__init__(parent)
        self.icon_label = QLabel()
        size = self.fontMetrics().height() * 3
        self.icon_label.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.text_label = QLabel()
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_label.setWordWrap(True)
        self.text_label.setFont(theme.heading_font(self.font(), scale=1.1, bold=False))

        self.action_button = QPushButton()
        self.action_button.setObjectName("primary")
        self.action_button.clicked.connect(self.actionTriggered)

        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.icon_label)
        layout.addSpacing(8)
        layout.addWidget(self.text_label)
        layout.addSpacing(12)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.set_content(text, action_text)

    def set_content(self, text: str, action_text: str = "") -> None:
        self.text_label.setText(text)
        self.setAccessibleName(text)
        self.action_button.setText(action_text)
        self.action_button.setVisible(bool(action_text))
