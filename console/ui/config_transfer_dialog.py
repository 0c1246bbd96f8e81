"""Configuratie importeren: choose a file, see what would change, then apply (or not).

Export is one file dialog (see :func:`export_configuration`); import first shows the preview
the service computed (new, changed with old → new per field, unchanged, warnings) and applies
only when the user presses Importeren.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.form_field import muted, notice_box, service
from console.ui.tasks import TaskRunner

KIND_TONES = {"nieuw": "green", "gewijzigd": "amber", "ongewijzigd": "grey"}


class ConfigImportDialog(QDialog):
    def __init__(
        self, services: Any, runner: TaskRunner, path: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.path = path
        self.data: bytes | None = None
        self.preview: Any = None
        self.result_preview: Any = None
        self.setWindowTitle(self.tr("Configuratie importeren"))
        self.setAccessibleName(self.windowTitle())
        self.setModal(True)

        self.summary_label = QLabel(self.tr("Het bestand wordt gelezen…"))
        self.summary_label.setWordWrap(True)
        self.summary_label.setFont(theme.heading_font(self.font(), scale=1.05))
        self.source_label = muted(QLabel(str(path)), small=True)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName(self.tr("Wijzigingen"))
        self.tree.setHeaderLabels([self.tr("Wat"), self.tr("Voor"), self.tr("Na")])
        self.tree.setAlternatingRowColors(True)
        self.warning_label = notice_box("amber")
        self.error_label = notice_box("red")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText(self.tr("&Importeren"))
        self.import_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuleren"))
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.source_label)
        layout.addWidget(
            muted(
                QLabel(
                    self.tr(
                        "Importeren voegt toe en wijzigt; het verwijdert niets. Certificaten en "
                        "sleutels zitten niet in het bestand: importeer die bij Certificaten."
                    )
                )
            )
        )
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(900, 600)
        self.runner.run(self._read, on_done=self._previewed, on_error=self._failed, owner=self)

    def _read(self) -> Any:
        transfer = service(self.services, "config_transfer")
        try:
            self.data = self.path.read_bytes()
        except OSError as exc:
            from console.services.errors import ServiceError

            raise ServiceError(
                f"Het bestand {self.path} kan niet worden gelezen: {exc.strerror}."
            ) from None
        return transfer.preview(self.data)

    def apply(self) -> None:
        transfer = service(self.services, "config_transfer")
        if self.data is None or transfer is None or not self.import_button.isEnabled():
            return
        self.import_button.setEnabled(False)
        self.summary_label.setText(self.tr("Bezig met importeren…"))
        self.runner.run(
            transfer.apply,
            self.data,
            on_done=self._applied,
            on_error=self._failed,
            lane="db",
            owner=self,
        )

    def _previewed(self, preview: Any) -> None:
        self.preview = preview
        self.summary_label.setText(preview.summary)
        self.source_label.setText(
            self.tr("{path} — export van {who} ({when})").format(
                path=self.path, who=preview.exported_by or "?", when=preview.exported_at or "?"
            )
        )
        self._fill(preview)
        self.import_button.setEnabled(preview.has_changes)
        if not preview.has_changes:
            self.import_button.setToolTip(self.tr("Er is niets te importeren: alles is gelijk."))

    def _fill(self, preview: Any) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for change in preview.changes:
            if change.kind == "ongewijzigd":
                continue
            group = groups.get(change.entity)
            if group is None:
                group = QTreeWidgetItem([change.entity.capitalize()])
                group.setFirstColumnSpanned(True)
                self.tree.addTopLevelItem(group)
                groups[change.entity] = group
            item = QTreeWidgetItem([f"{change.kind}: {change.key}"])
            colours = theme.tone(KIND_TONES.get(change.kind))
            item.setToolTip(0, change.kind)
            item.setData(0, Qt.ItemDataRole.AccessibleTextRole, f"{change.kind}: {change.key}")
            item.setForeground(0, _brush(colours.text))
            group.addChild(item)
            for f in change.fields:
                child = QTreeWidgetItem([f.field, f.old if change.kind != "nieuw" else "", f.new])
                for col in range(3):
                    child.setToolTip(col, child.text(col))
                item.addChild(child)
            for note in change.notes:
                child = QTreeWidgetItem([self.tr("Let op: {n}").format(n=note)])
                child.setFirstColumnSpanned(True)
                item.addChild(child)
        self.tree.expandToDepth(0)
        self.tree.resizeColumnToContents(0)
        self.warning_label.setText("\n".join(preview.warnings))
        self.warning_label.setVisible(bool(preview.warnings))

    def _applied(self, result: Any) -> None:
        self.result_preview = result
        self.summary_label.setText(result.summary)
        self.warning_label.setText("\n".join(result.warnings))
        self.warning_label.setVisible(bool(result.warnings))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.summary_label.setText(self.tr("Dit bestand kan niet worden geïmporteerd."))
        self.error_label.setText(str(exc))
        self.error_label.setVisible(True)


def _tr(text: str) -> str:
    return QCoreApplication.translate("ConfigTransfer", text)


def _brush(colour: str) -> Any:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour))


def export_configuration(
    parent: QWidget,
    services: Any,
    runner: TaskRunner,
    notice: Callable[[str], None],
    *,
    choose_path: Callable[[], Path | None] | None = None,
) -> None:
    """Ask where, then write the export off the GUI thread."""
    transfer = service(services, "config_transfer")
    if transfer is None:
        return
    if choose_path is None:
        name, _f = QFileDialog.getSaveFileName(
            parent,
            _tr("Configuratie exporteren"),
            "configuratie.json",
            _tr("Configuratie (*.json)"),
        )
        path = Path(name) if name else None
    else:
        path = choose_path()
    if path is None:
        return

    def write() -> Path:
        data = transfer.export()
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)
        return path

    runner.run(
        write,
        on_done=lambda p: notice(
            _tr("De configuratie staat in {p} (zonder geheimen).").format(p=p)
        ),
        lane="io",
        owner=parent,
    )
