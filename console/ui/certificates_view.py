"""Certificaten: client certificates, per-connection checks, trust stores and the connection test.

Everything slow (reading files, the keyring, the database, the network) runs through the
task runner. A certificate file can be chosen with a dialog or dropped on the page; a
password is asked in a hidden field only when the file needs one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.environment import Environment
from console.ui import theme
from console.ui.copyable_field import CopyableField
from console.ui.form_field import scroll_area
from console.ui.formatting import format_datetime
from console.ui.session_key_banner import SessionKeyBanner
from console.ui.status_badge import StatusBadgeLabel
from console.ui.tables import read_only_table
from console.ui.tasks import TaskRunner

CERTIFICATE_SUFFIXES = (".p12", ".pfx", ".pem", ".crt", ".cer", ".der", ".p7b", ".p7c")
FILE_FILTER = "Certificaten (*.p12 *.pfx *.pem *.crt *.cer *.der *.p7b *.p7c);;Alle bestanden (*)"
STEP_MARKS = {
    "running": ("Bezig…", "blue"),
    "ok": ("Gelukt", "green"),
    "warning": ("Let op", "amber"),
    "failed": ("Mislukt", "red"),
    "skipped": ("Overgeslagen", "grey"),
}
KEY_SPEC_LABELS = (
    ("rsa3072", "RSA 3072 bits (aanbevolen)"),
    ("rsa2048", "RSA 2048 bits"),
    ("rsa4096", "RSA 4096 bits"),
    ("ec256", "EC P-256"),
    ("ec384", "EC P-384"),
)


def _card(title: str, text: str = "") -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(18, 14, 18, 16)
    layout.setSpacing(8)
    heading = QLabel(title)
    heading.setFont(theme.heading_font(heading.font(), scale=1.15))
    layout.addWidget(heading)
    if text:
        explanation = QLabel(text)
        explanation.setWordWrap(True)
        explanation.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        layout.addWidget(explanation)
    return card, layout


def _cell(text: str, data: object = None, tone: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    if tone is not None:
        colours = theme.tone(tone)
        item.setForeground(QColor(colours.text))
        item.setBackground(QColor(colours.background))
    return item


def certificate_paths(urls: list[Any]) -> list[Path]:
    """Local files with a certificate suffix among dropped URLs."""
    out: list[Path] = []
    for url in urls:
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.suffix.lower() in CERTIFICATE_SUFFIXES:
                out.append(path)
    return out


class _StepRelay(QObject):
    """Carries connection-test steps from the worker thread to the GUI thread."""

    step = Signal(object)


class StepRowWidget(QFrame):
    """One step of the connection test: badge, title and the plain-Dutch detail."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.badge = StatusBadgeLabel(self.tr("Wacht"), "grey")
        self.title_label = QLabel(title)
        self.title_label.setFont(theme.heading_font(self.font(), scale=1.0))
        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title_label)
        text.addWidget(self.detail_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(10)
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)
        self.status = "waiting"
        self.setAccessibleName(title)

    def set_step(self, status: str, detail: str) -> None:
        self.status = status
        word, tone = STEP_MARKS.get(status, (status, "grey"))
        self.badge.set_status(self.tr(word), tone)
        self.detail_label.setText(detail)
        self.setAccessibleDescription(f"{word}. {detail}")


