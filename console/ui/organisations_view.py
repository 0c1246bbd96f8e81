"""Organisaties: organisations (afnemers), connections (koppelingen) with the intermediary
set-up, and the CPA of the connection in use.

Forms validate while the user types (the service decides, off the GUI thread) and say under
each field what is wrong; the save button says why it is disabled. Deleting what letters refer
to is refused by the service with a message that suggests deactivating instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.domain.environment import Environment
from console.domain.letter import FieldIssue
from console.domain.oin import is_test_oin
from console.ui import theme
from console.ui.copyable_field import CopyableField
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
from console.ui.status_badge import StatusBadgeDelegate, StatusBadgeLabel
from console.ui.tables import badge_cell, read_only_table, select_row_with_id, selected_row_id
from console.ui.tasks import TaskRunner

KINDS = (
    ("gemeente", "Gemeente"),
    ("waterschap", "Waterschap"),
    ("belastingsamenwerking", "Belastingsamenwerking"),
    ("pensioenfonds", "Pensioenfonds"),
    ("pensioenuitvoerder", "Pensioenuitvoerder"),
    ("leverancier", "Leverancier (SaaS)"),
    ("overig", "Overig"),
)
CONTACT_ROLES = (
    ("algemeen", "Algemeen contact"),
    ("technisch", "Technisch contact"),
    ("communicatie", "Communicatie"),
)
ENVIRONMENT_TONES = {
    Environment.SIMULATOR: "blue",
    Environment.PREPROD: "amber",
    Environment.PRODUCTIE: "red",
}


# --- organisations --------------------------------------------------------------------------


class OrganisationFormWidget(ServiceFormMixin, QWidget):
    """Name, OIN, kind, the profile citizens see, and the three contacts."""

    #: The organisation was saved (carries the OrganisationDetail).
    saved = Signal(object)
    #: Deactivated, reactivated or deleted (carries a Dutch notice).
    changed = Signal(str)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.detail: Any = None  # the OrganisationDetail being edited; None: a new one
        self.issues: list[FieldIssue] = []
        self._saving = False
        self.subject = self.tr("De organisatie")
        self.saving_text = self.tr("Bezig met opslaan…")

        self.heading = QLabel(self.tr("Nieuwe organisatie"))
        self.heading.setFont(theme.heading_font(self.font(), scale=1.2))
        self.status_badge = StatusBadgeLabel()
        self.name_edit = line_edit(self.tr("Naam"), self.tr("bijvoorbeeld Gemeente Voorbeeld"), 200)
        self.oin_edit = line_edit(self.tr("OIN"), self.tr("20 cijfers"), 20)
        self.kind_combo = short_combo()
        self.kind_combo.setAccessibleName(self.tr("Soort organisatie"))
        for value, kind_label in KINDS:
            self.kind_combo.addItem(self.tr(kind_label), value)
        self.display_edit = line_edit(
            self.tr("Weergavenaam"), self.tr("zoals burgers hem zien"), 200
        )
        self.description_edit = QPlainTextEdit()
        self.description_edit.setAccessibleName(self.tr("Omschrijving voor burgers"))
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4)
        self.website_edit = line_edit(self.tr("Website"), "https://www.voorbeeld.nl/")
        self.contact_url_edit = line_edit(
            self.tr("Contactpagina"), "https://www.voorbeeld.nl/contact"
        )
        self.phone_edit = line_edit(self.tr("Telefoonnummer voor burgers"), "14 0123")

        self.rows: dict[str, FieldRowWidget] = {
            "Naam": FieldRowWidget(self.name_edit),
            "OIN": FieldRowWidget(self.oin_edit),
            "Soort": FieldRowWidget(self.kind_combo),
            "Weergavenaam": FieldRowWidget(self.display_edit),
            "Omschrijving": FieldRowWidget(self.description_edit),
            "Website": FieldRowWidget(self.website_edit),
            "Contactpagina": FieldRowWidget(self.contact_url_edit),
            "Telefoonnummer": FieldRowWidget(self.phone_edit),
        }
        self.contact_edits: dict[str, tuple[QLineEdit, QLineEdit, QLineEdit]] = {}

        basics = field_form(
            self.rows,
            (
                ("Naam", self.tr("&Naam"), self.name_edit),
                ("OIN", self.tr("&OIN"), self.oin_edit),
                ("Soort", self.tr("&Soort"), self.kind_combo),
            ),
        )

        profile_card, profile_layout = card(
            self.tr("Organisatieprofiel"),
            self.tr("Wat burgers in MijnOverheid van de organisatie zien."),
        )
        profile_form = field_form(
            self.rows,
            (
                ("Weergavenaam", self.tr("&Weergavenaam"), self.display_edit),
                ("Omschrijving", self.tr("Om&schrijving"), self.description_edit),
                ("Website", self.tr("&Website"), self.website_edit),
                ("Contactpagina", self.tr("&Contactpagina"), self.contact_url_edit),
                ("Telefoonnummer", self.tr("&Telefoon"), self.phone_edit),
            ),
        )
        profile_layout.addLayout(profile_form)

        contacts_card, contacts_layout = card(
            self.tr("Contactpersonen"),
            self.tr("Wie Logius en de leverancier bellen of mailen, per onderwerp."),
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        for col, text in enumerate((self.tr("Naam"), self.tr("E-mail"), self.tr("Telefoon")), 1):
            grid.addWidget(muted(QLabel(text), small=True), 0, col)
        for r, (role, label_text) in enumerate(CONTACT_ROLES, start=1):
            grid.addWidget(QLabel(self.tr(label_text)), r * 2 - 1, 0)
            edits = (
                line_edit(self.tr("{role}: naam").format(role=label_text), max_length=200),
                line_edit(self.tr("{role}: e-mail").format(role=label_text), max_length=254),
                line_edit(self.tr("{role}: telefoon").format(role=label_text), max_length=50),
            )
            self.contact_edits[role] = edits
            for c, (part, edit) in enumerate(
                zip(("naam", "e-mail", "telefoon"), edits, strict=True)
            ):
                row = FieldRowWidget(edit)
                self.rows[f"{role} {part}"] = row
                grid.addWidget(row, r * 2 - 1, c + 1)
                edit.textEdited.connect(self._changed)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)
        grid.setColumnStretch(3, 1)
        contacts_layout.addLayout(grid)

        self.info_label = muted(QLabel(""))
        self.general_label = notice_box("red")
        self.reason_label = muted(QLabel(""), small=True)
        self.save_button = QPushButton(self.tr("&Opslaan"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        self.active_button = QPushButton(self.tr("&Deactiveren"))
        self.active_button.clicked.connect(self.toggle_active)
        self.delete_button = QPushButton(self.tr("&Verwijderen"))
        self.delete_button.clicked.connect(self.delete)

        for edit in (
            self.name_edit,
            self.oin_edit,
            self.display_edit,
            self.website_edit,
            self.contact_url_edit,
            self.phone_edit,
        ):
            edit.textEdited.connect(self._changed)
        self.description_edit.textChanged.connect(self._changed)
        self.kind_combo.activated.connect(self._changed)

        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.status_badge)
        top.addStretch(1)
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 8, 0)
        inner.setSpacing(12)
        inner.addLayout(top)
        inner.addLayout(basics)
        inner.addWidget(self.info_label)
        inner.addWidget(profile_card)
        inner.addWidget(contacts_card)
        inner.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll_area(content, horizontal=False), 1)
        layout.addWidget(self.general_label)
        layout.addWidget(self.reason_label)
        layout.addLayout(button_row(self.save_button, self.active_button, self.delete_button))

        self.validator = LiveValidator(runner, self._validate, self._show_issues, self)
        self.load(None)

    # -- public ------------------------------------------------------------------------------

    def load(self, detail: Any) -> None:
        """Show *detail* (an OrganisationDetail) for editing, or an empty form for a new one."""
        self.detail = detail
        self.general_label.setVisible(False)
        if detail is None:
            self.heading.setText(self.tr("Nieuwe organisatie"))
            self.status_badge.setVisible(False)
            for edit in (
                self.name_edit,
                self.oin_edit,
                self.display_edit,
                self.website_edit,
                self.contact_url_edit,
                self.phone_edit,
            ):
                edit.clear()
            self.description_edit.blockSignals(True)
            self.description_edit.clear()
            self.description_edit.blockSignals(False)
            self.kind_combo.setCurrentIndex(0)
            for edits in self.contact_edits.values():
                for e in edits:
                    e.clear()
            self.info_label.setText(
                self.tr("Vul de naam en het OIN in. Contactpersonen en profiel kunnen later.")
            )
        else:
            self.heading.setText(detail.name)
            self.status_badge.setVisible(True)
            self.status_badge.set_status(
                self.tr("Actief") if detail.active else self.tr("Gedeactiveerd"),
                "green" if detail.active else "grey",
            )
            self.name_edit.setText(detail.name)
            self.oin_edit.setText(detail.oin)
            self.kind_combo.setCurrentIndex(max(self.kind_combo.findData(detail.kind), 0))
            p = detail.profile
            self.display_edit.setText(p.display_name)
            self.description_edit.blockSignals(True)
            self.description_edit.setPlainText(p.description)
            self.description_edit.blockSignals(False)
            self.website_edit.setText(p.website_url)
            self.contact_url_edit.setText(p.contact_url)
            self.phone_edit.setText(p.contact_phone)
            by_role = {c.role: c for c in detail.contacts}
            for role, (n, e, t) in self.contact_edits.items():
                c = by_role.get(role)
                n.setText(c.name if c else "")
                e.setText(c.email if c else "")
                t.setText(c.phone if c else "")
            parts = []
            if detail.owns_connections:
                parts.append(
                    self.tr("Eigen koppeling: {names}.").format(
                        names=", ".join(detail.owns_connections)
                    )
                )
            if detail.sent_for_by:
                parts.append(
                    self.tr("Verstuurt via intermediair: {names}.").format(
                        names=", ".join(detail.sent_for_by)
                    )
                )
            parts.append(
                self.tr("{b} berichttypes, {f} berichtstromen, {n} berichten.").format(
                    b=detail.berichttype_count, f=detail.flow_count, n=detail.letter_count
                )
            )
            self.info_label.setText(" ".join(parts))
        self.active_button.setVisible(detail is not None)
        self.delete_button.setVisible(detail is not None)
        if detail is not None:
            self.active_button.setText(
                self.tr("&Deactiveren") if detail.active else self.tr("&Activeren")
            )
        self.issues = []
        show_field_issues(self.rows, [])
        self._update_buttons()
        if detail is None:
            self.save_button.setEnabled(False)
            self.reason_label.setText(self.tr("Vul eerst de naam en het OIN in."))

    def data(self) -> Any:
        from console.services.organisations import ContactInput, OrganisationInput, ProfileInput

        return OrganisationInput(
            name=self.name_edit.text(),
            oin=self.oin_edit.text().strip(),
            kind=str(self.kind_combo.currentData()),
            profile=ProfileInput(
                self.display_edit.text(),
                self.description_edit.toPlainText(),
                self.website_edit.text(),
                self.contact_url_edit.text(),
                self.phone_edit.text(),
            ),
            contacts=tuple(
                ContactInput(role, n.text(), e.text(), t.text())
                for role, (n, e, t) in self.contact_edits.items()
            ),
        )

    def save(self) -> None:
        organisations = service(self.services, "organisations")
        if self._saving or organisations is None:
            return
        self._saving = True
        self._update_buttons()
        self._create_or_update(organisations)

    def toggle_active(self) -> None:
        organisations = service(self.services, "organisations")
        if self.detail is None or organisations is None:
            return
        self.runner.run(
            organisations.set_active,
            self.detail.id,
            not self.detail.active,
            on_done=lambda d: self._status_changed(
                d,
                self.tr("{name} is weer actief.")
                if d.active
                else self.tr("{name} is gedeactiveerd; de geschiedenis blijft bewaard."),
            ),
            on_error=self._refused,
            lane="db",
            owner=self,
        )

    def delete(self) -> None:
        organisations = service(self.services, "organisations")
        if self.detail is None or organisations is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Organisatie verwijderen"),
            self.tr(
                "{name} verwijderen? Dat kan alleen als er geen berichten, koppelingen of "
                "berichtstromen naar verwijzen; anders kunt u haar deactiveren."
            ).format(name=self.detail.name),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        name = self.detail.name
        self.runner.run(
            organisations.delete,
            self.detail.id,
            on_done=lambda _r: self._deleted(name),
            on_error=self._refused,
            lane="db",
            owner=self,
        )

    # -- internals ---------------------------------------------------------------------------

    def _validate(self) -> list[FieldIssue]:
        organisations = service(self.services, "organisations")
        if organisations is None:
            return []
        return list(organisations.validate(self.data(), self.detail.id if self.detail else None))

    def _show_issues(self, issues: list[FieldIssue]) -> None:
        super()._show_issues(issues)
        # Then a hint under the OIN: a countdown while typing, or that it is a test OIN.
        oin = self.oin_edit.text().strip()
        if self.oin_edit.hasFocus() and oin.isdigit() and len(oin) < 20:
            # Still typing: count down instead of scolding.
            self.rows["OIN"].show_message(
                self.tr("Nog {n} cijfers.").format(n=20 - len(oin)), "muted"
            )
        elif not self.rows["OIN"].message.text() and len(oin) == 20 and is_test_oin(oin):
            self.rows["OIN"].show_message(
                self.tr("Test-OIN (00000099…): voor de simulator en preprod, niet voor productie."),
                "muted",
            )

    def _saved(self, detail: Any) -> None:
        self._saving = False
        self.load(detail)
        self.saved.emit(detail)

    def _status_changed(self, detail: Any, text: str) -> None:
        self.load(detail)
        self.changed.emit(text.format(name=detail.name))

    def _deleted(self, name: str) -> None:
        self.load(None)
        self.changed.emit(self.tr("{name} is verwijderd.").format(name=name))


class OrganisationsPanel(QWidget):
    """The list of organisations beside the form."""

    notice = Signal(str)
    dataChanged = Signal()

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.organisations: list[Any] = []
        self.search_edit = line_edit(self.tr("Zoek organisatie"), self.tr("Zoek op naam of OIN"))
        self.search_edit.textChanged.connect(self._fill)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Organisaties"))
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setStyleSheet(
            "QListWidget::item { padding: 5px 6px; border-bottom: 1px solid #E6E8EC; }"
        )
        self.list.currentItemChanged.connect(self._selected)
        self.new_button = QPushButton(self.tr("&Nieuwe organisatie"))
        self.new_button.clicked.connect(self.new)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search_edit)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(self.new_button)
        self.form = OrganisationFormWidget(services, runner)
        self.form.saved.connect(self._saved)
        self.form.changed.connect(self._form_changed)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.form)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 700])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(splitter)

    def refresh(self, select_id: int | None = None) -> None:
        organisations = service(self.services, "organisations")
        if organisations is None:
            return
        current = select_id if select_id is not None else self.current_id()
        self.runner.run(
            organisations.list_all,
            on_done=lambda orgs: self._loaded(orgs, current),
            lane="io",
            owner=self,
        )

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def select(self, organisation_id: int) -> None:
        for n in range(self.list.count()):
            item = self.list.item(n)
            if item.data(Qt.ItemDataRole.UserRole) == organisation_id:
                self.list.setCurrentItem(item)
                return

    def new(self) -> None:
        self.list.setCurrentRow(-1)
        self.form.load(None)
        self.form.name_edit.setFocus()

    def _loaded(self, orgs: list[Any], select_id: int | None) -> None:
        self.organisations = orgs
        self._fill()
        if select_id is not None:
            self.select(select_id)
        elif self.list.count() and self.form.detail is None and not self.form.name_edit.text():
            self.list.setCurrentRow(0)

    def _fill(self, *_args: object) -> None:
        wanted = self.search_edit.text().strip().casefold()
        current = self.current_id()
        self.list.blockSignals(True)
        self.list.clear()
        for o in self.organisations:
            if wanted and wanted not in o.name.casefold() and wanted not in o.oin:
                continue
            text = f"{o.name}\n{o.kind_label} · {o.oin}"
            if not o.active:
                text += " · " + self.tr("gedeactiveerd")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, o.id)
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole, f"{o.name}, {o.kind_label}, OIN {o.oin}"
            )
            if not o.active:
                item.setForeground(Qt.GlobalColor.gray)
            self.list.addItem(item)
            if o.id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def _selected(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        oid = item.data(Qt.ItemDataRole.UserRole)
        found = next((o for o in self.organisations if o.id == oid), None)
        if found is not None:
            self.form.load(found)

    def _saved(self, detail: Any) -> None:
        self.notice.emit(self.tr("Organisatie {name} is opgeslagen.").format(name=detail.name))
        self.refresh(detail.id)
        self.dataChanged.emit()

    def _form_changed(self, text: str) -> None:
        self.notice.emit(text)
        self.refresh()
        self.dataChanged.emit()


# --- connections ----------------------------------------------------------------------------


class ConnectionDialog(ServiceFormMixin, QDialog):
    """A new connection, or changes to one: owner, environment, endpoints, certificate, CPA,
    and the organisations it sends for as an intermediary."""

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        organisations: list[Any],
        certificates: list[Any],
        detail: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.detail = detail
        self.result_detail: Any = None
        self.issues: list[FieldIssue] = []
        self.cpa_document: bytes | None = None
        self.cpa_filename = ""
        self._saving = False
        self.subject = self.tr("De koppeling")
        self.saving_text = self.tr("Bezig met opslaan…")
        self.choose_cpa_path = self._ask_cpa_path
        self.setWindowTitle(
            self.tr("Koppeling wijzigen") if detail is not None else self.tr("Nieuwe koppeling")
        )
        self.setAccessibleName(self.windowTitle())
        self.setModal(True)

        self.name_edit = line_edit(
            self.tr("Naam van de koppeling"), self.tr("bijvoorbeeld Productie"), 100
        )
        self.owner_combo = short_combo()
        self.owner_combo.setAccessibleName(self.tr("Eigenaar"))
        for o in organisations:
            self.owner_combo.addItem(f"{o.name}  ({o.oin})", o.id)
        self.environment_combo = short_combo()
        self.environment_combo.setAccessibleName(self.tr("Omgeving"))
        for env in Environment:
            self.environment_combo.addItem(env.label, env.value)
        self.transport_combo = short_combo()
        self.transport_combo.setAccessibleName(self.tr("Transport"))
        self.transport_combo.addItem(self.tr("Internet"), "internet")
        self.transport_combo.addItem(self.tr("Diginetwerk"), "diginetwerk")
        self.endpoint_edit = line_edit(
            self.tr("ebMS-adres van Logius"), self.tr("staat ook in de CPA")
        )
        self.wus_edit = line_edit(self.tr("WUS-adres"), "https://…")
        self.certificate_combo = short_combo()
        self.certificate_combo.setAccessibleName(self.tr("Clientcertificaat"))
        self.certificate_combo.addItem(self.tr("(geen certificaat)"), None)
        for c in certificates:
            self.certificate_combo.addItem(f"{c.label}  (OIN {c.oin or '?'})", c.id)
        self.cpa_button = QPushButton(self.tr("CPA &kiezen…"))
        self.cpa_button.clicked.connect(self.choose_cpa)
        self.cpa_label = muted(QLabel(""))
        cpa_box = QWidget()
        cpa_layout = QHBoxLayout(cpa_box)
        cpa_layout.setContentsMargins(0, 0, 0, 0)
        cpa_layout.addWidget(self.cpa_button)
        cpa_layout.addWidget(self.cpa_label, 1)
        self.members_list = QListWidget()
        self.members_list.setAccessibleName(self.tr("Organisaties waarvoor de koppeling verstuurt"))
        for o in organisations:
            item = QListWidgetItem(f"{o.name}  ({o.oin})")
            item.setData(Qt.ItemDataRole.UserRole, o.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.members_list.addItem(item)
        self.members_list.setMaximumHeight(self.fontMetrics().lineSpacing() * 8)
        self.active_check = QCheckBox(
            self.tr("&Actief (er mag over deze koppeling worden verstuurd)")
        )
        self.active_check.setChecked(True)

        self.rows: dict[str, FieldRowWidget] = {
            "Naam": FieldRowWidget(self.name_edit),
            "Eigenaar": FieldRowWidget(self.owner_combo),
            "Omgeving": FieldRowWidget(self.environment_combo),
            "Transport": FieldRowWidget(self.transport_combo),
            "ebMS-adres": FieldRowWidget(self.endpoint_edit),
            "WUS-adres": FieldRowWidget(self.wus_edit),
            "Certificaat": FieldRowWidget(self.certificate_combo),
            "CPA": FieldRowWidget(cpa_box),
            "Organisaties": FieldRowWidget(self.members_list),
        }
        form = field_form(
            self.rows,
            (
                ("Naam", self.tr("&Naam"), self.name_edit),
                ("Eigenaar", self.tr("&Eigenaar (OIN = ebMS PartyId)"), self.owner_combo),
                ("Omgeving", self.tr("O&mgeving"), self.environment_combo),
                ("Transport", self.tr("&Transport"), self.transport_combo),
                ("ebMS-adres", self.tr("e&bMS-adres"), self.endpoint_edit),
                ("WUS-adres", self.tr("&WUS-adres"), self.wus_edit),
                ("Certificaat", self.tr("&Certificaat"), self.certificate_combo),
                ("CPA", self.tr("C&PA"), self.cpa_button),
                ("Organisaties", self.tr("Verstuurt ook &voor"), self.members_list),
            ),
        )
        form.addRow("", self.active_check)

        self.general_label = notice_box("red")
        self.reason_label = muted(QLabel(""), small=True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("&Opslaan"))
        self.save_button.setObjectName("primary")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuleren"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        form_widget = QWidget()
        form_widget.setLayout(form)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll_area(form_widget, horizontal=False), 1)
        layout.addWidget(self.general_label)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.buttons)

        if detail is not None:
            self.name_edit.setText(detail.name)
            self.owner_combo.setCurrentIndex(max(self.owner_combo.findData(detail.owner.id), 0))
            self.environment_combo.setCurrentIndex(
                max(self.environment_combo.findData(detail.environment.value), 0)
            )
            self.transport_combo.setCurrentIndex(
                max(self.transport_combo.findData(detail.transport), 0)
            )
            self.endpoint_edit.setText(detail.endpoint_url)
            self.wus_edit.setText(detail.wus_url)
            index = self.certificate_combo.findData(detail.certificate_id)
            self.certificate_combo.setCurrentIndex(max(index, 0))
            members = {o.id for o in detail.organisations}
            for n in range(self.members_list.count()):
                item = self.members_list.item(n)
                if item.data(Qt.ItemDataRole.UserRole) in members:
                    item.setCheckState(Qt.CheckState.Checked)
            self.active_check.setChecked(detail.active)
            self.cpa_label.setText(
                self.tr("Huidige CPA: {id}").format(id=detail.cpa_id)
                if detail.cpa_record_id
                else self.tr("Nog geen CPA.")
            )
        else:
            self.cpa_label.setText(self.tr("Nog geen CPA gekozen."))

        for edit in (self.name_edit, self.endpoint_edit, self.wus_edit):
            edit.textEdited.connect(self._changed)
        for combo in (
            self.owner_combo,
            self.environment_combo,
            self.transport_combo,
            self.certificate_combo,
        ):
            combo.currentIndexChanged.connect(self._changed)
        self.members_list.itemChanged.connect(self._changed)
        self.owner_combo.currentIndexChanged.connect(self._hide_owner)
        self._hide_owner()
        self.active_check.toggled.connect(self._changed)
        self.validator = LiveValidator(runner, self._validate, self._show_issues, self)
        self.validator.run_now()
        lines = self.fontMetrics().lineSpacing()
        self.resize(self.fontMetrics().averageCharWidth() * 110, lines * 40)

    def data(self) -> Any:
        from console.services.connections import ConnectionInput

        members = tuple(
            int(self.members_list.item(n).data(Qt.ItemDataRole.UserRole))
            for n in range(self.members_list.count())
            if self.members_list.item(n).checkState() == Qt.CheckState.Checked
        )
        owner = self.owner_combo.currentData()
        return ConnectionInput(
            name=self.name_edit.text(),
            owner_organisation_id=int(owner) if owner is not None else 0,
            environment=str(self.environment_combo.currentData()),
            transport=str(self.transport_combo.currentData()),
            endpoint_url=self.endpoint_edit.text(),
            wus_url=self.wus_edit.text(),
            certificate_id=self.certificate_combo.currentData(),
            organisation_ids=members,
            active=self.active_check.isChecked(),
            cpa_document=self.cpa_document,
            cpa_filename=self.cpa_filename,
        )

    def _hide_owner(self, *_args: object) -> None:
        """The owner always sends for itself: it is not one of the organisations to tick."""
        owner = self.owner_combo.currentData()
        for n in range(self.members_list.count()):
            item = self.members_list.item(n)
            is_owner = item.data(Qt.ItemDataRole.UserRole) == owner
            item.setHidden(is_owner)
            if is_owner and item.checkState() == Qt.CheckState.Checked:
                item.setCheckState(Qt.CheckState.Unchecked)

    def choose_cpa(self) -> None:
        path = self.choose_cpa_path()
        if path is not None:
            self.set_cpa_file(path)

    def set_cpa_file(self, path: Path) -> None:
        try:
            self.cpa_document = path.read_bytes()
        except OSError as exc:
            self.cpa_label.setText(
                self.tr("{name} kan niet worden gelezen: {error}").format(
                    name=path.name, error=exc.strerror
                )
            )
            return
        self.cpa_filename = path.name
        self.cpa_label.setText(self.tr("Gekozen: {name}").format(name=path.name))
        self._changed()

    def save(self) -> None:
        connections = service(self.services, "connections")
        if self._saving or connections is None or not self.save_button.isEnabled():
            return
        self._saving = True
        self._update_buttons()
        self._create_or_update(connections)

    def _ask_cpa_path(self) -> Path | None:
        name, _filter = QFileDialog.getOpenFileName(
            self, self.tr("CPA kiezen"), "", self.tr("CPA (*.xml *.cpa);;Alle bestanden (*)")
        )
        return Path(name) if name else None

    def _validate(self) -> list[FieldIssue]:
        connections = service(self.services, "connections")
        if connections is None:
            return []
        issues = list(connections.validate(self.data(), self.detail.id if self.detail else None))
        return issues

    def _saved(self, detail: Any) -> None:
        self._saving = False
        self.result_detail = detail
        self.accept()


class ConnectionsPanel(QWidget):
    """The connections, and per connection who it sends for (the intermediary set-up)."""

    notice = Signal(str)
    #: The connection in use changed (the banner must reload).
    workspaceChanged = Signal()

    COLUMNS = ("Naam", "Omgeving", "Eigenaar", "Verstuurt ook voor", "CPA", "Certificaat", "Status")

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.connections: list[Any] = []
        self.dialog: ConnectionDialog | None = None
        self.confirm = self._ask

        self.table = read_only_table([self.tr(c) for c in self.COLUMNS], self.tr("Koppelingen"))
        self.table.setItemDelegateForColumn(1, StatusBadgeDelegate(self.table))
        self.table.setItemDelegateForColumn(6, StatusBadgeDelegate(self.table))
        self.table.itemSelectionChanged.connect(self._selected)
        self.new_button = QPushButton(self.tr("&Nieuwe koppeling"))
        self.new_button.clicked.connect(lambda: self.open_dialog(None))
        self.edit_button = QPushButton(self.tr("&Wijzigen…"))
        self.edit_button.clicked.connect(lambda: self.open_dialog(self.current()))
        self.use_button = QPushButton(self.tr("&Gebruik deze koppeling"))
        self.use_button.setToolTip(self.tr("Voortaan via deze koppeling versturen"))
        self.use_button.clicked.connect(self.use_current)
        self.active_button = QPushButton(self.tr("&Deactiveren"))
        self.active_button.clicked.connect(self.toggle_active)
        self.delete_button = QPushButton(self.tr("&Verwijderen"))
        self.delete_button.clicked.connect(self.delete_current)

        detail_card, detail_layout, self.detail_heading = card_with_heading(self.tr("Inrichting"))
        self.intermediary_label = QLabel("")
        self.intermediary_label.setWordWrap(True)
        self.intermediary_label.setAccessibleName(self.tr("Intermediairinrichting"))
        self.party_field = CopyableField(
            self.tr("From PartyId (OIN van de eigenaar)"), monospace=True
        )
        self.endpoint_field = CopyableField(self.tr("ebMS-adres"), monospace=True)
        fields = QFormLayout()
        fields.addRow(self.tr("From PartyId:"), self.party_field)
        fields.addRow(self.tr("ebMS-adres:"), self.endpoint_field)
        self.extra_label = muted(QLabel(""))
        detail_layout.addWidget(self.intermediary_label)
        detail_layout.addLayout(fields)
        detail_layout.addWidget(self.extra_label)
        self.detail_card = detail_card
        self.message_label = notice_box("amber")

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(scroll_area(detail_card, horizontal=False))
        splitter.setSizes([300, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(
            button_row(
                self.new_button,
                self.edit_button,
                self.use_button,
                self.active_button,
                self.delete_button,
            )
        )
        layout.addWidget(self.message_label)
        layout.addWidget(splitter, 1)
        self._selected()

    def refresh(self, select_id: int | None = None) -> None:
        connections = service(self.services, "connections")
        if connections is None:
            return
        current = select_id if select_id is not None else self._current_id()
        self.runner.run(
            connections.list_all,
            on_done=lambda items: self._loaded(items, current),
            lane="io",
            owner=self,
        )

    def current(self) -> Any:
        cid = self._current_id()
        return next((c for c in self.connections if c.id == cid), None)

    def select(self, connection_id: int) -> None:
        select_row_with_id(self.table, connection_id)

    def open_dialog(self, detail: Any) -> ConnectionDialog | None:
        organisations = service(self.services, "organisations")
        if organisations is None:
            return None
        certs = service(self.services, "certificates")
        self.runner.run(
            lambda: (
                organisations.list_all(),
                certs.certificates() if certs is not None else [],
            ),
            on_done=lambda loaded: self._show_dialog(detail, *loaded),
            lane="io",
            owner=self,
        )
        return None

    def _show_dialog(self, detail: Any, organisations: list[Any], certificates: list[Any]) -> None:
        dialog = ConnectionDialog(
            self.services, self.runner, organisations, certificates, detail, parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._dialog_saved(dialog.result_detail))
        dialog.destroyed.connect(lambda: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def use_current(self) -> None:
        connections = service(self.services, "connections")
        detail = self.current()
        if detail is None or connections is None:
            return
        self.runner.run(
            connections.make_current,
            detail.id,
            on_done=self._made_current,
            on_error=self._failed,
            lane="db",
            owner=self,
        )

    def toggle_active(self) -> None:
        connections = service(self.services, "connections")
        detail = self.current()
        if detail is None or connections is None:
            return
        self.runner.run(
            connections.set_active,
            detail.id,
            not detail.active,
            on_done=lambda d: self._changed(
                self.tr("Koppeling {name} is {state}.").format(
                    name=d.name, state=self.tr("actief") if d.active else self.tr("gedeactiveerd")
                ),
                d.id,
            ),
            on_error=self._failed,
            lane="db",
            owner=self,
        )

    def delete_current(self) -> None:
        connections = service(self.services, "connections")
        detail = self.current()
        if detail is None or connections is None:
            return
        if not self.confirm(
            self.tr(
                "Koppeling {name} verwijderen? Dat kan alleen als er nog nooit over is verstuurd; "
                "anders kunt u haar deactiveren."
            ).format(name=detail.name)
        ):
            return
        self.runner.run(
            connections.delete,
            detail.id,
            on_done=lambda _r: self._changed(
                self.tr("Koppeling {name} is verwijderd.").format(name=detail.name), None
            ),
            on_error=self._failed,
            lane="db",
            owner=self,
        )

    # -- internals ---------------------------------------------------------------------------

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, self.tr("Koppeling verwijderen"), question)
        return answer == QMessageBox.StandardButton.Yes

    def _current_id(self) -> int | None:
        return selected_row_id(self.table)

    def _loaded(self, items: list[Any], select_id: int | None) -> None:
        self.connections = items
        self.table.setRowCount(len(items))
        for row, c in enumerate(items):
            name = c.name + ("  ★" if c.is_current else "")
            self.table.setItem(row, 0, badge_cell(name, c.id))
            self.table.setItem(
                row, 1, badge_cell(c.environment.label, tone=ENVIRONMENT_TONES[c.environment])
            )
            self.table.setItem(row, 2, badge_cell(f"{c.owner.name} ({c.owner.oin})"))
            members = ", ".join(o.name for o in c.organisations) or self.tr("alleen de eigenaar")
            self.table.setItem(row, 3, badge_cell(members))
            self.table.setItem(
                row, 4, badge_cell(c.cpa_id if c.cpa_record_id else self.tr("geen CPA"))
            )
            self.table.setItem(row, 5, badge_cell(c.certificate_label or self.tr("geen")))
            status = (
                (self.tr("In gebruik"), "blue")
                if c.is_current
                else (self.tr("Actief"), "green")
                if c.active
                else (self.tr("Gedeactiveerd"), "grey")
            )
            self.table.setItem(row, 6, badge_cell(status[0], tone=status[1]))
        wanted = select_id
        if wanted is None:
            wanted = next((c.id for c in items if c.is_current), None)
        if wanted is not None:
            self.select(wanted)
        self._selected()

    def _selected(self) -> None:
        from console.services.connections import intermediary_lines

        detail = self.current()
        has = detail is not None
        for button in (self.edit_button, self.use_button, self.active_button, self.delete_button):
            button.setEnabled(has)
        self.detail_card.setVisible(has)
        if detail is None:
            return
        self.use_button.setEnabled(detail.active and not detail.is_current)
        self.active_button.setText(
            self.tr("&Deactiveren") if detail.active else self.tr("&Activeren")
        )
        self.detail_heading.setText(
            self.tr("Inrichting van {name} ({env})").format(
                name=detail.name, env=detail.environment.label
            )
        )
        self.intermediary_label.setText("\n\n".join(intermediary_lines(detail)))
        self.party_field.set_value(detail.party_oin or detail.owner.oin)
        self.endpoint_field.set_value(detail.endpoint_override or detail.endpoint_url)
        extra = [
            self.tr("Transport: {t}.").format(t=detail.transport_label),
            self.tr("WUS-adres: {u}.").format(u=detail.wus_url or self.tr("niet ingesteld")),
            self.tr("Berichtstromen: {f}.").format(f=", ".join(detail.flow_names) or "-"),
            self.tr("{n} berichten verstuurd.").format(n=detail.letter_count),
        ]
        if detail.is_current:
            extra.insert(0, self.tr("Dit is de koppeling waarover de console nu verstuurt."))
        self.extra_label.setText(" ".join(extra))

    def _dialog_saved(self, detail: Any) -> None:
        if detail is None:
            return
        self._changed(
            self.tr("Koppeling {name} is opgeslagen.").format(name=detail.name), detail.id
        )

    def _made_current(self, result: Any) -> None:
        self.message_label.setText(result.message)
        self.message_label.setVisible(result.restart_needed)
        self._changed(result.message, result.detail.id)
        self.workspaceChanged.emit()

    def _changed(self, text: str, select_id: int | None) -> None:
        self.notice.emit(text)
        self.refresh(select_id)

    def _failed(self, exc: BaseException) -> None:
        self.message_label.setText(str(exc))
        self.message_label.setVisible(True)


# --- the page -------------------------------------------------------------------------------


class OrganisationsView(QWidget):
    """The Organisaties page: organisations, connections and the intermediary set-up, CPA."""

    notice = Signal(str)
    workspaceChanged = Signal()

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        layout = page_layout(
            self,
            self.tr("Organisaties"),
            self.tr(
                "De organisaties (afnemers) met hun OIN, de koppelingen met Logius per "
                "omgeving, en voor wie een koppeling als intermediair verstuurt."
            ),
        )
        self.available = service(services, "organisations") is not None
        if not self.available:
            self.empty = EmptyStateWidget(
                self.tr(
                    "Het beheer van organisaties en koppelingen is in deze omgeving niet beschikbaar."
                )
            )
            layout.addWidget(self.empty, 1)
            return
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Onderdelen"))
        self.organisations = OrganisationsPanel(services, runner)
        self.connections = ConnectionsPanel(services, runner)
        self.tabs.addTab(self.organisations, self.tr("Organisaties"))
        self.tabs.addTab(self.connections, self.tr("Koppelingen"))
        self.cpa_view: QWidget | None = None
        if service(services, "cpa") is not None:
            from console.ui.cpa_view import CpaView  # the CPA details (issue 3)

            cpa_view = CpaView(services, runner)
            cpa_view.notice.connect(self.notice)
            self.cpa_view = cpa_view
            self.tabs.addTab(cpa_view, self.tr("CPA van de werkkoppeling"))
        layout.addWidget(self.tabs, 1)
        for panel in (self.organisations, self.connections):
            panel.notice.connect(self.notice)
        self.organisations.dataChanged.connect(self.connections.refresh)
        self.organisations.dataChanged.connect(self.workspaceChanged)
        self.connections.workspaceChanged.connect(self.workspaceChanged)
        self._loaded_once = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.available and not self._loaded_once:
            self._loaded_once = True
            self.refresh()

    def refresh(self) -> None:
        if not self.available:
            return
        self.organisations.refresh()
        self.connections.refresh()
