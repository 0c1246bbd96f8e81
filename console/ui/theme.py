"""One place for the console's colours: status badges, environments, and the application style.

Every badge pairs its colour with a word; the colours here only reinforce that word. Text and
background pairs are chosen for a contrast ratio of at least 4.5:1 (WCAG AA).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QStyleFactory, QWidget

from console.domain.environment import Environment


@dataclass(frozen=True, slots=True)
class Tone:
    """A badge colour: a calm tinted background, a dark text of the same hue, and a border."""

    background: str
    text: str
    border: str

    def qcolors(self) -> tuple[QColor, QColor, QColor]:
        return QColor(self.background), QColor(self.text), QColor(self.border)


# grey: concept/in de wachtrij; blue: onderweg; green: verwerkt; amber: aandacht nodig; red: mislukt.
TONES: dict[str, Tone] = {
    "grey": Tone(background="#ECEEF1", text="#3B4149", border="#C9CED6"),
    "blue": Tone(background="#E1ECFA", text="#0B4A8B", border="#A9C6EC"),
    "green": Tone(background="#E0F2E6", text="#1A5E31", border="#A6D5B5"),
    "amber": Tone(background="#FFF1CF", text="#6B4500", border="#EBC66E"),
    "red": Tone(background="#FBE2E0", text="#9A1C14", border="#EBA9A3"),
}
DEFAULT_TONE = "grey"


def tone(name: str | None) -> Tone:
    """The tone for *name*; unknown names fall back to grey, never to no colour at all."""
    return TONES.get(name or DEFAULT_TONE, TONES[DEFAULT_TONE])


@dataclass(frozen=True, slots=True)
class EnvironmentColours:
    badge_background: str
    badge_text: str
    strip_background: str  # the banner behind the badge, a light tint of the same colour
    strip_border: str


ENVIRONMENT_COLOURS: dict[Environment, EnvironmentColours] = {
    Environment.SIMULATOR: EnvironmentColours("#1D5FB0", "#FFFFFF", "#EEF4FC", "#1D5FB0"),
    Environment.PREPROD: EnvironmentColours("#F0AE1C", "#2E2100", "#FFF7E3", "#D99A0B"),
    Environment.PRODUCTIE: EnvironmentColours("#C4221B", "#FFFFFF", "#FDEDEC", "#C4221B"),
}


def environment_colours(environment: Environment) -> EnvironmentColours:
    return ENVIRONMENT_COLOURS[environment]


# Text colours for feedback under form fields and in the status bar.
ERROR_TEXT = "#A1231B"
WARNING_TEXT = "#7A4F00"
OK_TEXT = "#1A5E31"
MUTED_TEXT = "#5A6270"
ACCENT = "#1D5FB0"

# Certificate warnings in the status bar (ux.md): amber under 60 days, red under 14.
CERTIFICATE_AMBER_DAYS = 60
CERTIFICATE_RED_DAYS = 14


def certificate_tone(days_left: int | None) -> str | None:
    """The tone for a certificate expiring in *days_left* days; None when there is nothing to say."""
    if days_left is None:
        return None
    if days_left < CERTIFICATE_RED_DAYS:
        return "red"
    if days_left < CERTIFICATE_AMBER_DAYS:
        return "amber"
    return None


def apply_application_style(app: QApplication) -> None:
    """Fusion with a calm light palette, the same on every machine; Windows' own font is kept."""
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    pal = QPalette()
    window = QColor("#F5F6F8")
    pal.setColor(QPalette.ColorRole.Window, window)
    pal.setColor(QPalette.ColorRole.WindowText, QColor("#1F2329"))
    pal.setColor(QPalette.ColorRole.Base, QColor("#FFFFFF"))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#F7F8FA"))
    pal.setColor(QPalette.ColorRole.Text, QColor("#1F2329"))
    pal.setColor(QPalette.ColorRole.Button, QColor("#FBFBFC"))
    pal.setColor(QPalette.ColorRole.ButtonText, QColor("#1F2329"))
    pal.setColor(QPalette.ColorRole.Highlight, QColor("#CFE0F6"))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#0E2A4D"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#FFFFFF"))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor("#1F2329"))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#6B7380"))
    pal.setColor(QPalette.ColorRole.Link, QColor(ACCENT))
    pal.setColor(QPalette.ColorRole.Mid, QColor("#C9CED6"))
    pal.setColor(QPalette.ColorRole.Midlight, QColor("#E3E6EA"))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#8A919C"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, QColor("#EEF0F2"))
    app.setPalette(pal)
    app.setStyleSheet(APPLICATION_STYLESHEET)


def heading_font(base: QFont, *, scale: float = 1.25, bold: bool = True) -> QFont:
    """A heading relative to the user's font, so it grows with Windows' text scaling."""
    font = QFont(base)
    size = base.pointSizeF()
    if size > 0:
        font.setPointSizeF(size * scale)
    font.setBold(bold)
    return font


PAGE_HEADING_SCALE = 1.45


def page_heading(owner: QWidget, title: str) -> QLabel:
    """The title at the top of a page of the main window (one size on every page)."""
    label = QLabel(title)
    label.setFont(heading_font(owner.font(), scale=PAGE_HEADING_SCALE))
    return label


def small_font(base: QFont, *, scale: float = 0.88) -> QFont:
    font = QFont(base)
    size = base.pointSizeF()
    if size > 0:
        font.setPointSizeF(size * scale)
    return font


# Only what the palette cannot say. Sizes are in em/pt so they follow the user's scaling.
APPLICATION_STYLESHEET = """
QListWidget#navigation {
    background: #ECEEF2;
    border: none;
    border-right: 1px solid #D5D9DF;
    outline: 0;
    padding-top: 6px;
}
QListWidget#navigation::item {
    padding: 0.45em 0.6em;
    margin: 1px 6px;
    border-radius: 5px;
    color: #1F2329;
}
QListWidget#navigation::item:hover { background: #E1E5EB; }
QListWidget#navigation::item:selected {
    background: #FFFFFF;
    color: #0B4A8B;
    border: 1px solid #C9D6E8;
}
QFrame#card {
    background: #FFFFFF;
    border: 1px solid #DADEE4;
    border-radius: 8px;
}
QFrame#detailPane {
    background: #FFFFFF;
    border-top: 1px solid #DADEE4;
}
QTableView {
    gridline-color: #E6E8EC;
    selection-background-color: #CFE0F6;
    selection-color: #0E2A4D;
}
QHeaderView::section {
    background: #F1F3F5;
    border: none;
    border-bottom: 1px solid #D5D9DF;
    border-right: 1px solid #E3E6EA;
    padding: 4px 6px;
    font-weight: 600;
}
QPushButton#primary {
    background: #1D5FB0;
    color: #FFFFFF;
    border: 1px solid #164C8D;
    border-radius: 4px;
    padding: 0.4em 1.2em;
    font-weight: 600;
}
QPushButton#primary:hover { background: #1A56A0; }
QPushButton#primary:focus { border: 2px solid #0B2F5A; }
QPushButton#primary:disabled {
    background: #B8C4D3;
    color: #F4F6F9;
    border: 1px solid #AAB6C5;
}
QStatusBar { background: #ECEEF2; border-top: 1px solid #D5D9DF; }
QStatusBar QLabel { padding: 0 4px; }
"""
