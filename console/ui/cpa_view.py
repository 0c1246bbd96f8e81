"""The CPA of a connection: what it says, its history, import by file dialog or drag and drop.

:class:`CpaView` is the section the Organisaties page hosts: the current CPA of the active
connection (:class:`CpaDetailsWidget`), the earlier CPAs, an endpoint override, and import
(button with a file dialog, or a file dropped anywhere on the section). Everything that
touches the database runs through the task runner.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.copyable_field import CopyableField
from console.ui.form_field import scroll_area
from console.ui.formatting import format_datetime
from console.ui.raw_xml_dialog import RawXmlDialog
from console.ui.status_badge import StatusBadgeLabel
from console.ui.tasks import TaskRunner

CPA_SUFFIXES = frozenset({".xml", ".cpa"})
EXPIRY_RED_DAYS = 14


def cpa_paths(urls: list[Any]) -> list[Path]:
    """Local XML files among dropped URLs."""
    return [
        Path(url.toLocalFile())
        for url in urls
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in CPA_SUFFIXES
    ]


def _muted(label: QLabel, *, small: bool = False) -> QLabel:
    label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
    label.setWordWrap(True)
    if small:
        label.setFont(theme.small_font(label.font()))
    return label


def _value(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _date(value: Any) -> str:
    return format_datetime(value) if value is not None else "-"


class CpaDetailsWidget(QFrame):
    """Everything one CPA says, in the order a support person asks for it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setAccessibleName(self.tr("Gegevens uit de CPA"))
        self.details: Any = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(16, 14, 16, 14)
        self._layout.setSpacing(10)
        self.status_badge = StatusBadgeLabel()
        self.cpa_id_field = CopyableField(self.tr("CPAId"), monospace=True)
        self.validity_label = _value("")
        self.validity_label.setAccessibleName(self.tr("Geldigheid"))
        self.profile_label = _value("")
        self.profile_label.setAccessibleName(self.tr("Profiel"))
        self.import_label = _muted(QLabel(), small=True)
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setAccessibleName(self.tr("Waarschuwingen bij de CPA"))
        self.warning_tone = "amber"
        head = QHBoxLayout()
        head.addWidget(self.status_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.cpa_id_field, 1)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        for row, (label, widget) in enumerate(
            (
                (self.tr("Geldig"), self.validity_label),
                (self.tr("Profiel"), self.profile_label),
            )
        ):
            grid.addWidget(_muted(QLabel(label)), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(widget, row, 1)
        grid.setColumnStretch(1, 1)
        self._layout.addLayout(head)
        self._layout.addLayout(grid)
        self._layout.addWidget(self.warnings_label)
        self._layout.addWidget(self.import_label)
        self.parties_box = QHBoxLayout()
        self.parties_box.setSpacing(12)
        self._layout.addLayout(self.parties_box)
        self.party_widgets: list[QFrame] = []
        self.fingerprint_fields: list[CopyableField] = []

    def show_details(self, d: Any) -> None:
        """Show a :class:`console.services.cpa.CpaDetails`."""
        self.details = d
        agreed = d.status == "agreed"
        self.status_badge.set_status(d.status, "green" if agreed else "amber")
        self.cpa_id_field.set_value(d.cpa_id)
        self.validity_label.setText(
            self.tr("van {start} tot {end}").format(start=_date(d.start), end=_date(d.end))
        )
        profiles = ", ".join(d.profiles)
        if d.sending_supported:
            self.profile_label.setText(profiles)
        else:
            self.profile_label.setText(
                self.tr(
                    "{profiles}: ondertekend of versleuteld. Deze console verstuurt niet met "
                    "deze CPA (de Berichtenbox gebruikt osb-rm)."
                ).format(profiles=profiles)
            )
        self.warnings_label.setText("\n".join(f"• {w}" for w in d.warnings))
        self.warnings_label.setVisible(bool(d.warnings))
        days_left = (d.end - datetime.now(UTC)).days
        serious = days_left < EXPIRY_RED_DAYS or not d.sending_supported
        self.warning_tone = "red" if serious else "amber"
        tone = theme.tone(self.warning_tone)
        self.warnings_label.setStyleSheet(
            f"background: {tone.background}; color: {tone.text};"
            f" border: 1px solid {tone.border}; border-radius: 6px; padding: 8px;"
        )
        source = []
        if d.imported_at is not None:
            source.append(
                self.tr("Geïmporteerd op {at} door {by}").format(
                    at=_date(d.imported_at), by=d.imported_by or "-"
                )
            )
        if d.filename:
            source.append(self.tr("uit {file}").format(file=d.filename))
        if d.replaced:
            source.append(self.tr("(vervangen door een nieuwere CPA)"))
        self.import_label.setText(" ".join(source))
        for w in self.party_widgets:
            w.hide()
            w.deleteLater()
        self.party_widgets = []
        self.fingerprint_fields = []
        for party in d.parties:
            card = self._party_card(party)
            self.parties_box.addWidget(card, 1)
            self.party_widgets.append(card)

    def _party_card(self, p: Any) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        card.setAccessibleName(self.tr("Partij {name}").format(name=p.name))
        box = QVBoxLayout(card)
        box.setContentsMargins(12, 10, 12, 10)
        title = QLabel(p.name)
        title.setFont(theme.heading_font(self.font(), scale=1.1))
        box.addWidget(title)
        box.addWidget(CopyableField(self.tr("PartyId"), p.party_id, monospace=True))
        box.addWidget(_muted(QLabel(self.tr("type {t}").format(t=p.party_type or "-")), small=True))
        box.addWidget(_value(self.tr("Rol: {roles}").format(roles=", ".join(p.roles))))
        for heading, actions in (
            (self.tr("Verstuurt"), p.sends),
            (self.tr("Ontvangt"), p.receives),
        ):
            box.addWidget(_muted(QLabel(heading)))
            for a in actions:
                service = f"{a.service} ({a.service_type})" if a.service_type else a.service
                box.addWidget(_value(f"{a.action}  ·  {service}"))
            if not actions:
                box.addWidget(_muted(QLabel(self.tr("niets")), small=True))
        for c in p.channels:
            box.addWidget(_muted(QLabel(self.tr("Kanaal {id}").format(id=c.channel_id))))
            lines = [
                self.tr("Profiel: {p} ({label})").format(p=c.profile, label=c.profile_label),
                self.tr("Endpoint: {e}").format(e=c.endpoint or "-"),
                f"syncReplyMode: {c.sync_reply_mode}",
                f"ackRequested: {c.ack_requested}",
                f"duplicateElimination: {c.duplicate_elimination}",
                self.tr("Retries: {n}").format(n="-" if c.retries is None else c.retries),
                self.tr("RetryInterval: {v}").format(
                    v=f"{c.retry_interval} ({c.retry_interval_text})" if c.retry_interval else "-"
                ),
                self.tr("PersistDuration: {v}").format(
                    v=f"{c.persist_duration} ({c.persist_duration_text})"
                    if c.persist_duration
                    else "-"
                ),
            ]
            box.addWidget(_value("\n".join(lines)))
        for cert in p.certificates:
            box.addWidget(_muted(QLabel(self.tr("Certificaat {id}").format(id=cert.cert_id))))
            box.addWidget(
                _value(
                    self.tr("Onderwerp: {s}\nUitgever: {i}\nGeldig: {a} tot {b}").format(
                        s=cert.subject,
                        i=cert.issuer,
                        a=_date(cert.not_before),
                        b=_date(cert.not_after),
                    )
                )
            )
            if cert.fingerprint_sha256:
                field = CopyableField(
                    self.tr("SHA-256-vingerafdruk"),
                    cert.fingerprint_sha256,
                    monospace=True,
                    small=True,
                )
                box.addWidget(field)
                self.fingerprint_fields.append(field)
        box.addStretch(1)
        return card


class CpaView(QWidget):
    """The CPA section of the Organisaties page."""

    #: A short Dutch message for the status bar (e.g. after an import).
    notice = Signal(str)

    def __init__(self, services: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.connection_id: int | None = None
        self.setAcceptDrops(True)
        self.setAccessibleName(self.tr("CPA"))

        heading = QLabel(self.tr("CPA van de koppeling"))
        heading.setFont(theme.heading_font(self.font(), scale=1.3))
        intro = _muted(
            QLabel(
                self.tr(
                    "De CPA is de afspraak met Logius: partijen, diensten, endpoint, certificaten "
                    "en hoe vaak een bericht opnieuw wordt verstuurd. De koppeling neemt deze "
                    "gegevens over uit de CPA."
                )
            )
        )
        self.import_button = QPushButton(self.tr("CPA &importeren…"))
        self.import_button.setObjectName("primary")
        self.import_button.clicked.connect(self.choose_file)
        self.xml_button = QPushButton(self.tr("Toon &XML"))
        self.xml_button.clicked.connect(self.show_xml)
        self.history_combo = QComboBox()
        self.history_combo.setAccessibleName(self.tr("Eerdere CPA's"))
        self.history_combo.activated.connect(self._history_chosen)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.xml_button)
        buttons.addWidget(_muted(QLabel(self.tr("Geschiedenis:"))))
        buttons.addWidget(self.history_combo, 1)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName(self.tr("Resultaat van de import"))
        self.empty_label = _muted(
            QLabel(
                self.tr(
                    "Deze koppeling heeft nog geen CPA. Importeer de CPA die u van Logius kreeg, "
                    "of sleep het bestand hierheen."
                )
            )
        )
        self.details = CpaDetailsWidget()

        self.endpoint_edit = QLineEdit()
        self.endpoint_edit.setAccessibleName(self.tr("Afwijkend endpoint"))
        self.endpoint_edit.setPlaceholderText(self.tr("leeg: het endpoint uit de CPA"))
        self.endpoint_save = QPushButton(self.tr("Endpoint &opslaan"))
        self.endpoint_save.clicked.connect(self.save_endpoint)
        self.endpoint_label = _muted(QLabel(), small=True)
        endpoint_row = QHBoxLayout()
        endpoint_row.addWidget(QLabel(self.tr("Afwijkend endpoint (bijv. via een proxy):")))
        endpoint_row.addWidget(self.endpoint_edit, 1)
        endpoint_row.addWidget(self.endpoint_save)

        self.drop_label = _muted(
            QLabel(self.tr("Sleep een CPA-bestand (XML) hierheen om te importeren"))
        )
        self.drop_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._reset_drop_label()

        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.empty_label)
        inner.addWidget(self.details)
        inner.addStretch(1)
        scroll = scroll_area(content)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        layout.addLayout(endpoint_row)
        layout.addWidget(self.endpoint_label)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.drop_label)
        self._show_empty(True)

    # -- loading -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        self.runner.run(self._load, on_done=self._loaded, lane="db", owner=self)

    def _load(self) -> tuple[int | None, Any, list[Any], tuple[str, str | None] | None]:
        status = self.services.workspace.status()
        conn_id = status.connection_id
        if conn_id is None:
            return None, None, [], None
        cpa = self.services.cpa
        return (
            conn_id,
            cpa.for_connection(conn_id),
            cpa.history(conn_id),
            cpa.connection_endpoint(conn_id),
        )

    def _loaded(
        self, result: tuple[int | None, Any, list[Any], tuple[str, str | None] | None]
    ) -> None:
        conn_id, details, history, endpoint = result
        self.connection_id = conn_id
        self.history_combo.clear()
        for row in history:
            label = f"{row.cpa_id} ({_date(row.imported_at)})"
            if not row.replaced and row.connection_name:
                label += self.tr(" — huidige")
            self.history_combo.addItem(label, row.id)
        self.history_combo.setEnabled(len(history) > 1)
        if details is not None:
            self.details.show_details(details)
            index = self.history_combo.findData(details.id)
            if index >= 0:
                self.history_combo.setCurrentIndex(index)
        self._show_empty(details is None)
        if endpoint is not None:
            from_cpa, override = endpoint
            self.endpoint_edit.setText(override or "")
            self.endpoint_label.setText(
                self.tr("Endpoint uit de CPA: {url}. Er wordt verstuurd naar {target}.").format(
                    url=from_cpa, target=override or from_cpa
                )
            )

    def _show_empty(self, empty: bool) -> None:
        self.empty_label.setVisible(empty)
        self.details.setVisible(not empty)
        self.xml_button.setEnabled(not empty)

    def _history_chosen(self, index: int) -> None:
        record_id = self.history_combo.itemData(index)
        if record_id is not None:
            self.runner.run(
                self.services.cpa.show, int(record_id), on_done=self._show_record, owner=self
            )

    def _show_record(self, details: Any) -> None:
        self.details.show_details(details)
        self._show_empty(False)

    # -- import --------------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("CPA importeren"),
            "",
            self.tr("CPA (*.xml *.cpa);;Alle bestanden (*)"),
        )
        if path:
            self.import_path(Path(path))

    def import_path(self, path: Path) -> None:
        self.message_label.setText(
            self.tr("Bezig met importeren van {name}…").format(name=path.name)
        )
        self.message_label.setStyleSheet("")
        self.runner.run(
            self.services.cpa.import_file,
            path,
            connection_id=None,
            on_done=self._imported,
            on_error=self._import_failed,
            lane="db",
            owner=self,
        )

    def _imported(self, result: Any) -> None:
        self.message_label.setStyleSheet(f"color: {theme.OK_TEXT};")
        self.message_label.setText(result.message)
        self.notice.emit(result.message)
        if result.connection_name is None:
            self.details.show_details(result.details)
            self._show_empty(False)
        self.refresh()

    def _import_failed(self, exc: BaseException) -> None:
        self.message_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.message_label.setText(str(exc))

    def show_xml(self) -> None:
        d = self.details.details
        if d is None or d.id is None:
            return
        self.runner.run(self.services.cpa.document, d.id, on_done=self._open_xml, owner=self)

    def _open_xml(self, data: bytes) -> None:
        from console.xml.parser import pretty_xml

        d = self.details.details
        dialog = RawXmlDialog(pretty_xml(data), f"CPA {d.cpa_id if d else ''}", self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.xml_dialog = dialog
        dialog.open()

    # -- endpoint override ---------------------------------------------------------------

    def save_endpoint(self) -> None:
        if self.connection_id is None:
            return
        self.runner.run(
            self.services.cpa.set_endpoint_override,
            self.connection_id,
            self.endpoint_edit.text(),
            on_done=lambda _r: self.refresh(),
            on_error=self._import_failed,
            lane="db",
            owner=self,
        )

    # -- drag and drop -------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() and cpa_paths(list(mime.urls())):
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
        paths = cpa_paths(list(event.mimeData().urls()))
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