class CertificateRequestDialog(QDialog):
    """Renewal: a new key in the keyring and a CSR with the OIN, to send to the provider."""

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        connections: list[tuple[int, str, Environment]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.result_pem = ""
        self.request_result: Any = None
        self.save_path_chooser: Callable[[str], str | None] = self._choose_save_path
        self.setWindowTitle(self.tr("Nieuwe sleutel en certificaataanvraag (CSR)"))
        self.setAccessibleName(self.windowTitle())

        intro = QLabel(
            self.tr(
                "De console maakt een nieuwe sleutel en bewaart die in de sleutelbos. U krijgt "
                "een certificaataanvraag (CSR) met het OIN in het subject serialNumber. Stuur "
                "die naar uw certificaatleverancier en importeer het certificaat dat u "
                "terugkrijgt: het wordt dan aan deze sleutel gekoppeld."
            )
        )
        intro.setWordWrap(True)
        self.connection_combo = QComboBox()
        self.connection_combo.setAccessibleName(self.tr("Koppeling"))
        self.connection_combo.addItem(self.tr("(geen: vul de gegevens zelf in)"), None)
        for cid, name, env in connections:
            self.connection_combo.addItem(f"{name} ({env.label})", cid)
        self.oin_edit = QLineEdit()
        self.oin_edit.setAccessibleName(self.tr("OIN"))
        self.oin_edit.setPlaceholderText(self.tr("20 cijfers; standaard het OIN van de koppeling"))
        self.oin_edit.setMaxLength(20)
        self.organisation_edit = QLineEdit()
        self.organisation_edit.setAccessibleName(self.tr("Organisatie"))
        self.organisation_edit.setMaxLength(64)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(self.tr("Naam (CN)"))
        self.name_edit.setMaxLength(64)
        self.key_combo = QComboBox()
        self.key_combo.setAccessibleName(self.tr("Sleuteltype"))
        for spec, label in KEY_SPEC_LABELS:
            self.key_combo.addItem(label, spec)
        form = QFormLayout()
        form.addRow(self.tr("Koppeling"), self.connection_combo)
        form.addRow(self.tr("OIN"), self.oin_edit)
        form.addRow(self.tr("Organisatie (O)"), self.organisation_edit)
        form.addRow(self.tr("Naam (CN)"), self.name_edit)
        form.addRow(self.tr("Sleuteltype"), self.key_combo)

        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.csr_text = QPlainTextEdit()
        self.csr_text.setReadOnly(True)
        self.csr_text.setAccessibleName(self.tr("Certificaataanvraag (CSR)"))
        self.csr_text.setVisible(False)

        self.buttons = QDialogButtonBox()
        self.create_button = self.buttons.addButton(
            self.tr("Sleutel en CSR maken"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.copy_button = self.buttons.addButton(
            self.tr("CSR kopiëren"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_button = self.buttons.addButton(
            self.tr("CSR opslaan…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.copy_button.setVisible(False)
        self.save_button.setVisible(False)
        self.create_button.clicked.connect(self.create_request)
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.result_pem)
        )
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.csr_text, 1)
        layout.addWidget(self.buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 90, self.sizeHint().height())

    def create_request(self) -> None:
        self.error_label.setText("")
        self.create_button.setEnabled(False)
        self.runner.run(
            self.services.certificates.create_request,
            connection=self.connection_combo.currentData(),
            oin=self.oin_edit.text().strip() or None,
            organisation=self.organisation_edit.text().strip() or None,
            common_name=self.name_edit.text().strip() or None,
            key_spec=self.key_combo.currentData(),
            on_done=self._created,
            on_error=self._failed,
            lane="db",
            owner=self,
        )

    def _created(self, result: Any) -> None:
        self.request_result = result
        self.result_pem = result.csr_pem
        self.csr_text.setPlainText(result.csr_pem)
        self.csr_text.setVisible(True)
        self.copy_button.setVisible(True)
        self.save_button.setVisible(True)
        self.error_label.setStyleSheet(f"color: {theme.OK_TEXT};")
        self.error_label.setText(
            self.tr("Sleutel ({key}) in de sleutelbos gezet. Aanvraag {n}: {subject}").format(
                key=result.key_description, n=result.request_id, subject=result.subject
            )
        )

    def _failed(self, exc: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.error_label.setText(str(exc))

    def _choose_save_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("CSR opslaan"), suggested, "CSR (*.csr *.pem)"
        )
        return path or None

    def save(self) -> None:
        if not self.result_pem:
            return
        path = self.save_path_chooser(self.request_result.suggested_filename)
        if path:
            Path(path).write_text(self.result_pem, encoding="ascii")
            self.error_label.setText(self.tr("CSR opgeslagen in {path}.").format(path=path))


class CertificatesView(QWidget):
    """The Certificaten page. Replace the "certificaten" placeholder with this widget."""

    #: A short message for the status bar.
    notice = Signal(str)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.certificates: list[Any] = []
        self.anchors: list[Any] = []
        self.reports: list[Any] = []
        self.connections: list[tuple[int, str, Environment]] = []
        self.last_test: Any = None
        self.step_rows: dict[str, StepRowWidget] = {}
        self._loaded = False
        # Replaceable in tests: the dialogs that ask the user something.
        self.choose_files: Callable[[], list[str]] = self._choose_files
        self.ask_password: Callable[[str, str], str | None] = self._ask_password
        self.confirm: Callable[[str], bool] = self._confirm
        self.show_error: Callable[[str], None] = self._show_error
        self._relay = _StepRelay(self)
        self._relay.step.connect(self._on_step)

        self.setAccessibleName(self.tr("Certificaten"))
        self.setAcceptDrops(True)

        heading = theme.page_heading(self, self.tr("Certificaten"))
        self.session_banner = SessionKeyBanner()

        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(14)
        body.addWidget(self._build_certificates_card())
        body.addWidget(self._build_checks_card())
        body.addWidget(self._build_trust_card())
        body.addWidget(self._build_test_card())
        body.addStretch(1)
        scroll = scroll_area(content)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(self.session_banner)
        layout.addWidget(scroll, 1)

    # -- building ----------------------------------------------------------------------------

    def _build_certificates_card(self) -> QFrame:
        card, layout = _card(
            self.tr("Clientcertificaten"),
            self.tr(
                "Het PKIoverheid-certificaat waarmee de console zich bij Logius meldt. Het OIN "
                "staat in het subject serialNumber. De privésleutel staat in de sleutelbos van "
                "het besturingssysteem, nooit in de database. Sleep een certificaatbestand "
                "(.p12, .pfx, .pem, .crt, .cer) op deze pagina om het te importeren."
            ),
        )
        self.certificate_table = read_only_table(
            [
                self.tr("Naam"),
                self.tr("OIN"),
                self.tr("Geldig tot"),
                self.tr("Status"),
                self.tr("Koppelingen"),
            ],
            self.tr("Clientcertificaten"),
        )
        self.certificate_table.itemSelectionChanged.connect(self._certificate_selected)
        self.import_button = QPushButton(self.tr("Importeren…"))
        self.import_button.setAccessibleName(self.tr("Certificaat importeren"))
        self.import_button.clicked.connect(self.choose_and_import)
        self.csr_button = QPushButton(self.tr("Nieuwe sleutel en CSR…"))
        self.csr_button.setToolTip(
            self.tr("Vernieuwen: een nieuwe sleutel en een aanvraag voor uw leverancier")
        )
        self.csr_button.clicked.connect(self.open_request_dialog)
        self.refresh_button = QPushButton(self.tr("Vernieuwen"))
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.csr_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)

        self.drop_label = QLabel(self.tr("Sleep een certificaatbestand hierheen om te importeren"))
        self.drop_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_label.setStyleSheet(
            f"color: {theme.MUTED_TEXT}; border: 1px dashed #C9CED6; border-radius: 6px;"
            " padding: 0.6em;"
        )
        self.import_message = QLabel("")
        self.import_message.setWordWrap(True)
        self.import_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.import_message.setAccessibleName(self.tr("Resultaat van de import"))

        self.detail = QFrame()
        grid = QGridLayout(self.detail)
        grid.setContentsMargins(0, 6, 0, 0)
        grid.setHorizontalSpacing(12)
        self.detail_fields: dict[str, CopyableField] = {}
        self.detail_labels: dict[str, QLabel] = {}
        rows = (
            ("oin", self.tr("OIN"), True),
            ("subject", self.tr("Subject"), False),
            ("issuer", self.tr("Uitgever"), False),
            ("validity", self.tr("Geldigheid"), False),
            ("key", self.tr("Sleutel"), False),
            ("usage", self.tr("Sleutelgebruik"), False),
            ("sha256", self.tr("SHA-256"), True),
            ("sha1", self.tr("SHA-1"), True),
            ("serial", self.tr("Serienummer"), True),
            ("chain", self.tr("Keten"), False),
            ("notes", self.tr("Opmerkingen"), False),
        )
        for n, (key, title, copyable) in enumerate(rows):
            grid.addWidget(QLabel(title), n, 0, Qt.AlignmentFlag.AlignTop)
            if copyable:
                field = CopyableField(title, monospace=key != "oin")
                self.detail_fields[key] = field
                grid.addWidget(field, n, 1)
            else:
                label = QLabel("")
                label.setWordWrap(True)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                label.setAccessibleName(title)
                self.detail_labels[key] = label
                grid.addWidget(label, n, 1)
        grid.setColumnStretch(1, 1)
        self.detail.setVisible(False)

        layout.addLayout(buttons)
        layout.addWidget(self.certificate_table)
        layout.addWidget(self.drop_label)
        layout.addWidget(self.import_message)
        layout.addWidget(self.detail)
        return card

    def _build_checks_card(self) -> QFrame:
        card, layout = _card(
            self.tr("Controle per koppeling"),
            self.tr(
                "Vóór het verzenden controleert de console of het OIN in het certificaat gelijk "
                "is aan het OIN van de organisatie en het From-PartyId in de CPA, en of het "
                "certificaat geldig is. Anders zou Logius de berichten weigeren."
            ),
        )
        self.checks_label = QLabel(self.tr("Wordt geladen…"))
        self.checks_label.setWordWrap(True)
        self.checks_label.setTextFormat(Qt.TextFormat.RichText)
        self.checks_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.checks_label.setAccessibleName(self.tr("Controle per koppeling"))
        layout.addWidget(self.checks_label)
        return card

    def _build_trust_card(self) -> QFrame:
        card, layout = _card(
            self.tr("Trust stores"),
            self.tr(
                "Per omgeving de certificaten waarmee de console de server van Logius "
                "herkent. Logius vervangt zijn certificaten af en toe en kondigt dat aan: zet "
                "het nieuwe (root- of tussen)certificaat hier op tijd bij. De controle van het "
                "servercertificaat en de hostnaam staat altijd aan."
            ),
        )
        self.environment_combo = QComboBox()
        self.environment_combo.setAccessibleName(self.tr("Omgeving van de trust store"))
        for env in Environment:
            self.environment_combo.addItem(env.label, env.value)
        self.environment_combo.currentIndexChanged.connect(lambda _i: self._show_anchors())
        self.trust_table = read_only_table(
            [self.tr("Naam"), self.tr("Uitgever"), self.tr("Geldig tot"), self.tr("SHA-256")],
            self.tr("Vertrouwde certificaten"),
        )
        self.trust_add_button = QPushButton(self.tr("Toevoegen…"))
        self.trust_add_button.clicked.connect(self.choose_and_import_trust)
        self.trust_remove_button = QPushButton(self.tr("Verwijderen"))
        self.trust_remove_button.clicked.connect(self.remove_selected_anchor)
        self.trust_message = QLabel("")
        self.trust_message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Omgeving:")))
        top.addWidget(self.environment_combo)
        top.addStretch(1)
        top.addWidget(self.trust_add_button)
        top.addWidget(self.trust_remove_button)
        layout.addLayout(top)
        layout.addWidget(self.trust_table)
        layout.addWidget(self.trust_message)
        return card

    def _build_test_card(self) -> QFrame:
        card, layout = _card(
            self.tr("Verbindingstest"),
            self.tr(
                "Test stap voor stap of de koppeling werkt: naam opzoeken, verbinding maken, "
                "beveiligde verbinding met uw certificaat, het certificaat van de server, en "
                "een ebMS Ping."
            ),
        )
        self.test_combo = QComboBox()
        self.test_combo.setAccessibleName(self.tr("Koppeling om te testen"))
        self.test_button = QPushButton(self.tr("Test starten"))
        self.test_button.clicked.connect(self.start_test)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Koppeling:")))
        top.addWidget(self.test_combo, 1)
        top.addWidget(self.test_button)
        self.steps_box = QVBoxLayout()
        self.steps_box.setSpacing(2)
        self.test_summary = QLabel("")
        self.test_summary.setWordWrap(True)
        self.test_summary.setAccessibleName(self.tr("Uitkomst van de verbindingstest"))
        layout.addLayout(top)
        layout.addLayout(self.steps_box)
        layout.addWidget(self.test_summary)
        return card

    # -- loading -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.refresh()

    def refresh(self) -> None:
        self._loaded = True
        self.session_banner.set_store(
            self.services.certificates.keys_persistent,
            self.services.certificates.key_store_description,
        )
        self.runner.run(self._load, on_done=self._loaded_data, lane="io", owner=self)

    def _load(self) -> dict[str, Any]:
        certs = self.services.certificates
        return {
            "certificates": certs.certificates(),
            "anchors": certs.trust_list(),
            "reports": certs.check_all(),
            "connections": self.services.connection_test.connections(),
        }

    def _loaded_data(self, data: dict[str, Any]) -> None:
        self.certificates = data["certificates"]
        self.anchors = data["anchors"]
        self.reports = data["reports"]
        self.connections = data["connections"]
        self._show_certificates()
        self._show_anchors()
        self._show_reports()
        current = self.test_combo.currentData()
        self.test_combo.clear()
        for cid, name, env in self.connections:
            self.test_combo.addItem(f"{name} ({env.label})", cid)
        if current is not None and (index := self.test_combo.findData(current)) >= 0:
            self.test_combo.setCurrentIndex(index)
        self.test_button.setEnabled(bool(self.connections))

    def _show_certificates(self) -> None:
        selected = self.selected_certificate_id()
        table = self.certificate_table
        table.setRowCount(len(self.certificates))
        for row, c in enumerate(self.certificates):
            table.setItem(row, 0, _cell(c.label, c.id))
            oin = c.oin or self.tr("(geen OIN)")
            table.setItem(row, 1, _cell(oin + (self.tr(" (test)") if c.oin_is_test else "")))
            table.setItem(row, 2, _cell(format_datetime(c.not_after)))
            table.setItem(row, 3, _cell(c.status, tone=c.tone))
            table.setItem(row, 4, _cell(", ".join(c.connections) or self.tr("(niet gebruikt)")))
            if c.id == selected:
                table.selectRow(row)
        if self.certificates and selected is None:
            table.selectRow(0)
        if not self.certificates:
            self.detail.setVisible(False)

    def _show_reports(self) -> None:
        if not self.reports:
            self.checks_label.setText(self.tr("Er zijn nog geen koppelingen."))
            return
        parts: list[str] = []
        for r in self.reports:
            colour = theme.OK_TEXT if r.ok else theme.ERROR_TEXT
            state = self.tr("in orde") if r.ok else self.tr("kan niet versturen")
            line = (
                f"<p><b>{_esc(r.connection_name)}</b> ({r.environment.label}): "
                f"<span style='color:{colour}; font-weight:600'>{state}</span><br>"
                + self.tr("OIN certificaat {cert} · organisatie {owner} · CPA {cpa}").format(
                    cert=_esc(r.oin_certificate or "-"),
                    owner=_esc(r.oin_owner),
                    cpa=_esc(r.oin_cpa),
                )
            )
            if r.days_left is not None:
                line += " · " + self.tr("nog {n} dagen geldig").format(n=r.days_left)
            for issue in r.issues:
                colour = theme.ERROR_TEXT if issue.blocking else theme.WARNING_TEXT
                code = f" <code>{_esc(issue.logius_code)}</code>" if issue.logius_code else ""
                line += f"<br><span style='color:{colour}'>• {_esc(issue.message)}</span>{code}"
            parts.append(line + "</p>")
        self.checks_label.setText("".join(parts))

    def _show_anchors(self) -> None:
        env = self.environment_combo.currentData()
        shown = [a for a in self.anchors if a.environment.value == env]
        table = self.trust_table
        table.setRowCount(len(shown))
        for row, a in enumerate(shown):
            table.setItem(row, 0, _cell(a.label, a.id))
            table.setItem(row, 1, _cell(a.issuer))
            tone = "red" if a.days_left < 30 else None
            table.setItem(row, 2, _cell(format_datetime(a.not_after), tone=tone))
            table.setItem(row, 3, _cell(a.fingerprint_sha256))
        self.trust_remove_button.setEnabled(bool(shown))
        if not shown:
            self.trust_message.setText(
                self.tr(
                    "De trust store van {env} is leeg: verbindingen in deze omgeving worden "
                    "geweigerd tot u het certificaat van de server (of zijn uitgever) toevoegt."
                ).format(env=Environment(env).label)
            )
        else:
            self.trust_message.setText("")

    # -- certificate details ---------------------------------------------------------------

    def selected_certificate_id(self) -> int | None:
        items = self.certificate_table.selectedItems()
        if not items:
            return None
        item = self.certificate_table.item(items[0].row(), 0)
        data = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return int(data) if data is not None else None

    def _certificate_selected(self) -> None:
        cert_id = self.selected_certificate_id()
        if cert_id is None:
            self.detail.setVisible(False)
            return
        self.runner.run(
            self.services.certificates.show,
            cert_id,
            on_done=self._show_detail,
            lane="io",
            owner=self,
        )

    def _show_detail(self, d: Any) -> None:
        c = d.summary
        self.shown_detail = d
        self.detail_fields["oin"].set_value(c.oin or "")
        self.detail_fields["sha256"].set_value(c.fingerprint_sha256)
        self.detail_fields["sha1"].set_value(d.fingerprint_sha1)
        self.detail_fields["serial"].set_value(d.serial_number)
        self.detail_labels["subject"].setText(", ".join(f"{k}={v}" for k, v in d.subject_fields))
        self.detail_labels["issuer"].setText(c.issuer)
        self.detail_labels["validity"].setText(
            self.tr("{start} t/m {end} — {status}").format(
                start=format_datetime(c.not_before),
                end=format_datetime(c.not_after),
                status=c.status,
            )
        )
        key_state = (
            self.tr("in de sleutelbos")
            if c.key_available
            else self.tr("ONTBREEKT in de sleutelbos")
        )
        self.detail_labels["key"].setText(f"{c.key_type} {c.key_size} bits, {key_state}")
        self.detail_labels["usage"].setText(", ".join([*d.key_usage, *d.extended_key_usage]) or "-")
        chain = [
            f"{n}. {e.subject}" + (self.tr(" (root)") if e.is_root else "")
            for n, e in enumerate(d.chain, start=1)
        ]
        self.detail_labels["chain"].setText(
            "\n".join(chain) or self.tr("Geen tussenliggende certificaten meegeleverd.")
        )
        notes = list(d.oin_notes) + list(d.problems)
        if c.oin_problem:
            notes.insert(0, c.oin_problem)
        self.detail_labels["notes"].setText("\n".join(notes) or "-")
        self.detail.setVisible(True)

    # -- import ------------------------------------------------------------------------------

    def _choose_files(self) -> list[str]:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Certificaat importeren"), "", self.tr(FILE_FILTER)
        )
        return list(files)

    def _ask_password(self, filename: str, reason: str) -> str | None:
        text, ok = QInputDialog.getText(
            self,
            self.tr("Wachtwoord van {name}").format(name=filename),
            reason,
            QLineEdit.EchoMode.Password,
        )
        return text if ok else None

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, self.tr("Certificaten"), question)
        return answer == QMessageBox.StandardButton.Yes

    def _show_error(self, message: str) -> None:
        self.import_message.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.import_message.setText(message)

    def choose_and_import(self) -> None:
        for name in self.choose_files():
            self.import_path(Path(name))

    def import_path(self, path: Path, password: str | None = None) -> None:
        """Import a certificate file; asks for a password only when the file needs one."""
        self.import_message.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.import_message.setText(self.tr("{name} wordt geïmporteerd…").format(name=path.name))
        self.runner.run(
            self._read_and_import,
            path,
            password,
            on_done=self._imported,
            on_error=functools.partial(self._import_failed, path),
            lane="db",
            owner=self,
        )

    def _read_and_import(self, path: Path, password: str | None) -> Any:
        from console.services.certificates import CertificateRefused

        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CertificateRefused(
                f"Het bestand {path.name} kan niet worden gelezen: {exc.strerror or exc}."
            ) from None
        return self.services.certificates.import_file(data, password=password)

    def _import_failed(self, path: Path, exc: BaseException) -> None:
        from console.services.certificates import IncorrectPassword, PasswordNeeded

        if isinstance(exc, PasswordNeeded | IncorrectPassword):
            password = self.ask_password(path.name, str(exc))
            if password is not None:
                self.import_path(path, password)
            else:
                self._show_error(self.tr("Import van {name} afgebroken.").format(name=path.name))
            return
        self.show_error(str(exc))

    def _imported(self, result: Any) -> None:
        c = result.certificate
        lines = [
            (
                self.tr("Certificaat {name} geïmporteerd (OIN {oin}, geldig tot {end}).")
                if result.created
                else self.tr(
                    "Certificaat {name} was al bekend; de sleutel staat weer in de sleutelbos."
                )
            ).format(name=c.label, oin=c.oin or "-", end=format_datetime(c.not_after))
        ]
        if result.attached_to:
            lines.append(
                self.tr("Gekoppeld aan: {names}.").format(names=", ".join(result.attached_to))
            )
        lines += result.warnings
        self.import_message.setStyleSheet(
            f"color: {theme.WARNING_TEXT if result.warnings else theme.OK_TEXT};"
        )
        self.import_message.setText("\n".join(lines))
        self.notice.emit(lines[0])
        self.refresh()

    # -- drag and drop -------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() and certificate_paths(list(mime.urls())):
            event.acceptProposedAction()
            self.drop_label.setStyleSheet(
                f"color: {theme.ACCENT}; border: 2px dashed {theme.ACCENT}; border-radius: 6px;"
                " padding: 0.6em;"
            )
        else:
            event.ignore()

    def dragLeaveEvent(self, event: Any) -> None:
        self._reset_drop_label()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._reset_drop_label()
        paths = certificate_paths(list(event.mimeData().urls()))
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        for path in paths:
            self.import_path(path)

    def _reset_drop_label(self) -> None:
        self.drop_label.setStyleSheet(
            f"color: {theme.MUTED_TEXT}; border: 1px dashed #C9CED6; border-radius: 6px;"
            " padding: 0.6em;"
        )

    # -- renewal -----------------------------------------------------------------------------

    def open_request_dialog(self) -> CertificateRequestDialog:
        dialog = CertificateRequestDialog(self.services, self.runner, self.connections, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: self.refresh())
        dialog.open()
        self.request_dialog = dialog
        return dialog

    # -- trust stores ------------------------------------------------------------------------

    def choose_and_import_trust(self) -> None:
        for name in self.choose_files():
            self.import_trust_path(Path(name))

    def import_trust_path(self, path: Path) -> None:
        env = self.environment_combo.currentData()
        self.runner.run(
            lambda: self.services.certificates.trust_import(env, path.read_bytes()),
            on_done=self._trust_imported,
            on_error=lambda exc: self._trust_message(str(exc), theme.ERROR_TEXT),
            lane="db",
            owner=self,
        )

    def _trust_imported(self, result: Any) -> None:
        lines = [self.tr("Toegevoegd: {name}").format(name=a.label) for a in result.added] + [
            self.tr("Stond er al: {name}").format(name=a.label) for a in result.already_present
        ]
        lines += result.warnings
        self._trust_message(
            "\n".join(lines), theme.WARNING_TEXT if result.warnings else theme.OK_TEXT
        )
        self.refresh()

    def _trust_message(self, text: str, colour: str) -> None:
        self.trust_message.setStyleSheet(f"color: {colour};")
        self.trust_message.setText(text)

    def selected_anchor_id(self) -> int | None:
        items = self.trust_table.selectedItems()
        if not items:
            return None
        item = self.trust_table.item(items[0].row(), 0)
        data = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return int(data) if data is not None else None

    def remove_selected_anchor(self) -> None:
        anchor_id = self.selected_anchor_id()
        if anchor_id is None:
            self._trust_message(
                self.tr("Kies eerst een certificaat in de lijst."), theme.ERROR_TEXT
            )
            return
        anchor = next((a for a in self.anchors if a.id == anchor_id), None)
        name = anchor.label if anchor is not None else str(anchor_id)
        if not self.confirm(
            self.tr(
                "{name} uit de trust store verwijderen? Verbindingen met servers die dit "
                "certificaat gebruiken worden daarna geweigerd."
            ).format(name=name)
        ):
            return
        self.runner.run(
            self.services.certificates.trust_remove,
            anchor_id,
            on_done=self._anchor_removed,
            on_error=lambda exc: self._trust_message(str(exc), theme.ERROR_TEXT),
            lane="db",
            owner=self,
        )

    def _anchor_removed(self, info: Any) -> None:
        self._trust_message(self.tr("{name} is verwijderd.").format(name=info.label), theme.OK_TEXT)
        self.refresh()

    # -- connection test ---------------------------------------------------------------------

    def start_test(self) -> None:
        from console.services.connection_test import STEP_ORDER, STEP_TITLES

        cid = self.test_combo.currentData()
        if cid is None:
            return
        while self.steps_box.count():
            item = self.steps_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.step_rows = {}
        for key in STEP_ORDER:
            row = StepRowWidget(self.tr(STEP_TITLES[key]))
            self.step_rows[key] = row
            self.steps_box.addWidget(row)
        self.test_button.setEnabled(False)
        self.test_summary.setText(self.tr("De test loopt…"))
        self.test_summary.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        self.runner.run(
            self.services.connection_test.run,
            int(cid),
            on_step=self._relay.step.emit,
            on_done=self._test_done,
            on_error=self._test_failed,
            lane="io",
            owner=self,
        )

    def _on_step(self, step: Any) -> None:
        row = self.step_rows.get(step.key)
        if row is not None:
            row.set_step(step.status.value, step.detail)

    def _test_done(self, result: Any) -> None:
        self.last_test = result
        for step in result.steps:
            self._on_step(step)
        self.test_button.setEnabled(True)
        self.test_summary.setStyleSheet(
            f"color: {theme.OK_TEXT if result.ok else theme.ERROR_TEXT}; font-weight: 600;"
        )
        self.test_summary.setText(result.summary)

    def _test_failed(self, exc: BaseException) -> None:
        self.test_button.setEnabled(True)
        self.test_summary.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.test_summary.setText(str(exc))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
