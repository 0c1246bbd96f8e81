"""The banner across the top: which environment, for which organisation, over which connection.

Always visible, so nobody sends to production thinking it is the simulator. The badge always
carries the word (SIMULATOR, PREPROD, PRODUCTIE); the colour only reinforces it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.domain.environment import Environment
from console.services.dto import WorkspaceStatus
from console.ui import theme


class EnvironmentBadge(QLabel):
    """A coloured badge with the environment's name in capitals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.environment: Environment | None = None

    def set_environment(self, environment: Environment) -> None:
        self.environment = environment
        colours = theme.environment_colours(environment)
        self.setText(environment.label)
        self.setAccessibleName(self.tr("Omgeving: {name}").format(name=environment.label))
        self.setToolTip(self._tooltip(environment))
        self.setStyleSheet(
            f"QLabel {{ background: {colours.badge_background}; color: {colours.badge_text};"
            " border-radius: 4px; padding: 0.25em 0.8em; font-weight: 700;"
            " letter-spacing: 0.5px; }"
        )

    def _tooltip(self, environment: Environment) -> str:
        if environment is Environment.SIMULATOR:
            return self.tr("De ingebouwde simulator: er gaat niets naar Logius.")
        if environment is Environment.PREPROD:
            return self.tr("De preprod-omgeving van Logius: voor tests, geen echte burgers.")
        return self.tr("Productie: berichten gaan naar echte burgers.")


class EnvironmentBannerWidget(QFrame):
    """Badge, organisation (a selector when the connection serves several) and connection."""

    #: The user chose another organisation in the selector (its id).
    organisationChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("environmentBanner")
        self.setAccessibleName(self.tr("Omgeving en organisatie"))
        self.status: WorkspaceStatus | None = None

        self.badge = EnvironmentBadge()

        self.organisation_label = QLabel(self.tr("Werkmap wordt geladen…"))
        self.organisation_label.setFont(theme.heading_font(self.font(), scale=1.1))
        self.organisation_label.setAccessibleName(self.tr("Organisatie"))
        self.organisation_combo = QComboBox()
        self.organisation_combo.setAccessibleName(self.tr("Organisatie kiezen"))
        self.organisation_combo.setToolTip(self.tr("De organisatie waarvoor u werkt"))
        self.organisation_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.organisation_combo.setVisible(False)
        self.organisation_combo.activated.connect(self._on_organisation_activated)

        self.oin_label = QLabel("")
        self.oin_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.oin_label.setAccessibleName(self.tr("OIN van de organisatie"))
        self.oin_label.setToolTip(self.tr("Selecteer het OIN om het te kopiëren"))
        self.oin_label.setFont(theme.small_font(self.font()))

        self.connection_label = QLabel("")
        self.connection_label.setAccessibleName(self.tr("Koppeling"))
        self.connection_label.setTextFormat(Qt.TextFormat.PlainText)

        self.demo_label = QLabel(
            self.tr("Demo-omgeving: berichten gaan naar de ingebouwde simulator, niet naar Logius")
        )
        self.demo_label.setAccessibleName(self.tr("Demo-melding"))
        self.demo_label.setWordWrap(True)
        self.demo_label.setVisible(False)

        organisation = QVBoxLayout()
        organisation.setSpacing(0)
        org_line = QHBoxLayout()
        org_line.setSpacing(8)
        org_line.addWidget(self.organisation_label)
        org_line.addWidget(self.organisation_combo)
        org_line.addWidget(self.oin_label, 0, Qt.AlignmentFlag.AlignBaseline)
        org_line.addStretch(1)
        organisation.addLayout(org_line)
        organisation.addWidget(self.demo_label)

        divider = QFrame()
        divider.setFrameShape(QFrame.Shape.VLine)
        divider.setStyleSheet("color: rgba(0,0,0,40);")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(14)
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(organisation, 1)
        layout.addWidget(divider)
        layout.addWidget(self.connection_label, 0, Qt.AlignmentFlag.AlignVCenter)

        self.set_environment_colours(Environment.SIMULATOR)
        self.badge.setVisible(False)

    # -- public ------------------------------------------------------------------------------

    def set_status(self, status: WorkspaceStatus) -> None:
        self.status = status
        self.badge.set_environment(status.environment)
        self.badge.setVisible(True)
        self.set_environment_colours(status.environment)

        orgs = status.organisations
        several = len(orgs) > 1
        self.organisation_combo.setVisible(several)
        self.organisation_label.setVisible(not several)
        if several:
            self.organisation_combo.blockSignals(True)
            self.organisation_combo.clear()
            for org in orgs:
                self.organisation_combo.addItem(org.name, org.id)
            index = self.organisation_combo.findData(status.organisation_id)
            self.organisation_combo.setCurrentIndex(max(index, 0))
            self.organisation_combo.blockSignals(False)
        elif status.organisation_name:
            self.organisation_label.setText(status.organisation_name)
        else:
            self.organisation_label.setText(self.tr("Nog geen organisatie ingesteld"))
        self._show_oin(status.organisation_oin)

        if status.connection_name:
            self.connection_label.setText(
                self.tr("Koppeling: {name}").format(name=status.connection_name)
            )
        else:
            self.connection_label.setText(self.tr("Nog geen koppeling"))
        self.demo_label.setVisible(status.is_demo)

    def current_organisation_id(self) -> int | None:
        if self.status is not None and len(self.status.organisations) > 1:
            data = self.organisation_combo.currentData()
            if data is not None:
                return int(data)
        return self.status.organisation_id if self.status else None

    def set_environment_colours(self, environment: Environment) -> None:
        colours = theme.environment_colours(environment)
        self.setStyleSheet(
            f"QFrame#environmentBanner {{ background: {colours.strip_background};"
            f" border-bottom: 3px solid {colours.strip_border}; }}"
        )

    # -- internals ---------------------------------------------------------------------------

    def _show_oin(self, oin: str) -> None:
        self.oin_label.setText(self.tr("OIN {oin}").format(oin=oin) if oin else "")
        self.oin_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")

    def _on_organisation_activated(self, index: int) -> None:
        data = self.organisation_combo.itemData(index)
        if data is None or self.status is None:
            return
        org = next((o for o in self.status.organisations if o.id == data), None)
        if org is not None:
            self._show_oin(org.oin)
        self.organisationChanged.emit(int(data))
