"""The main window: banner, navigation, pages and the engine's status bar (ux.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from console.services.dto import EngineSnapshot, LetterQuery, WorkspaceStatus
from console.ui import theme
from console.ui.audit_view import AuditLogDialog
from console.ui.banner import EnvironmentBannerWidget
from console.ui.batch_import_dialog import BatchImportDialog
from console.ui.certificates_view import CertificatesView, certificate_paths
from console.ui.config_transfer_dialog import ConfigImportDialog, export_configuration
from console.ui.dashboard_view import DashboardView
from console.ui.ebms_inspect_dialog import EbmsInspectDialog
from console.ui.expiry_notifier import ExpiryNotifier, make_tray_icon
from console.ui.flows_view import FlowsView
from console.ui.letter_log_view import LetterLogView
from console.ui.lookup_log_view import LookupLogView
from console.ui.missing_results_view import MissingResultsView
from console.ui.onboarding_view import OnboardingView
from console.ui.organisations_view import OrganisationsView
from console.ui.send_view import SendView
from console.ui.session_key_banner import SessionKeyBanner
from console.ui.settings_view import SettingsView
from console.ui.subscription_check_widget import SubscriptionCheckWidget
from console.ui.tasks import TaskRunner
from console.ui.test_letter_dialog import TestLetterDialog

SETTINGS_ORGANISATION = "Berichtenbox console"
SETTINGS_APPLICATION = "Berichtenbox console"
ENGINE_POLL_MS = 1000
NOTICE_MS = 10_000


@dataclass(frozen=True, slots=True)
class Page:
    key: str
    icon: QStyle.StandardPixmap


PAGES = (
    Page("overzicht", QStyle.StandardPixmap.SP_ComputerIcon),
    Page("berichten", QStyle.StandardPixmap.SP_FileDialogDetailedView),
    Page("verzenden", QStyle.StandardPixmap.SP_ArrowForward),
    Page("stromen", QStyle.StandardPixmap.SP_FileDialogListView),
    Page("organisaties", QStyle.StandardPixmap.SP_DirHomeIcon),
    Page("certificaten", QStyle.StandardPixmap.SP_DialogApplyButton),
    Page("aansluiten", QStyle.StandardPixmap.SP_DriveNetIcon),
    Page("instellingen", QStyle.StandardPixmap.SP_DesktopIcon),
)


class MainWindow(QMainWindow):
    def __init__(
        self,
        services: Any,
        task_runner: TaskRunner | None = None,
        *,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self._owns_runner = task_runner is None
        self.runner = task_runner or TaskRunner(self)
        self.settings = settings or QSettings(SETTINGS_ORGANISATION, SETTINGS_APPLICATION)
        self.workspace_status: WorkspaceStatus | None = None
        self.organisation_id: int | None = None
        self.test_letter_dialog: TestLetterDialog | None = None

        self.setWindowTitle(self.tr("Berichtenbox console"))
        self.setAccessibleName(self.tr("Berichtenbox console"))

        titles = {
            "overzicht": self.tr("Overzicht"),
            "berichten": self.tr("Berichten"),
            "verzenden": self.tr("Verzenden"),
            "stromen": self.tr("Stromen"),
            "organisaties": self.tr("Organisaties"),
            "certificaten": self.tr("Certificaten"),
            "aansluiten": self.tr("Aansluiten"),
            "instellingen": self.tr("Instellingen"),
        }
        self.page_titles = titles

        # Created first, so the tab order runs banner, navigation, then the page.
        self.banner = EnvironmentBannerWidget()
        self.banner.organisationChanged.connect(self._on_organisation_changed)
        self.navigation = QListWidget()

        # -- pages --
        self.overview = DashboardView(services, self.runner)  # issue 6: the dashboard
        self.overview.openLog.connect(self.open_log)
        self.overview.openCertificates.connect(lambda: self.show_page("certificaten"))
        self.log_view = LetterLogView(services, self.runner)
        self.log_view.sendTestRequested.connect(self.open_test_letter_dialog)
        self.log_view.evidenceMade.connect(self.show_notice)
        self.lookup_log: LookupLogView | None = None
        self.send_view = SendView()
        self.send_view.sendTestRequested.connect(self.open_test_letter_dialog)
        # Batch import: a file chosen on (or dropped onto) Verzenden opens the import dialog.
        self.send_view.importRequested.connect(self.open_batch_import_dialog)
        self.send_view.notice.connect(self.show_notice)
        self.pages: dict[str, QWidget] = {
            "overzicht": self.overview,
            "berichten": self.log_view,
            "verzenden": self.send_view,
        }
        # issue 5: the Organisaties and Stromen pages; the audit log opens from Extra
        self.organisations_view = OrganisationsView(services, self.runner)
        self.organisations_view.notice.connect(self.show_notice)
        self.organisations_view.workspaceChanged.connect(self.load_workspace)
        self.flows_view = FlowsView(services, self.runner)
        self.flows_view.notice.connect(self.show_notice)
        self.pages["organisaties"] = self.organisations_view
        self.pages["stromen"] = self.flows_view
        # issue 7: certificates, trust stores, expiry and the connection test
        self.certificates_view = CertificatesView(services, self.runner)
        self.certificates_view.notice.connect(self.show_notice)
        self.pages["certificaten"] = self.certificates_view
        # The Aansluiten page: impact analysis, estimate, variants and the checklist; a step's
        # button opens the page where it is done. It follows the organisation in the banner.
        self.onboarding_view = OnboardingView(services, self.runner)
        self.onboarding_view.notice.connect(self.show_notice)
        self.onboarding_view.openPage.connect(self.show_page)
        self.pages["aansluiten"] = self.onboarding_view
        # The Instellingen page; leaving it with unsaved changes asks first (_on_navigation)
        self.settings_view = SettingsView(services, self.runner)
        self.settings_view.notice.connect(self.show_notice)
        self.settings_view.openPage.connect(self.show_page)
        self.pages["instellingen"] = self.settings_view
        self.session_key_banner = SessionKeyBanner()
        self.session_key_banner.set_store(
            services.certificates.keys_persistent, services.certificates.key_store_description
        )
        self.expiry_notifier = ExpiryNotifier(
            services.certificates, self.runner, tray=make_tray_icon(self), parent=self
        )
        self.expiry_notifier.notified.connect(lambda title, text: self.show_notice(text))
        self.tool_dialogs: dict[str, QDialog] = {}
        self.setAcceptDrops(True)
        self.audit_dialog: AuditLogDialog | None = None

        self.stack = QStackedWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName(self.tr("Navigatie"))
        icon_size = self.fontMetrics().height() + 4
        self.navigation.setIconSize(QSize(icon_size, icon_size))
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widest = 0
        for n, page in enumerate(PAGES):
            self.stack.addWidget(self.pages[page.key])
            item = QListWidgetItem(self.style().standardIcon(page.icon), titles[page.key])
            item.setToolTip(self.tr("{page} (Ctrl+{n})").format(page=titles[page.key], n=n + 1))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, titles[page.key])
            item.setSizeHint(QSize(0, self.fontMetrics().height() + 18))
            self.navigation.addItem(item)
            widest = max(widest, self.fontMetrics().horizontalAdvance(titles[page.key]))
        self.navigation.setFixedWidth(widest + icon_size + 64)
        self.navigation.currentRowChanged.connect(self._on_navigation)

        # -- layout --
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.navigation)
        body.addWidget(self.stack, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.session_key_banner)
        layout.addLayout(body, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self._build_status_bar()

        self.engine_timer = QTimer(self)
        self.engine_timer.setInterval(ENGINE_POLL_MS)
        self.engine_timer.timeout.connect(self.poll_engine)
        self.engine_timer.start()

        self.resize(1280, 800)
        self._restore_state()
        self.load_workspace()
        self.poll_engine()
        self.expiry_notifier.start()

    # -- public ------------------------------------------------------------------------------

    def show_page(self, key: str) -> None:
        index = [p.key for p in PAGES].index(key)
        self.navigation.setCurrentRow(index)

    def current_page(self) -> str:
        return PAGES[max(self.stack.currentIndex(), 0)].key

    def open_log(self, query: LetterQuery) -> None:
        self.log_view.show_filtered(query)
        self.show_page("berichten")

    def load_workspace(self) -> None:
        self.runner.run(
            self.services.workspace.status,
            on_done=self._workspace_loaded,
            on_error=self._workspace_failed,
            lane="io",
            owner=self,
        )

    def open_test_letter_dialog(self) -> TestLetterDialog | None:
        status = self.workspace_status
        if status is None:
            self.show_notice(self.tr("De werkmap wordt nog geladen. Probeer het zo opnieuw."))
            return None
        if self.test_letter_dialog is not None and self.test_letter_dialog.isVisible():
            self.test_letter_dialog.raise_()
            self.test_letter_dialog.activateWindow()
            return self.test_letter_dialog
        dialog = TestLetterDialog(
            self.services, self.runner, status, self.organisation_id, parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.letterSubmitted.connect(self._letter_submitted)
        dialog.destroyed.connect(self._dialog_gone)
        self.test_letter_dialog = dialog
        dialog.open()
        return dialog

    def open_batch_import_dialog(self, path: Path | None = None) -> BatchImportDialog | None:
        """Verzenden › Batch importeren: check a file of letters, then queue the good ones."""
        status = self.workspace_status
        if status is None:
            self.show_notice(self.tr("De werkmap wordt nog geladen. Probeer het zo opnieuw."))
            return None
        if getattr(self.services, "batch_import", None) is None:
            self.show_notice(self.tr("Batch importeren is in deze werkmap niet beschikbaar."))
            return None
        dialog = BatchImportDialog(
            self.services, self.runner, status, self.organisation_id, path, parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.openLog.connect(self.open_log)
        dialog.imported.connect(self._batch_imported)
        dialog.open()
        return dialog

    def _batch_imported(self, result: Any) -> None:
        self.show_notice(result.summary)
        self.log_view.refresh()

    def poll_engine(self) -> None:
        self._show_engine(self.services.engine.snapshot())

    def show_notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self._notice_timer.start(NOTICE_MS)

    # -- building ----------------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&Bestand"))
        self.quit_action = QAction(self.tr("&Afsluiten"), self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        go_menu = bar.addMenu(self.tr("&Ga naar"))
        self.page_actions: list[QAction] = []
        for n, page in enumerate(PAGES):
            action = QAction(self.style().standardIcon(page.icon), self.page_titles[page.key], self)
            action.setShortcut(QKeySequence(f"Ctrl+{n + 1}"))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _=False, key=page.key: self.show_page(key))
            go_menu.addAction(action)
            self.page_actions.append(action)

        letters_menu = bar.addMenu(self.tr("Be&richten"))
        self.export_action = QAction(self.tr("&Exporteren…"), self)
        self.export_action.triggered.connect(
            lambda: self.log_view.open_export_dialog(self.log_view.action_target())
        )
        letters_menu.addAction(self.export_action)
        self.lookup_log_action = QAction(self.tr("&Inzagelog BSN…"), self)
        self.lookup_log_action.triggered.connect(self.open_lookup_log)
        letters_menu.addAction(self.lookup_log_action)
        letters_menu.addSeparator()
        self.missing_results_action = QAction(self.tr("&Resultaten en opnieuw versturen…"), self)
        self.missing_results_action.triggered.connect(self.open_missing_results)
        letters_menu.addAction(self.missing_results_action)
        self.subscription_action = QAction(self.tr("&Abonnement van een burger controleren…"), self)
        self.subscription_action.triggered.connect(self.open_subscription_check)
        letters_menu.addAction(self.subscription_action)

        extra_menu = bar.addMenu(self.tr("E&xtra"))  # issue 5
        self.audit_action = QAction(self.tr("&Auditlog…"), self)
        self.audit_action.triggered.connect(self.open_audit_log)
        extra_menu.addAction(self.audit_action)
        self.config_export_action = QAction(self.tr("Configuratie &exporteren…"), self)
        self.config_export_action.triggered.connect(
            lambda: export_configuration(self, self.services, self.runner, self.show_notice)
        )
        extra_menu.addAction(self.config_export_action)
        self.config_import_action = QAction(self.tr("Configuratie &importeren…"), self)
        self.config_import_action.triggered.connect(self.import_configuration)
        extra_menu.addAction(self.config_import_action)
        extra_menu.addSeparator()
        self.inspect_action = QAction(self.tr("ebMS-bericht &inspecteren…"), self)  # issue 3
        self.inspect_action.triggered.connect(self.open_ebms_inspector)
        extra_menu.addAction(self.inspect_action)

        help_menu = bar.addMenu(self.tr("&Help"))
        self.about_action = QAction(self.tr("&Over Berichtenbox console"), self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(True)
        self.engine_label = QLabel("")
        self.engine_label.setAccessibleName(self.tr("Status van de engine"))
        self.engine_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.certificate_label = QLabel("")
        self.certificate_label.setAccessibleName(self.tr("Certificaat"))
        self.error_label = QLabel("")
        self.error_label.setAccessibleName(self.tr("Laatste fout van de engine"))
        self.error_label.setStyleSheet(f"color: {theme.ERROR_TEXT};")
        self.notice_label = QLabel("")
        self.notice_label.setAccessibleName(self.tr("Melding"))
        self.notice_label.setStyleSheet(f"color: {theme.OK_TEXT};")
        bar.addWidget(self.engine_label)
        bar.addWidget(self.certificate_label)
        bar.addWidget(self.error_label, 1)
        bar.addPermanentWidget(self.notice_label)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(lambda: self.notice_label.setText(""))

    # -- state -------------------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.settings.value("venster/geometrie")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("venster/staat")
        if state is not None:
            self.restoreState(state)
        self.log_view.restore_state(self.settings)
        last = self.settings.value("venster/pagina", "overzicht")
        self.show_page(last if last in self.pages else "overzicht")

    def save_state(self) -> None:
        self.settings.setValue("venster/geometrie", self.saveGeometry())
        self.settings.setValue("venster/staat", self.saveState())
        self.settings.setValue("venster/pagina", self.current_page())
        self.log_view.save_state(self.settings)
        self.settings.sync()

    # -- tool dialogs (issues 3 and 4) -----------------------------------------------------

    def _tool_dialog(self, key: str, title: str, make: Callable[[], QWidget]) -> QDialog:
        dialog = self.tool_dialogs.get(key)
        if dialog is None:
            dialog = QDialog(self)
            dialog.setWindowTitle(title)
            layout = QVBoxLayout(dialog)
            layout.addWidget(make())
            dialog.resize(900, 600)
            self.tool_dialogs[key] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def open_missing_results(self) -> QDialog:
        def make() -> QWidget:
            view = MissingResultsView(self.services, self.runner)
            view.openLetter.connect(self._open_letter_from_tool)
            view.refresh()
            return view

        return self._tool_dialog("results", self.tr("Resultaten"), make)

    def open_subscription_check(self) -> QDialog:
        return self._tool_dialog(
            "subscriptions",
            self.tr("Abonnement controleren"),
            lambda: SubscriptionCheckWidget(self.services, self.runner, self.organisation_id),
        )

    def open_ebms_inspector(self) -> QDialog:
        dialog = self.tool_dialogs.get("inspect")
        if dialog is None:
            dialog = EbmsInspectDialog(self.services, self.runner, self)
            self.tool_dialogs["inspect"] = dialog
        dialog.show()
        dialog.raise_()
        return dialog

    def _open_letter_from_tool(self, letter_id: int) -> None:
        self.show_page("berichten")
        self.log_view.select_letter(letter_id)

    # -- drag and drop: a certificate goes to the certificate import ---------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and certificate_paths(list(event.mimeData().urls())):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = certificate_paths(list(event.mimeData().urls()))
        if paths:
            self.show_page("certificaten")
            for path in paths:
                self.certificates_view.import_path(path)
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.settings_view.confirm_leave():  # unsaved settings: the user chose to stay
            event.ignore()
            return
        if self.settings_view.saving:  # the user chose to save: close once it is stored
            self.settings_view.idle.connect(self.close, Qt.ConnectionType.SingleShotConnection)
            event.ignore()
            return
        self.save_state()
        self.engine_timer.stop()
        self.expiry_notifier.stop()
        super().closeEvent(event)
        if event.isAccepted() and self._owns_runner:
            self.runner.shutdown(wait=False)

    # -- slots -------------------------------------------------------------------------------

    def _on_navigation(self, row: int) -> None:
        leaving = self.stack.currentWidget()
        if (
            leaving is self.settings_view
            and row != self.stack.currentIndex()
            and not self.settings_view.confirm_leave()
        ):  # unsaved settings and the user stays: the navigation goes back to the page
            self.navigation.blockSignals(True)
            self.navigation.setCurrentRow(self.stack.currentIndex())
            self.navigation.blockSignals(False)
            return
        if 0 <= row < self.stack.count():
            self.stack.setCurrentIndex(row)
            self.setWindowTitle(
                self.tr("{page} — Berichtenbox console").format(
                    page=self.page_titles[PAGES[row].key]
                )
                # The environment is always visible, also in the taskbar (issue 5).
                + (f" [{self.workspace_status.environment.label}]" if self.workspace_status else "")
            )

    # -- issue 5: audit log and configuration transfer ---------------------------------------

    def open_audit_log(self) -> AuditLogDialog:
        if self.audit_dialog is None:
            self.audit_dialog = AuditLogDialog(
                self.services, self.runner, self, settings=self.settings
            )
            self.audit_dialog.view.notice.connect(self.show_notice)
        self.audit_dialog.show()
        self.audit_dialog.raise_()
        return self.audit_dialog

    def import_configuration(self, path: Path | None = None) -> ConfigImportDialog | None:
        if path is None:
            name, _f = QFileDialog.getOpenFileName(
                self, self.tr("Configuratie importeren"), "", self.tr("Configuratie (*.json)")
            )
            if not name:
                return None
            path = Path(name)
        dialog = ConfigImportDialog(self.services, self.runner, path, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._configuration_imported)
        dialog.open()
        return dialog

    def _configuration_imported(self) -> None:
        self.show_notice(self.tr("De configuratie is geïmporteerd."))
        self.organisations_view.refresh()
        self.flows_view.refresh()
        self.load_workspace()

    def _workspace_loaded(self, status: WorkspaceStatus) -> None:
        self.workspace_status = status
        if self.organisation_id is None or all(
            o.id != self.organisation_id for o in status.organisations
        ):
            self.organisation_id = status.organisation_id
        self.banner.set_status(status)
        self._on_navigation(self.navigation.currentRow())  # the title names the environment
        self.log_view.set_single_organisation(len(status.organisations) <= 1)
        self.log_view.set_workspace(status)
        self.onboarding_view.set_organisation(self.organisation_id)  # the Aansluiten page

    def _workspace_failed(self, exc: BaseException) -> None:
        self.error_label.setText(str(exc))

    def _on_organisation_changed(self, organisation_id: int) -> None:
        self.organisation_id = organisation_id
        remember = getattr(self.services.workspace, "set_active_organisation", None)
        if remember is not None:  # the choice is stored, so the next start opens with it
            self.runner.run(
                remember,
                organisation_id,
                on_done=self._workspace_loaded,
                on_error=self._workspace_failed,
                lane="db",
                owner=self,
            )

    def _letter_submitted(self, letter_id: int) -> None:
        self.show_notice(self.tr("Testbericht opgeslagen en in de wachtrij gezet."))
        self.show_page("berichten")
        self.log_view.select_letter(letter_id)
        self.log_view.refresh()

    def _dialog_gone(self) -> None:
        self.test_letter_dialog = None

    def _show_engine(self, snap: EngineSnapshot) -> None:
        parts = [self.tr("Engine: actief") if snap.running else self.tr("Engine: gestopt")]
        parts.append(self.tr("{n} in wachtrij").format(n=snap.queued))
        if snap.in_flight:
            parts.append(self.tr("{n} onderweg").format(n=snap.in_flight))
        if snap.awaiting_result:
            parts.append(self.tr("{n} wacht op resultaat").format(n=snap.awaiting_result))
        if snap.inbound_url:
            parts.append(self.tr("inbound {url}").format(url=snap.inbound_url))
        if snap.certificate_days_left is not None:
            parts.append("")  # the certificate follows in its own (coloured) label
        self.engine_label.setText(" · ".join(parts).rstrip())

        days = snap.certificate_days_left
        tone = theme.certificate_tone(days)
        if days is None:
            self.certificate_label.setText("")
        else:
            if days < 0:
                text = self.tr("certificaat verlopen")
            elif days == 1:
                text = self.tr("certificaat nog 1 dag")
            else:
                text = self.tr("certificaat nog {n} dagen").format(n=days)
            self.certificate_label.setText(text)
        if tone is None:
            self.certificate_label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
        else:
            colours = theme.tone(tone)
            self.certificate_label.setStyleSheet(
                f"color: {colours.text}; background: {colours.background};"
                f" border: 1px solid {colours.border}; border-radius: 3px; font-weight: 600;"
                " padding: 0 6px;"
            )
        if snap.last_error:
            self.error_label.setText(
                self.tr("· laatste fout: {error}").format(error=snap.last_error)
            )
            self.error_label.setToolTip(snap.last_error)
        else:
            self.error_label.setText("")

    def open_lookup_log(self) -> LookupLogView:
        """The BSN lookup log (who looked at which BSN); the service checks who may."""
        if self.lookup_log is not None and self.lookup_log.isVisible():
            self.lookup_log.raise_()
            return self.lookup_log
        dialog = LookupLogView(self.services, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda: setattr(self, "lookup_log", None))
        self.lookup_log = dialog
        dialog.open()
        return dialog

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("Over Berichtenbox console"),
            self.tr(
                "<p><b>Berichtenbox console</b></p>"
                "<p>Lokaal Leveranciersportaal en verzendengine voor de MijnOverheid "
                "Berichtenbox, over Digikoppeling ebMS2.</p>"
                "<p>Licentie: EUPL-1.2.</p>"
            ),
        )
