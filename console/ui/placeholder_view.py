"""An honest page for what is not built yet: it says what will come, and shows no fake content."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QVBoxLayout, QWidget

from console.ui import theme


class PlaceholderView(QWidget):
    def __init__(self, title: str, coming: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(title)
        heading = QLabel(title)
        heading.setFont(theme.heading_font(self.font(), scale=1.45))

        card = QFrame()
        card.setObjectName("card")
        icon = QLabel()
        size = self.fontMetrics().height() * 2
        icon.setPixmap(
            self.style()
            .standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            .pixmap(size, size)
        )
        self.text_label = QLabel(
            self.tr("Deze pagina komt in een volgende versie: {coming}").format(coming=coming)
        )
        self.text_label.setWordWrap(True)
        self.text_label.setAccessibleName(self.tr("Wat hier komt"))
        card_layout = QHBoxLayout(card)
        card_layout.setContentsMargins(20, 18, 20, 18)
        card_layout.setSpacing(14)
        card_layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        card_layout.addWidget(self.text_label, 1)
        card.setMaximumWidth(self.fontMetrics().averageCharWidth() * 90)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(14)
        layout.addWidget(heading)
        layout.addWidget(card)
        layout.addStretch(1)
