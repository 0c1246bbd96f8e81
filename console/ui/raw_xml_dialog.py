"""Shows the raw XML of one ebMS exchange, pretty-printed and copyable."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme


class RawXmlDialog(QDialog):
    def __init__(self, xml: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("XML: {title}").format(title=title))
        self.setAccessibleName(self.tr("Ruwe XML"))

        intro = QLabel(
            self.tr(
                "Dit is het bericht zoals het over de lijn ging. U heeft het nodig als "
                "Logius of uw leverancier erom vraagt."
            )
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(f"color: {theme.MUTED_TEXT};")

        self.text = QPlainTextEdit(xml)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setAccessibleName(self.tr("XML-tekst"))

        self.copy_button = QPushButton(self.tr("Alles &kopiëren"))
        self.copy_button.clicked.connect(self.copy_all)
        self.copied_label = QLabel("")
        self.copied_label.setStyleSheet(f"color: {theme.OK_TEXT};")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("&Sluiten"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.copied_label)
        layout.addWidget(buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * 110, metrics.lineSpacing() * 32)
        self.text.setFocus()

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.copied_label.setText(self.tr("De XML staat op het klembord."))
