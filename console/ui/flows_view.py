"""Stromen: berichtstromen (with templates and peak days) and berichttypes (with a lifecycle
badge per environment), and the drift check: berichttypes in use that are not active where
their letters go.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.domain.environment import Environment
from console.domain.flow import (
    KNOWN_PLACEHOLDERS,
    BerichtTypeStatus,
    Cadence,
    DeliveryPolicy,
    FlowLinks,
    environment_text,
    render_template,
)
from console.domain.letter import FieldIssue
from console.ui import theme
from console.ui.empty_state_widget import EmptyStateWidget
from console.ui.form_field import (
    FieldRowWidget,
    LiveValidator,
    ServiceFormMixin,
    button_row,
    card,
    card_with_heading,
    field_form,
    line_edit,
    muted,
    notice_box,
    page_layout,
    scroll_area,
    service,
    short_combo,
    show_field_issues,
)
from console.ui.formatting import format_datetime
from console.ui.status_badge import StatusBadgeDelegate, StatusBadgeLabel
from console.ui.tables import badge_cell, read_only_table, select_row_with_id, selected_row_id
from console.ui.tasks import TaskRunner

# Example values for the template preview (what a source system would deliver).
EXAMPLE_VALUES = {
    "naam": "J. de Vries",
    "referentie": "2027-000123",
    "bedrag": "312,40",
    "vervaldatum": "31 maart 2027",
    "datum": "1 maart 2027",
    "jaar": "2027",
}
_URL = re.compile(r"https?://[^\s<]+", re.IGNORECASE)


def _item_text(item: QTableWidgetItem | None) -> str:
    return item.text().strip() if item is not None else ""


def preview_html(onderwerp: str, berichttekst: str, organisation: str) -> str:
    """The letter roughly as MijnOverheid shows it: links underlined."""
    body = html.escape(berichttekst)
    body = _URL.sub(
        lambda m: (
            f"<span style='color:{theme.ACCENT}; text-decoration: underline'>{m.group(0)}</span>"
        ),
        body,
    ).replace("\n", "<br>")
    return (
        f"<p style='color:{theme.MUTED_TEXT}; margin:0'>{html.escape(organisation)}</p>"
        f"<p style='font-weight:600; margin:4px 0 8px 0'>{html.escape(onderwerp)}</p>"
        f"<p style='margin:0'>{body}</p>"
    )


# --- berichttypes ---------------------------------------------------------------------------


class BerichtTypesPanel(ServiceFormMixin, QWidget):
    """Berichttypes with their status per environment, who changed it and when."""

    notice = Signal(str)
    dataChanged = Signal()

    COLUMNS = ("Code", "Organisatie", "Levenscyclus", "Simulator", "Preprod", "Productie", "Naam")

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.items: list[Any] = []
        self.detail: Any = None
        self.issues: list[FieldIssue] = []
        self.subject = self.tr("Het berichttype")
        self.confirm = self._ask

        self.filter_combo = short_combo()
        self.filter_combo.setAccessibleName(self.tr("Organisatie"))
        self.filter_combo.addItem(self.tr("Alle organisaties"), None)
        self.filter_combo.activated.connect(lambda _i: self.refresh())
        self.new_button = QPushButton(self.tr("&Nieuw berichttype"))
        self.new_button.clicked.connect(self.new)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Organisatie:")))
        top.addWidget(self.filter_combo, 1)
        top.addWidget(self.new_button)

        self.table = read_only_table([self.tr(c) for c in self.COLUMNS], self.tr("Berichttypes"))
        for col in (2, 3, 4, 5):
            self.table.setItemDelegateForColumn(col, StatusBadgeDelegate(self.table))
        self.table.itemSelectionChanged.connect(self._selected)

        # the form
        self.organisation_combo = short_combo()
        self.organisation_combo.setAccessibleName(self.tr("Organisatie van het berichttype"))
        self.code_edit = line_edit(
            self.tr("Code"), self.tr("1 tot 8 tekens, bijvoorbeeld BELAST"), 20
        )
        self.name_edit = line_edit(
            self.tr("Naam"), self.tr("bijvoorbeeld Aanslag gemeentelijke belastingen"), 200
        )
        self.description_edit = QPlainTextEdit()
        self.description_edit.setAccessibleName(self.tr("Omschrijving"))
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3)
        self.rows = {
            "Organisatie": FieldRowWidget(self.organisation_combo),
            "Code": FieldRowWidget(self.code_edit),
            "Naam": FieldRowWidget(self.name_edit),
            "Omschrijving": FieldRowWidget(self.description_edit),
        }
        form_card, form_layout, self.form_heading = card_with_heading(self.tr("Nieuw berichttype"))
        form = field_form(
            self.rows,
            (
                ("Organisatie", self.tr("&Organisatie"), self.organisation_combo),
                ("Code", self.tr("&Code"), self.code_edit),
                ("Naam", self.tr("N&aam"), self.name_edit),
                ("Omschrijving", self.tr("Om&schrijving"), self.description_edit),
            ),
        )
        form_layout.addLayout(form)
        self.general_label = notice_box("red")
        self.reason_label = muted(QLabel(""), small=True)
        self.save_button = QPushButton(self.tr("&Opslaan"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton(self.tr("&Verwijderen"))
        self.delete_button.clicked.connect(self.delete)
        form_layout.addWidget(self.general_label)
        form_layout.addWidget(self.reason_label)
        form_layout.addLayout(button_row(self.save_button, self.delete_button))

        # the lifecycle per environment
        status_card, status_layout = card(
            self.tr("Status per omgeving"),
            self.tr(
                "Leg hier vast wat in het Leveranciersportaal van Logius is ingesteld. Eerst "
                "preprod, dan productie. In de simulator werkt een wijziging meteen."
            ),
        )
        grid = QGridLayout()
        self.status_badges: dict[Environment, StatusBadgeLabel] = {}
        self.status_notes: dict[Environment, QLabel] = {}
        self.activate_buttons: dict[Environment, QPushButton] = {}
        self.deactivate_buttons: dict[Environment, QPushButton] = {}
        for row, env in enumerate(Environment):
            badge = StatusBadgeLabel()
            note = muted(QLabel(""), small=True)
            activate = QPushButton(self.tr("Activeren"))
            activate.setAccessibleName(self.tr("Activeren in {env}").format(env=env.label))
            activate.clicked.connect(
                lambda _c=False, e=env: self.set_status(e, BerichtTypeStatus.ACTIEF)
            )
            deactivate = QPushButton(self.tr("Deactiveren"))
            deactivate.setAccessibleName(self.tr("Deactiveren in {env}").format(env=env.label))
            deactivate.clicked.connect(
                lambda _c=False, e=env: self.set_status(e, BerichtTypeStatus.GEDEACTIVEERD)
            )
            grid.addWidget(QLabel(env.label), row * 2, 0)
            grid.addWidget(badge, row * 2, 1)
            grid.addWidget(activate, row * 2, 3)
            grid.addWidget(deactivate, row * 2, 4)
            grid.addWidget(note, row * 2 + 1, 1, 1, 4)  # who and when, under the badge
            self.status_badges[env] = badge
            self.status_notes[env] = note
            self.activate_buttons[env] = activate
            self.deactivate_buttons[env] = deactivate
        grid.setColumnStretch(2, 1)
        status_layout.addLayout(grid)
        self.status_message = notice_box("red")
        status_layout.addWidget(self.status_message)
        self.history_list = QListWidget()
        self.history_list.setAccessibleName(self.tr("Geschiedenis van de status"))
        self.history_list.setMaximumHeight(self.fontMetrics().lineSpacing() * 6)
        status_layout.addWidget(muted(QLabel(self.tr("Geschiedenis")), small=True))
        status_layout.addWidget(self.history_list)
        self.status_card = status_card

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(form_card)
        right_layout.addWidget(status_card)
        right_layout.addStretch(1)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(scroll_area(right, horizontal=False))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 480])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        for edit in (self.code_edit, self.name_edit):
            edit.textEdited.connect(self._changed)
        self.description_edit.textChanged.connect(self._changed)
        self.organisation_combo.activated.connect(self._changed)
        self.validator = LiveValidator(runner, self._validate, self._show_issues, self)
        self.show_detail(None)

    # -- loading -----------------------------------------------------------------------------

    def set_organisations(self, organisations: list[Any]) -> None:
        current = self.filter_combo.currentData()
        self.filter_combo.blockSignals(True)
        self.filter_combo.clear()
        self.filter_combo.addItem(self.tr("Alle organisaties"), None)
        chosen = self.organisation_combo.currentData()
        self.organisation_combo.clear()
        for o in organisations:
            self.filter_combo.addItem(o.name, o.id)
            self.organisation_combo.addItem(f"{o.name} ({o.oin})", o.id)
        self.filter_combo.setCurrentIndex(max(self.filter_combo.findData(current), 0))
        self.filter_combo.blockSignals(False)
        if chosen is not None:
            self.organisation_combo.setCurrentIndex(
                max(self.organisation_combo.findData(chosen), 0)
            )

    def refresh(self, select_id: int | None = None) -> None:
        berichttypes = service(self.services, "berichttypes")
        if berichttypes is None:
            return
        wanted = select_id if select_id is not None else selected_row_id(self.table)
        self.runner.run(
            berichttypes.list_all,
            self.filter_combo.currentData(),
            on_done=lambda items: self._loaded(items, wanted),
            lane="io",
            owner=self,
        )

    def _loaded(self, items: list[Any], wanted: int | None) -> None:
        self.items = items
        self.table.blockSignals(True)
        self.table.setRowCount(len(items))
        for row, b in enumerate(items):
            self.table.setItem(row, 0, badge_cell(b.code, b.id))
            self.table.setItem(row, 1, badge_cell(b.organisation_name))
            self.table.setItem(row, 2, badge_cell(b.stage.label, tone=b.stage.tone))
            for col, env in enumerate(Environment, start=3):
                st = b.status_for(env)
                self.table.setItem(row, col, badge_cell(st.label, tone=st.tone))
            self.table.setItem(row, 6, badge_cell(b.name))
        self.table.blockSignals(False)
        if wanted is not None and select_row_with_id(self.table, wanted):
            self._selected()
        elif self.detail is not None and not any(b.id == self.detail.id for b in items):
            self.show_detail(None)

    # -- the detail --------------------------------------------------------------------------

    def new(self) -> None:
        self.table.clearSelection()
        org = self.filter_combo.currentData()
        if org is not None:
            self.organisation_combo.setCurrentIndex(max(self.organisation_combo.findData(org), 0))
        self.show_detail(None)
        self.code_edit.setFocus()

    def show_detail(self, detail: Any) -> None:
        self.detail = detail
        self.general_label.setVisible(False)
        self.status_message.setVisible(False)
        self.organisation_combo.setEnabled(detail is None)
        self.delete_button.setVisible(detail is not None)
        self.status_card.setVisible(detail is not None)
        self.description_edit.blockSignals(True)
        if detail is None:
            self.form_heading.setText(self.tr("Nieuw berichttype"))
            self.code_edit.clear()
            self.name_edit.clear()
            self.description_edit.clear()
        else:
            self.form_heading.setText(
                self.tr("Berichttype {code} van {org}").format(
                    code=detail.code, org=detail.organisation_name
                )
            )
            self.organisation_combo.setCurrentIndex(
                max(self.organisation_combo.findData(detail.organisation_id), 0)
            )
            self.code_edit.setText(detail.code)
            self.name_edit.setText(detail.name)
            self.description_edit.setPlainText(detail.description)
            self._show_status(detail)
        self.description_edit.blockSignals(False)
        self.issues = []
        show_field_issues(self.rows, [])
        self._update_buttons()
        if detail is None:
            self.save_button.setEnabled(False)
            self.reason_label.setText(self.tr("Vul eerst de code en de naam in."))

    def _show_status(self, detail: Any) -> None:
        for env in Environment:
            st = detail.status_for(env)
            self.status_badges[env].set_status(st.label, st.tone)
            change = detail.last_change(env)
            self.status_notes[env].setText(
                self.tr("sinds {when}, door {who}").format(
                    when=format_datetime(change.at), who=change.actor
                )
                if change is not None
                else ""
            )
            self.status_notes[env].setVisible(change is not None)
            self.activate_buttons[env].setEnabled(st is not BerichtTypeStatus.ACTIEF)
            self.deactivate_buttons[env].setEnabled(st is BerichtTypeStatus.ACTIEF)
        self.history_list.clear()
        for h in reversed(detail.history):
            old = h.old.label.lower() if h.old is not None else "-"
            self.history_list.addItem(
                f"{format_datetime(h.at)}  {h.environment.label}: {old} → {h.new.label.lower()}"
                f"  ({h.actor})"
            )
        if not detail.history:
            self.history_list.addItem(self.tr("Nog geen statuswijzigingen."))

    def _selected(self) -> None:
        bid = selected_row_id(self.table)
        found = next((b for b in self.items if b.id == bid), None)
        if found is not None:
            self.show_detail(found)

    def data(self) -> Any:
        from console.services.berichttypes import BerichtTypeInput

        org = self.organisation_combo.currentData()
        return BerichtTypeInput(
            organisation_id=int(org) if org is not None else 0,
            code=self.code_edit.text(),
            name=self.name_edit.text(),
            description=self.description_edit.toPlainText(),
        )

    def _validate(self) -> list[FieldIssue]:
        berichttypes = service(self.services, "berichttypes")
        if berichttypes is None:
            return []
        return list(berichttypes.validate(self.data(), self.detail.id if self.detail else None))

    # -- actions -----------------------------------------------------------------------------

    def save(self) -> None:
        berichttypes = service(self.services, "berichttypes")
        if berichttypes is None or not self.save_button.isEnabled():
            return
        self.save_button.setEnabled(False)
        self._create_or_update(berichttypes)

    def set_status(self, environment: Environment, status: BerichtTypeStatus) -> None:
        berichttypes = service(self.services, "berichttypes")
        if berichttypes is None or self.detail is None:
            return
        self.status_message.setVisible(False)
        self.runner.run(
            berichttypes.set_status,
            self.detail.id,
            environment,
            status,
            on_done=lambda d: self._status_saved(d, environment),
            on_error=self._status_refused,
            lane="db",
            owner=self,
        )

    def delete(self) -> None:
        berichttypes = service(self.services, "berichttypes")
        if berichttypes is None or self.detail is None:
            return
        code = self.detail.code
        if not self.confirm(
            self.tr(
                "Berichttype {code} verwijderen? Dat kan alleen als het nooit actief was en niet "
                "gebruikt wordt; anders deactiveert u het."
            ).format(code=code)
        ):
            return
        self.runner.run(
            berichttypes.delete,
            self.detail.id,
            on_done=lambda _r: self._deleted(code),
            on_error=self._status_refused,
            lane="db",
            owner=self,
        )

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, self.tr("Berichttype verwijderen"), question)
        return answer == QMessageBox.StandardButton.Yes

    def _saved(self, detail: Any) -> None:
        self.show_detail(detail)
        self.notice.emit(self.tr("Berichttype {code} is opgeslagen.").format(code=detail.code))
        self.refresh(detail.id)
        self.dataChanged.emit()

    def _status_saved(self, detail: Any, environment: Environment) -> None:
        self.show_detail(detail)
        self.notice.emit(
            self.tr("Berichttype {code} is nu {status} in {env}.").format(
                code=detail.code,
                status=detail.status_for(environment).label.lower(),
                env=environment_text(environment),
            )
        )
        self.refresh(detail.id)
        self.dataChanged.emit()

    def _deleted(self, code: str) -> None:
        self.show_detail(None)
        self.notice.emit(self.tr("Berichttype {code} is verwijderd.").format(code=code))
        self.refresh()
        self.dataChanged.emit()

    def _status_refused(self, exc: BaseException) -> None:
        self.status_message.setText(str(exc))
        self.status_message.setVisible(True)
        if self.detail is None or not self.status_card.isVisible():
            self.general_label.setText(str(exc))
            self.general_label.setVisible(True)


# --- berichtstromen -------------------------------------------------------------------------


class TemplateEditorWidget(ServiceFormMixin, QWidget):
    """The letter templates of one flow: fields, live rules, and a preview with example values."""

    notice = Signal(str)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.flow: Any = None
        self.template: Any = None
        self.issues: list[FieldIssue] = []
        self.subject = self.tr("Het sjabloon")

        self.template_combo = short_combo()
        self.template_combo.setAccessibleName(self.tr("Sjabloon"))
        self.template_combo.activated.connect(self._template_chosen)
        self.new_button = QPushButton(self.tr("Nieuw s&jabloon"))
        self.new_button.clicked.connect(lambda: self.show_template(None))
        self.name_edit = line_edit(
            self.tr("Naam van het sjabloon"), self.tr("bijvoorbeeld Aanslagbiljet"), 100
        )
        self.berichttype_combo = short_combo()
        self.berichttype_combo.setAccessibleName(self.tr("Berichttype van het sjabloon"))
        self.onderwerp_edit = line_edit(
            self.tr("Onderwerp"), self.tr("bijvoorbeeld Uw aanslag {{jaar}}"), 255
        )
        self.tekst_edit = QPlainTextEdit()
        self.tekst_edit.setAccessibleName(self.tr("Berichttekst"))
        self.tekst_edit.setTabChangesFocus(True)
        self.tekst_edit.setMinimumHeight(self.fontMetrics().lineSpacing() * 7)
        self.rows = {
            "Naam": FieldRowWidget(self.name_edit),
            "Berichttype": FieldRowWidget(self.berichttype_combo),
            "Onderwerp": FieldRowWidget(self.onderwerp_edit),
            "BerichtTekst": FieldRowWidget(self.tekst_edit),
        }
        help_text = ", ".join(f"{{{{{k}}}}}" for k in KNOWN_PLACEHOLDERS)
        self.help_label = muted(
            QLabel(
                self.tr(
                    "Velden: {fields}. Zet voor en na een link een spatie (of een nieuwe regel)."
                ).format(fields=help_text)
            ),
            small=True,
        )
        self.help_label.setTextFormat(Qt.TextFormat.PlainText)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.RichText)
        self.preview.setAccessibleName(self.tr("Voorbeeld van de brief"))
        self.preview.setStyleSheet(
            "QLabel { background: #FFFFFF; border: 1px solid #DADEE4; border-radius: 6px;"
            " padding: 10px; }"
        )
        self.general_label = notice_box("red")
        self.reason_label = muted(QLabel(""), small=True)
        self.save_button = QPushButton(self.tr("Sjabloon op&slaan"))
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton(self.tr("Sjabloon verwijderen"))
        self.delete_button.clicked.connect(self.delete)

        form = field_form(
            self.rows,
            (
                ("Naam", self.tr("Sjabloon&naam"), self.name_edit),
                ("Berichttype", self.tr("&Berichttype"), self.berichttype_combo),
                ("Onderwerp", self.tr("On&derwerp"), self.onderwerp_edit),
                ("BerichtTekst", self.tr("Berichtte&kst"), self.tekst_edit),
            ),
        )
        top = QHBoxLayout()
        top.addWidget(self.template_combo, 1)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.help_label)
        layout.addWidget(muted(QLabel(self.tr("Voorbeeld met voorbeeldgegevens:")), small=True))
        layout.addWidget(self.preview)
        layout.addWidget(self.general_label)
        layout.addWidget(self.reason_label)
        layout.addLayout(button_row(self.save_button, self.delete_button))

        self.name_edit.textEdited.connect(self._changed)
        self.onderwerp_edit.textEdited.connect(self._changed)
        self.tekst_edit.textChanged.connect(self._changed)
        self.berichttype_combo.activated.connect(self._changed)
        self.validator = LiveValidator(runner, self._validate, self._show_issues, self)

    def set_flow(self, flow: Any, codes: list[str]) -> None:
        self.flow = flow
        self.berichttype_combo.clear()
        default = flow.default_berichttype if flow is not None else None
        self.berichttype_combo.addItem(
            self.tr("Standaard van de berichtstroom ({code})").format(code=default or "-"), None
        )
        for code in codes:
            self.berichttype_combo.addItem(code, code)
        self.template_combo.clear()
        for t in flow.templates if flow is not None else ():
            self.template_combo.addItem(t.name, t.id)
        keep = self.template.id if self.template is not None else None
        chosen = next((t for t in (flow.templates if flow else ()) if t.id == keep), None)
        if chosen is None and flow is not None and flow.templates:
            chosen = flow.templates[0]
        self.show_template(chosen)

    def show_template(self, template: Any) -> None:
        self.template = template
        self.general_label.setVisible(False)
        self.tekst_edit.blockSignals(True)
        if template is None:
            self.template_combo.setCurrentIndex(-1)
            self.name_edit.clear()
            self.onderwerp_edit.clear()
            self.tekst_edit.clear()
            self.berichttype_combo.setCurrentIndex(0)
        else:
            self.template_combo.setCurrentIndex(self.template_combo.findData(template.id))
            self.name_edit.setText(template.name)
            self.onderwerp_edit.setText(template.onderwerp)
            self.tekst_edit.setPlainText(template.berichttekst)
            self.berichttype_combo.setCurrentIndex(
                max(self.berichttype_combo.findData(template.berichttype), 0)
            )
        self.tekst_edit.blockSignals(False)
        self.delete_button.setVisible(template is not None)
        self._update_preview()
        if template is not None:
            self._show_issues(list(template.issues))
        else:
            self._show_issues([])
            self.save_button.setEnabled(False)
            self.reason_label.setText(self.tr("Vul een naam en een onderwerp in."))

    def data(self) -> Any:
        from console.services.flows import TemplateInput

        return TemplateInput(
            name=self.name_edit.text(),
            onderwerp=self.onderwerp_edit.text(),
            berichttekst=self.tekst_edit.toPlainText(),
            berichttype=self.berichttype_combo.currentData(),
        )

    def save(self) -> None:
        flows = service(self.services, "flows")
        if flows is None or self.flow is None or not self.save_button.isEnabled():
            return
        self.save_button.setEnabled(False)
        self.runner.run(
            flows.save_template,
            self.flow.id,
            self.data(),
            template_id=self.template.id if self.template is not None else None,
            on_done=self._saved,
            on_error=self._refused,
            lane="db",
            owner=self,
        )

    def delete(self) -> None:
        flows = service(self.services, "flows")
        if flows is None or self.template is None:
            return
        name = self.template.name
        self.runner.run(
            flows.delete_template,
            self.template.id,
            on_done=lambda _r: self._deleted(name),
            on_error=self._refused,
            lane="db",
            owner=self,
        )

    # -- internals ---------------------------------------------------------------------------

    def _template_chosen(self, index: int) -> None:
        tid = self.template_combo.itemData(index)
        found = next((t for t in (self.flow.templates if self.flow else ()) if t.id == tid), None)
        if found is not None:
            self.show_template(found)

    def _changed(self, *args: object) -> None:
        self._update_preview()
        super()._changed(*args)

    def _validate(self) -> list[FieldIssue]:
        flows = service(self.services, "flows")
        if flows is None or self.flow is None:
            return []
        return list(
            flows.validate_template(
                self.flow.id, self.data(), self.template.id if self.template else None
            )
        )

    def _update_buttons(self) -> None:
        super()._update_buttons()
        if self.flow is None:
            self.save_button.setEnabled(False)  # a template is saved in a flow

    def _update_preview(self) -> None:
        if self.flow is None:
            self.preview.setText("")
            return
        links = FlowLinks(self.flow.portal_url, self.flow.payment_url)
        rendered = render_template(
            self.onderwerp_edit.text(), self.tekst_edit.toPlainText(), EXAMPLE_VALUES, links
        )
        self.preview.setText(
            preview_html(rendered.onderwerp, rendered.berichttekst, self.flow.organisation_name)
        )

    def _saved(self, template: Any) -> None:
        self.template = template
        self.notice.emit(self.tr("Sjabloon {name} is opgeslagen.").format(name=template.name))
        self._show_issues(list(template.issues))
        self.save_button.setEnabled(True)
        self.reload_requested.emit()

    def _deleted(self, name: str) -> None:
        self.template = None
        self.notice.emit(self.tr("Sjabloon {name} is verwijderd.").format(name=name))
        self.reload_requested.emit()

    #: The flow must be reloaded (a template was saved or deleted).
    reload_requested = Signal()


class FlowFormWidget(ServiceFormMixin, QWidget):
    """One berichtstroom: who, from where, which berichttype, cadence, policy, links, peaks."""

    saved = Signal(object)
    notice = Signal(str)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.detail: Any = None
        self.issues: list[FieldIssue] = []
        self.subject = self.tr("De berichtstroom")
        self.connections: list[Any] = []
        self.codes: list[str] = []

        self.organisation_combo = short_combo()
        self.organisation_combo.setAccessibleName(self.tr("Organisatie"))
        self.organisation_combo.activated.connect(self._organisation_changed)
        self.name_edit = line_edit(
            self.tr("Naam"), self.tr("bijvoorbeeld Aanslag gemeentelijke belastingen"), 200
        )
        self.source_edit = line_edit(
            self.tr("Bronsysteem"), self.tr("bijvoorbeeld Belastingapplicatie"), 200
        )
        self.berichttype_combo = short_combo()
        self.berichttype_combo.setAccessibleName(self.tr("Standaardberichttype"))
        self.connection_combo = short_combo()
        self.connection_combo.setAccessibleName(self.tr("Koppeling"))
        self.cadence_combo = short_combo()
        self.cadence_combo.setAccessibleName(self.tr("Cadans"))
        for c in Cadence:
            self.cadence_combo.addItem(c.label, c.value)
        self.volume_spin = QSpinBox()
        self.volume_spin.setAccessibleName(self.tr("Verwacht aantal per maand"))
        self.volume_spin.setRange(0, 10_000_000)
        self.volume_spin.setSingleStep(100)
        self.volume_spin.setGroupSeparatorShown(True)
        self.volume_spin.setSpecialValueText(self.tr("niet opgegeven"))
        self.volume_spin.setLocale(QLocale(QLocale.Language.Dutch, QLocale.Country.Netherlands))
        self.policy_combo = short_combo()
        self.policy_combo.setAccessibleName(self.tr("Post of digitaal"))
        for p in DeliveryPolicy:
            self.policy_combo.addItem(p.label, p.value)
        self.portal_edit = line_edit(self.tr("Portaaladres"), "https://mijn.voorbeeld.nl/")
        self.payment_edit = line_edit(self.tr("Betaaladres"), "https://betalen.voorbeeld.nl/")
        self.peaks_table = QTableWidget(0, 3)
        self.peaks_table.setAccessibleName(self.tr("Piekdagen"))
        self.peaks_table.setHorizontalHeaderLabels(
            [self.tr("Datum (JJJJ-MM-DD)"), self.tr("Aantal brieven"), self.tr("Omschrijving")]
        )
        self.peaks_table.verticalHeader().setVisible(False)
        peaks_header = self.peaks_table.horizontalHeader()
        peaks_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        peaks_header.setStretchLastSection(True)
        self.peaks_table.setMaximumHeight(self.fontMetrics().lineSpacing() * 7)
        self.peaks_table.itemChanged.connect(self._changed)
        add_peak = QPushButton(self.tr("Piekdag &toevoegen"))
        add_peak.clicked.connect(self.add_peak)
        remove_peak = QPushButton(self.tr("Piekdag weghalen"))
        remove_peak.clicked.connect(self.remove_peak)
        peaks_box = QWidget()
        peaks_layout = QVBoxLayout(peaks_box)
        peaks_layout.setContentsMargins(0, 0, 0, 0)
        peaks_layout.addWidget(self.peaks_table)
        peaks_layout.addLayout(button_row(add_peak, remove_peak))
        self.active_check = QCheckBox(self.tr("&Actief"))
        self.active_check.setChecked(True)

        self.rows = {
            "Organisatie": FieldRowWidget(self.organisation_combo),
            "Naam": FieldRowWidget(self.name_edit),
            "Bronsysteem": FieldRowWidget(self.source_edit),
            "Berichttype": FieldRowWidget(self.berichttype_combo),
            "Koppeling": FieldRowWidget(self.connection_combo),
            "Cadans": FieldRowWidget(self.cadence_combo),
            "Volume": FieldRowWidget(self.volume_spin),
            "Beleid": FieldRowWidget(self.policy_combo),
            "Portaaladres": FieldRowWidget(self.portal_edit),
            "Betaaladres": FieldRowWidget(self.payment_edit),
            "Piekdagen": FieldRowWidget(peaks_box),
        }
        form_card, form_layout, self.heading = card_with_heading(self.tr("Nieuwe berichtstroom"))
        self.status_badge = StatusBadgeLabel()
        form_layout.insertWidget(1, self.status_badge, 0, Qt.AlignmentFlag.AlignLeft)
        form = field_form(
            self.rows,
            (
                ("Organisatie", self.tr("&Organisatie"), self.organisation_combo),
                ("Naam", self.tr("&Naam"), self.name_edit),
                ("Bronsysteem", self.tr("&Bronsysteem"), self.source_edit),
                ("Berichttype", self.tr("Standaard&berichttype"), self.berichttype_combo),
                ("Koppeling", self.tr("&Koppeling"), self.connection_combo),
                ("Cadans", self.tr("&Cadans"), self.cadence_combo),
                ("Volume", self.tr("&Volume per maand"), self.volume_spin),
                ("Beleid", self.tr("&Post of digitaal"), self.policy_combo),
                ("Portaaladres", self.tr("Po&rtaaladres"), self.portal_edit),
                ("Betaaladres", self.tr("B&etaaladres"), self.payment_edit),
                ("Piekdagen", self.tr("Piek&dagen"), self.peaks_table),
            ),
        )
        form.addRow("", self.active_check)
        form_layout.addLayout(form)
        self.environment_label = muted(QLabel(""))
        form_layout.addWidget(self.environment_label)
        self.general_label = notice_box("red")
        self.reason_label = muted(QLabel(""), small=True)
        self.save_button = QPushButton(self.tr("&Opslaan"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        form_layout.addWidget(self.general_label)
        form_layout.addWidget(self.reason_label)
        form_layout.addLayout(button_row(self.save_button))

        templates_card, templates_layout = card(
            self.tr("Briefsjablonen"),
            self.tr(
                "De tekst van de brieven van deze berichtstroom, met velden die het bronsysteem "
                "invult. {{betaallink}} wordt een link naar de betaalomgeving met de referentie "
                "en het bedrag; {{portaallink}} een link naar het portaal."
            ),
        )
        self.templates = TemplateEditorWidget(services, runner)
        self.templates.notice.connect(self.notice)
        self.templates.reload_requested.connect(self.reload)
        templates_layout.addWidget(self.templates)
        self.templates_card = templates_card

        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 8, 0)
        inner.addWidget(form_card)
        inner.addWidget(templates_card)
        inner.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll_area(content, horizontal=False))

        for edit in (self.name_edit, self.source_edit, self.portal_edit, self.payment_edit):
            edit.textEdited.connect(self._changed)
        for combo in (
            self.berichttype_combo,
            self.connection_combo,
            self.cadence_combo,
            self.policy_combo,
        ):
            combo.activated.connect(self._changed)
        self.volume_spin.valueChanged.connect(self._changed)
        self.active_check.toggled.connect(self._changed)
        self.validator = LiveValidator(runner, self._validate, self._show_issues, self)

    # -- public ------------------------------------------------------------------------------

    def set_choices(self, organisations: list[Any], connections: list[Any]) -> None:
        chosen = self.organisation_combo.currentData()
        self.organisation_combo.clear()
        for o in organisations:
            self.organisation_combo.addItem(f"{o.name} ({o.oin})", o.id)
        if chosen is not None:
            self.organisation_combo.setCurrentIndex(
                max(self.organisation_combo.findData(chosen), 0)
            )
        self.connections = connections
        self._fill_connections()

    def load(self, detail: Any) -> None:
        self.detail = detail
        self.general_label.setVisible(False)
        self.organisation_combo.setEnabled(detail is None)
        self.templates_card.setVisible(detail is not None)
        self.status_badge.setVisible(detail is not None)
        if detail is None:
            self.heading.setText(self.tr("Nieuwe berichtstroom"))
            for edit in (self.name_edit, self.source_edit, self.portal_edit, self.payment_edit):
                edit.clear()
            self.cadence_combo.setCurrentIndex(0)
            self.policy_combo.setCurrentIndex(0)
            self.volume_spin.blockSignals(True)
            self.volume_spin.setValue(0)
            self.volume_spin.blockSignals(False)
            self.active_check.setChecked(True)
            self._set_peaks([])
            self.environment_label.setText("")
        else:
            self.heading.setText(detail.name)
            self.status_badge.set_status(
                self.tr("Actief") if detail.active else self.tr("Gedeactiveerd"),
                "green" if detail.active else "grey",
            )
            self.organisation_combo.setCurrentIndex(
                max(self.organisation_combo.findData(detail.organisation_id), 0)
            )
            self.name_edit.setText(detail.name)
            self.source_edit.setText(detail.source_system)
            self.cadence_combo.setCurrentIndex(
                max(self.cadence_combo.findData(detail.cadence.value), 0)
            )
            self.policy_combo.setCurrentIndex(
                max(self.policy_combo.findData(detail.delivery_policy.value), 0)
            )
            self.volume_spin.blockSignals(True)
            self.volume_spin.setValue(detail.volume_per_month or 0)
            self.volume_spin.blockSignals(False)
            self.portal_edit.setText(detail.portal_url)
            self.payment_edit.setText(detail.payment_url)
            self.active_check.blockSignals(True)
            self.active_check.setChecked(detail.active)
            self.active_check.blockSignals(False)
            self._set_peaks(list(detail.peaks))
            self.environment_label.setText(self._environment_text(detail))
        self._fill_connections()
        self._load_codes()
        self.issues = []
        show_field_issues(self.rows, [])
        self._update_buttons()
        if detail is None:
            self.save_button.setEnabled(False)
            self.reason_label.setText(self.tr("Kies de organisatie en vul een naam in."))

    def reload(self) -> None:
        flows = service(self.services, "flows")
        if flows is None or self.detail is None:
            return
        self.runner.run(flows.get, self.detail.id, on_done=self.load, lane="io", owner=self)

    def data(self) -> Any:
        from console.services.flows import FlowInput

        org = self.organisation_combo.currentData()
        peaks, _problems = self._peaks()
        return FlowInput(
            organisation_id=int(org) if org is not None else 0,
            name=self.name_edit.text(),
            source_system=self.source_edit.text(),
            default_berichttype=self.berichttype_combo.currentData(),
            connection_id=self.connection_combo.currentData(),
            cadence=str(self.cadence_combo.currentData()),
            volume_per_month=self.volume_spin.value() or None,
            delivery_policy=str(self.policy_combo.currentData()),
            portal_url=self.portal_edit.text(),
            payment_url=self.payment_edit.text(),
            peaks=tuple(peaks),
            active=self.active_check.isChecked(),
        )

    def add_peak(self) -> None:
        row = self.peaks_table.rowCount()
        self.peaks_table.blockSignals(True)
        self.peaks_table.insertRow(row)
        for col in range(3):
            self.peaks_table.setItem(row, col, QTableWidgetItem(""))
        self.peaks_table.blockSignals(False)
        self.peaks_table.setCurrentCell(row, 0)
        first = self.peaks_table.item(row, 0)
        if first is not None:
            self.peaks_table.editItem(first)

    def remove_peak(self) -> None:
        row = self.peaks_table.currentRow()
        if row >= 0:
            self.peaks_table.removeRow(row)
            self._changed()

    def save(self) -> None:
        flows = service(self.services, "flows")
        if flows is None or not self.save_button.isEnabled():
            return
        self.save_button.setEnabled(False)
        self._create_or_update(flows)

    # -- internals ---------------------------------------------------------------------------

    def _environment_text(self, detail: Any) -> str:
        if not detail.berichttype_status:
            return self.tr("Geen actieve koppeling verstuurt voor deze organisatie.")
        parts = [
            self.tr("{env}: berichttype {code} {state}").format(
                env=env.label,
                code=detail.default_berichttype or "-",
                state=st.label.lower() if st is not None else self.tr("bestaat niet"),
            )
            for env, st in detail.berichttype_status
        ]
        return self.tr("Brieven gaan naar: {parts}.").format(parts="; ".join(parts))

    def _set_peaks(self, peaks: list[Any]) -> None:
        self.peaks_table.blockSignals(True)
        self.peaks_table.setRowCount(len(peaks))
        for row, p in enumerate(peaks):
            self.peaks_table.setItem(row, 0, QTableWidgetItem(p.day.isoformat()))
            self.peaks_table.setItem(
                row, 1, QTableWidgetItem(str(p.expected_letters) if p.expected_letters else "")
            )
            self.peaks_table.setItem(row, 2, QTableWidgetItem(p.note))
        self.peaks_table.blockSignals(False)

    def _peaks(self) -> tuple[list[Any], list[FieldIssue]]:
        from console.services.flows import PeakInput

        peaks: list[Any] = []
        problems: list[FieldIssue] = []
        for row in range(self.peaks_table.rowCount()):
            texts = [_item_text(self.peaks_table.item(row, c)) for c in range(3)]
            if not any(texts):
                continue
            try:
                day = date.fromisoformat(texts[0])
            except ValueError:
                problems.append(
                    FieldIssue(
                        "Piekdagen",
                        self.tr(
                            "Regel {n}: '{d}' is geen datum; schrijf bijvoorbeeld 2027-02-28."
                        ).format(n=row + 1, d=texts[0]),
                    )
                )
                continue
            count: int | None = None
            if texts[1]:
                try:
                    count = int(texts[1].replace(".", ""))
                except ValueError:
                    problems.append(
                        FieldIssue(
                            "Piekdagen",
                            self.tr("Regel {n}: aantal '{a}' is geen getal.").format(
                                n=row + 1, a=texts[1]
                            ),
                        )
                    )
                    continue
            peaks.append(PeakInput(day, count, texts[2]))
        return peaks, problems

    def _organisation_changed(self, *_args: object) -> None:
        self._fill_connections()
        self._load_codes()
        self._changed()

    def _fill_connections(self) -> None:
        org = self.organisation_combo.currentData()
        current = (
            self.detail.connection_id
            if self.detail is not None
            else self.connection_combo.currentData()
        )
        self.connection_combo.clear()
        self.connection_combo.addItem(
            self.tr("(elke koppeling die voor de organisatie verstuurt)"), None
        )
        for c in self.connections:
            serves = org is not None and (
                c.owner.id == org or any(o.id == org for o in c.organisations)
            )
            if serves:
                self.connection_combo.addItem(f"{c.name} ({c.environment.label})", c.id)
        self.connection_combo.setCurrentIndex(max(self.connection_combo.findData(current), 0))

    def _load_codes(self) -> None:
        berichttypes = service(self.services, "berichttypes")
        org = self.organisation_combo.currentData()
        if berichttypes is None or org is None:
            self._codes_loaded([])
            return
        self.runner.run(
            lambda: [b.code for b in berichttypes.list_all(int(org))],
            on_done=self._codes_loaded,
            lane="io",
            owner=self,
        )

    def _codes_loaded(self, codes: list[str]) -> None:
        self.codes = codes
        wanted = (
            self.detail.default_berichttype
            if self.detail is not None
            else self.berichttype_combo.currentData()
        )
        self.berichttype_combo.clear()
        self.berichttype_combo.addItem(self.tr("(geen standaardberichttype)"), None)
        for code in codes:
            self.berichttype_combo.addItem(code, code)
        if wanted is not None and self.berichttype_combo.findData(wanted) < 0:
            self.berichttype_combo.addItem(
                self.tr("{code} (bestaat niet)").format(code=wanted), wanted
            )
        self.berichttype_combo.setCurrentIndex(max(self.berichttype_combo.findData(wanted), 0))
        self.templates.set_flow(self.detail, codes)

    def _validate(self) -> list[FieldIssue]:
        flows = service(self.services, "flows")
        if flows is None:
            return []
        _peaks, problems = self._peaks()
        return problems + list(flows.validate(self.data(), self.detail.id if self.detail else None))

    def _saved(self, detail: Any) -> None:
        self.load(detail)
        self.saved.emit(detail)


class FlowsPanel(QWidget):
    notice = Signal(str)
    dataChanged = Signal()

    COLUMNS = ("Berichtstroom", "Organisatie", "Berichttype", "Koppeling", "Status")

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.items: list[Any] = []
        self.table = read_only_table([self.tr(c) for c in self.COLUMNS], self.tr("Berichtstromen"))
        self.table.setItemDelegateForColumn(4, StatusBadgeDelegate(self.table))
        self.table.itemSelectionChanged.connect(self._selected)
        self.new_button = QPushButton(self.tr("&Nieuwe berichtstroom"))
        self.new_button.clicked.connect(self.new)
        self.active_button = QPushButton(self.tr("&Deactiveren"))
        self.active_button.clicked.connect(self.toggle_active)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(button_row(self.new_button, self.active_button))
        self.form = FlowFormWidget(services, runner)
        self.form.saved.connect(self._saved)
        self.form.notice.connect(self.notice)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.form)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([460, 620])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(splitter)
        self.active_button.setEnabled(False)

    def refresh(self, select_id: int | None = None) -> None:
        flows = service(self.services, "flows")
        if flows is None:
            return
        wanted = select_id if select_id is not None else selected_row_id(self.table)
        self.runner.run(
            flows.list_all, on_done=lambda items: self._loaded(items, wanted), lane="io", owner=self
        )

    def _loaded(self, items: list[Any], wanted: int | None) -> None:
        self.items = items
        self.table.blockSignals(True)
        self.table.setRowCount(len(items))
        for row, f in enumerate(items):
            self.table.setItem(row, 0, badge_cell(f.name, f.id))
            self.table.setItem(row, 1, badge_cell(f.organisation_name))
            self.table.setItem(row, 2, badge_cell(f.default_berichttype or "-"))
            self.table.setItem(row, 3, badge_cell(f.connection_name or self.tr("(elke)")))
            drift = any(st is not BerichtTypeStatus.ACTIEF for _env, st in f.berichttype_status)
            if not f.active:
                status = (self.tr("Gedeactiveerd"), "grey")
            elif drift:
                status = (self.tr("Berichttype niet actief"), "amber")
            else:
                status = (self.tr("Actief"), "green")
            self.table.setItem(row, 4, badge_cell(status[0], tone=status[1]))
        self.table.blockSignals(False)
        if wanted is not None and select_row_with_id(self.table, wanted):
            self._selected()
        elif (
            wanted is None and items and self.form.detail is None and not self.form.name_edit.text()
        ):
            self.table.selectRow(0)
            self._selected()

    def new(self) -> None:
        self.table.clearSelection()
        self.form.load(None)
        self.active_button.setEnabled(False)
        self.form.name_edit.setFocus()

    def toggle_active(self) -> None:
        flows = service(self.services, "flows")
        detail = self.form.detail
        if flows is None or detail is None:
            return
        self.runner.run(
            flows.set_active,
            detail.id,
            not detail.active,
            on_done=self._saved,
            on_error=self.form._refused,
            lane="db",
            owner=self,
        )

    def _selected(self) -> None:
        fid = selected_row_id(self.table)
        found = next((f for f in self.items if f.id == fid), None)
        if found is not None:
            self.form.load(found)
            self.active_button.setEnabled(True)
            self.active_button.setText(
                self.tr("&Deactiveren") if found.active else self.tr("&Activeren")
            )

    def _saved(self, detail: Any) -> None:
        self.notice.emit(self.tr("Berichtstroom {name} is opgeslagen.").format(name=detail.name))
        self.refresh(detail.id)
        self.dataChanged.emit()


class FlowsView(QWidget):
    """The Stromen page."""

    notice = Signal(str)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        layout = page_layout(
            self,
            self.tr("Stromen"),
            self.tr(
                "De berichtstromen van uw organisaties (welke brieven, uit welk systeem, hoe "
                "vaak) en de berichttypes met hun status per omgeving."
            ),
        )
        self.available = service(services, "flows") is not None
        if not self.available:
            layout.addWidget(
                EmptyStateWidget(
                    self.tr("Het beheer van berichtstromen is in deze omgeving niet beschikbaar.")
                ),
                1,
            )
            return
        self.drift_label = notice_box("amber")
        self.drift_label.setAccessibleName(self.tr("Berichttypes die niet actief zijn"))
        layout.addWidget(self.drift_label)
        self.tabs = QTabWidget()
        self.flows = FlowsPanel(services, runner)
        self.berichttypes = BerichtTypesPanel(services, runner)
        self.tabs.addTab(self.flows, self.tr("Berichtstromen"))
        self.tabs.addTab(self.berichttypes, self.tr("Berichttypes"))
        layout.addWidget(self.tabs, 1)
        for panel in (self.flows, self.berichttypes):
            panel.notice.connect(self.notice)
            panel.dataChanged.connect(self.refresh)
        self.drift: list[Any] = []
        self._loaded_once = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.available:
            self.refresh()

    def refresh(self) -> None:
        if not self.available:
            return
        organisations = service(self.services, "organisations")
        connections = service(self.services, "connections")
        berichttypes = service(self.services, "berichttypes")
        self.runner.run(
            lambda: (
                organisations.list_all() if organisations is not None else [],
                connections.list_all() if connections is not None else [],
                berichttypes.drift() if berichttypes is not None else [],
            ),
            on_done=self._loaded,
            lane="io",
            owner=self,
        )

    def _loaded(self, loaded: tuple[list[Any], list[Any], list[Any]]) -> None:
        organisations, connections, drift = loaded
        first = not self._loaded_once
        self._loaded_once = True
        self.form_choices(organisations, connections)
        self.berichttypes.set_organisations(organisations)
        self.drift = drift
        if drift:
            lines = [d.message for d in drift[:5]]
            if len(drift) > 5:
                lines.append(self.tr("En nog {n}.").format(n=len(drift) - 5))
            self.drift_label.setText(
                self.tr("Let op, controleer vóór het versturen:") + "\n" + "\n".join(lines)
            )
        self.drift_label.setVisible(bool(drift))
        self.flows.refresh()
        self.berichttypes.refresh()
        if first and self.flows.form.detail is None:
            self.flows.form.load(None)

    def form_choices(self, organisations: list[Any], connections: list[Any]) -> None:
        self.flows.form.set_choices(organisations, connections)
