"""Testbericht versturen: one letter, checked as the user types, stored through the services.

Every problem shows under its own field, in Dutch, with the limit. The send button stays
disabled until nothing blocks, and the line beside it says why. Sending is a database write,
so it goes through the task runner's db lane; the dialog closes when the letter is stored and
emits ``letterSubmitted(letter_id)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from console.domain.letter import (
    BERICHTTEKST_MAX,
    ONDERWERP_MAX,
    REFERENTIE_MAX,
    AttachmentDraft,
    FieldIssue,
    LetterDraft,
    LetterLimits,
    encode_line_breaks,
    is_pdf,
    space_urls,
)
from console.services.dto import BerichtTypeInfo, OrganisationInfo, SubmittedLetter, WorkspaceStatus
from console.ui import theme
from console.ui.formatting import format_bytes
from console.ui.preflight_report_widget import PreflightReportWidget
from console.ui.tasks import TaskRunner

# Field names as FieldIssue uses them (the Logius element names), plus two of the dialog's own.
F_ORGANISATION = "Organisatie"
F_BERICHTTYPE = "BerichtType"
F_BSN = "BSN"
F_ONDERWERP = "Onderwerp"
F_BERICHTTEKST = "BerichtTekst"
F_REFERENTIE = "Referentie"
F_BIJLAGEN = "Bijlagen"
F_CONFIRM = "Bevestiging"

_URL = re.compile(r"https?://[^\s<]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _PickedFile:
    path: Path
    size: int
    content: bytes | None  # None when not read (too big)


def _read_file(path: Path, max_bytes: int) -> _PickedFile:
    size = path.stat().st_size
    if size > max_bytes:
        return _PickedFile(path, size, None)
    return _PickedFile(path, size, path.read_bytes())


class _FieldRow(QWidget):
    """A field with the line under it: the issue (or feedback) left, the counter right."""

    def __init__(self, field: QWidget, *, counter: bool = False) -> None:
        super().__init__()
        self.field = field
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.message.setFont(theme.small_font(self.font(), scale=0.95))
        self.counter = QLabel("")
        self.counter.setFont(theme.small_font(self.font(), scale=0.95))
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.counter.setVisible(counter)
        line = QHBoxLayout()
        line.setContentsMargins(2, 0, 2, 0)
        line.setSpacing(8)
        line.addWidget(self.message, 1)
        line.addWidget(self.counter, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        layout.addLayout(line)

    def show_message(self, text: str, tone: str = "error") -> None:
        colour = {
            "error": theme.ERROR_TEXT,
            "warning": theme.WARNING_TEXT,
            "ok": theme.OK_TEXT,
        }.get(tone, theme.MUTED_TEXT)
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour};")
        self.field.setAccessibleDescription(text)

    def set_counter(self, used: int, maximum: int) -> None:
        self.counter.setText(f"{used}/{maximum}")
        over = used > maximum
        self.counter.setStyleSheet(
            f"color: {theme.ERROR_TEXT}; font-weight: 600;"
            if over
            else f"color: {theme.MUTED_TEXT};"
        )


class TestLetterDialog(QDialog):
    """Testbericht versturen."""

    __test__ = False  # not a pytest test class, despite the name

    #: The letter was stored and queued; carries its id.
    letterSubmitted = Signal(int)

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        status: WorkspaceStatus,
        organisation_id: int | None = None,
        parent: QWidget | None = None,
        *,
        limits: LetterLimits | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.status = status
        self.limits = limits or LetterLimits()
        self.submitted: SubmittedLetter | None = None
        self._berichttypes: list[BerichtTypeInfo] = []
        self._berichttypes_loading = False
        self._picked: _PickedFile | None = None
        self._reading_file = False
        self._touched: set[str] = set()
        self._server_issues: list[FieldIssue] = []
        self._sending = False
        self.issues: list[FieldIssue] = []

        self.setWindowTitle(self.tr("Testbericht versturen"))
        self.setAccessibleName(self.tr("Testbericht versturen"))
        self.setModal(True)

        intro = QLabel(
            self.tr(
                "Verstuur één bericht om de koppeling te testen. Wat niet klopt, ziet u "
                "meteen onder het veld."
            )
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(f"color: {theme.MUTED_TEXT};")

        # -- fields --
        self.organisation_combo = QComboBox()
        self.organisation_combo.setAccessibleName(self.tr("Organisatie"))
        for org in self._organisations():
            self.organisation_combo.addItem(f"{org.name}  ({org.oin})", org.id)
        index = self.organisation_combo.findData(
            organisation_id if organisation_id is not None else status.organisation_id
        )
        self.organisation_combo.setCurrentIndex(max(index, 0))
        self.organisation_combo.currentIndexChanged.connect(self._load_berichttypes)

        self.berichttype_combo = QComboBox()
        self.berichttype_combo.setAccessibleName(self.tr("Berichttype"))
        self.berichttype_combo.currentIndexChanged.connect(lambda _i: self._changed(F_BERICHTTYPE))

        self.bsn_edit = QLineEdit()
        self.bsn_edit.setAccessibleName(self.tr("BSN"))
        self.bsn_edit.setPlaceholderText(self.tr("9 cijfers, bijvoorbeeld een test-BSN"))
        self.bsn_edit.setMaxLength(14)
        self.bsn_edit.textEdited.connect(lambda _t: self._changed(F_BSN))
        self.bsn_edit.editingFinished.connect(lambda: self._changed(F_BSN, finished=True))

        self.onderwerp_edit = QLineEdit()
        self.onderwerp_edit.setAccessibleName(self.tr("Onderwerp"))
        self.onderwerp_edit.textEdited.connect(lambda _t: self._changed(F_ONDERWERP))

        self.tekst_edit = QPlainTextEdit()
        self.tekst_edit.setAccessibleName(self.tr("Berichttekst"))
        self.tekst_edit.setTabChangesFocus(True)
        self.tekst_edit.setPlaceholderText(
            self.tr("De tekst die de burger leest. Een regelovergang telt als 4 tekens.")
        )
        self.tekst_edit.setMinimumHeight(self.fontMetrics().lineSpacing() * 6)
        self.tekst_edit.textChanged.connect(lambda: self._changed(F_BERICHTTEKST))

        self.referentie_edit = QLineEdit()
        self.referentie_edit.setAccessibleName(self.tr("Referentie"))
        self.referentie_edit.setPlaceholderText(self.tr("Optioneel, bijvoorbeeld uw zaaknummer"))
        self.referentie_edit.textEdited.connect(lambda _t: self._changed(F_REFERENTIE))

        self.pdf_button = QPushButton(self.tr("PDF &kiezen…"))
        self.pdf_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton)
        )
        self.pdf_button.setAccessibleName(self.tr("Bijlage kiezen (PDF)"))
        self.pdf_button.clicked.connect(self._pick_pdf)
        self.pdf_label = QLabel(self.tr("Geen bijlage"))
        self.pdf_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.pdf_remove = QPushButton(self.tr("Verwijderen"))
        self.pdf_remove.setAccessibleName(self.tr("Bijlage verwijderen"))
        self.pdf_remove.setVisible(False)
        self.pdf_remove.clicked.connect(self.remove_pdf)
        pdf_line = QWidget()
        pdf_layout = QHBoxLayout(pdf_line)
        pdf_layout.setContentsMargins(0, 0, 0, 0)
        pdf_layout.addWidget(self.pdf_button)
        pdf_layout.addWidget(self.pdf_label, 1)
        pdf_layout.addWidget(self.pdf_remove)
        self.omschrijving_edit = QLineEdit()
        self.omschrijving_edit.setAccessibleName(self.tr("Omschrijving van de bijlage"))
        self.omschrijving_edit.setVisible(False)
        self.omschrijving_edit.textEdited.connect(lambda _t: self._changed(F_BIJLAGEN))
        pdf_box = QWidget()
        pdf_box_layout = QVBoxLayout(pdf_box)
        pdf_box_layout.setContentsMargins(0, 0, 0, 0)
        pdf_box_layout.setSpacing(4)
        pdf_box_layout.addWidget(pdf_line)
        pdf_box_layout.addWidget(self.omschrijving_edit)

        self.confirm_edit = QLineEdit()
        self.confirm_edit.setAccessibleName(self.tr("Bevestig met de naam van de organisatie"))
        self.confirm_edit.textEdited.connect(lambda _t: self._changed(F_CONFIRM))

        self.rows: dict[str, _FieldRow] = {
            F_ORGANISATION: _FieldRow(self.organisation_combo),
            F_BERICHTTYPE: _FieldRow(self.berichttype_combo),
            F_BSN: _FieldRow(self.bsn_edit),
            F_ONDERWERP: _FieldRow(self.onderwerp_edit, counter=True),
            F_BERICHTTEKST: _FieldRow(self.tekst_edit, counter=True),
            F_REFERENTIE: _FieldRow(self.referentie_edit, counter=True),
            F_BIJLAGEN: _FieldRow(pdf_box),
            F_CONFIRM: _FieldRow(self.confirm_edit),
        }
        self.rows[F_BIJLAGEN].field.setAccessibleName(self.tr("Bijlage"))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(6)
        form.setHorizontalSpacing(14)
        labels = {
            F_ORGANISATION: (self.tr("&Organisatie"), self.organisation_combo),
            F_BERICHTTYPE: (self.tr("Bericht&type"), self.berichttype_combo),
            F_BSN: (self.tr("B&SN"), self.bsn_edit),
            F_ONDERWERP: (self.tr("O&nderwerp"), self.onderwerp_edit),
            F_BERICHTTEKST: (self.tr("Berichtte&kst"), self.tekst_edit),
            F_REFERENTIE: (self.tr("&Referentie"), self.referentie_edit),
            F_BIJLAGEN: (self.tr("Bij&lage (PDF)"), self.pdf_button),
        }
        field_height = max(
            w.sizeHint().height() for w in (self.bsn_edit, self.berichttype_combo, self.pdf_button)
        )
        for name, (text, buddy) in labels.items():
            label = QLabel(text)
            label.setBuddy(buddy)
            label.setMinimumHeight(field_height)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            form.addRow(label, self.rows[name])
        self.confirm_label = QLabel(self.tr("&Bevestig: typ de naam van de organisatie"))
        self.confirm_label.setWordWrap(True)
        self.confirm_label.setBuddy(self.confirm_edit)
        form.addRow(self.confirm_label, self.rows[F_CONFIRM])
        production = status.environment.is_production
        # Typing the name is asked once per session and organisation (issue 5).
        self.confirm_label.setVisible(self._confirmation_needed())
        self.rows[F_CONFIRM].setVisible(self._confirmation_needed())
        self.production_warning = QLabel(
            self.tr(
                "Let op: dit is PRODUCTIE. Het bericht gaat naar een echte burger. Typ de "
                "naam van de organisatie om te bevestigen."
            )
        )
        self.production_warning.setWordWrap(True)
        red = theme.tone("red")
        self.production_warning.setStyleSheet(
            f"background: {red.background}; color: {red.text}; border: 1px solid {red.border};"
            " border-radius: 4px; padding: 6px;"
        )
        self.production_warning.setVisible(production)

        # -- preview --
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.RichText)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.preview.setAccessibleName(self.tr("Voorbeeld van het bericht"))
        self.preview.setMinimumWidth(self.fontMetrics().averageCharWidth() * 34)
        self.preview.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        preview_card = QFrame()
        preview_card.setObjectName("card")
        preview_layout = QVBoxLayout(preview_card)
        preview_title = QLabel(self.tr("Zo ziet de burger het bericht"))
        preview_title.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        preview_title.setFont(theme.small_font(self.font()))
        preview_layout.addWidget(preview_title)
        preview_layout.addWidget(self.preview, 1)

        # -- bottom --
        self.general_label = QLabel("")
        self.general_label.setWordWrap(True)
        self.general_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.general_label.setVisible(False)
        self.reason_label = QLabel("")
        self.reason_label.setWordWrap(True)
        self.reason_label.setAccessibleName(self.tr("Waarom versturen nog niet kan"))
        self.reason_label.setStyleSheet(f"color: {theme.WARNING_TEXT};")
        self.cancel_button = QPushButton(self.tr("Annuleren"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.send_button = QPushButton(self.tr("&Versturen"))
        self.send_button.setObjectName("primary")
        self.send_button.setDefault(True)
        self.send_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
        )
        self.send_button.clicked.connect(self.send)

        bottom = QHBoxLayout()
        bottom.setSpacing(10)
        bottom.addWidget(self.reason_label, 1)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.send_button)

        columns = QHBoxLayout()
        columns.setSpacing(18)
        columns.addLayout(form, 3)
        columns.addWidget(preview_card, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addWidget(self.production_warning)
        layout.addLayout(columns, 1)
        # The full preflight report (issue 4): every point with field and limit, in one place.
        self.preflight_report = PreflightReportWidget(compact=True)
        self.preflight_report.setMaximumHeight(self.fontMetrics().lineSpacing() * 9)
        layout.addWidget(self.preflight_report)
        layout.addWidget(self.general_label)
        layout.addLayout(bottom)

        char = self.fontMetrics().averageCharWidth()
        self.resize(char * 165, self.sizeHint().height())
        self._load_berichttypes()
        self._revalidate()
        self.bsn_edit.setFocus()

    # -- public ------------------------------------------------------------------------------

    def organisation_id(self) -> int | None:
        data = self.organisation_combo.currentData()
        return int(data) if data is not None else None

    def berichttype(self) -> BerichtTypeInfo | None:
        index = self.berichttype_combo.currentIndex()
        if 0 <= index < len(self._berichttypes):
            return self._berichttypes[index]
        return None

    def draft(self) -> LetterDraft:
        bt = self.berichttype()
        attachments: tuple[AttachmentDraft, ...] = ()
        if self._picked is not None and self._picked.content is not None:
            attachments = (
                AttachmentDraft(
                    filename=self._picked.path.name,
                    content=self._picked.content,
                    omschrijving=self.omschrijving_edit.text().strip(),
                ),
            )
        return LetterDraft(
            bsn="".join(self.bsn_edit.text().split()),
            berichttype=bt.code if bt else "",
            onderwerp=self.onderwerp_edit.text(),
            berichttekst=self.tekst_edit.toPlainText(),
            referentie=self.referentie_edit.text().strip(),
            attachments=attachments,
        )

    def attach_pdf(self, path: Path) -> None:
        """Use *path* as the attachment (what the file picker calls)."""
        self._touched.add(F_BIJLAGEN)
        self._reading_file = True
        self.pdf_label.setText(self.tr("{name} wordt gelezen…").format(name=path.name))
        self._revalidate()
        self.runner.run(
            _read_file,
            path,
            self.limits.bijlagen_max_bytes,
            on_done=self._pdf_read,
            on_error=self._pdf_failed,
            lane="io",
            owner=self,
        )

    def remove_pdf(self) -> None:
        self._picked = None
        self.pdf_label.setText(self.tr("Geen bijlage"))
        self.pdf_remove.setVisible(False)
        self.omschrijving_edit.clear()
        self.omschrijving_edit.setVisible(False)
        self._changed(F_BIJLAGEN)

    def send(self) -> None:
        self._touched.update(self.rows)
        self._server_issues = []
        self._revalidate()
        if self._sending or not self.send_button.isEnabled():
            return
        org = self.organisation_id()
        if org is None:
            return
        self._set_sending(True)
        self.runner.run(
            self.services.letters.submit,
            self.draft(),
            org,
            on_done=self._submitted,
            on_error=self._refused,
            lane="db",
            owner=self,
        )

    # -- Qt overrides ------------------------------------------------------------------------

    def reject(self) -> None:
        if self._sending:
            return  # the letter is being stored; closing now would hide the outcome
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._sending:
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter in a single-line field must not send half a form by accident.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.send_button.hasFocus():
            self.focusNextChild()
            return
        super().keyPressEvent(event)

    # -- loading -----------------------------------------------------------------------------

    def _organisations(self) -> Sequence[OrganisationInfo]:
        if self.status.organisations:
            return self.status.organisations
        if self.status.organisation_id is not None:
            return (
                OrganisationInfo(
                    self.status.organisation_id,
                    self.status.organisation_name,
                    self.status.organisation_oin,
                    "",
                ),
            )
        return ()

    def _load_berichttypes(self) -> None:
        org = self.organisation_id()
        previous = self.berichttype()
        self._berichttypes = []
        self.berichttype_combo.blockSignals(True)
        self.berichttype_combo.clear()
        self.berichttype_combo.blockSignals(False)
        if org is None:
            self._revalidate()
            return
        self._berichttypes_loading = True
        self.berichttype_combo.setEnabled(False)
        self.berichttype_combo.setPlaceholderText(self.tr("Berichttypes worden geladen…"))
        self._revalidate()
        self.runner.run(
            self.services.workspace.berichttypes,
            org,
            on_done=lambda types: self._berichttypes_loaded(org, types, previous),
            on_error=self._berichttypes_failed,
            lane="io",
            owner=self,
        )

    def _berichttypes_loaded(
        self, org: int, types: list[BerichtTypeInfo], previous: BerichtTypeInfo | None
    ) -> None:
        if org != self.organisation_id():
            return
        self._berichttypes_loading = False
        self._berichttypes = sorted(types, key=lambda t: (not t.active, t.code))
        combo = self.berichttype_combo
        combo.blockSignals(True)
        combo.clear()
        for bt in self._berichttypes:
            if bt.active:
                combo.addItem(f"{bt.code} — {bt.name}", bt.code)
            else:
                combo.addItem(
                    self.tr("{code} — {name} (niet actief)").format(code=bt.code, name=bt.name),
                    bt.code,
                )
                combo.setItemData(
                    combo.count() - 1, QColor(theme.MUTED_TEXT), Qt.ItemDataRole.ForegroundRole
                )
        wanted = combo.findData(previous.code) if previous is not None else -1
        combo.setCurrentIndex(wanted if wanted >= 0 else (0 if self._berichttypes else -1))
        combo.setPlaceholderText(self.tr("Geen berichttypes ingesteld"))
        combo.setEnabled(bool(self._berichttypes) and not self._sending)
        combo.blockSignals(False)
        self._revalidate()

    def _berichttypes_failed(self, exc: BaseException) -> None:
        self._berichttypes_loading = False
        self.berichttype_combo.setPlaceholderText(self.tr("Kon de berichttypes niet laden"))
        self.general_label.setText(str(exc))
        self.general_label.setVisible(True)
        self._revalidate()

    def _pick_pdf(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("Bijlage kiezen"),
            "",
            self.tr("PDF-bestanden (*.pdf);;Alle bestanden (*)"),
        )
        if path:
            self.attach_pdf(Path(path))

    def _pdf_read(self, picked: _PickedFile) -> None:
        self._reading_file = False
        self._picked = picked
        self.pdf_label.setText(f"{picked.path.name}  ({format_bytes(picked.size)})")
        self.pdf_label.setStyleSheet("")
        self.pdf_remove.setVisible(True)
        usable = picked.content is not None and is_pdf(picked.content)
        self.omschrijving_edit.setVisible(usable)
        self.omschrijving_edit.setPlaceholderText(
            self.tr("Omschrijving (leeg: {name})").format(name=picked.path.name)
        )
        self._changed(F_BIJLAGEN)

    def _pdf_failed(self, exc: BaseException) -> None:
        self._reading_file = False
        self._picked = None
        self.pdf_label.setText(self.tr("Geen bijlage"))
        self.rows[F_BIJLAGEN].show_message(str(exc))
        self._revalidate()

    # -- validation --------------------------------------------------------------------------

    def _changed(self, field: str, *, finished: bool = False) -> None:
        self._touched.add(field)
        self._server_issues = [i for i in self._server_issues if i.field != field]
        self._revalidate(bsn_finished=finished)

    def _local_issues(self) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        if self.organisation_id() is None:
            issues.append(
                FieldIssue(F_ORGANISATION, self.tr("Er is nog geen organisatie ingesteld."))
            )
        if self._berichttypes_loading:
            issues.append(FieldIssue(F_BERICHTTYPE, self.tr("De berichttypes worden nog geladen.")))
        elif self.organisation_id() is not None and not self._berichttypes:
            issues.append(
                FieldIssue(
                    F_BERICHTTYPE,
                    self.tr(
                        "Voor deze organisatie zijn nog geen berichttypes ingesteld. Voeg ze toe "
                        "op de pagina Stromen."
                    ),
                )
            )
        bt = self.berichttype()
        if bt is not None and not bt.active:
            issues.append(
                FieldIssue(
                    F_BERICHTTYPE,
                    self.tr(
                        "Dit berichttype is niet actief in deze omgeving. MijnOverheid keurt het "
                        "bericht dan af (BerichtTypeNietOndersteund)."
                    ),
                    blocking=False,
                )
            )
        if self._reading_file:
            issues.append(FieldIssue(F_BIJLAGEN, self.tr("De bijlage wordt nog gelezen.")))
        picked = self._picked
        if picked is not None:
            if picked.content is None:
                issues.append(
                    FieldIssue(
                        F_BIJLAGEN,
                        self.tr("Het bestand is {size}; maximaal {limit}.").format(
                            size=format_bytes(picked.size),
                            limit=format_bytes(self.limits.bijlagen_max_bytes),
                        ),
                    )
                )
            elif not is_pdf(picked.content):
                issues.append(
                    FieldIssue(
                        F_BIJLAGEN,
                        self.tr("{name} is geen PDF. Alleen PDF-bestanden zijn toegestaan.").format(
                            name=picked.path.name
                        ),
                    )
                )
        needed = self._confirmation_needed()
        if hasattr(self, "confirm_label"):  # the organisation may change: follow it
            self.confirm_label.setVisible(needed)
            self.rows[F_CONFIRM].setVisible(needed)
        if needed:
            expected = self.organisation_combo.currentText().split("  (", 1)[0].strip()
            if self.confirm_edit.text().strip().casefold() != expected.casefold():
                issues.append(
                    FieldIssue(
                        F_CONFIRM,
                        self.tr("Typ de naam van de organisatie precies over: {name}").format(
                            name=expected
                        ),
                    )
                )
        return issues

    def _revalidate(self, *, bsn_finished: bool = False) -> None:
        draft = self.draft()
        service_issues = list(self.services.letters.validate(draft))
        local = self._local_issues()
        # The service checks the attachment only when it is readable; a local verdict wins.
        if any(i.field == F_BIJLAGEN for i in local):
            service_issues = [i for i in service_issues if i.field != F_BIJLAGEN]
        issues = local + service_issues + self._server_issues
        self.issues = issues
        if hasattr(self, "preflight_report"):
            self.preflight_report.set_issues(issues)

        by_field: dict[str, list[FieldIssue]] = {}
        general: list[FieldIssue] = []
        for issue in issues:
            if issue.field in self.rows:
                by_field.setdefault(issue.field, []).append(issue)
            else:
                general.append(issue)

        for name, row in self.rows.items():
            found = by_field.get(name, [])
            blocking = [i for i in found if i.blocking]
            if name == F_BSN:
                self._show_bsn_feedback(row, draft.bsn, blocking, bsn_finished)
            elif found and (name in self._touched or not blocking):
                first = (blocking or found)[0]
                row.show_message(
                    "\n".join(i.message for i in (blocking or found)),
                    "error" if first.blocking else "warning",
                )
            else:
                row.show_message("")

        self.rows[F_ONDERWERP].set_counter(len(draft.onderwerp), ONDERWERP_MAX)
        self.rows[F_BERICHTTEKST].set_counter(
            len(encode_line_breaks(draft.berichttekst)), BERICHTTEKST_MAX
        )
        self.rows[F_REFERENTIE].set_counter(len(draft.referentie), REFERENTIE_MAX)

        if general:
            self.general_label.setText("\n".join(i.message for i in general))
            self.general_label.setVisible(True)
        elif not self._sending and self.general_label.text() and not self._server_issues:
            self.general_label.setVisible(False)

        self._update_send_button([i for i in issues if i.blocking])
        self._update_preview(draft)

    def _show_bsn_feedback(
        self, row: _FieldRow, bsn: str, blocking: list[FieldIssue], finished: bool
    ) -> None:
        if F_BSN not in self._touched or not bsn:
            row.show_message("")
            return
        if not blocking:
            row.show_message(self.tr("✓ Het BSN klopt (elfproef)."), "ok")
            return
        typing = self.bsn_edit.hasFocus() and not finished
        if typing and bsn.isdigit() and len(bsn) < 9:
            # Still typing: count down instead of scolding.
            row.show_message(self.tr("Nog {n} cijfers.").format(n=9 - len(bsn)), "muted")
            return
        row.show_message(blocking[0].message)

    def _update_send_button(self, blocking: list[FieldIssue]) -> None:
        if self._sending:
            self.send_button.setEnabled(False)
            self.reason_label.setText(self.tr("Het bericht wordt opgeslagen…"))
            return
        self.send_button.setEnabled(not blocking)
        if not blocking:
            self.reason_label.setText("")
            self.send_button.setToolTip(self.tr("Het bericht opslaan en in de wachtrij zetten"))
            return
        reason = self.tr("Nog niet te versturen. {reason}").format(reason=blocking[0].message)
        others = len(blocking) - 1
        if others == 1:
            reason += " " + self.tr("Er is nog 1 ander punt.")
        elif others > 1:
            reason += " " + self.tr("Er zijn nog {n} andere punten.").format(n=others)
        self.reason_label.setText(reason)
        self.send_button.setToolTip(reason)

    def _update_preview(self, draft: LetterDraft) -> None:
        org = self.organisation_combo.currentText().split("  (", 1)[0]
        subject = (
            _escape(draft.onderwerp)
            or f"<i style='color:{theme.MUTED_TEXT}'>" + self.tr("(nog geen onderwerp)") + "</i>"
        )
        body = _linkify(_escape(space_urls(draft.berichttekst))).replace("\n", "<br>")
        attachment = ""
        if draft.attachments:
            attachment = f"<p style='margin-top:10px'>📎 {_escape(draft.attachments[0].effective_omschrijving)}</p>"
        self.preview.setText(
            f"<p style='color:{theme.MUTED_TEXT}; margin:0'>{_escape(org)}</p>"
            f"<p style='font-size:large; font-weight:600; margin:4px 0 8px 0'>{subject}</p>"
            f"<p style='margin:0'>{body}</p>{attachment}"
        )

    # -- submitting --------------------------------------------------------------------------

    def _set_sending(self, sending: bool) -> None:
        self._sending = sending
        for widget in (
            self.organisation_combo,
            self.bsn_edit,
            self.onderwerp_edit,
            self.tekst_edit,
            self.referentie_edit,
            self.pdf_button,
            self.pdf_remove,
            self.omschrijving_edit,
            self.confirm_edit,
            self.cancel_button,
        ):
            widget.setEnabled(not sending)
        self.berichttype_combo.setEnabled(not sending and bool(self._berichttypes))
        self.send_button.setText(
            self.tr("Bezig met versturen…") if sending else self.tr("&Versturen")
        )
        self._revalidate()

    def _confirmation_needed(self) -> bool:
        """Production, and not yet confirmed for this organisation in this session."""
        if not self.status.environment.is_production:
            return False
        guard = getattr(self.services, "production_guard", None)
        return guard is None or not guard.is_confirmed(
            self.status.connection_id, self.organisation_id()
        )

    def _remember_confirmation(self) -> None:
        guard = getattr(self.services, "production_guard", None)
        org = self.organisation_id()
        connection_id = self.status.connection_id
        if self._confirmation_needed() and guard and org is not None and connection_id is not None:
            guard.remember(connection_id, org)

    def _submitted(self, result: SubmittedLetter) -> None:
        self._remember_confirmation()
        self._set_sending(False)
        self.submitted = result
        self.services.engine.wake()
        self.letterSubmitted.emit(result.letter_id)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self._set_sending(False)
        issues = list(getattr(exc, "issues", []) or [])
        self._server_issues = issues
        self._touched.update(i.field for i in issues)
        self.general_label.setText(str(exc))
        self.general_label.setVisible(True)
        self._revalidate()


def _linkify(text: str) -> str:
    """Show links the way MijnOverheid does: underlined (only when spaced; see space_urls)."""
    return _URL.sub(
        lambda m: (
            f"<span style='color:{theme.ACCENT}; text-decoration: underline'>{m.group(0)}</span>"
        ),
        text,
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
