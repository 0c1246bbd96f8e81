"""Support flow: "Zou deze burger het bericht nu digitaal krijgen?"

The support person types one or more BSNs (up to 250) and picks the berichttype; the
console asks MijnOverheid's validation service (WUS) and shows per citizen, in words and
colour, whether the letter would arrive digitally or must go on paper. BSNs are shown
masked in the answer; every check is recorded (who looked up which BSNs).
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.status_badge import StatusBadgeLabel
from console.ui.tasks import TaskRunner

_SPLIT = re.compile(r"[\s,;]+")


class SubscriptionCheckWidget(QWidget):
    #: A check finished; carries the SubscriptionCheckResult.
    checked = Signal(object)

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        organisation_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.organisation_id = organisation_id
        self._busy = False
        self.result: Any = None
        self.setAccessibleName(self.tr("Abonnement controleren"))

        heading = QLabel(self.tr("Zou deze burger het bericht nu digitaal krijgen?"))
        heading.setFont(theme.heading_font(self.font(), scale=1.15))
        heading.setWordWrap(True)
        intro = QLabel(
            self.tr(
                "De console vraagt het nu aan MijnOverheid (de validatieservice). Typ één of "
                "meer BSN's, ten hoogste 250."
            )
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(f"color: {theme.MUTED_TEXT};")

        self.bsn_edit = QPlainTextEdit()
        self.bsn_edit.setAccessibleName(self.tr("BSN's"))
        self.bsn_edit.setPlaceholderText(
            self.tr("Bijvoorbeeld 999990019 (meer BSN's: één per regel)")
        )
        self.bsn_edit.setTabChangesFocus(True)
        self.bsn_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.bsn_edit.textChanged.connect(self._revalidate)
        self.berichttype_combo = QComboBox()
        self.berichttype_combo.setAccessibleName(self.tr("Berichttype"))
        self.berichttype_combo.currentIndexChanged.connect(lambda _i: self._revalidate())
        self.problem_label = QLabel("")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.check_button = QPushButton(self.tr("&Controleren"))
        self.check_button.setObjectName("primary")
        self.check_button.clicked.connect(self.check)

        form = QFormLayout()
        form.addRow(self.tr("&BSN"), self.bsn_edit)
        form.addRow(self.tr("Bericht&type"), self.berichttype_combo)

        self.answer_title = QLabel("")
        self.answer_title.setWordWrap(True)
        self.answer_box = QVBoxLayout()
        self.answer_box.setSpacing(4)
        answer_card = QFrame()
        answer_card.setObjectName("card")
        card_layout = QVBoxLayout(answer_card)
        card_layout.addWidget(self.answer_title)
        card_layout.addLayout(self.answer_box)
        self.answer_card = answer_card
        answer_card.setVisible(False)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.error_label.setVisible(False)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QHBoxLayout()
        buttons.addWidget(self.problem_label, 1)
        buttons.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)
        layout.addWidget(answer_card)
        layout.addStretch(1)
        self.rows: list[tuple[StatusBadgeLabel, QLabel]] = []
        self._load_berichttypes()
        self._revalidate()

    # -- public ------------------------------------------------------------------------------

    def bsns(self) -> list[str]:
        return [b for b in _SPLIT.split(self.bsn_edit.toPlainText()) if b]

    def berichttype(self) -> str:
        return str(self.berichttype_combo.currentData() or "")

    def set_organisation(self, organisation_id: int | None) -> None:
        self.organisation_id = organisation_id
        self._load_berichttypes()

    def check(self) -> None:
        if self._busy or not self.check_button.isEnabled():
            return
        self._busy = True
        self.error_label.setVisible(False)
        self.check_button.setText(self.tr("Bezig met controleren…"))
        self._revalidate()
        self.runner.run(
            self.services.subscriptions.check,
            self.bsns(),
            self.berichttype(),
            self.organisation_id,
            on_done=self._done,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    # -- internals ---------------------------------------------------------------------------

    def _load_berichttypes(self) -> None:
        org = self.organisation_id
        if org is None:
            status = self.services.workspace.status()
            org = status.organisation_id
        if org is None:
            return
        self.runner.run(
            self.services.workspace.berichttypes,
            org,
            on_done=self._berichttypes_loaded,
            lane="io",
            owner=self,
        )

    def _berichttypes_loaded(self, types: list[Any]) -> None:
        combo = self.berichttype_combo
        combo.blockSignals(True)
        combo.clear()
        for bt in sorted(types, key=lambda t: (not t.active, t.code)):
            label = f"{bt.code} — {bt.name}" + ("" if bt.active else self.tr(" (niet actief)"))
            combo.addItem(label, bt.code)
        combo.blockSignals(False)
        self._revalidate()

    def _revalidate(self) -> None:
        if self._busy:
            self.check_button.setEnabled(False)
            return
        bsns = self.bsns()
        problems: list[str] = []
        if bsns:
            problems = list(self.services.subscriptions.input_problems(bsns, self.berichttype()))
        self.problem_label.setText(problems[0] if problems else "")
        self.check_button.setEnabled(bool(bsns) and not problems and bool(self.berichttype()))

    def _clear_rows(self) -> None:
        while self.answer_box.count():
            item = self.answer_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows = []

    def _done(self, result: Any) -> None:
        self._busy = False
        self.check_button.setText(self.tr("&Controleren"))
        self.result = result
        self._clear_rows()
        self.answer_title.setText(
            self.tr("{org}, berichttype {bt}: {n} van {total} krijgt het bericht digitaal.").format(
                org=result.organisation_name,
                bt=result.berichttype,
                n=result.digital_count,
                total=len(result.results),
            )
        )
        for r in result.results:
            line = QWidget()
            row = QHBoxLayout(line)
            row.setContentsMargins(0, 0, 0, 0)
            bsn = QLabel(r.bsn_masked)
            bsn.setAccessibleName(self.tr("BSN {bsn}").format(bsn=r.bsn_masked))
            badge = StatusBadgeLabel(r.label, r.tone)
            note = QLabel(r.snapshot_label)
            note.setStyleSheet(f"color: {theme.MUTED_TEXT};")
            note.setWordWrap(True)
            row.addWidget(bsn)
            row.addWidget(badge)
            row.addWidget(note, 1)
            self.answer_box.addWidget(line)
            self.rows.append((badge, note))
        self.answer_card.setVisible(True)
        self._revalidate()
        self.checked.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.check_button.setText(self.tr("&Controleren"))
        self.error_label.setText(str(exc))
        self.error_label.setVisible(True)
        self._revalidate()
