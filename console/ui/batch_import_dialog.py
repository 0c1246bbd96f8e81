"""Batch importeren: a file of letters, every row checked, then queued in one go.

The dialog reads and checks the file off the GUI thread (``BatchImportService.preview``) and
shows every row: number, masked BSN, berichttype, onderwerp, attachments and the outcome
(ok / let op / afgekeurd, with the reasons in Dutch), with the totals on top. Nothing is stored
until the user clicks "N brieven versturen"; then the rows that passed are queued in one
transaction on the task runner's db lane. Refused rows (and warned rows the user leaves
behind) are written to a CSV with a column ``reden``. Afterwards the dialog shows the summary
and a button to the message log filtered on this import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.services.batch_import import (
    AlreadyImported,
    ImportPreview,
    ImportResult,
    ImportRow,
    RowOutcome,
    default_rejected_path,
)
from console.services.dto import WorkspaceStatus
from console.ui import theme
from console.ui.form_field import muted, notice_box
from console.ui.formatting import format_bytes, format_count, format_datetime
from console.ui.letter_table_model import LetterRole
from console.ui.production_guard_dialog import confirm_production
from console.ui.status_badge import StatusBadgeDelegate
from console.ui.tasks import TaskRunner

LETTER_FILE_SUFFIXES = (".csv", ".json", ".txt")

OUTCOME_TONES = {RowOutcome.OK: "green", RowOutcome.WARNING: "amber", RowOutcome.REFUSED: "red"}
OUTCOME_ROLE = Qt.ItemDataRole.UserRole + 10  # the RowOutcome value, for the filter

COL_NUMBER, COL_BSN, COL_TYPE, COL_SUBJECT, COL_ATTACHMENTS, COL_OUTCOME, COL_REASONS = range(7)


def letter_file_paths(urls: list[Any]) -> list[Path]:
    """Local CSV or JSON files among dropped URLs."""
    out: list[Path] = []
    for url in urls:
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.suffix.lower() in LETTER_FILE_SUFFIXES:
                out.append(path)
    return out


class ImportRowsModel(QAbstractTableModel):
    """The rows of a preview; thousands of them, so a model (never a widget per cell)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[ImportRow, ...] = ()
        self.headers = (
            self.tr("Regel"),
            self.tr("BSN"),
            self.tr("Berichttype"),
            self.tr("Onderwerp"),
            self.tr("Bijlagen"),
            self.tr("Uitkomst"),
            self.tr("Reden"),
        )

    def set_rows(self, rows: tuple[ImportRow, ...]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(row, column, tooltip=role == Qt.ItemDataRole.ToolTipRole)
        if role == LetterRole.STATUS_TONE and column == COL_OUTCOME:
            return OUTCOME_TONES[row.outcome]
        if role == OUTCOME_ROLE:
            return row.outcome.value
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_REASONS and row.issues:
            return QColor(
                theme.ERROR_TEXT if row.outcome is RowOutcome.REFUSED else theme.WARNING_TEXT
            )
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_NUMBER:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._text(row, column, tooltip=True)
        return None

    def _text(self, row: ImportRow, column: int, *, tooltip: bool) -> str:
        if column == COL_NUMBER:
            return str(row.number)
        if column == COL_BSN:
            return row.bsn_masked
        if column == COL_TYPE:
            return row.berichttype
        if column == COL_SUBJECT:
            return row.onderwerp
        if column == COL_ATTACHMENTS:
            return ", ".join(row.attachments)
        if column == COL_OUTCOME:
            return row.outcome.value
        if tooltip:
            return "\n".join(
                f"{'Fout' if i.blocking else 'Let op'} ({i.field}): {i.message}" for i in row.issues
            )
        return row.reasons


class _OutcomeFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outcome: str | None = None

    def set_outcome(self, outcome: str | None) -> None:
        self.beginFilterChange()
        self.outcome = outcome
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self,
        source_row: int,
        source_parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if self.outcome is None:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return bool(index.data(OUTCOME_ROLE) == self.outcome)


class _TotalLabel(QLabel):
    """A tinted pill with a count and a word: colour and text both carry the meaning."""

    def __init__(self, tone: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        colours = theme.tone(tone)
        self.setStyleSheet(
            f"background: {colours.background}; color: {colours.text};"
            f" border: 1px solid {colours.border}; border-radius: 10px; padding: 2px 10px;"
            " font-weight: 600;"
        )
        self.setTextFormat(Qt.TextFormat.PlainText)


class BatchImportDialog(QDialog):
    """Batch importeren: preview a file of letters, then queue the rows that passed."""

    #: The letters were queued; carries the ImportResult.
    imported = Signal(object)
    #: Show the message log on this import; carries a LetterQuery.
    openLog = Signal(object)

    def __init__(
        self,
        services: Any,
        runner: TaskRunner,
        status: WorkspaceStatus,
        organisation_id: int | None = None,
        path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.status = status
        self.path: Path | None = None
        self.preview: ImportPreview | None = None
        self.import_result: ImportResult | None = None
        self.rejected_path: Path | None = None
        self.busy = False
        self._importing = False
        self.error = ""
        self._asked = 0  # the number of the newest preview asked for; older answers are dropped

        self.setWindowTitle(self.tr("Batch importeren"))
        self.setAccessibleName(self.tr("Batch importeren"))
        self.setModal(True)
        self.setAcceptDrops(True)

        intro = muted(
            QLabel(
                self.tr(
                    "Kies een bestand met brieven (CSV of JSON). De console controleert elke "
                    "brief en laat zien wat er gaat gebeuren. Er wordt pas iets verstuurd als u "
                    "op Versturen klikt."
                )
            )
        )

        # -- the file and the organisation --
        self.file_label = QLabel(
            self.tr("Nog geen bestand gekozen. U kunt het ook hierheen slepen.")
        )
        self.file_label.setTextFormat(Qt.TextFormat.PlainText)
        self.file_label.setWordWrap(True)
        self.file_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.file_label.setAccessibleName(self.tr("Gekozen bestand"))
        self.choose_button = QPushButton(self.tr("Bestand &kiezen…"))
        self.choose_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton)
        )
        self.choose_button.setAccessibleName(self.tr("Bestand met brieven kiezen"))
        self.choose_button.setToolTip(
            self.tr(
                "CSV (UTF-8, ; of , met kopregel) of JSON. Kolommen: bsn, berichttype, "
                "onderwerp, berichttekst, referentie, publicatiedatum, bijlage, omschrijving."
            )
        )
        self.choose_button.clicked.connect(self.choose_file)
        file_line = QHBoxLayout()
        file_line.setSpacing(8)
        file_line.addWidget(self.file_label, 1)
        file_line.addWidget(self.choose_button)

        self.organisation_combo = QComboBox()
        self.organisation_combo.setAccessibleName(self.tr("Organisatie"))
        self.organisation_combo.setToolTip(
            self.tr(
                "Voor welke organisatie de brieven worden verstuurd (zoals in de balk bovenaan)."
            )
        )
        for org in status.organisations:
            self.organisation_combo.addItem(f"{org.name}  ({org.oin})", org.id)
        if not status.organisations and status.organisation_id is not None:
            self.organisation_combo.addItem(
                f"{status.organisation_name}  ({status.organisation_oin})", status.organisation_id
            )
        wanted = organisation_id if organisation_id is not None else status.organisation_id
        self.organisation_combo.setCurrentIndex(max(self.organisation_combo.findData(wanted), 0))
        self.organisation_combo.setEnabled(self.organisation_combo.count() > 1)
        self.organisation_combo.currentIndexChanged.connect(lambda _i: self._start_preview())

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(14)
        file_caption = QLabel(self.tr("Bestand"))
        file_caption.setBuddy(self.choose_button)
        form.addRow(file_caption, file_line)
        org_caption = QLabel(self.tr("&Organisatie"))
        org_caption.setBuddy(self.organisation_combo)
        form.addRow(org_caption, self.organisation_combo)

        self.production_warning = notice_box("red")
        self.production_warning.setText(
            self.tr(
                "Let op: dit is PRODUCTIE. De brieven gaan naar echte burgers en kunnen niet "
                "worden teruggehaald. Voor het versturen typt u de naam van de organisatie."
            )
        )
        self.production_warning.setVisible(status.environment.is_production)

        # -- progress --
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the work is one step
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(self.fontMetrics().height() // 2 + 4)
        self.progress.setAccessibleName(self.tr("Bezig"))
        self.progress_label = muted(QLabel(""))
        self.progress.setVisible(False)
        self.progress_label.setVisible(False)

        # -- totals --
        self.total_label = QLabel("")
        self.total_label.setFont(theme.heading_font(self.font(), scale=1.05))
        self.total_label.setAccessibleName(self.tr("Aantal brieven in het bestand"))
        self.ok_label = _TotalLabel("green")
        self.ok_label.setAccessibleName(self.tr("Goedgekeurd"))
        self.warning_label = _TotalLabel("amber")
        self.warning_label.setAccessibleName(self.tr("Let op"))
        self.refused_label = _TotalLabel("red")
        self.refused_label.setAccessibleName(self.tr("Afgekeurd"))
        self.show_combo = QComboBox()
        self.show_combo.setAccessibleName(self.tr("Welke regels tonen"))
        self.show_combo.addItem(self.tr("Alle regels"), None)
        self.show_combo.addItem(self.tr("Alleen afgekeurd"), RowOutcome.REFUSED.value)
        self.show_combo.addItem(self.tr("Alleen let op"), RowOutcome.WARNING.value)
        self.show_combo.addItem(self.tr("Alleen ok"), RowOutcome.OK.value)
        self.show_combo.currentIndexChanged.connect(self._show_outcome)
        show_caption = QLabel(self.tr("&Tonen:"))
        show_caption.setBuddy(self.show_combo)
        totals = QHBoxLayout()
        totals.setSpacing(8)
        totals.addWidget(self.total_label)
        totals.addSpacing(6)
        totals.addWidget(self.ok_label)
        totals.addWidget(self.warning_label)
        totals.addWidget(self.refused_label)
        totals.addStretch(1)
        totals.addWidget(show_caption)
        totals.addWidget(self.show_combo)
        self.totals_box = QWidget()
        self.totals_box.setLayout(totals)
        totals.setContentsMargins(0, 0, 0, 0)
        self.totals_box.setVisible(False)

        self.general_label = notice_box("red")
        self.general_label.setAccessibleName(self.tr("Wat de hele import tegenhoudt"))
        self.general_warning_label = notice_box("amber")
        self.previous_label = notice_box("amber")
        self.previous_label.setAccessibleName(self.tr("Dit bestand is al geïmporteerd"))
        self.resend_check = QCheckBox(
            self.tr("Toch opnieuw ve&rsturen (ik weet dat dit bestand al is geïmporteerd)")
        )
        self.resend_check.setVisible(False)
        self.resend_check.toggled.connect(lambda _c: self._update_actions())

        # -- the rows --
        self.model = ImportRowsModel(self)
        self.proxy = _OutcomeFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(self.tr("Brieven in het bestand"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.setItemDelegateForColumn(COL_OUTCOME, StatusBadgeDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        char = self.fontMetrics().averageCharWidth()
        bold = QFont(self.font())
        bold.setBold(True)
        header_metrics = QFontMetrics(bold)
        for column, sample in (
            (COL_NUMBER, "10000"),
            (COL_BSN, "*****0000"),
            (COL_TYPE, "WOZBESCH"),
            (COL_SUBJECT, "x" * 34),
            (COL_ATTACHMENTS, "aanslag-00001.pdf"),
            (COL_OUTCOME, "afgekeurd"),
        ):
            title = self.model.headers[column]
            self.table.setColumnWidth(
                column,
                max(
                    header_metrics.horizontalAdvance(title) + 28,
                    # the outcome is a pill: its padding and margins come on top
                    self.fontMetrics().horizontalAdvance(sample)
                    + (40 if column == COL_OUTCOME else 16),
                ),
            )
        self.table.setMinimumHeight(self.fontMetrics().height() * 12)
        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setAccessibleName(self.tr("Alle punten van de gekozen regel"))
        self.detail_label.setVisible(False)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)

        # -- options --
        self.warnings_check = QCheckBox(self.tr("Ook brieven met een &waarschuwing versturen"))
        self.warnings_check.setChecked(True)
        self.warnings_check.setToolTip(
            self.tr(
                "Een waarschuwing (let op) houdt een brief niet tegen. Zet dit uit om zulke "
                "brieven eerst na te kijken: ze komen dan bij de afgekeurde brieven."
            )
        )
        self.warnings_check.toggled.connect(lambda _c: self._update_actions())
        self.rejected_label = muted(QLabel(""), small=True)
        self.rejected_label.setTextFormat(Qt.TextFormat.PlainText)
        self.rejected_button = QPushButton(self.tr("Andere &plek…"))
        self.rejected_button.setAccessibleName(
            self.tr("Andere plek kiezen voor de afgekeurde brieven")
        )
        self.rejected_button.clicked.connect(self.choose_rejected_path)
        rejected_line = QHBoxLayout()
        rejected_line.setSpacing(8)
        rejected_line.addWidget(self.rejected_label, 1)
        rejected_line.addWidget(self.rejected_button)
        self.options_box = QWidget()
        options = QVBoxLayout(self.options_box)
        options.setContentsMargins(0, 0, 0, 0)
        options.setSpacing(4)
        options.addWidget(self.warnings_check)
        options.addLayout(rejected_line)
        self.options_box.setVisible(False)

        # -- the result --
        self.result_card = QFrame()
        self.result_card.setObjectName("card")
        result_layout = QVBoxLayout(self.result_card)
        result_layout.setContentsMargins(16, 12, 16, 12)
        result_title = QLabel(self.tr("Geïmporteerd"))
        result_title.setFont(theme.heading_font(self.font(), scale=1.1))
        result_title.setStyleSheet(f"color: {theme.OK_TEXT};")
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setAccessibleName(self.tr("Resultaat van de import"))
        self.log_button = QPushButton(self.tr("Bekijk deze brieven in &Berichten"))
        self.log_button.setObjectName("primary")
        self.log_button.clicked.connect(self.show_in_log)
        self.folder_button = QPushButton(self.tr("&Map met afgekeurde brieven openen"))
        self.folder_button.clicked.connect(self.open_rejected_folder)
        result_buttons = QHBoxLayout()
        result_buttons.addWidget(self.log_button)
        result_buttons.addWidget(self.folder_button)
        result_buttons.addStretch(1)
        result_layout.addWidget(result_title)
        result_layout.addWidget(self.result_label)
        result_layout.addLayout(result_buttons)
        self.result_card.setVisible(False)

        # -- bottom --
        self.error_label = notice_box("red")
        self.error_label.setAccessibleName(self.tr("Foutmelding"))
        self.reason_label = QLabel("")
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet(f"color: {theme.WARNING_TEXT};")
        self.reason_label.setAccessibleName(self.tr("Waarom versturen nog niet kan"))
        self.save_rejected_button = QPushButton(self.tr("Afgekeurde brieven op&slaan…"))
        self.save_rejected_button.setToolTip(
            self.tr(
                "Sla de afgekeurde brieven op als CSV met een kolom 'reden', zonder te versturen."
            )
        )
        self.save_rejected_button.clicked.connect(self.save_rejected_now)
        self.save_rejected_button.setVisible(False)
        self.close_button = QPushButton(self.tr("Annuleren"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        self.send_button = QPushButton(self.tr("Versturen"))
        self.send_button.setObjectName("primary")
        self.send_button.setDefault(True)
        self.send_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowForward))
        self.send_button.clicked.connect(self.send)
        bottom = QHBoxLayout()
        bottom.setSpacing(10)
        bottom.addWidget(self.reason_label, 1)
        bottom.addWidget(self.save_rejected_button)
        bottom.addWidget(self.close_button)
        bottom.addWidget(self.send_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.production_warning)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.totals_box)
        layout.addWidget(self.general_label)
        layout.addWidget(self.general_warning_label)
        layout.addWidget(self.previous_label)
        layout.addWidget(self.resend_check)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.options_box)
        layout.addWidget(self.result_card)
        layout.addWidget(self.error_label)
        layout.addLayout(bottom)

        self.resize(char * 180, self.fontMetrics().height() * 44)
        self._update_actions()
        if path is not None:
            self.set_path(path)

    # -- public ------------------------------------------------------------------------------

    def organisation_id(self) -> int | None:
        data = self.organisation_combo.currentData()
        return int(data) if data is not None else None

    def include_warnings(self) -> bool:
        return self.warnings_check.isChecked()

    def set_path(self, path: Path) -> None:
        """Read and check *path* (off the GUI thread); the rows appear when it is done."""
        self.path = Path(path)
        self.rejected_path = None
        self.resend_check.setChecked(False)
        self.file_label.setText(str(self.path))
        self._start_preview()

    def choose_file(self) -> None:
        start = str(self.path.parent) if self.path is not None else ""
        name, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("Bestand met brieven kiezen"),
            start,
            self.tr("Brieven (*.csv *.json *.txt);;Alle bestanden (*)"),
        )
        if name:
            self.set_path(Path(name))

    def choose_rejected_path(self) -> None:
        current = self._rejected_target()
        name, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Afgekeurde brieven opslaan als"),
            str(current) if current is not None else "",
            self.tr("CSV (*.csv)"),
        )
        if name:
            self.rejected_path = Path(name)
            self._update_actions()

    def save_rejected_now(self) -> None:
        """Only the refused rows, without sending (e.g. when nothing can be sent)."""
        preview = self.preview
        target = self._rejected_target()
        if preview is None or target is None or self.busy:
            return
        held = preview.held_rows(self.include_warnings())
        self._set_busy(True, self.tr("De afgekeurde brieven worden opgeslagen…"))
        self.runner.run(
            self.services.batch_import.write_rejected,
            preview,
            target,
            held,
            on_done=self._rejected_saved,
            on_error=self._failed,
            lane="io",
            owner=self,
        )

    def send(self) -> None:
        preview = self.preview
        if preview is None or self.busy or not self.send_button.isEnabled():
            return
        count = preview.to_send(self.include_warnings())
        confirm_production(
            self,
            self.services,
            self.runner,
            preview.organisation_id,
            self._start_import,
            what=self.tr("1 brief")
            if count == 1
            else self.tr("{n} brieven").format(n=format_count(count)),
        )

    def show_in_log(self) -> None:
        if self.import_result is not None:
            self.openLog.emit(self.import_result.query)
            self.accept()

    def open_rejected_folder(self) -> None:
        if self.import_result is not None and self.import_result.rejected_path is not None:
            QDesktopServices.openUrl(
                QUrl.fromLocalFile(str(self.import_result.rejected_path.parent))
            )

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        """Every point of the chosen row in full (the table cuts long reasons off)."""
        source = self.proxy.mapToSource(current)
        rows = self.model.rows
        if not source.isValid() or not 0 <= source.row() < len(rows):
            self.detail_label.setVisible(False)
            return
        row = rows[source.row()]
        lines = [
            self.tr("{key}: {outcome}").format(key=row.key.capitalize(), outcome=row.outcome.value)
        ]
        lines += [("✕ " if i.blocking else "! ") + f"{i.field}: {i.message}" for i in row.issues]
        self.detail_label.setText("\n".join(lines))
        colour = {
            RowOutcome.REFUSED: theme.ERROR_TEXT,
            RowOutcome.WARNING: theme.WARNING_TEXT,
        }.get(row.outcome, theme.OK_TEXT)
        self.detail_label.setStyleSheet(f"color: {colour};")
        self.detail_label.setVisible(True)

    def _show_outcome(self, _index: int) -> None:
        self.proxy.set_outcome(self.show_combo.currentData())

    # -- drag and drop -----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if not self.busy and mime.hasUrls() and letter_file_paths(list(mime.urls())):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = letter_file_paths(list(event.mimeData().urls()))
        if not paths or self.busy or self.import_result is not None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.set_path(paths[0])

    # -- the preview -------------------------------------------------------------------------

    def _start_preview(self) -> None:
        service = getattr(self.services, "batch_import", None)
        if self.path is None or service is None or self.import_result is not None:
            return
        self._asked += 1
        number = self._asked
        self.preview = None
        self.error = ""
        self.error_label.setVisible(False)
        self.model.set_rows(())
        self.detail_label.setVisible(False)
        self._set_busy(True, self.tr("Het bestand wordt gelezen en elke brief gecontroleerd…"))
        self.runner.run(
            service.preview,
            self.path,
            self.organisation_id(),
            on_done=lambda preview: self._previewed(number, preview),
            on_error=lambda exc: self._preview_failed(number, exc),
            lane="io",
            owner=self,
        )

    def _previewed(self, number: int, preview: ImportPreview) -> None:
        if number != self._asked:
            return
        self.preview = preview
        self._set_busy(False)
        self.model.set_rows(preview.rows)
        self.file_label.setText(
            self.tr("{path}  ({size})").format(
                path=preview.path, size=format_bytes(preview.size_bytes)
            )
        )
        total = preview.total
        self.total_label.setText(
            self.tr("1 brief")
            if total == 1
            else self.tr("{n} brieven").format(n=format_count(total))
        )
        self.ok_label.setText(
            self.tr("✓ {n} ok").format(n=format_count(preview.count(RowOutcome.OK)))
        )
        self.warning_label.setText(
            self.tr("! {n} let op").format(n=format_count(preview.count(RowOutcome.WARNING)))
        )
        self.refused_label.setText(
            self.tr("✕ {n} afgekeurd").format(n=format_count(preview.count(RowOutcome.REFUSED)))
        )
        self.totals_box.setVisible(True)
        blocking = [i.message for i in preview.general if i.blocking]
        warnings = [i.message for i in preview.general if not i.blocking]
        self.general_label.setText(
            self.tr("Deze import kan niet worden verstuurd:") + "\n" + "\n".join(blocking)
            if blocking
            else ""
        )
        self.general_label.setVisible(bool(blocking))
        self.general_warning_label.setText(
            self.tr("Let op:") + " " + "\n".join(warnings) if warnings else ""
        )
        self.general_warning_label.setVisible(bool(warnings))
        previous = preview.previous
        if previous is not None:
            self.previous_label.setText(
                self.tr(
                    "Dit bestand is al geïmporteerd op {when} ({n}). Zo worden brieven niet "
                    "twee keer verstuurd. Wilt u het bewust nog een keer versturen, vink dan "
                    "hieronder 'Toch opnieuw versturen' aan."
                ).format(
                    when=format_datetime(previous.first_at),
                    n=self.tr("1 brief")
                    if previous.letters == 1
                    else self.tr("{n} brieven").format(n=format_count(previous.letters)),
                )
            )
        self.previous_label.setVisible(previous is not None)
        self.resend_check.setVisible(previous is not None)
        self.options_box.setVisible(True)
        self._update_actions()

    def _preview_failed(self, number: int, exc: BaseException) -> None:
        if number != self._asked:
            return
        self._set_busy(False)
        self._show_error(str(exc))
        self.totals_box.setVisible(False)
        self.options_box.setVisible(False)
        self._update_actions()

    # -- the import --------------------------------------------------------------------------

    def reject(self) -> None:
        # While the letters are being queued, closing would hide the outcome: wait for it.
        if self._importing:
            return
        super().reject()

    def _start_import(self) -> None:
        preview = self.preview
        if preview is None or self.busy:
            return
        self._importing = True
        count = preview.to_send(self.include_warnings())
        self._set_busy(
            True,
            self.tr("{n} brieven worden in de wachtrij gezet…").format(n=format_count(count)),
        )
        self.runner.run(
            self.services.batch_import.import_letters,
            preview,
            include_warnings=self.include_warnings(),
            rejected_path=self._rejected_target(),
            resend=self.resend_check.isChecked(),
            on_done=self._imported,
            on_error=self._failed,
            lane="db",
            owner=self,
        )

    def _imported(self, result: ImportResult) -> None:
        self._importing = False
        self.import_result = result
        self._set_busy(False)
        self.result_label.setText(result.summary)
        self.result_card.setVisible(True)
        self.folder_button.setVisible(result.rejected_path is not None)
        self.options_box.setVisible(False)
        self.resend_check.setVisible(False)
        self.previous_label.setVisible(False)
        self.send_button.setVisible(False)
        self.save_rejected_button.setVisible(False)
        self.choose_button.setEnabled(False)
        self.organisation_combo.setEnabled(False)
        self.close_button.setText(self.tr("Sluiten"))
        self.reason_label.setText("")
        self.log_button.setFocus()
        self.imported.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._importing = False
        self._set_busy(False)
        if isinstance(exc, AlreadyImported) and self.preview is not None:
            # Imported in the meantime (another window, the command line): say so at the box.
            self.previous_label.setText(exc.issues[0].message)
            self.previous_label.setVisible(True)
            self.resend_check.setVisible(True)
        self._show_error(str(exc))
        self._update_actions()

    def _rejected_saved(self, path: Path) -> None:
        self._set_busy(False)
        self.reason_label.setStyleSheet(f"color: {theme.OK_TEXT};")
        self.reason_label.setText(
            self.tr("De afgekeurde brieven staan in {path}.").format(path=path)
        )

    # -- state -------------------------------------------------------------------------------

    def _rejected_target(self) -> Path | None:
        if self.rejected_path is not None:
            return self.rejected_path
        if self.preview is not None:
            return default_rejected_path(self.preview.path)
        return None

    def _show_error(self, text: str) -> None:
        self.error = text
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        self.progress_label.setText(text)
        self.progress_label.setVisible(busy)
        for widget in (
            self.choose_button,
            self.warnings_check,
            self.resend_check,
            self.rejected_button,
            self.save_rejected_button,
        ):
            widget.setEnabled(not busy and self.import_result is None)
        self.organisation_combo.setEnabled(
            not busy and self.import_result is None and self.organisation_combo.count() > 1
        )
        self.close_button.setEnabled(not self._importing)
        self._update_actions()

    def _why_not(self, preview: ImportPreview | None) -> str:
        if self.busy:
            return ""
        if self.path is None:
            return self.tr("Kies eerst een bestand.")
        if getattr(self.services, "batch_import", None) is None:
            return self.tr("Batch importeren is in deze werkmap niet beschikbaar.")
        if preview is None:
            return self.tr("Het bestand kon niet worden gelezen.") if self.error else ""
        if preview.blocking:
            return preview.blocking[0].message
        if preview.to_send(self.include_warnings()) == 0:
            return self.tr("Geen enkele brief kan worden verstuurd. Herstel het bestand.")
        if preview.previous is not None and not self.resend_check.isChecked():
            return self.tr("Dit bestand is al geïmporteerd.")
        return ""

    def _update_actions(self) -> None:
        preview = self.preview
        if self.import_result is not None:
            return
        reason = self._why_not(preview)
        count = preview.to_send(self.include_warnings()) if preview is not None else 0
        self.send_button.setText(
            self.tr("1 brief versturen")
            if count == 1
            else self.tr("{n} brieven versturen").format(n=format_count(count))
            if preview is not None
            else self.tr("Versturen")
        )
        self.send_button.setAccessibleName(self.send_button.text())
        self.send_button.setEnabled(not self.busy and preview is not None and not reason)
        self.reason_label.setStyleSheet(f"color: {theme.WARNING_TEXT};")
        self.reason_label.setText(reason)
        self.send_button.setToolTip(reason)
        held = preview.held_rows(self.include_warnings()) if preview is not None else []
        target = self._rejected_target()
        if held and target is not None:
            self.rejected_label.setText(
                self.tr(
                    "{n} niet te versturen brieven worden opgeslagen als {path}, met een kolom "
                    "'reden'. Herstel ze daar en importeer dat bestand."
                ).format(n=format_count(len(held)), path=target)
            )
        self.rejected_label.setVisible(bool(held))
        self.rejected_button.setVisible(bool(held))
        self.save_rejected_button.setVisible(bool(held))
