"""Verzenden: one test letter, or a whole batch from a file (CSV or JSON).

The batch card opens the file dialog; a CSV or JSON file dropped anywhere on the page does the
same. Either way ``importRequested(path)`` asks the main window for the batch import dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from console.services.batch_import import write_template
from console.ui import theme
from console.ui.batch_import_dialog import letter_file_paths


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
    #: Import a file of letters; carries its Path.
    importRequested = Signal(object)
    #: A short line for the status bar.
    notice = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        heading = theme.page_heading(self, self.tr("Verzenden"))

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

        batch_card, batch_layout = _card(
            self.tr("Batch importeren"),
            self.tr(
                "Verstuur veel brieven tegelijk uit een bestand (CSV of JSON, één brief per "
                "regel). De console controleert eerst elke brief en laat zien wat er gaat "
                "gebeuren; pas daarna kiest u Versturen. Afgekeurde brieven bewaart de console "
                "in een apart bestand met de reden, zodat u ze kunt herstellen. Hetzelfde "
                "bestand wordt niet per ongeluk twee keer verstuurd."
            ),
        )
        self.import_button = QPushButton(self.tr("Bestand &kiezen…"))
        self.import_button.setObjectName("primary")
        self.import_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton)
        )
        self.import_button.setAccessibleName(self.tr("Batch importeren: bestand kiezen"))
        self.import_button.setMinimumHeight(height)
        self.import_button.clicked.connect(self.choose_file)
        self.template_button = QPushButton(self.tr("&Voorbeeldbestand opslaan…"))
        self.template_button.setToolTip(
            self.tr(
                "Een CSV met de kopregel en één voorbeeldbrief, om in Excel of uw "
                "bronsysteem aan te vullen."
            )
        )
        self.template_button.setMinimumHeight(height)
        self.template_button.clicked.connect(self.save_template)
        self.drop_label = QLabel(self.tr("of sleep een CSV- of JSON-bestand op deze pagina"))
        self.drop_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        columns = QLabel(
            self.tr(
                "Kolommen: bsn, berichttype, onderwerp, berichttekst, referentie, "
                "publicatiedatum (bijvoorbeeld 2026-12-01), bijlage (PDF-paden naast het "
                "bestand, gescheiden door |) en omschrijving. Scheidingsteken ; of , en "
                "UTF-8 met een kopregel."
            )
        )
        columns.setWordWrap(True)
        columns.setFont(theme.small_font(self.font()))
        columns.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.drop_label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.template_button)
        buttons.addStretch(1)
        batch_layout.addWidget(columns)
        batch_layout.addSpacing(6)
        batch_layout.addLayout(buttons)
        batch_layout.addWidget(self.drop_label)
        batch_card.setAccessibleName(self.tr("Batch importeren"))

        width = self.fontMetrics().averageCharWidth() * 100
        test_card.setMaximumWidth(width)
        batch_card.setMaximumWidth(width)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(14)
        layout.addWidget(heading)
        layout.addWidget(test_card)
        layout.addWidget(batch_card)
        layout.addStretch(1)

    def choose_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("Bestand met brieven kiezen"),
            "",
            self.tr("Brieven (*.csv *.json *.txt);;Alle bestanden (*)"),
        )
        if name:
            self.importRequested.emit(Path(name))

    def save_template(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Voorbeeldbestand opslaan"), "brieven.csv", self.tr("CSV (*.csv)")
        )
        if not name:
            return
        try:
            path = write_template(Path(name))
        except OSError as exc:
            self.notice.emit(
                self.tr("Het voorbeeldbestand kon niet worden opgeslagen: {error}").format(
                    error=exc.strerror or exc
                )
            )
            return
        self.notice.emit(self.tr("Voorbeeldbestand opgeslagen: {path}").format(path=path))

    # -- drag and drop -----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() and letter_file_paths(list(mime.urls())):
            event.acceptProposedAction()
            self.drop_label.setStyleSheet(f"color: {theme.ACCENT}; font-weight: 600;")
        else:
            event.ignore()

    def dragLeaveEvent(self, event: Any) -> None:
        self.drop_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        paths = letter_file_paths(list(event.mimeData().urls()))
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.importRequested.emit(paths[0])
