"""The detail pane of the message log: what happened to one letter, in plain Dutch first.

Order on screen: status badge and subject; the explanation with the original code small beside
it; what to do next; the identifiers (copyable); and the timeline, where every step that has a
raw exchange gets a "Toon XML" button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.services.dto import LetterDetail, LetterRow, TimelineEntry
from console.ui import theme
from console.ui.copyable_field import CopyableField
from console.ui.form_field import scroll_area
from console.ui.formatting import format_datetime, format_datetime_seconds
from console.ui.status_badge import StatusBadgeLabel

MAX_MESSAGE_IDS = 4


def _muted(label: QLabel, *, small: bool = False) -> QLabel:
    label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
    if small:
        label.setFont(theme.small_font(label.font()))
    return label


def _clear_layout(layout: QGridLayout | QVBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.hide()
            widget.deleteLater()


class LetterDetailWidget(QFrame):
    """Shows one letter. ``show_row`` fills what the list already knows; ``show_detail`` the rest."""

    #: The user wants the raw XML of a timeline step: (raw_ref, step title).
    rawRequested = Signal(int, str)
    #: The user wants to see this letter's BSN in full (asks a reason first).
    revealRequested = Signal(int)
    #: The user wants the evidence pack (PDF and raw exchanges) of this letter.
    evidenceRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.setAccessibleName(self.tr("Details van het bericht"))
        self.letter_id: int | None = None
        self.detail: LetterDetail | None = None
        self._timeline: tuple[TimelineEntry, ...] | None = None

        self._stack = QStackedWidget()
        self.empty_label = _muted(
            QLabel(self.tr("Kies een bericht in de lijst om de details te zien."))
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self._stack.addWidget(self.empty_label)

        content = QWidget()
        content.setObjectName("detailContent")
        content.setStyleSheet("QWidget#detailContent { background: transparent; }")
        scroll = scroll_area(content)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields, not the frame
        scroll.viewport().setObjectName("detailViewport")
        scroll.viewport().setStyleSheet("QWidget#detailViewport { background: transparent; }")
        self._stack.addWidget(scroll)

        # -- left: status, explanation, next step, identifiers --
        self.status_badge = StatusBadgeLabel()
        self.subject_label = QLabel()
        self.subject_label.setFont(theme.heading_font(self.font(), scale=1.15))
        self.subject_label.setWordWrap(True)
        self.subject_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subject_label.setAccessibleName(self.tr("Onderwerp"))
        head = QHBoxLayout()
        head.setSpacing(10)
        head.addWidget(self.status_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.subject_label, 1)

        self.explanation_label = QLabel()
        self.explanation_label.setWordWrap(True)
        self.explanation_label.setAccessibleName(self.tr("Uitleg"))
        self.explanation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_field = CopyableField(self.tr("Verwerkingscode"), monospace=True, small=True)
        self.code_field.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        explanation = QHBoxLayout()
        explanation.setSpacing(12)
        explanation.addWidget(self.explanation_label, 1)
        explanation.addWidget(self.code_field, 0, Qt.AlignmentFlag.AlignTop)

        self.next_step_label = QLabel()
        self.next_step_label.setWordWrap(True)
        self.next_step_label.setAccessibleName(self.tr("Wat nu"))
        self.next_step_label.setTextFormat(Qt.TextFormat.RichText)

        self.bericht_id_field = CopyableField(self.tr("BerichtID"), monospace=True)
        self.batch_id_field = CopyableField(self.tr("BatchID"), monospace=True)
        self.referentie_field = CopyableField(self.tr("Referentie"))
        self._message_id_fields: list[CopyableField] = []
        self.facts_label = _muted(QLabel())
        self.facts_label.setWordWrap(True)
        self.facts_label.setAccessibleName(self.tr("Gegevens van het bericht"))
        self.bsn_field = CopyableField(self.tr("BSN"), monospace=True)
        bsn_label = _muted(QLabel(self.tr("BSN (getoond, vastgelegd)")))
        bsn_label.setBuddy(self.bsn_field.edit)
        self.bsn_row = QWidget()
        bsn_layout = QHBoxLayout(self.bsn_row)
        bsn_layout.setContentsMargins(0, 0, 0, 0)
        bsn_layout.addWidget(bsn_label)
        bsn_layout.addWidget(self.bsn_field, 1)
        self.bsn_row.setVisible(False)
        self.reveal_button = QPushButton(self.tr("Toon &BSN…"))
        self.reveal_button.setToolTip(
            self.tr("Het volledige BSN tonen; u geeft een reden op en dit wordt vastgelegd")
        )
        self.reveal_button.clicked.connect(self._request_reveal)
        self.evidence_button = QPushButton(self.tr("Be&wijsstuk…"))
        self.evidence_button.setToolTip(
            self.tr("Het verloop als PDF, met de ruwe berichten in een zip, voor bezwaar en beroep")
        )
        self.evidence_button.clicked.connect(self._request_evidence)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        actions.addWidget(self.reveal_button)
        actions.addWidget(self.evidence_button)
        actions.addStretch(1)

        self._ids_grid = QGridLayout()
        self._ids_grid.setHorizontalSpacing(12)
        self._ids_grid.setVerticalSpacing(2)
        self._ids_grid.setColumnStretch(1, 1)
        self._add_id_row(0, self.tr("BerichtID"), self.bericht_id_field)
        self._add_id_row(1, self.tr("BatchID"), self.batch_id_field)
        self._add_id_row(2, self.tr("Referentie"), self.referentie_field)

        left = QVBoxLayout()
        left.setSpacing(10)
        left.addLayout(head)
        left.addLayout(explanation)
        left.addWidget(self.next_step_label)
        left.addLayout(self._ids_grid)
        left.addWidget(self.facts_label)
        left.addWidget(self.bsn_row)
        left.addLayout(actions)
        left.addStretch(1)

        # -- right: the timeline --
        timeline_title = QLabel(self.tr("Verloop"))
        timeline_title.setFont(theme.heading_font(self.font(), scale=1.0))
        self._timeline_grid = QGridLayout()
        self._timeline_grid.setHorizontalSpacing(12)
        self._timeline_grid.setVerticalSpacing(8)
        self._timeline_grid.setColumnStretch(1, 1)
        self.timeline_empty = _muted(QLabel(self.tr("Nog geen stappen.")))
        right = QVBoxLayout()
        right.setSpacing(6)
        right.addWidget(timeline_title)
        right.addLayout(self._timeline_grid)
        right.addWidget(self.timeline_empty)
        right.addStretch(1)

        divider = QFrame()
        divider.setFrameShape(QFrame.Shape.VLine)
        divider.setStyleSheet("color: #E1E4E8;")

        body = QHBoxLayout(content)
        body.setContentsMargins(16, 12, 16, 12)
        body.setSpacing(18)
        body.addLayout(left, 1)
        body.addWidget(divider)
        body.addLayout(right, 1)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)
        self.timeline_buttons: list[QPushButton] = []

    # -- public ------------------------------------------------------------------------------

    def clear(self) -> None:
        self.letter_id = None
        self.detail = None
        self._timeline = None
        self._stack.setCurrentIndex(0)

    def show_row(self, row: LetterRow) -> None:
        """Fill in what the list row knows, at once; the timeline follows with ``show_detail``."""
        if row.id != self.letter_id:
            self.detail = None
            self._timeline = None
            self._set_timeline(())
            self.bsn_field.set_value("")
            self.bsn_row.setVisible(False)
        self.letter_id = row.id
        self._stack.setCurrentIndex(1)
        self.status_badge.set_status(row.status_label, row.status_tone)
        self.subject_label.setText(row.onderwerp)
        self.explanation_label.setText(row.explanation)
        self.code_field.set_value(row.verwerkings_code or "")
        self.code_field.setVisible(bool(row.verwerkings_code))
        self.bericht_id_field.set_value(row.bericht_id)
        if row.batch_id:
            self.batch_id_field.set_value(row.batch_id)
        else:
            self.batch_id_field.set_value("")
            self.batch_id_field.edit.setPlaceholderText(self.tr("nog niet verstuurd"))
        self.referentie_field.set_value(row.referentie)
        self.facts_label.setText(
            self.tr("{berichttype} · {organisation} · BSN {bsn} · aangemaakt {created}").format(
                berichttype=row.berichttype,
                organisation=row.organisation_name,
                bsn=row.bsn_masked,
                created=format_datetime(row.created_at),
            )
        )
        if self.detail is None:
            self.next_step_label.setText("")

    def show_detail(self, detail: LetterDetail) -> None:
        self.show_row(detail.row)
        self.detail = detail
        if detail.next_step:
            self.next_step_label.setText(
                self.tr("<b>Wat nu?</b> {step}").format(step=_escape(detail.next_step))
            )
        else:
            self.next_step_label.setText("")
        self._set_message_ids(detail.message_ids)
        if detail.timeline != self._timeline:
            self._set_timeline(detail.timeline)

    def show_revealed_bsn(self, letter_id: int, bsn: str) -> None:
        """Show the full BSN of the letter on screen (until another letter is chosen)."""
        if letter_id != self.letter_id:
            return
        self.bsn_field.set_value(bsn)
        self.bsn_row.setVisible(True)

    # -- internals ---------------------------------------------------------------------------

    def _request_reveal(self) -> None:
        if self.letter_id is not None:
            self.revealRequested.emit(self.letter_id)

    def _request_evidence(self) -> None:
        if self.letter_id is not None:
            self.evidenceRequested.emit(self.letter_id)

    def _add_id_row(self, row: int, name: str, field: CopyableField) -> QLabel:
        label = _muted(QLabel(name))
        label.setBuddy(field.edit)
        self._ids_grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignVCenter)
        self._ids_grid.addWidget(field, row, 1)
        return label

    def _set_message_ids(self, message_ids: tuple[str, ...]) -> None:
        wanted = list(message_ids[-MAX_MESSAGE_IDS:])
        while len(self._message_id_fields) < len(wanted):
            field = CopyableField(self.tr("ebMS MessageId"), monospace=True, small=True)
            row = 3 + len(self._message_id_fields)
            self._add_id_row(row, self.tr("MessageId"), field)
            self._message_id_fields.append(field)
        for n, field in enumerate(self._message_id_fields):
            shown = n < len(wanted)
            field.setVisible(shown)
            item = self._ids_grid.itemAtPosition(3 + n, 0)
            label = item.widget() if item is not None else None
            if label is not None:
                label.setVisible(shown)
            field.set_value(wanted[n] if shown else "")

    def _set_timeline(self, timeline: tuple[TimelineEntry, ...]) -> None:
        self._timeline = timeline
        _clear_layout(self._timeline_grid)
        self.timeline_buttons = []
        self.timeline_empty.setVisible(not timeline)
        # Text lines start level with the text of the "Toon XML" buttons beside them.
        probe = QPushButton(self.tr("Toon XML"))
        pad = max((probe.sizeHint().height() - self.fontMetrics().height()) // 2, 0)
        probe.deleteLater()
        for n, entry in enumerate(timeline):
            when = _muted(QLabel(format_datetime_seconds(entry.at)))
            when.setContentsMargins(0, pad, 0, 0)
            when.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._timeline_grid.addWidget(when, n, 0, Qt.AlignmentFlag.AlignTop)

            text = QVBoxLayout()
            text.setContentsMargins(0, pad, 0, 0)
            text.setSpacing(0)
            holder = QWidget()
            holder.setLayout(text)
            title = QLabel(entry.title)
            title.setWordWrap(True)
            title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.addWidget(title)
            if entry.detail:
                detail = _muted(QLabel(entry.detail), small=True)
                detail.setWordWrap(True)
                detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                text.addWidget(detail)
            if entry.code:
                code = CopyableField(self.tr("Code"), entry.code, monospace=True, small=True)
                text.addWidget(code)
            # No alignment flag here: an aligned item gets only its size hint, and wrapped
            # text needs the height for its real width (heightForWidth) or lines overlap.
            holder.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
            self._timeline_grid.addWidget(holder, n, 1)

            if entry.raw_ref is not None:
                button = QPushButton(self.tr("Toon XML"))
                button.setAccessibleName(self.tr("Toon XML van: {step}").format(step=entry.title))
                button.setToolTip(self.tr("Het ruwe bericht van deze stap bekijken en kopiëren"))
                ref, step = entry.raw_ref, entry.title
                button.clicked.connect(lambda _=False, r=ref, s=step: self.rawRequested.emit(r, s))
                self._timeline_grid.addWidget(button, n, 2, Qt.AlignmentFlag.AlignTop)
                self.timeline_buttons.append(button)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
