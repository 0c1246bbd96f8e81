"""Before the first production send of a session: type the organisation's name.

:func:`confirm_production` asks the production guard whether the target needs a confirmation
(production, not yet confirmed this session) and, if so, shows :class:`ProductionGuardDialog`.
The confirmation is kept by the service in memory only: a new start asks again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.domain.environment_guard import confirmation_matches
from console.ui import theme
from console.ui.banner import EnvironmentBadge
from console.ui.form_field import muted, notice_box, service
from console.ui.tasks import TaskRunner


class ProductionGuardDialog(QDialog):
    """A red, explicit confirmation: the user types the organisation's name."""

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        target: Any,
        parent: QWidget | None = None,
        *,
        what: str = "",
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.target = target
        self.confirmed = False
        self._busy = False
        self.setWindowTitle(self.tr("Versturen naar PRODUCTIE bevestigen"))
        self.setAccessibleName(self.windowTitle())
        self.setModal(True)

        badge = EnvironmentBadge()
        badge.set_environment(target.environment)
        red = theme.tone("red")
        warning = QLabel(
            self.tr(
                "U gaat {what}versturen naar PRODUCTIE voor {org} (OIN {oin}) via koppeling "
                "{conn}. De berichten gaan naar echte burgers en kunnen niet worden "
                "teruggehaald."
            ).format(
                what=what + " " if what else "",
                org=target.organisation_name,
                oin=target.organisation_oin,
                conn=target.connection_name,
            )
        )
        warning.setWordWrap(True)
        warning.setStyleSheet(
            f"background: {red.background}; color: {red.text}; border: 1px solid {red.border};"
            " border-radius: 4px; padding: 8px; font-weight: 600;"
        )
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(self.tr("Naam van de organisatie ter bevestiging"))
        self.name_edit.setPlaceholderText(target.organisation_name)
        self.name_edit.textEdited.connect(self._changed)
        self.hint_label = muted(QLabel(""), small=True)
        self.error_label = notice_box("red")
        form = QFormLayout()
        label = QLabel(self.tr("&Typ de naam van de organisatie:"))
        label.setBuddy(self.name_edit)
        form.addRow(label, self.name_edit)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("&Bevestigen"))
        self.ok_button.setEnabled(False)
        # Enter confirms only once the typed name matches (the button is disabled until then).
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuleren"))
        self.buttons.accepted.connect(self.confirm)
        self.buttons.rejected.connect(self.reject)

        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 72)
        layout = QVBoxLayout(self)
        layout.addWidget(badge, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(warning)
        layout.addWidget(
            muted(
                QLabel(
                    self.tr(
                        "Dit vraagt de console één keer per sessie per organisatie. Bij de "
                        "volgende start vraagt hij het opnieuw."
                    )
                )
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._changed()

    def confirm(self) -> None:
        guard = service(self.services, "production_guard")
        if self._busy or not self.ok_button.isEnabled() or guard is None:
            return
        self._busy = True
        self.ok_button.setEnabled(False)
        self.runner.run(
            guard.confirm,
            self.target.organisation_id,
            self.name_edit.text(),
            on_done=self._confirmed,
            on_error=self._refused,
            lane="io",
            owner=self,
        )

    def _changed(self, *_args: object) -> None:
        self.error_label.setVisible(False)
        typed = self.name_edit.text()
        ok = confirmation_matches(typed, self.target.organisation_name)
        self.ok_button.setEnabled(ok and not self._busy)
        if ok:
            self.hint_label.setText(self.tr("✓ De naam klopt."))
        elif typed.strip():
            self.hint_label.setText(
                self.tr("Typ de naam precies over: {name}").format(
                    name=self.target.organisation_name
                )
            )
        else:
            self.hint_label.setText(self.tr("De knop Bevestigen werkt pas als de naam klopt."))

    def _confirmed(self, _target: Any) -> None:
        self._busy = False
        self.confirmed = True
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self._busy = False
        self._changed()  # the buttons as the typed name allows; this hides the old message
        self.error_label.setText(str(exc))
        self.error_label.setVisible(True)


def confirm_production(
    parent: QWidget,
    services: Any,
    runner: TaskRunner,
    organisation_id: int | None,
    then: Callable[[], None],
    *,
    what: str = "",
) -> None:
    """Call *then* at once, or after the user confirmed production in the dialog."""
    guard = service(services, "production_guard")
    if guard is None:
        then()
        return

    def decided(target: Any) -> None:
        if target is None or not target.needs_confirmation:
            then()
            return
        dialog = ProductionGuardDialog(services, runner, target, parent, what=what)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(then)
        dialog.open()

    runner.run(guard.target, organisation_id, on_done=decided, lane="io", owner=parent)
