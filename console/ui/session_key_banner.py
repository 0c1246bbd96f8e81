"""The banner that says keys live only in this session's memory (no working OS keyring)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QWidget

from console.ui import theme


class SessionKeyBanner(QFrame):
    """Amber strip, hidden while keys are kept in the OS keyring.

    Call :meth:`set_store` with the secret store's ``persistent`` and ``description``. The
    lead can place it under the environment banner of the main window as well as on the
    Certificaten page.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionKeyBanner")
        self.setAccessibleName(self.tr("Melding over de sleutelbos"))
        colours = theme.tone("amber")
        self.setStyleSheet(
            f"QFrame#sessionKeyBanner {{ background: {colours.background};"
            f" border: 1px solid {colours.border}; border-radius: 6px; }}"
            f"QFrame#sessionKeyBanner QLabel {{ color: {colours.text}; background: transparent; }}"
        )
        icon = QLabel()
        size = self.fontMetrics().height() + 4
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size)
        )
        self.text_label = QLabel("")
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text_label.setAccessibleName(self.tr("Sleutels alleen voor deze sessie"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(10)
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text_label, 1)
        self.setVisible(False)

    def set_store(self, persistent: bool, description: str) -> None:
        if persistent:
            self.text_label.setText("")
            self.setVisible(False)
            return
        self.text_label.setText(
            self.tr(
                "<b>Sleutels alleen voor deze sessie.</b> {description} Privésleutels worden "
                "nooit onversleuteld op schijf bewaard."
            ).format(description=description)
        )
        self.setVisible(True)
