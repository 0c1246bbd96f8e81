"""Verzenden: a test letter now; batch import in a later version (said plainly)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QStyle, QVBoxLayout, QWidget

from console.ui import theme


def _card(title: str, text: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(20, 18, 20, 18)
    layout.setSpacing(8)
    heading = QLabel(title)
    heading.setFont(theme.heading_font(heading.font(), scale=1.15))
    body = QLabel(text)
    body.setWordWrap(True)
    layout.addWidget(heading)
    layout.addWidget(body)
    return card, layout


class SendView(QWidget):
    sendTestRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(self.tr("Verzenden"))
        heading.setFont(theme.heading_font(self.font(), scale=1.45))

        test_card, test_layout = _card(
            self.tr("Testbericht"),
            self.tr(
                "Verstuur één bericht om te zien of de koppeling werkt. U vult het BSN, het "
                "berichttype en de tekst in; de console controleert alles terwijl u typt."
            ),
        )
        self.send_button = QPushButton(self.tr("Testbericht versturen…"))
        self.send_button.setObjectName("primary")
        self.send_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowForward))
        self.send_button.setAccessibleName(self.tr("Testbericht versturen"))
        height = self.fontMetrics().height() * 2 + 8
        self.send_button.setMinimumHeight(height)
        self.send_button.clicked.connect(self.sendTestRequested)
        test_layout.addSpacing(6)
        test_layout.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignLeft)

        batch_card, _batch_layout = _card(
            self.tr("Batch importeren"),
            self.tr(
                "Deze functie komt in een volgende versie: een bestand met veel berichten "
                "inlezen, alles vooraf controleren, zien wat er gaat gebeuren en dan in één "
                "keer versturen."
            ),
        )
        batch_card.setAccessibleName(self.tr("Batch importeren (komt later)"))

        width = self.fontMetrics().averageCharWidth() * 90
        test_card.setMaximumWidth(width)
        batch_card.setMaximumWidth(width)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(14)
        layout.addWidget(heading)
        layout.addWidget(test_card)
        layout.addWidget(batch_card)
        layout.addStretch(1)
