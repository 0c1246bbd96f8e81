"""Aansluiten: the impact analysis as a questionnaire, the estimate of costs and benefits, the
two connection variants and the checklist from intention to production.

The answers are typed on the left and the estimate on the right follows them (the service
computes it on a worker thread). The checklist shows per step whether it is done, with the
evidence the console found in its own data, what to do next and a button to the page where
that is done (``openPage``). Steps done outside the console are ticked off here.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.letter import FieldIssue
from console.domain.onboarding import (
    COST_PER_LETTER_EXPLANATION,
    DEFAULT_DIGITAL_SHARE,
    DIGITAL_SHARE_EXPLANATION,
    F_AANDEEL,
    F_BRIEVEN,
    F_INTERMEDIAIR,
    F_JAARLIJKS,
    F_KOSTEN,
    MAX_COST_PER_LETTER,
    ONE_OFF_ITEMS,
    Answers,
    ChecklistStep,
    ConnectionVariant,
    DigidStatus,
    Estimate,
    LetterKind,
    OrganisationType,
    Sender,
    StepState,
    VariantInfo,
    amount_text,
    format_count,
    format_euro,
    format_percent,
    parse_amount,
    parse_count,
    parse_percent,
    phases,
)
from console.ui import theme
from console.ui.empty_state_widget import EmptyStateWidget
from console.ui.form_field import (
    FieldRowWidget,
    card,
    describe_disabled,
    muted,
    notice_box,
    scroll_area,
    show_field_issues,
)
from console.ui.formatting import format_datetime
from console.ui.status_badge import StatusBadgeLabel
from console.ui.tasks import TaskRunner

PREVIEW_DELAY_MS = 150
PAGE_TITLES = {
    "overzicht": "Overzicht",
    "berichten": "Berichten",
    "verzenden": "Verzenden",
    "stromen": "Stromen",
    "organisaties": "Organisaties",
    "certificaten": "Certificaten",
    "aansluiten": "de vragenlijst",
    "instellingen": "Instellingen",
}


def _muted_label(text: str = "", *, small: bool = False) -> QLabel:
    label = muted(QLabel(text), small=small)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _selectable(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _rich() -> QLabel:
    label = _selectable()
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def _html(text: str) -> str:
    """Plain text for a rich-text label; an amount never breaks after the euro sign."""
    return html.escape(text).replace("€ ", "€&nbsp;")


class QuestionRowWidget(QFrame):
    """One question: its title and help on the left and the field (with the message under
    it) on the right; a wide field (a table, a choice) goes under the text instead."""

    def __init__(
        self,
        title: str,
        field: QWidget,
        help_text: str = "",
        *,
        wide: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.title_label = QLabel(title)
        self.title_label.setWordWrap(True)
        self.title_label.setFont(theme.heading_font(self.font(), scale=1.0))
        self.help_label = _muted_label(help_text, small=True)
        self.help_label.setVisible(bool(help_text))
        self.field_row = FieldRowWidget(field)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title_label)
        text.addWidget(self.help_label)
        self.extra = QVBoxLayout()
        text.addLayout(self.extra)
        text.addStretch(1)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 6, 0, 6)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        if wide:
            grid.addLayout(text, 0, 0)
            grid.addWidget(self.field_row, 1, 0)
        else:
            grid.addLayout(text, 0, 0)
            grid.addWidget(self.field_row, 0, 1, Qt.AlignmentFlag.AlignTop)
            grid.setColumnStretch(0, 3)
            grid.setColumnStretch(1, 2)
        field.setAccessibleName(title)
        if help_text and not field.toolTip():
            field.setToolTip(help_text)


class ChecklistStepWidget(QFrame):
    """One step: badge, title, why, the evidence, what to do next, and its buttons."""

    openPage = Signal(str)
    tickChanged = Signal(str, bool)
    runTest = Signal()

    def __init__(
        self, step: ChecklistStep, *, can_test: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.step = step
        self.setObjectName("checklistStep")
        self.setStyleSheet("QFrame#checklistStep { border: none; border-top: 1px solid #E3E6EA; }")
        self.badge = StatusBadgeLabel(self.tr(step.state.label), step.tone)
        self.badge.setMinimumWidth(self.fontMetrics().horizontalAdvance("Geblokkeerd") + 34)
        self.title_label = QLabel(step.title)
        self.title_label.setWordWrap(True)
        self.title_label.setFont(theme.heading_font(self.font(), scale=1.0))
        self.explanation_label = _muted_label(step.explanation, small=True)

        text = QVBoxLayout()
        text.setSpacing(3)
        text.addWidget(self.title_label)
        text.addWidget(self.explanation_label)
        # Evidence of a step that is done; otherwise what the console found so far.
        prefix = self.tr("Bewijs") if step.state is StepState.DONE else self.tr("Gevonden")
        self.evidence_label = _selectable("\n".join(f"{prefix}: {line}" for line in step.evidence))
        self.evidence_label.setAccessibleName(self.tr("Bewijs"))
        if step.state is StepState.DONE:  # what the console found that proves the step
            self.evidence_label.setStyleSheet(f"color: {theme.OK_TEXT};")
        self.evidence_label.setVisible(bool(step.evidence))
        text.addWidget(self.evidence_label)
        mark = step.mark
        self.mark_label = _muted_label(
            self.tr("Afgevinkt door {by} op {at}").format(by=mark.by, at=format_datetime(mark.at))
            + (f": {mark.note}" if mark.note else "")
            if mark is not None
            else ""
        )
        self.mark_label.setVisible(mark is not None)
        text.addWidget(self.mark_label)
        self.problem_label = _selectable(step.problem or "")
        self.problem_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.problem_label.setVisible(bool(step.problem))
        text.addWidget(self.problem_label)
        self.next_label = _selectable(
            self.tr("Volgende stap: {text}").format(text=step.next_step) if step.next_step else ""
        )
        self.next_label.setVisible(bool(step.next_step))
        text.addWidget(self.next_label)

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        self.page_button: QPushButton | None = None
        if (
            step.page is not None and step.state is not StepState.DONE
        ) or step.page == "aansluiten":
            title = PAGE_TITLES.get(step.page or "", step.page or "")
            self.page_button = QPushButton(self.tr("Naar {page}").format(page=title))
            self.page_button.setAccessibleName(
                self.tr("Naar {page} voor: {step}").format(page=title, step=step.title)
            )
            self.page_button.clicked.connect(lambda: self.openPage.emit(step.page or ""))
            buttons.addWidget(self.page_button)
        self.test_button: QPushButton | None = None
        if can_test:
            self.test_button = QPushButton(self.tr("Verbindingstest uitvoeren"))
            self.test_button.clicked.connect(self.runTest)
            buttons.addWidget(self.test_button)
        self.tick_box: QCheckBox | None = None
        if step.tickable:
            self.tick_box = QCheckBox(self.tr("Afgevinkt"))
            self.tick_box.setAccessibleName(self.tr("Afgevinkt: {step}").format(step=step.title))
            self.tick_box.setToolTip(
                self.tr(
                    "Vink af wat buiten de console is gebeurd. De console legt vast wie en wanneer."
                )
            )
            self.tick_box.setChecked(mark is not None)
            self.tick_box.toggled.connect(lambda on: self.tickChanged.emit(step.key, on))
            buttons.addWidget(self.tick_box)
        buttons.addStretch(1)
        text.addLayout(buttons)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 8)
        layout.setSpacing(12)
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)
        self.setAccessibleName(step.title)
        self.setAccessibleDescription(self.tr(step.state.label))


class VariantCardWidget(QFrame):
    """One connection variant: what it is and what it needs; the chosen one stands out."""

    def __init__(self, info: VariantInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setObjectName("variantCard")
        self.title_label = QLabel(info.title)
        self.title_label.setFont(theme.heading_font(self.font(), scale=1.05))
        self.title_label.setWordWrap(True)
        self.badge = StatusBadgeLabel(self.tr("Uw keuze"), "blue")
        summary = QLabel(info.summary)
        summary.setWordWrap(True)
        needs_title = QLabel(self.tr("Wat u nodig hebt:"))
        needs_title.setFont(theme.heading_font(self.font(), scale=0.95))
        needs = QLabel("\n".join(f"•  {n}" for n in info.needs))
        needs.setWordWrap(True)
        needs.setTextFormat(Qt.TextFormat.PlainText)
        role = _muted_label(info.console_role, small=True)
        head = QHBoxLayout()
        head.addWidget(self.title_label, 1)
        head.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(summary)
        layout.addWidget(needs_title)
        layout.addWidget(needs)
        layout.addWidget(role)
        layout.addStretch(1)
        self.setAccessibleName(info.title)
        self.set_chosen(False)

    def set_chosen(self, chosen: bool) -> None:
        self.chosen = chosen
        self.badge.setVisible(chosen)
        border = f"2px solid {theme.ACCENT}" if chosen else "1px solid #DADEE4"
        background = "#F4F8FD" if chosen else "#FFFFFF"
        self.setStyleSheet(
            f"QFrame#variantCard {{ border: {border}; border-radius: 6px;"
            f" background: {background}; }}"
        )
        self.setAccessibleDescription(self.tr("Uw keuze") if chosen else "")


class OnboardingView(QWidget):
    """The Aansluiten page. ``openPage(key)`` asks the window to show another page."""

    notice = Signal(str)
    openPage = Signal(str)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.service: Any = getattr(services, "onboarding", None)
        self.organisations: list[Any] = []
        self.organisation_id: int | None = None
        self.overview: Any = None
        self.estimate: Estimate | None = None
        self.issues: list[FieldIssue] = []
        self.step_widgets: dict[str, ChecklistStepWidget] = {}
        self.dirty = False
        self._drafts: dict[int, dict[str, Any]] = {}  # typed, not saved: the texts as typed
        self._filling = False
        self._loaded = False
        self._wanted: int | None = None
        self._banner_organisation: int | None = None
        self._preview_asked = 0
        self.preview_answered = 0  # tests wait for this to reach the last question
        self.testing = False
        self.last_report: Path | None = None
        # Replaceable in tests: the dialog that asks where to save the report.
        self.choose_report_path: Callable[[str], str | None] = self._choose_report_path
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.run_preview)
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(0)
        self._relayout_timer.timeout.connect(self._relayout)

        self.setAccessibleName(self.tr("Aansluiten"))
        heading = theme.page_heading(self, self.tr("Aansluiten"))
        self.organisation_combo = QComboBox()
        self.organisation_combo.setAccessibleName(self.tr("Organisatie"))
        self.organisation_combo.setToolTip(
            self.tr("De organisatie die aansluit. Elke organisatie heeft haar eigen antwoorden.")
        )
        self.organisation_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.organisation_combo.currentIndexChanged.connect(self._on_organisation_chosen)
        self.export_button = QPushButton(self.tr("Exporteer als verslag…"))
        self.export_button.setToolTip(
            self.tr("De antwoorden, de schatting en de checklist met bewijs, als PDF of tekst")
        )
        self.export_button.clicked.connect(self.export_report)
        self.refresh_button = QPushButton(self.tr("Vernieuwen"))
        self.refresh_button.setToolTip(self.tr("Het bewijs opnieuw ophalen"))
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(QLabel(self.tr("Organisatie:")))
        top.addWidget(self.organisation_combo)
        top.addWidget(self.export_button)
        top.addWidget(self.refresh_button)
        self.intro_label = _muted_label(
            self.tr(
                "Van voornemen tot productie: vul de impactanalyse in, bekijk wat het oplevert, "
                "kies hoe u aansluit en werk de checklist af. Bij elke stap staat het bewijs dat "
                "de console in zijn eigen gegevens vond."
            )
        )
        self.message_label = notice_box("amber")
        self.message_label.setAccessibleName(self.tr("Melding"))

        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(14)
        columns = QHBoxLayout()
        columns.setSpacing(14)
        columns.addWidget(self._build_questionnaire(), 3)
        # The estimate keeps its own height at the top; the rest of the column stays empty.
        estimate_column = QVBoxLayout()
        estimate_column.addWidget(self._build_estimate())
        estimate_column.addStretch(1)
        columns.addLayout(estimate_column, 2)
        body.addLayout(columns)
        body.addWidget(self._build_variants())
        body.addWidget(self._build_checklist())
        body.addStretch(1)
        self.scroll_area = scroll_area(content)
        content.installEventFilter(self)  # see _content_changed

        self.empty_state = EmptyStateWidget()
        self.empty_state.actionTriggered.connect(lambda: self.openPage.emit("organisaties"))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.scroll_area)
        self.stack.addWidget(self.empty_state)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.intro_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.stack, 1)
        if self.service is None:
            self._show_empty(
                self.tr(
                    "Aansluiten is in deze omgeving niet beschikbaar: de console heeft hier geen "
                    "database met organisaties."
                ),
                "",
            )

    # -- building ----------------------------------------------------------------------------

    def _question(
        self, title: str, field: QWidget, help_text: str = "", *, wide: bool = False
    ) -> FieldRowWidget:
        row = QuestionRowWidget(title, field, help_text, wide=wide)
        self.questions.addWidget(row)
        self._form_rows[title] = row
        return row.field_row

    def _build_questionnaire(self) -> QFrame:
        frame, layout = card(
            self.tr("Impactanalyse"),
            self.tr(
                "De vragen uit de impactanalyse van Logius. De antwoorden worden per organisatie "
                "bewaard en zijn later aan te passen."
            ),
        )
        self._form_rows: dict[str, QuestionRowWidget] = {}
        self.rows: dict[str, FieldRowWidget] = {}
        self.questions = QVBoxLayout()
        self.questions.setSpacing(2)

        self.type_combo = QComboBox()
        for kind in OrganisationType:
            self.type_combo.addItem(self.tr(kind.label), kind.value)
        self.type_combo.currentIndexChanged.connect(self._changed)
        self.rows["Soort organisatie"] = self._question(
            self.tr("Soort organisatie"),
            self.type_combo,
            self.tr("Bepaalt welke soorten brieven als voorbeeld in de lijst komen."),
        )

        self.kinds_table = QTableWidget(0, 2)
        self.kinds_table.setHorizontalHeaderLabels(
            [self.tr("Soort brief"), self.tr("Brieven per jaar (op papier)")]
        )
        self.kinds_table.verticalHeader().setVisible(False)
        header = self.kinds_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.kinds_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.kinds_table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.kinds_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.kinds_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.kinds_table.itemChanged.connect(lambda _item: self._changed())
        self.add_kind_button = QPushButton(self.tr("Soort brief toevoegen"))
        self.add_kind_button.clicked.connect(self.add_letter_kind)
        self.remove_kind_button = QPushButton(self.tr("Verwijderen"))
        self.remove_kind_button.setAccessibleName(self.tr("Gekozen soort brief verwijderen"))
        self.remove_kind_button.clicked.connect(self.remove_letter_kind)
        kinds = QWidget()
        kinds_layout = QVBoxLayout(kinds)
        kinds_layout.setContentsMargins(0, 0, 0, 0)
        kinds_layout.setSpacing(4)
        kinds_layout.addWidget(self.kinds_table)
        kinds_buttons = QHBoxLayout()
        kinds_buttons.addWidget(self.add_kind_button)
        kinds_buttons.addWidget(self.remove_kind_button)
        kinds_buttons.addStretch(1)
        kinds_layout.addLayout(kinds_buttons)
        self.rows[F_BRIEVEN] = self._question(
            self.tr("Brieven per jaar"),
            kinds,
            self.tr(
                "Elke soort brief die u nu op papier verstuurt, met het aantal per jaar. Dubbelklik "
                "een cel om te wijzigen."
            ),
            wide=True,
        )
        self.kinds_table.setAccessibleName(self.tr("Brieven per jaar"))

        self.share_edit = QLineEdit()
        self.share_edit.setPlaceholderText(self.tr("bijvoorbeeld 25"))
        self.share_edit.setMaximumWidth(self.fontMetrics().averageCharWidth() * 14)
        self.share_edit.textEdited.connect(lambda _t: self._changed())
        self.share_default_button = QPushButton(
            self.tr("Standaard ({value})").format(value=format_percent(DEFAULT_DIGITAL_SHARE))
        )
        self.share_default_button.setToolTip(self.tr("Zet de aanname van de console terug"))
        self.share_default_button.clicked.connect(self.reset_share)
        share = QWidget()
        share_layout = QHBoxLayout(share)
        share_layout.setContentsMargins(0, 0, 0, 0)
        share_layout.addWidget(self.share_edit)
        share_layout.addWidget(QLabel("%"))
        share_layout.addWidget(self.share_default_button)
        share_layout.addStretch(1)
        self.rows[F_AANDEEL] = self._question(
            self.tr("Aandeel digitaal"), share, self.tr(DIGITAL_SHARE_EXPLANATION)
        )
        self.share_edit.setAccessibleName(self.tr("Aandeel digitaal in procenten"))
        self.share_hint_label = _muted_label(small=True)
        self.share_hint_label.setVisible(False)
        self._form_rows[self.tr("Aandeel digitaal")].extra.addWidget(self.share_hint_label)

        self.cost_edit = self._money_edit()
        self.rows[F_KOSTEN] = self._question(
            self.tr("Kosten per brief (€)"),
            self.cost_edit,
            self.tr(COST_PER_LETTER_EXPLANATION),
        )

        self.variant_group = QButtonGroup(self)
        self.variant_buttons: dict[ConnectionVariant, QRadioButton] = {}
        variants = QWidget()
        variants_layout = QVBoxLayout(variants)
        variants_layout.setContentsMargins(0, 0, 0, 0)
        for variant in ConnectionVariant:
            button = QRadioButton(self.tr(variant.label))
            self.variant_group.addButton(button)
            self.variant_buttons[variant] = button
            variants_layout.addWidget(button)
            button.toggled.connect(lambda on: self._changed() if on else None)
        self.rows["Aansluitvariant"] = self._question(
            self.tr("Aansluitvariant"),
            variants,
            self.tr("Wat elke variant vraagt, staat onder de schatting."),
            wide=True,
        )

        self.sender_group = QButtonGroup(self)
        self.sender_buttons: dict[Sender, QRadioButton] = {}
        senders = QWidget()
        senders_layout = QVBoxLayout(senders)
        senders_layout.setContentsMargins(0, 0, 0, 0)
        for sender in Sender:
            button = QRadioButton(self.tr(sender.label))
            self.sender_group.addButton(button)
            self.sender_buttons[sender] = button
            senders_layout.addWidget(button)
            button.toggled.connect(lambda on: self._changed() if on else None)
        self.rows["Verzending"] = self._question(
            self.tr("Wie verstuurt"),
            senders,
            self.tr(
                "Verstuurt een leverancier met andere software, dan heeft de console geen bewijs "
                "van de testberichten en vinkt u die stappen zelf af."
            ),
            wide=True,
        )

        self.digid_combo = QComboBox()
        for status in DigidStatus:
            self.digid_combo.addItem(self.tr(status.label), status.value)
        self.digid_combo.currentIndexChanged.connect(self._changed)
        self.rows["DigiD"] = self._question(
            self.tr("Al aangesloten op DigiD"),
            self.digid_combo,
            self.tr(
                "Burgers openen de Berichtenbox met DigiD; aansluiten kost minstens een maand."
            ),
        )

        self.intermediary_edit = self._money_edit()
        self.rows[F_INTERMEDIAIR] = self._question(
            self.tr("Intermediair per bericht (€)"),
            self.intermediary_edit,
            self.tr("Het tarief van uw intermediair per digitaal bericht, als dat er is."),
        )
        self.yearly_edit = self._money_edit()
        self.rows[F_JAARLIJKS] = self._question(
            self.tr("Vaste kosten per jaar (€)"),
            self.yearly_edit,
            self.tr("Certificaat vernieuwen, licenties, beheer: wat u zelf verwacht."),
        )

        one_off_title = QLabel(self.tr("Eenmalige kosten (€)"))
        one_off_title.setFont(theme.heading_font(self.font(), scale=1.1))
        one_off_title.setContentsMargins(0, 10, 0, 0)
        self.questions.addWidget(one_off_title)
        self.questions.addWidget(
            _muted_label(
                self.tr(
                    "Vul in wat u weet; een lege post telt als € 0 en staat in de schatting als "
                    "nog in te vullen. De console kent geen prijzen van Logius of leveranciers."
                ),
                small=True,
            )
        )
        self.one_off_edits: dict[str, QLineEdit] = {}
        for item in ONE_OFF_ITEMS:
            edit = self._money_edit()
            self.one_off_edits[item.key] = edit
            self.rows[item.title] = self._question(self.tr(item.title), edit, "")
            edit.setToolTip(self.tr(item.assumption))

        self.general_label = QLabel("")
        self.general_label.setWordWrap(True)
        self.general_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.general_label.setVisible(False)
        self.save_button = QPushButton(self.tr("Antwoorden opslaan"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        self.saved_label = _muted_label()
        self.saved_label.setAccessibleName(self.tr("Opgeslagen"))
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.saved_label, 1)
        layout.addLayout(self.questions)
        layout.addWidget(self.general_label)
        layout.addLayout(save_row)
        return frame

    def _money_edit(self) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(self.tr("bedrag"))
        edit.setMaximumWidth(self.fontMetrics().averageCharWidth() * 18)
        edit.textEdited.connect(lambda _t: self._changed())
        return edit

    def _build_estimate(self) -> QFrame:
        frame, layout = card(
            self.tr("Schatting van kosten en baten"),
            self.tr("Rekent mee terwijl u typt. Elke aanname staat erbij."),
        )
        self.estimate_labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(2)
        tiles = (
            ("digital", self.tr("digitaal per jaar")),
            ("paper", self.tr("op papier per jaar")),
            ("saving", self.tr("besparing per jaar")),
            ("net", self.tr("netto per jaar")),
            ("one_off", self.tr("eenmalig (ingevuld)")),
            ("payback", self.tr("terugverdientijd")),
        )
        for n, (key, caption) in enumerate(tiles):
            value = QLabel("–")
            value.setFont(theme.heading_font(self.font(), scale=1.35))
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(caption)
            self.estimate_labels[key] = value
            cell = QVBoxLayout()
            cell.setSpacing(0)
            cell.addWidget(value)
            caption_label = _muted_label(caption, small=True)
            caption_label.setWordWrap(False)
            cell.addWidget(caption_label)
            grid.addLayout(cell, n // 2, n % 2)
        layout.addLayout(grid)
        self.monthly_label = _muted_label()
        self.monthly_label.setAccessibleName(self.tr("Per maand"))
        layout.addWidget(self.monthly_label)
        self.payback_label = _selectable()
        layout.addWidget(self.payback_label)

        self.kinds_estimate_label = _rich()
        self.kinds_estimate_label.setAccessibleName(self.tr("Per soort brief"))
        layout.addWidget(self._subheading(self.tr("Per soort brief")))
        layout.addWidget(self.kinds_estimate_label)
        layout.addWidget(self._subheading(self.tr("Kosten per jaar")))
        self.recurring_label = _rich()
        layout.addWidget(self.recurring_label)
        layout.addWidget(self._subheading(self.tr("Eenmalige inspanning")))
        self.one_off_label = _rich()
        self.one_off_label.setAccessibleName(self.tr("Eenmalige inspanning"))
        layout.addWidget(self.one_off_label)
        layout.addWidget(self._subheading(self.tr("Aannames")))
        self.assumptions_label = _muted_label(small=True)
        self.assumptions_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.assumptions_label)
        self.missing_label = notice_box("amber")
        self.missing_label.setAccessibleName(self.tr("Nog in te vullen"))
        layout.addWidget(self.missing_label)
        return frame

    def _subheading(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setFont(theme.heading_font(self.font(), scale=1.0))
        return label

    def _build_variants(self) -> QFrame:
        frame, layout = card(
            self.tr("Aansluitvarianten"),
            self.tr("Twee manieren om aan te sluiten. Uw keuze in de impactanalyse is omlijnd."),
        )
        row = QHBoxLayout()
        row.setSpacing(12)
        from console.domain.onboarding import NOTES, VARIANTS

        self.variant_cards: dict[ConnectionVariant, VariantCardWidget] = {}
        for info in VARIANTS:
            widget = VariantCardWidget(info)
            self.variant_cards[info.variant] = widget
            row.addWidget(widget, 1)
        layout.addLayout(row)
        self.notes_label = notice_box("amber")
        self.notes_label.setText("\n\n".join(NOTES))
        self.notes_label.setVisible(True)
        self.notes_label.setAccessibleName(self.tr("Let op"))
        layout.addWidget(self.notes_label)
        return frame

    def _build_checklist(self) -> QFrame:
        frame, layout = card(
            self.tr("Checklist: van voornemen tot productie"),
            self.tr(
                "Gedaan betekent: de console vond het bewijs in zijn eigen gegevens, of u hebt een "
                "stap afgevinkt die buiten de console gebeurt (met wie en wanneer). Geblokkeerd: "
                "er is eerst iets anders nodig, of het bewijs toont een probleem."
            ),
        )
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Voortgang van de checklist"))
        self.progress.setTextVisible(True)
        self.next_open_label = _selectable()
        self.next_open_label.setFont(theme.heading_font(self.font(), scale=1.0, bold=False))
        self.test_message = _selectable()
        self.test_message.setVisible(False)
        self.steps_box = QVBoxLayout()
        self.steps_box.setSpacing(0)
        layout.addWidget(self.progress)
        layout.addWidget(self.next_open_label)
        layout.addWidget(self.test_message)
        layout.addLayout(self.steps_box)
        return frame

    # -- loading -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.refresh()

    def set_organisation(self, organisation_id: int | None) -> None:
        """Show this organisation (the one chosen in the banner), once the list is there."""
        if organisation_id is None or organisation_id == self._banner_organisation:
            return  # only a change in the banner moves the page; the combo choice stays
        self._banner_organisation = organisation_id
        self._wanted = organisation_id
        index = self.organisation_combo.findData(organisation_id)
        if index >= 0 and index != self.organisation_combo.currentIndex():
            self.organisation_combo.setCurrentIndex(index)

    def refresh(self) -> None:
        if self.service is None:
            return
        self._loaded = True
        self._keep_draft()  # what is typed and not saved comes back after the reload
        wanted = self.organisation_id or self._wanted
        self.runner.run(
            self._load,
            wanted,
            on_done=self._loaded_data,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    def _load(self, wanted: int | None) -> tuple[list[Any], Any]:
        organisations = self.service.organisations()
        if not organisations:
            return organisations, None
        ids = [o.id for o in organisations]
        org_id = wanted if wanted in ids else ids[0]
        return organisations, self.service.overview(org_id)

    def _loaded_data(self, data: tuple[list[Any], Any]) -> None:
        organisations, overview = data
        self.organisations = organisations
        if overview is None:
            self._show_empty(
                self.tr(
                    "Er is nog geen organisatie. Voeg eerst uw organisatie toe bij Organisaties; "
                    "daarna vult u hier de impactanalyse in."
                ),
                self.tr("Naar Organisaties"),
            )
            return
        self.stack.setCurrentWidget(self.scroll_area)
        self.organisation_combo.blockSignals(True)
        self.organisation_combo.clear()
        for o in organisations:
            self.organisation_combo.addItem(f"{o.name} ({o.oin})", o.id)
        self.organisation_combo.setCurrentIndex(
            self.organisation_combo.findData(overview.organisation.id)
        )
        self.organisation_combo.blockSignals(False)
        self._show_overview(overview)

    def _show_empty(self, text: str, action: str) -> None:
        self.empty_state.set_content(text, action)
        self.stack.setCurrentWidget(self.empty_state)
        self.export_button.setEnabled(False)
        self.organisation_combo.setEnabled(False)

    def _failed(self, exc: BaseException) -> None:
        self.message_label.setText(str(exc))
        self.message_label.setVisible(True)

    def _on_organisation_chosen(self, _index: int) -> None:
        org_id = self.organisation_combo.currentData()
        if org_id is None or org_id == self.organisation_id:
            return
        self._keep_draft()
        self.organisation_id = None
        self._wanted = int(org_id)
        self.refresh()

    def _keep_draft(self) -> None:
        """Typed but unsaved answers stay for this session when another organisation is shown."""
        if self.organisation_id is not None and self.dirty:
            self._drafts[self.organisation_id] = self._form_texts()

    def _show_overview(self, overview: Any) -> None:
        self.overview = overview
        self.organisation_id = overview.organisation.id
        self.export_button.setEnabled(True)
        self.organisation_combo.setEnabled(True)
        self.message_label.setVisible(False)
        draft = self._drafts.pop(overview.organisation.id, None)
        self.fill(overview.answers.answers)
        if draft is not None:
            self._restore_texts(draft)
        self.dirty = draft is not None
        self._show_saved(overview.answers)
        hint = overview.share_hint
        self.share_hint_label.setText(hint or "")
        self.share_hint_label.setVisible(bool(hint))
        self._show_estimate(overview.estimate)
        self._show_issues(list(overview.issues), [])
        self._show_checklist(overview.checklist)
        if draft is not None:
            self.run_preview()

    def _show_saved(self, saved: Any) -> None:
        if self.dirty:
            self.saved_label.setText(self.tr("Niet opgeslagen wijzigingen."))
            self.saved_label.setStyleSheet(f"color: {theme.WARNING_TEXT};")
        elif saved.saved:
            self.saved_label.setText(
                self.tr("Opgeslagen door {by} op {at}.").format(
                    by=saved.saved_by, at=format_datetime(saved.saved_at)
                )
            )
            self.saved_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        else:
            self.saved_label.setText(
                self.tr("Nog niet opgeslagen: dit zijn de beginwaarden van de console.")
            )
            self.saved_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")

    # -- the form ----------------------------------------------------------------------------

    def fill(self, answers: Answers) -> None:
        self._filling = True
        try:
            self.type_combo.setCurrentIndex(
                self.type_combo.findData(answers.organisation_type.value)
            )
            self.kinds_table.setRowCount(0)
            for kind in answers.letter_kinds:
                self._append_kind(kind.name, format_count(kind.letters_per_year))
            self._fit_table()
            self.share_edit.setText(amount_text(answers.digital_share_percent))
            self.cost_edit.setText(amount_text(answers.cost_per_letter))
            self.variant_buttons[answers.variant].setChecked(True)
            self.sender_buttons[answers.sender].setChecked(True)
            self.digid_combo.setCurrentIndex(self.digid_combo.findData(answers.digid.value))
            self.intermediary_edit.setText(amount_text(answers.intermediary_cost_per_letter))
            self.yearly_edit.setText(amount_text(answers.yearly_costs))
            for key, edit in self.one_off_edits.items():
                edit.setText(amount_text(answers.one_off(key)))
        finally:
            self._filling = False
        self._show_variant(answers.variant)
        self._update_visibility()

    def _form_texts(self) -> dict[str, Any]:
        """Everything in the form exactly as typed, also what cannot be read yet."""
        return {
            "type": self.type_combo.currentIndex(),
            "kinds": [
                (self._cell(row, 0), self._cell(row, 1))
                for row in range(self.kinds_table.rowCount())
            ],
            "share": self.share_edit.text(),
            "cost": self.cost_edit.text(),
            "variant": next(v for v, b in self.variant_buttons.items() if b.isChecked()),
            "sender": next(x for x, b in self.sender_buttons.items() if b.isChecked()),
            "digid": self.digid_combo.currentIndex(),
            "intermediary": self.intermediary_edit.text(),
            "yearly": self.yearly_edit.text(),
            "one_off": {k: e.text() for k, e in self.one_off_edits.items()},
        }

    def _restore_texts(self, texts: dict[str, Any]) -> None:
        self._filling = True
        try:
            self.type_combo.setCurrentIndex(texts["type"])
            self.kinds_table.setRowCount(0)
            for name, count in texts["kinds"]:
                self._append_kind(name, count)
            self._fit_table()
            self.share_edit.setText(texts["share"])
            self.cost_edit.setText(texts["cost"])
            self.variant_buttons[texts["variant"]].setChecked(True)
            self.sender_buttons[texts["sender"]].setChecked(True)
            self.digid_combo.setCurrentIndex(texts["digid"])
            self.intermediary_edit.setText(texts["intermediary"])
            self.yearly_edit.setText(texts["yearly"])
            for key, text in texts["one_off"].items():
                self.one_off_edits[key].setText(text)
        finally:
            self._filling = False
        self._show_variant(texts["variant"])
        self._update_visibility()

    def _append_kind(self, name: str, count: str) -> None:
        row = self.kinds_table.rowCount()
        self.kinds_table.insertRow(row)
        self.kinds_table.setItem(row, 0, QTableWidgetItem(name))
        count_item = QTableWidgetItem(count)
        count_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.kinds_table.setItem(row, 1, count_item)

    def _fit_table(self) -> None:
        rows = max(self.kinds_table.rowCount(), 1)
        visible = min(rows, 8)
        height = self.kinds_table.horizontalHeader().sizeHint().height() + 4
        row_height = self.kinds_table.verticalHeader().defaultSectionSize()
        self.kinds_table.setFixedHeight(height + visible * row_height)
        self.remove_kind_button.setEnabled(self.kinds_table.rowCount() > 0)

    def add_letter_kind(self) -> None:
        self._filling = True
        try:
            self._append_kind("", "0")
        finally:
            self._filling = False
        self._fit_table()
        row = self.kinds_table.rowCount() - 1
        self.kinds_table.setCurrentCell(row, 0)
        self.kinds_table.setFocus()
        item = self.kinds_table.item(row, 0)
        if item is not None:
            self.kinds_table.editItem(item)
        self._changed()

    def remove_letter_kind(self) -> None:
        row = self.kinds_table.currentRow()
        if row < 0:
            row = self.kinds_table.rowCount() - 1
        if row < 0:
            return
        self.kinds_table.removeRow(row)
        self._fit_table()
        self._changed()

    def reset_share(self) -> None:
        self.share_edit.setText(amount_text(DEFAULT_DIGITAL_SHARE))
        self._changed()

    def _cell(self, row: int, column: int) -> str:
        item = self.kinds_table.item(row, column)
        return item.text() if item is not None else ""

    def collect(self) -> tuple[Answers, list[FieldIssue]]:
        """The answers as typed, and what cannot be read (per field). Unreadable values count
        as empty, so the estimate still shows what it can."""
        problems: list[FieldIssue] = []
        kinds: list[LetterKind] = []
        for row in range(self.kinds_table.rowCount()):
            name = self._cell(row, 0).strip()
            count = parse_count(self._cell(row, 1), f"Regel {row + 1} ({name or 'zonder naam'})")
            if isinstance(count, str):
                problems.append(FieldIssue(F_BRIEVEN, count))
                count = 0
            kinds.append(LetterKind(name, count))

        def money(edit: QLineEdit, field: str, maximum: Decimal | None = None) -> Decimal | None:
            value = (
                parse_amount(edit.text(), field, maximum=maximum)
                if maximum is not None
                else parse_amount(edit.text(), field)
            )
            if isinstance(value, str):
                problems.append(FieldIssue(field, value))
                return None
            return value

        share = parse_percent(self.share_edit.text())
        if isinstance(share, str):
            problems.append(FieldIssue(F_AANDEEL, share))
            share = None
        elif share is None:
            problems.append(
                FieldIssue(
                    F_AANDEEL,
                    "Vul het aandeel digitaal in, van 0 tot 100 %. Met Standaard zet u de "
                    "aanname van de console terug.",
                )
            )
        one_off: list[tuple[str, Decimal]] = []
        for item in ONE_OFF_ITEMS:
            value = money(self.one_off_edits[item.key], item.title)
            if value is not None:
                one_off.append((item.key, value))
        variant = next(
            (v for v, b in self.variant_buttons.items() if b.isChecked()), ConnectionVariant.EIGEN
        )
        sender = next((s for s, b in self.sender_buttons.items() if b.isChecked()), Sender.CONSOLE)
        answers = Answers(
            organisation_type=OrganisationType(self.type_combo.currentData() or "overig"),
            letter_kinds=tuple(kinds),
            digital_share_percent=share if share is not None else DEFAULT_DIGITAL_SHARE,
            cost_per_letter=money(self.cost_edit, F_KOSTEN, MAX_COST_PER_LETTER),
            variant=variant,
            sender=sender,
            digid=DigidStatus(self.digid_combo.currentData() or "onbekend"),
            intermediary_cost_per_letter=money(
                self.intermediary_edit, F_INTERMEDIAIR, MAX_COST_PER_LETTER
            ),
            yearly_costs=money(self.yearly_edit, F_JAARLIJKS),
            one_off_costs=tuple(one_off),
        )
        return answers, problems

    def _changed(self, *_args: object) -> None:
        if self._filling or self.organisation_id is None:
            return
        self.dirty = True
        self.saved_label.setText(self.tr("Niet opgeslagen wijzigingen."))
        self.saved_label.setStyleSheet(f"color: {theme.WARNING_TEXT};")
        variant = next(
            (v for v, b in self.variant_buttons.items() if b.isChecked()), ConnectionVariant.EIGEN
        )
        self._show_variant(variant)
        self._update_visibility()
        self._preview_timer.start()

    def _update_visibility(self) -> None:
        intermediary = self.variant_buttons[ConnectionVariant.INTERMEDIAIR].isChecked()
        digid_yes = self.digid_combo.currentData() == DigidStatus.JA.value
        answers = Answers(
            variant=ConnectionVariant.INTERMEDIAIR if intermediary else ConnectionVariant.EIGEN,
            digid=DigidStatus.JA if digid_yes else DigidStatus.ONBEKEND,
        )
        self._form_rows[self.tr("Intermediair per bericht (€)")].setVisible(intermediary)
        for item in ONE_OFF_ITEMS:
            self._form_rows[self.tr(item.title)].setVisible(item.applies(answers))
        self._content_changed()

    def _show_variant(self, variant: ConnectionVariant) -> None:
        for key, widget in self.variant_cards.items():
            widget.set_chosen(key is variant)

    @property
    def preview_settled(self) -> bool:
        return not self._preview_timer.isActive() and self.preview_answered == self._preview_asked

    def run_preview(self) -> None:
        if self.service is None:
            return
        self._preview_timer.stop()
        answers, problems = self.collect()
        self._preview_asked += 1
        number = self._preview_asked

        def done(preview: Any) -> None:
            if number != self._preview_asked:
                return  # an answer to an older question
            self.preview_answered = number
            self._show_estimate(preview.estimate)
            self._show_issues(list(preview.issues), problems)

        self.runner.run(
            self.service.preview, answers, on_done=done, on_error=self._failed, owner=self
        )

    def _show_issues(self, issues: list[FieldIssue], problems: list[FieldIssue]) -> None:
        unreadable = {p.field for p in problems}
        shown = problems + [i for i in issues if i.field not in unreadable]
        self.issues = shown
        show_field_issues(self.rows, shown, self.general_label)
        reason = describe_disabled(shown, self.tr("De impactanalyse"))
        self.save_button.setEnabled(not reason)
        self.save_button.setToolTip(reason)
        self.save_button.setAccessibleDescription(reason)
        self._content_changed()

    def save(self) -> None:
        if self.organisation_id is None or self.service is None:
            return
        answers, problems = self.collect()
        if any(p.blocking for p in problems):
            self._show_issues([], problems)
            return
        self.save_button.setEnabled(False)
        org_id = self.organisation_id
        self.runner.run(
            self.service.save_answers,
            org_id,
            answers,
            on_done=lambda saved: self._saved(org_id, saved),
            on_error=self._save_failed,
            lane="db",
            owner=self,
        )

    def _saved(self, organisation_id: int, saved: Any) -> None:
        if organisation_id != self.organisation_id:
            return
        self.dirty = self.collect()[0] != saved.answers  # typed on while it was being saved
        self._show_saved(saved)
        self.notice.emit(self.tr("De impactanalyse is opgeslagen."))
        self.refresh()

    def _save_failed(self, exc: BaseException) -> None:
        issues = list(getattr(exc, "issues", []) or [])
        if issues:
            self._show_issues(issues, [])
        else:
            self.general_label.setText(str(exc))
            self.general_label.setVisible(True)
            self.save_button.setEnabled(True)

    # -- the estimate ------------------------------------------------------------------------

    def _show_estimate(self, e: Estimate) -> None:
        self.estimate = e
        labels = self.estimate_labels
        labels["digital"].setText(format_count(e.digital_per_year))
        labels["paper"].setText(format_count(e.paper_per_year))
        labels["saving"].setText(
            format_euro(e.gross_saving_per_year) if e.gross_saving_per_year is not None else "–"
        )
        labels["net"].setText(
            format_euro(e.net_saving_per_year) if e.net_saving_per_year is not None else "–"
        )
        labels["one_off"].setText(format_euro(e.one_off_total))
        months = e.payback_months
        labels["payback"].setText(
            "–"
            if months is None
            else self.tr("{n} maand").format(n=months)
            if months == 1
            else self.tr("{n} maanden").format(n=months)
        )
        self.payback_label.setText(e.payback_text)
        self.monthly_label.setText(
            self.tr(
                "Van {total} brieven per jaar ({share} digitaal). Voor het aanvraagformulier: "
                "{month} brieven per maand, waarvan naar verwachting {digital} digitaal."
            ).format(
                total=format_count(e.letters_per_year),
                share=format_percent(e.digital_share_percent),
                month=format_count(e.letters_per_month),
                digital=format_count(e.digital_per_month),
            )
        )
        muted_style = f"color: {theme.MUTED_TEXT}; font-size: small;"

        def money(amount: Decimal | None) -> str:
            if amount is None:
                return f'<span style="{muted_style}">{self.tr("niet ingevuld")}</span>'
            return f"<b>{_html(format_euro(amount))}</b>"

        kinds = [
            self.tr("{name}: {digital} van {total} digitaal{saving}").format(
                name=_html(k.name or self.tr("(zonder naam)")),
                digital=f"<b>{format_count(k.digital_per_year)}</b>",
                total=format_count(k.letters_per_year),
                saving=f" ({_html(format_euro(k.saving_per_year))})"
                if k.saving_per_year is not None
                else "",
            )
            for k in e.kinds
        ]
        self.kinds_estimate_label.setText(
            "<br/>".join(kinds) or _html(self.tr("Nog geen soorten brieven."))
        )
        self.recurring_label.setText(
            "".join(
                f'<p style="margin: 0 0 6px 0">{_html(i.title)}: {money(i.amount)}<br/>'
                f'<span style="{muted_style}">{_html(i.assumption)}</span></p>'
                for i in e.recurring_items
            )
        )
        self.one_off_label.setText(
            "".join(
                f'<p style="margin: 0 0 6px 0">{_html(i.title)}: {money(i.amount)}<br/>'
                f'<span style="{muted_style}">{_html(i.assumption)}</span></p>'
                for i in e.one_off_items
            )
        )
        self.assumptions_label.setText("\n".join(f"•  {a}" for a in e.assumptions))
        self.missing_label.setText("\n".join(e.missing))
        self.missing_label.setVisible(bool(e.missing))
        self._content_changed()

    # -- the checklist -----------------------------------------------------------------------

    def _show_checklist(self, checklist: Any) -> None:
        while self.steps_box.count():
            item = self.steps_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.step_widgets = {}
        self.progress.setRange(0, max(checklist.total, 1))
        self.progress.setValue(checklist.done)
        self.progress.setFormat(
            self.tr("{done} van {total} stappen gedaan").format(
                done=checklist.done, total=checklist.total
            )
        )
        upcoming = checklist.next_open
        self.next_open_label.setText(
            self.tr("Nu aan de beurt: {title}").format(title=upcoming.title)
            if upcoming is not None
            else self.tr("Er is geen open stap: alles is gedaan of wacht op een eerdere stap.")
        )
        target = self.overview.connection_test_target if self.overview is not None else None
        for phase, steps in phases(checklist):
            title = QLabel(self.tr(phase.label))
            title.setFont(theme.heading_font(self.font(), scale=1.1))
            title.setContentsMargins(0, 10, 0, 2)
            self.steps_box.addWidget(title)
            for step in steps:
                can_test = (
                    step.key == "verbindingstest_preprod"
                    and target is not None
                    and step.state is not StepState.DONE
                    and getattr(self.services, "connection_test", None) is not None
                )
                widget = ChecklistStepWidget(step, can_test=can_test)
                widget.openPage.connect(self._open_page)
                widget.tickChanged.connect(self.set_tick)
                widget.runTest.connect(self.run_connection_test)
                if widget.test_button is not None and target is not None:
                    widget.test_button.setToolTip(
                        self.tr("Test koppeling {name}").format(name=target.name)
                    )
                    widget.test_button.setEnabled(not self.testing)
                self.step_widgets[step.key] = widget
                self.steps_box.addWidget(widget)
        self._content_changed()

    def _content_changed(self) -> None:
        """Let the scroll area size the page again. Texts and step rows change after the page
        is shown, and new rows become visible only on the next turn of the event loop; the
        scroll area does not always hear of the new height by itself, and the rows would then
        be squeezed. So it is asked once more, after those rows are shown."""
        self._relayout_timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.scroll_area.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._relayout_timer.start()
        return super().eventFilter(watched, event)

    def _relayout(self) -> None:
        # Setting the property again makes the scroll area size its widget right away.
        self.scroll_area.setWidgetResizable(True)

    def _open_page(self, key: str) -> None:
        if key == "aansluiten":
            self.scroll_area.verticalScrollBar().setValue(0)
            self.type_combo.setFocus()
            return
        self.openPage.emit(key)

    def set_tick(self, step: str, done: bool) -> None:
        if self.organisation_id is None or self.service is None:
            return
        self.runner.run(
            self.service.set_manual,
            self.organisation_id,
            step,
            done,
            on_done=self._ticked,
            on_error=self._tick_failed,
            lane="db",
            owner=self,
        )

    def _ticked(self, checklist: Any) -> None:
        self._show_checklist(checklist)

    def _tick_failed(self, exc: BaseException) -> None:
        self._failed(exc)
        self.refresh()

    def run_connection_test(self) -> None:
        if self.organisation_id is None or self.service is None or self.testing:
            return
        self.testing = True
        for widget in self.step_widgets.values():
            if widget.test_button is not None:
                widget.test_button.setEnabled(False)
        self.test_message.setText(self.tr("De verbindingstest loopt…"))
        self.test_message.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.test_message.setVisible(True)
        self.runner.run(
            self.service.run_connection_test,
            self.organisation_id,
            on_done=self._tested,
            on_error=self._test_failed,
            lane="io",
            owner=self,
        )

    def _tested(self, result: Any) -> None:
        self.testing = False
        colour = theme.OK_TEXT if result.ok else theme.ERROR_TEXT
        self.test_message.setStyleSheet(f"color: {colour}; font-weight: 600;")
        self.test_message.setText(
            self.tr("Verbindingstest van {name}: {summary}").format(
                name=result.connection_name, summary=result.summary
            )
        )
        self.notice.emit(result.summary)
        self.refresh()

    def _test_failed(self, exc: BaseException) -> None:
        self.testing = False
        self.test_message.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.test_message.setText(str(exc))
        self.refresh()

    # -- the report --------------------------------------------------------------------------

    def _choose_report_path(self, suggested: str) -> str | None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Verslag opslaan"),
            suggested,
            self.tr("PDF (*.pdf);;Tekst (*.txt)"),
        )
        return path or None

    def export_report(self) -> None:
        if self.organisation_id is None or self.service is None or self.overview is None:
            return
        name = "".join(
            c if c.isalnum() else "-" for c in self.overview.organisation.name.lower()
        ).strip("-")
        chosen = self.choose_report_path(f"aansluiten-{name}.pdf")
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() not in (".pdf", ".txt"):
            path = path.with_suffix(".pdf")
        if self.dirty:
            self.message_label.setText(
                self.tr(
                    "Let op: het verslag bevat de opgeslagen antwoorden, niet de wijzigingen die u "
                    "nog niet hebt opgeslagen."
                )
            )
            self.message_label.setVisible(True)
        self.export_button.setEnabled(False)
        self.runner.run(
            self.service.export_report,
            self.organisation_id,
            path,
            on_done=self._exported,
            on_error=self._export_failed,
            lane="io",
            owner=self,
        )

    def _exported(self, path: Path) -> None:
        self.export_button.setEnabled(True)
        self.last_report = path
        self.notice.emit(self.tr("Verslag opgeslagen in {path}.").format(path=path))

    def _export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        self._failed(exc)
