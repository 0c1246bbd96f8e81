"""Instellingen: batches, preflight rules, results, ABS/WUS, privacy, and where the data is.

Every setting shows its label, what it does, the value in use, the default, what is allowed,
and, in amber, when Logius has not confirmed the value. The page reads and writes only
through ``services.settings`` (``SettingsService``) on the task runner: validated there,
stored, audited. Each group has its own *Opslaan*, enabled once something changed; what is
typed is checked at once (the same rules as the service) and a wrong value keeps its text
with the message next to it. Leaving the page with unsaved changes asks first
(:meth:`SettingsView.confirm_leave`, called by the main window).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.domain.letter import FieldIssue
from console.services.settings import (
    DEFINITIONS,
    GROUPS,
    MB,
    AboutInfo,
    Kind,
    SaveResult,
    SettingDefinition,
    SettingGroup,
    SettingsOverview,
    SettingValue,
    check_setting,
)
from console.ui import theme
from console.ui.empty_state_widget import EmptyStateWidget
from console.ui.form_field import (
    FieldRowWidget,
    card_with_heading,
    muted,
    scroll_area,
    service,
)
from console.ui.formatting import format_bytes
from console.ui.status_badge import StatusBadgeLabel
from console.ui.tasks import TaskRunner

KEY_ADMINISTRATORS = "privacy.beheerders"

# What confirm_leave's question can answer.
SAVE, DISCARD, STAY = "save", "discard", "stay"


def _editable_text(d: SettingDefinition, value: Any) -> str:
    """A value as it stands in its field: Dutch thousands, MB with a decimal comma."""
    if d.kind is Kind.INT:
        return f"{int(value):,}".replace(",", ".")
    if d.kind is Kind.MEGABYTES:
        mb = int(value) / MB
        return f"{mb:.0f}" if mb == int(mb) else f"{mb:.1f}".replace(".", ",")
    return str(value)


def _card_layout(frame: QFrame, title: str, text: str) -> tuple[QVBoxLayout, QLabel]:
    """Make *frame* a white card (as ``form_field.card``) with a heading and explanation."""
    _frame, layout, heading = card_with_heading(title, text, frame)
    return layout, heading


class NamesEditor(QWidget):
    """A short list of user names with add and remove (the administrators)."""

    edited = Signal()

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user = ""
        self.list = QListWidget()
        self.list.setAccessibleName(label)
        self.list.setMaximumHeight(self.fontMetrics().height() * 5)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(self.tr("Gebruikersnaam om toe te voegen"))
        self.name_edit.setPlaceholderText(self.tr("bijv. j.jansen"))
        self.name_edit.setToolTip(
            self.tr("De gebruikersnaam zoals Windows hem kent (zonder domein), bijv. j.jansen.")
        )
        self.name_edit.textChanged.connect(lambda _t: self._update_buttons())
        self.name_edit.returnPressed.connect(self.add_typed)
        self.add_button = QPushButton(self.tr("Toevoegen"))
        self.add_button.setAccessibleName(self.tr("Beheerder toevoegen"))
        self.add_button.clicked.connect(self.add_typed)
        self.self_button = QPushButton(self.tr("Mijzelf toevoegen"))
        self.self_button.clicked.connect(lambda: self.add_name(self.user))
        self.remove_button = QPushButton(self.tr("Verwijderen"))
        self.remove_button.setAccessibleName(self.tr("Gekozen beheerder verwijderen"))
        self.remove_button.clicked.connect(self.remove_selected)
        add_row = QHBoxLayout()
        add_row.setSpacing(6)
        add_row.addWidget(self.name_edit, 1)
        add_row.addWidget(self.add_button)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.self_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.list)
        layout.addLayout(add_row)
        layout.addLayout(buttons)
        self._update_buttons()

    def names(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_names(self, names: tuple[str, ...] | list[str]) -> None:
        self.list.clear()
        self.list.addItems(list(names))
        self._update_buttons()

    def add_typed(self) -> None:
        if self.add_name(self.name_edit.text()):
            self.name_edit.clear()

    def add_name(self, name: str) -> bool:
        name = name.strip()
        if not name or name in self.names():
            return False
        self.list.addItem(name)
        self.list.sortItems()
        self._update_buttons()
        self.edited.emit()
        return True

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self._update_buttons()
        self.edited.emit()

    def _update_buttons(self) -> None:
        editable = self.isEnabled()
        self.add_button.setEnabled(editable and bool(self.name_edit.text().strip()))
        self.remove_button.setEnabled(editable and bool(self.list.selectedItems()))
        self.self_button.setVisible(bool(self.user) and self.user not in self.names())


class SettingRowWidget(QFrame):
    """One setting: what it is and does, default, allowed values, the field, and a reset."""

    edited = Signal()
    resetRequested = Signal(str)

    def __init__(self, definition: SettingDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.definition = d = definition
        self.current: SettingValue | None = None
        self.setObjectName("settingRow")
        self.setAccessibleName(d.label)

        self.title_label = QLabel(d.label)
        self.title_label.setFont(theme.heading_font(self.font(), scale=1.0))
        self.unconfirmed_badge = StatusBadgeLabel(self.tr("Niet bevestigd door Logius"), "amber")
        self.unconfirmed_badge.setToolTip(d.unconfirmed)
        self.unconfirmed_badge.setVisible(bool(d.unconfirmed))
        title = QHBoxLayout()
        title.setSpacing(8)
        title.addWidget(self.title_label)
        title.addWidget(self.unconfirmed_badge)
        title.addStretch(1)

        self.help_label = muted(QLabel(d.help))
        self.facts_label = muted(QLabel(""), small=True)
        self.facts_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.unconfirmed_label = QLabel(
            self.tr("Niet bevestigd door Logius: {text}").format(text=d.unconfirmed)
        )
        self.unconfirmed_label.setWordWrap(True)
        self.unconfirmed_label.setFont(theme.small_font(self.font()))
        self.unconfirmed_label.setStyleSheet(f"color: {theme.WARNING_TEXT};")
        self.unconfirmed_label.setVisible(bool(d.unconfirmed))
        self.problem_label = QLabel("")
        self.problem_label.setWordWrap(True)
        self.problem_label.setFont(theme.small_font(self.font()))
        self.problem_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.problem_label.setVisible(False)

        text = QVBoxLayout()
        text.setSpacing(3)
        text.addLayout(title)
        text.addWidget(self.help_label)
        text.addWidget(self.facts_label)
        text.addWidget(self.unconfirmed_label)
        text.addWidget(self.problem_label)
        text.addStretch(1)

        self.editor = self._make_editor()
        self.editor.setAccessibleName(d.label)
        self.editor.setAccessibleDescription(d.help)
        self.editor.setToolTip(
            self.tr("{help}\nToegestaan: {allowed}.").format(help=d.help, allowed=d.allowed)
        )
        field = QWidget()
        field_layout = QHBoxLayout(field)
        field_layout.setContentsMargins(0, 0, 0, 0)
        field_layout.setSpacing(6)
        numeric = d.kind in (Kind.INT, Kind.MEGABYTES, Kind.CHOICE, Kind.FLAG)
        field_layout.addWidget(self.editor, 0 if numeric else 1)
        if d.unit and d.kind in (Kind.INT, Kind.MEGABYTES):
            field_layout.addWidget(QLabel(d.unit))
        if numeric:
            field_layout.addStretch(1)
        self.field_row = FieldRowWidget(field)

        self.reset_button = QPushButton(self.tr("Standaard herstellen"))
        self.reset_button.setAccessibleName(
            self.tr("{label}: standaard herstellen").format(label=d.label)
        )
        self.reset_button.setToolTip(
            self.tr("Terug naar de standaardwaarde: {value}").format(value=d.format(d.default))
        )
        self.reset_button.clicked.connect(lambda: self.resetRequested.emit(d.key))
        self.reset_button.setEnabled(False)

        layout = QGridLayout(self)
        layout.setContentsMargins(0, 10, 0, 10)
        layout.setHorizontalSpacing(16)
        layout.addLayout(text, 0, 0)
        layout.addWidget(self.field_row, 0, 1, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.reset_button, 0, 2, Qt.AlignmentFlag.AlignTop)
        layout.setColumnStretch(0, 1)
        chars = self.fontMetrics().averageCharWidth()
        self.field_row.setFixedWidth(chars * 44)
        self.field_row.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setEnabled(False)  # until the values are loaded

    # -- the field ---------------------------------------------------------------------------

    def _make_editor(self) -> QWidget:
        d = self.definition
        if d.kind is Kind.CHOICE:
            combo = QComboBox()
            for choice in d.choices:
                combo.addItem(choice.label, choice.value)
            combo.currentIndexChanged.connect(lambda _i: self._on_edit())
            return combo
        if d.kind is Kind.FLAG:
            box = QCheckBox(self.tr("Aan"))
            box.toggled.connect(lambda _c: self._on_edit())
            return box
        if d.kind is Kind.NAMES:
            names = NamesEditor(d.label)
            names.edited.connect(self._on_edit)
            return names
        edit = QLineEdit()
        if d.kind in (Kind.INT, Kind.MEGABYTES):
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setMaximumWidth(self.fontMetrics().averageCharWidth() * 16)
        edit.setPlaceholderText(d.allowed if d.kind is Kind.TEXT else "")
        edit.textEdited.connect(lambda _t: self._on_edit())
        return edit

    def raw(self) -> Any:
        """What the user typed or chose, as the service takes it."""
        e = self.editor
        if isinstance(e, QComboBox):
            return e.currentData()
        if isinstance(e, QCheckBox):
            return e.isChecked()
        if isinstance(e, NamesEditor):
            return e.names()
        assert isinstance(e, QLineEdit)
        if self.definition.kind is Kind.MEGABYTES:
            text = e.text().strip()
            if text.lower().endswith("mb"):
                text = text[:-2].strip()
            return f"{text} MB" if text else ""
        return e.text()

    def _set_editor(self, value: Any) -> None:
        e = self.editor
        d = self.definition
        e.blockSignals(True)
        try:
            if isinstance(e, QComboBox):
                e.setCurrentIndex(max(0, e.findData(value)))
            elif isinstance(e, QCheckBox):
                e.setChecked(bool(value))
            elif isinstance(e, NamesEditor):
                e.set_names(tuple(value))
            elif isinstance(e, QLineEdit):
                e.setText(_editable_text(d, value))
        finally:
            e.blockSignals(False)

    # -- state -------------------------------------------------------------------------------

    def set_current(self, value: SettingValue) -> None:
        """The value in use (after loading, saving or a reset); discards what was typed."""
        self.current = value
        d = self.definition
        self._set_editor(value.value)
        if value.stored:
            facts = self.tr("Nu: {value} (ingesteld) · Standaard: {default}").format(
                value=value.text, default=d.format(d.default)
            )
        else:
            facts = self.tr("Nu: {value} (standaard)").format(value=value.text)
        self.facts_label.setText(
            self.tr("{facts} · Toegestaan: {allowed}").format(facts=facts, allowed=d.allowed)
        )
        self.problem_label.setText(value.problem)
        self.problem_label.setVisible(bool(value.problem))
        self.reset_button.setEnabled(value.stored)
        self.show_issues([])
        self.setEnabled(True)

    def issues(self) -> list[FieldIssue]:
        """The problems with what stands in the field now (same rules as the service)."""
        if self.current is None or not self.dirty:
            return []
        return check_setting(self.definition.key, self.raw())[1]

    @property
    def dirty(self) -> bool:
        if self.current is None:
            return False
        value, issues = check_setting(self.definition.key, self.raw())
        if issues:
            return True
        current = self.current.value
        if self.definition.kind is Kind.NAMES:
            return tuple(value) != tuple(current)
        return bool(value != current)

    def show_issues(self, issues: list[FieldIssue]) -> None:
        self.field_row.show_issues(issues)
        # A screen reader on the field hears the problem; without one, what the setting does.
        self.editor.setAccessibleDescription(
            self.field_row.message.text() if issues else self.definition.help
        )

    def _on_edit(self) -> None:
        self.show_issues(self.issues())
        self.edited.emit()


class SettingsGroupCard(QFrame):
    """One group of settings with its own Opslaan."""

    saveRequested = Signal(object)  # the card
    resetRequested = Signal(object, str)  # the card, the key

    def __init__(
        self,
        group: SettingGroup,
        definitions: list[SettingDefinition],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.group = group
        self.busy = False
        layout, self.heading = _card_layout(self, group.title, group.text)
        self.setAccessibleName(group.title)
        self.body = layout

        self.effect_label = QLabel(
            self.tr("<b>Wanneer het ingaat:</b> {text}").format(text=group.takes_effect)
        )
        self.effect_label.setTextFormat(Qt.TextFormat.RichText)
        self.effect_label.setWordWrap(True)
        layout.addWidget(self.effect_label)

        self.rows: dict[str, SettingRowWidget] = {}
        for d in definitions:
            line = QFrame()
            line.setFrameShape(QFrame.Shape.HLine)
            line.setStyleSheet("color: #E3E6EA;")
            layout.addWidget(line)
            row = SettingRowWidget(d)
            row.edited.connect(self.update_buttons)
            row.resetRequested.connect(lambda key: self.resetRequested.emit(self, key))
            self.rows[d.key] = row
            layout.addWidget(row)

        self.extra = QVBoxLayout()  # group-specific lines (privacy access, WUS address)
        self.extra.setSpacing(6)
        layout.addLayout(self.extra)

        self.save_button = QPushButton(self.tr("Opslaan"))
        self.save_button.setObjectName("primary")
        self.save_button.setAccessibleName(self.tr("{group} opslaan").format(group=group.title))
        self.save_button.clicked.connect(lambda: self.saveRequested.emit(self))
        self.undo_button = QPushButton(self.tr("Wijzigingen ongedaan maken"))
        self.undo_button.setAccessibleName(
            self.tr("{group}: wijzigingen ongedaan maken").format(group=group.title)
        )
        self.undo_button.clicked.connect(self.discard)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName(self.tr("{group}: melding").format(group=group.title))
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.status_label, 1)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        self.update_buttons()

    @property
    def dirty(self) -> bool:
        return any(row.dirty for row in self.rows.values())

    def blocking_issues(self) -> list[FieldIssue]:
        return [i for row in self.rows.values() for i in row.issues() if i.blocking]

    @property
    def can_save(self) -> bool:
        return self.dirty and not self.blocking_issues() and not self.busy

    def changes(self) -> dict[str, Any]:
        return {key: row.raw() for key, row in self.rows.items() if row.dirty}

    def update_buttons(self) -> None:
        dirty = self.dirty
        blocking = self.blocking_issues()
        self.save_button.setEnabled(dirty and not blocking and not self.busy)
        self.undo_button.setEnabled(dirty and not self.busy)
        if blocking:
            self.save_button.setToolTip(
                self.tr("Nog niet op te slaan: {message}").format(message=blocking[0].message)
            )
        elif not dirty:
            self.save_button.setToolTip(self.tr("Er is niets gewijzigd."))
        else:
            self.save_button.setToolTip("")
        if dirty and not self.busy and not blocking:
            self.set_status(self.tr("Niet opgeslagen wijzigingen."), "warning")
        elif blocking:
            self.set_status(self.tr("Herstel eerst wat rood is gemarkeerd."), "error")
        elif not self.busy and self.status_label.property("tone") != "ok":
            self.set_status("", "")

    def set_status(self, text: str, tone: str) -> None:
        colour = {
            "ok": theme.OK_TEXT,
            "error": theme.ERROR_TEXT,
            "warning": theme.WARNING_TEXT,
        }.get(tone, theme.MUTED_TEXT)
        self.status_label.setProperty("tone", tone)
        self.status_label.setStyleSheet(f"color: {colour};")
        self.status_label.setText(text)

    def set_busy(self, busy: bool, text: str = "") -> None:
        """While saving, the fields are read-only: what comes back replaces them."""
        self.busy = busy
        for row in self.rows.values():
            row.setEnabled(not busy and row.current is not None)
        if busy:
            self.set_status(text, "")
        self.update_buttons()

    def discard(self) -> None:
        for row in self.rows.values():
            if row.current is not None:
                row.set_current(row.current)
        self.set_status("", "")
        self.update_buttons()

    def apply_values(self, values: tuple[SettingValue, ...]) -> None:
        for value in values:
            row = self.rows.get(value.key)
            if row is not None:
                row.set_current(value)
        self.update_buttons()


class AboutCard(QFrame):
    """Version, data folder, database, schema, logs, key store and language."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setAccessibleName(self.tr("Over de console en de gegevens"))
        layout, _heading = _card_layout(
            self,
            self.tr("Over de console en de gegevens"),
            self.tr(
                "Waar deze werkmap zijn gegevens bewaart. Maak een reservekopie van de hele "
                "gegevensmap; sleutels staan daar niet in, die staan in de sleutelbos."
            ),
        )

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        self.values: dict[str, QLabel] = {}
        rows = (
            ("version", self.tr("Versie")),
            ("data_dir", self.tr("Gegevensmap")),
            ("database", self.tr("Database")),
            ("schema", self.tr("Schemaversie")),
            ("backups", self.tr("Reservekopieën")),
            ("logs", self.tr("Logbestanden")),
            ("keys", self.tr("Sleutels")),
            ("language", self.tr("Taal")),
        )
        for n, (key, title) in enumerate(rows):
            name = QLabel(title)
            name.setFont(theme.heading_font(self.font(), scale=1.0))
            value = QLabel(self.tr("Wordt geladen…"))
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(title)
            name.setBuddy(value)
            grid.addWidget(name, n, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, n, 1)
            self.values[key] = value
        grid.setColumnStretch(1, 1)
        self.open_data_button = QPushButton(self.tr("Gegevensmap openen"))
        self.open_data_button.setToolTip(self.tr("Opent de gegevensmap in Verkenner"))
        self.open_logs_button = QPushButton(self.tr("Logmap openen"))
        self.open_logs_button.setToolTip(self.tr("Opent de map met logbestanden in Verkenner"))
        self.open_data_button.setEnabled(False)
        self.open_logs_button.setEnabled(False)
        grid.addWidget(self.open_data_button, 1, 2, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.open_logs_button, 5, 2, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(grid)
        self.about: AboutInfo | None = None

    def set_about(self, about: AboutInfo) -> None:
        self.about = about
        v = self.values
        v["version"].setText(about.version)
        v["data_dir"].setText(str(about.data_dir) if about.data_dir else self.tr("(onbekend)"))
        size = (
            self.tr(" ({size})").format(size=format_bytes(about.database_bytes))
            if about.database_bytes is not None
            else ""
        )
        v["database"].setText(about.database + size)
        if about.schema_current:
            v["schema"].setText(
                self.tr("{rev} (bijgewerkt)").format(rev=about.schema_revision or "-")
            )
        else:
            v["schema"].setText(
                self.tr("{rev}; deze versie van de console werkt met {head}").format(
                    rev=about.schema_revision or self.tr("leeg"), head=about.schema_head
                )
            )
        v["backups"].setText(
            self.tr("{path} (voor elke bijwerking van de database)").format(path=about.backups_dir)
            if about.backups_dir
            else self.tr("(onbekend)")
        )
        v["logs"].setText(
            self.tr("{path} (een BSN staat er nooit volledig in)").format(path=about.logs_dir)
            if about.logs_dir
            else self.tr("(onbekend)")
        )
        if about.key_store is None:
            v["keys"].setText(self.tr("(onbekend)"))
            v["keys"].setStyleSheet("")
        elif about.keys_persistent:
            v["keys"].setText(about.key_store)
            v["keys"].setStyleSheet("")
        else:
            v["keys"].setText(about.key_store)  # says itself that keys last only this session
            v["keys"].setStyleSheet(f"color: {theme.WARNING_TEXT};")
        v["language"].setText(f"{about.language}. {about.language_note}")
        self.open_data_button.setEnabled(about.data_dir is not None)
        self.open_logs_button.setEnabled(about.logs_dir is not None)


class SettingsView(QWidget):
    """The Instellingen page. Replace the "instellingen" placeholder with this widget."""

    #: A short message for the status bar.
    notice = Signal(str)
    #: Go to another page of the window (the key of the page, e.g. "organisaties").
    openPage = Signal(str)
    #: A save or reset finished and none is running any more.
    idle = Signal()

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.overview: SettingsOverview | None = None
        self._loaded = False
        # Replaceable in tests: what asks the user something, and what opens a folder.
        self.ask_leave: Callable[[list[str], bool], str] = self._ask_leave
        self.open_folder: Callable[[Path], bool] = self._open_folder
        self.setAccessibleName(self.tr("Instellingen"))

        heading = theme.page_heading(self, self.tr("Instellingen"))
        intro = muted(
            QLabel(
                self.tr(
                    "Deze instellingen gelden voor de hele werkmap: voor iedereen die deze "
                    "database gebruikt, in het venster en op de opdrachtregel "
                    "(berichtenbox-console settings). Elke wijziging komt in het auditlog. "
                    "Waarden met 'Niet bevestigd door Logius' zijn een keuze van de console; "
                    "pas ze aan zodra Logius iets anders zegt."
                )
            )
        )
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.error_label.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.error_label)

        self.cards: dict[str, SettingsGroupCard] = {}
        self.about_card: AboutCard | None = None
        self.empty_state: EmptyStateWidget | None = None
        if self._service() is None:
            self.empty_state = EmptyStateWidget(
                self.tr("Instellingen zijn in deze werkmap niet beschikbaar.")
            )
            layout.addWidget(self.empty_state, 1)
            return

        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 8, 0)
        body.setSpacing(14)
        for group in GROUPS:
            card = SettingsGroupCard(group, [d for d in DEFINITIONS if d.group == group.key])
            card.saveRequested.connect(self.save_group)
            card.resetRequested.connect(self.reset_setting)
            self.cards[group.key] = card
            body.addWidget(card)
        self._add_wus_note(self.cards["abonnementen"])
        self.access_label = QLabel("")
        self.access_label.setWordWrap(True)
        self.access_label.setAccessibleName(self.tr("Wie de beheerders mag wijzigen"))
        self.cards["privacy"].extra.addWidget(self.access_label)
        self.about_card = AboutCard()
        self.about_card.open_data_button.clicked.connect(lambda: self._open("data_dir"))
        self.about_card.open_logs_button.clicked.connect(lambda: self._open("logs_dir"))
        body.addWidget(self.about_card)
        body.addStretch(1)
        self.scroll_area = scroll_area(content)
        layout.addWidget(self.scroll_area, 1)

    def _service(self) -> Any:
        return service(self.services, "settings")

    def _add_wus_note(self, card: SettingsGroupCard) -> None:
        note = muted(
            QLabel(
                self.tr(
                    "Het adres van de validatieservice (WUS) krijgt u van Logius. U stelt het "
                    "per koppeling in bij Organisaties › Koppelingen."
                )
            )
        )
        self.wus_button = QPushButton(self.tr("Naar Koppelingen"))
        self.wus_button.clicked.connect(lambda: self.openPage.emit("organisaties"))
        row = QHBoxLayout()
        row.addWidget(note, 1)
        row.addWidget(self.wus_button)
        card.extra.addLayout(row)

    # -- loading -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.refresh()

    def refresh(self) -> None:
        """Load the values (off the GUI thread); fields with unsaved changes keep them."""
        settings = self._service()
        if settings is None:
            return
        self._loaded = True
        self.runner.run(
            settings.overview,
            on_done=self._loaded_overview,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    def _loaded_overview(self, overview: SettingsOverview) -> None:
        self.overview = overview
        self.error_label.setVisible(False)
        for key, card in self.cards.items():
            unsaved = {k for k, row in card.rows.items() if row.dirty}
            card.apply_values(tuple(v for v in overview.in_group(key) if v.key not in unsaved))
        self._show_access()
        if self.about_card is not None:
            self.about_card.set_about(overview.about)

    def _show_access(self) -> None:
        if self.overview is None:
            return
        access = self.overview.administrators
        row = self.cards["privacy"].rows[KEY_ADMINISTRATORS]
        editor = row.editor
        assert isinstance(editor, NamesEditor)
        editor.user = access.user
        editor.setEnabled(access.allowed)
        editor._update_buttons()
        if not access.administrators:
            note = self.tr(
                "Er is nog geen beheerder aangewezen: iedereen die deze werkmap opent, kan het "
                "inzagelog lezen. Voeg uzelf ({user}) toe met 'Mijzelf toevoegen' en sla op."
            ).format(user=access.user)
        elif access.allowed:
            note = self.tr(
                "U bent beheerder ({user}): u mag deze lijst wijzigen, maar uzelf niet verwijderen."
            ).format(user=access.user)
        else:
            note = self.tr(
                "Alleen een beheerder mag deze lijst wijzigen. U bent aangemeld als {user}."
            ).format(user=access.user)
        self.access_label.setText(note)
        self.access_label.setStyleSheet(
            f"color: {theme.MUTED_TEXT if access.allowed else theme.WARNING_TEXT};"
        )
        row.reset_button.setEnabled(access.allowed and bool(row.current and row.current.stored))

    def _failed(self, exc: BaseException) -> None:
        self.error_label.setText(str(exc))
        self.error_label.setVisible(True)

    # -- saving ------------------------------------------------------------------------------

    def save_group(self, card: SettingsGroupCard) -> None:
        settings = self._service()
        if settings is None or not card.can_save:
            return
        changes = card.changes()
        card.set_busy(True, self.tr("Bezig met opslaan…"))
        self.runner.run(
            settings.save,
            changes,
            on_done=functools.partial(self._saved, card),
            on_error=functools.partial(self._save_failed, card),
            lane="db",
            owner=self,
        )

    def _saved(self, card: SettingsGroupCard, result: SaveResult) -> None:
        card.set_busy(False)
        card.apply_values(result.values)
        card.set_status(self.tr("Opgeslagen."), "ok")
        card.update_buttons()
        self.notice.emit(result.message)
        if card.group.key == "privacy":
            self.refresh()  # who may change the list follows from the new list
        self._finished()

    def _save_failed(self, card: SettingsGroupCard, exc: BaseException) -> None:
        card.set_busy(False)
        issues: list[FieldIssue] = list(getattr(exc, "issues", []) or [])
        for issue in issues:
            row = card.rows.get(issue.field)
            if row is not None:
                row.show_issues([i for i in issues if i.field == issue.field])
        card.update_buttons()
        card.set_status(str(exc), "error")
        self.notice.emit(self.tr("{group} is niet opgeslagen.").format(group=card.group.title))
        self._finished()

    def reset_setting(self, card: SettingsGroupCard, key: str) -> None:
        settings = self._service()
        if settings is None:
            return
        card.set_busy(True, self.tr("Bezig met terugzetten…"))
        self.runner.run(
            settings.reset,
            [key],
            on_done=functools.partial(self._reset_done, card),
            on_error=functools.partial(self._save_failed, card),
            lane="db",
            owner=self,
        )

    def _reset_done(self, card: SettingsGroupCard, result: SaveResult) -> None:
        card.set_busy(False)
        card.apply_values(result.values)
        card.set_status(self.tr("Standaardwaarde hersteld."), "ok")
        card.update_buttons()
        self.notice.emit(result.message)
        if card.group.key == "privacy":
            self.refresh()
        self._finished()

    # -- leaving with unsaved changes --------------------------------------------------------

    @property
    def saving(self) -> bool:
        return any(card.busy for card in self.cards.values())

    def _finished(self) -> None:
        if not self.saving:
            self.idle.emit()

    def unsaved_groups(self) -> list[SettingsGroupCard]:
        return [card for card in self.cards.values() if card.dirty]

    def save_all(self) -> None:
        for card in self.unsaved_groups():
            self.save_group(card)

    def discard_all(self) -> None:
        for card in self.unsaved_groups():
            card.discard()

    def confirm_leave(self) -> bool:
        """True when the page may be left: nothing unsaved, or the user chose what happens."""
        cards = self.unsaved_groups()
        if not cards:
            return True
        can_save = all(card.can_save for card in cards)
        answer = self.ask_leave([card.group.title for card in cards], can_save)
        if answer == SAVE and can_save:
            self.save_all()
            return True
        if answer == DISCARD:
            self.discard_all()
            return True
        return False

    def _ask_leave(self, titles: list[str], can_save: bool) -> str:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Instellingen"))
        box.setText(
            self.tr("U hebt wijzigingen die nog niet zijn opgeslagen: {groups}.").format(
                groups=", ".join(titles)
            )
        )
        if not can_save:
            box.setInformativeText(
                self.tr("Niet alles is geldig; herstel het eerst, of gooi de wijzigingen weg.")
            )
        save = box.addButton(self.tr("Opslaan"), QMessageBox.ButtonRole.AcceptRole)
        save.setVisible(can_save)
        discard = box.addButton(self.tr("Niet opslaan"), QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton(self.tr("Op deze pagina blijven"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save if can_save else stay)
        box.setEscapeButton(stay)
        box.exec()
        clicked = box.clickedButton()
        if clicked is save:
            return SAVE
        if clicked is discard:
            return DISCARD
        return STAY

    # -- folders -----------------------------------------------------------------------------

    def _open(self, which: str) -> None:
        about = self.overview.about if self.overview is not None else None
        path = getattr(about, which, None) if about is not None else None
        if path is None:
            return
        if not self.open_folder(Path(path)):
            self.notice.emit(self.tr("De map {path} kon niet worden geopend.").format(path=path))

    @staticmethod
    def _open_folder(path: Path) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
