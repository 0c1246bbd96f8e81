"""The message log as a Qt table model over millions of letters.

The model holds only the list of matching letter ids (filtered and sorted in SQL by
``services.letters.ids``, a compact ``array('q')`` for millions). Loading takes two steps when
the service offers ``first_ids``: first the exact count and the first page of ids (the row count
is exact at once and the first screen paints), then the full id list in the background; rows
whose id has not arrived yet show "…". Rows are fetched in blocks (default 200) when the view
first asks for them, through the task runner, and kept in a small LRU of blocks. Until a block
arrives, its cells show "…" (or the row as it was before a refresh, so an auto-refresh does not
flicker). A *light* refresh (the view's timer) re-reads only the count and the first page and
fetches the full list again only when those changed.

Sorting re-queries with :attr:`LetterQuery.sort_key`; there is never a proxy model in between.
A refresh that changes the id list is announced as a layout change with every persistent index
moved to its letter's new row: the selection and the current row stay on the same letter.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import replace
from enum import IntEnum
from functools import partial
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from console.domain.lifecycle import FINAL
from console.services.dto import LetterQuery, LetterRow
from console.ui import theme
from console.ui.formatting import format_datetime
from console.ui.tasks import TaskRunner

PLACEHOLDER = "…"
FULL_LIST_DELAY_MS = 250
MISSING = "—"

AnyIndex = QModelIndex | QPersistentModelIndex


class LetterSource(Protocol):
    """The part of the letter service this model uses."""

    def ids(self, query: LetterQuery) -> Sequence[int]: ...

    def rows(self, ids: Sequence[int]) -> list[LetterRow]: ...


class LetterColumn(IntEnum):
    DATE = 0
    ORGANISATION = 1
    BERICHTTYPE = 2
    BSN = 3
    ONDERWERP = 4
    REFERENTIE = 5
    STATUS = 6
    VERWERKINGSCODE = 7


SORT_KEYS: dict[LetterColumn, str] = {
    LetterColumn.DATE: "created_at",
    LetterColumn.ORGANISATION: "organisation",
    LetterColumn.BERICHTTYPE: "berichttype",
    LetterColumn.ONDERWERP: "onderwerp",
    LetterColumn.REFERENTIE: "referentie",
    LetterColumn.STATUS: "status",
    LetterColumn.VERWERKINGSCODE: "verwerkings_code",
}
COLUMN_FOR_SORT_KEY = {key: column for column, key in SORT_KEYS.items()}


class LetterRole(IntEnum):
    LETTER_ID = Qt.ItemDataRole.UserRole + 1  # int
    STATUS_TONE = Qt.ItemDataRole.UserRole + 2  # "grey" | "blue" | "green" | "amber" | "red"
    ROW = Qt.ItemDataRole.UserRole + 3  # the LetterRow, or None while loading
    LOADED = Qt.ItemDataRole.UserRole + 4  # bool: the row's current data has arrived


def _fetch_ids(letters: LetterSource, query: LetterQuery) -> Sequence[int]:
    """The id list as the service gives it: for millions of letters a compact ``array('q')``
    (8 bytes an id), never a Python list of int objects."""
    ids = letters.ids(query)
    return ids if isinstance(ids, list | array) else list(ids)


def _rows_of(ids: Sequence[int], wanted: set[int]) -> dict[int, int]:
    """Where the *wanted* letter ids are in *ids*; a C-speed search per id while few are wanted."""
    if len(wanted) <= 16:
        found: dict[int, int] = {}
        for letter_id in wanted:
            with suppress(ValueError):
                found[letter_id] = ids.index(letter_id)
        return found
    return {letter_id: row for row, letter_id in enumerate(ids) if letter_id in wanted}


def _same(a: Sequence[int], b: Sequence[int]) -> bool:
    """Equal id lists, whether list or array (an array never equals a list in Python)."""
    if type(a) is type(b):
        return a == b
    return all(x == y for x, y in zip(a, b, strict=True))


class LetterTableModel(QAbstractTableModel):
    #: The id list was (re)loaded; carries the exact number of matching letters.
    countChanged = Signal(int)
    #: True while the id list is being (re)queried.
    loadingChanged = Signal(bool)
    #: A block of rows arrived (first row, last row).
    rowsLoaded = Signal(int, int)
    #: Loading failed with a problem the user can act on (a Dutch message).
    loadFailed = Signal(str)

    def __init__(
        self,
        letters: LetterSource,
        runner: TaskRunner,
        parent: QObject | None = None,
        *,
        query: LetterQuery | None = None,
        block_size: int = 200,
        max_blocks: int = 25,
    ) -> None:
        super().__init__(parent)
        if block_size < 1 or max_blocks < 1:
            raise ValueError("block_size and max_blocks must be positive")
        self._letters = letters
        self._runner = runner
        self._query = query or LetterQuery()
        self.block_size = block_size
        self.max_blocks = max_blocks

        self._ids: Sequence[int] = []
        self._total = 0  # the exact count; more than len(_ids) while the full list is loading
        self._full_pending: int | None = None  # serial whose full id list waits to be fetched
        self.first_page = max(block_size * 5, 1000)
        self._loaded_once = False
        self._blocks: OrderedDict[int, list[LetterRow | None]] = OrderedDict()
        self._pending_blocks: set[tuple[int, int]] = set()  # (generation, block)
        self._stale: dict[int, LetterRow] = {}  # rows from before a refresh, shown until fresh
        self._generation = 0  # bumps whenever cached blocks stop matching the id list
        self._query_serial = 0  # bumps on every ids request; older answers are ignored
        self._loading = False

        self._headers = {
            LetterColumn.DATE: self.tr("Datum"),
            LetterColumn.ORGANISATION: self.tr("Organisatie"),
            LetterColumn.BERICHTTYPE: self.tr("Berichttype"),
            LetterColumn.BSN: self.tr("BSN"),
            LetterColumn.ONDERWERP: self.tr("Onderwerp"),
            LetterColumn.REFERENTIE: self.tr("Referentie"),
            LetterColumn.STATUS: self.tr("Status"),
            LetterColumn.VERWERKINGSCODE: self.tr("Verwerkingscode"),
        }

    # -- query -------------------------------------------------------------------------------

    @property
    def query(self) -> LetterQuery:
        return self._query

    def set_query(self, query: LetterQuery) -> None:
        """Show the letters matching *query*; the id list is re-queried in the background."""
        self._query = query
        self.refresh()

    def refresh(self, *, light: bool = False) -> None:
        """Re-query the id list and reload the rows that are shown; the selection stays put.

        *light*: when the count and the first page are unchanged, keep the id list and only
        reload the rows (the timer's refresh; a full id list of millions costs seconds).
        """
        self._query_serial += 1
        serial = self._query_serial
        self._set_loading(True)
        first = getattr(self._letters, "first_ids", None)
        if first is None:
            self._fetch_all(serial)
            return
        self._runner.run(
            first,
            self._query,
            self.first_page,
            on_done=partial(self._first_loaded, serial, light),
            on_error=partial(self._ids_failed, serial),
            lane="io",
            owner=self,
        )

    def _fetch_all(self, serial: int) -> None:
        self._runner.run(
            _fetch_ids,
            self._letters,
            self._query,
            on_done=partial(self._ids_loaded, serial),
            on_error=partial(self._ids_failed, serial),
            lane="io",
            owner=self,
        )

    @property
    def complete(self) -> bool:
        """Every matching id is known (not still loading the rest of a big list)."""
        return len(self._ids) >= self._total

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def loaded_once(self) -> bool:
        """The id list has arrived at least once (a count of 0 then really means none)."""
        return self._loaded_once

    # -- lookups for views -------------------------------------------------------------------

    def letter_id(self, row: int) -> int | None:
        if 0 <= row < len(self._ids):
            return self._ids[row]
        return None

    def row_of(self, letter_id: int) -> int | None:
        return _rows_of(self._ids, {letter_id}).get(letter_id)

    def cached_row(self, row: int) -> LetterRow | None:
        """The row's data if it is in memory (fresh or stale); never starts a fetch."""
        letter_id = self.letter_id(row)
        if letter_id is None:
            return None
        block = self._blocks.get(row // self.block_size)
        if block is not None:
            return block[row % self.block_size]
        return self._stale.get(letter_id)

    def has_unfinished_rows(self) -> bool:
        """Some letter in memory is not yet in a final status (queued or in transit)."""
        for block in self._blocks.values():
            for item in block:
                if item is not None and item.status not in FINAL:
                    return True
        return False

    # -- QAbstractTableModel -----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else max(len(self._ids), self._total)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(LetterColumn)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(LetterColumn):
            return None
        column = LetterColumn(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[column]
        if role == Qt.ItemDataRole.ToolTipRole and column not in SORT_KEYS:
            return self.tr("Op deze kolom kan niet worden gesorteerd")
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.model() is not self:
            return None
        row = index.row()
        if not 0 <= row < self.rowCount() or not 0 <= index.column() < len(LetterColumn):
            return None
        if row >= len(self._ids):  # its id is still on its way (a big list loads in two steps)
            if role == LetterRole.LOADED:
                return False
            if role in (LetterRole.LETTER_ID, LetterRole.ROW):
                return None
            return self._placeholder_data(LetterColumn(index.column()), role, False)
        letter_id = self._ids[row]
        if role == LetterRole.LETTER_ID:
            return letter_id

        number = row // self.block_size
        block = self._blocks.get(number)
        fresh = block is not None
        if role == LetterRole.LOADED:
            return fresh  # only looks; does not fetch
        item: LetterRow | None
        if block is not None:
            self._blocks.move_to_end(number)
            item = block[row % self.block_size]
        else:
            self._request_block(number)
            item = self._stale.get(letter_id)

        if role == LetterRole.ROW:
            return item
        column = LetterColumn(index.column())
        if item is None:
            return self._placeholder_data(column, role, fresh)
        return self._row_data(item, column, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        try:
            key = SORT_KEYS[LetterColumn(column)]
        except (ValueError, KeyError):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if key == self._query.sort_key and descending == self._query.descending:
            return
        self.set_query(replace(self._query, sort_key=key, descending=descending))

    # -- cell contents -----------------------------------------------------------------------

    def _placeholder_data(self, column: LetterColumn, role: int, fresh: bool) -> Any:
        text = MISSING if fresh else PLACEHOLDER
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return text if role == Qt.ItemDataRole.DisplayRole else self.tr("Wordt geladen")
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(theme.MUTED_TEXT)
        if role == Qt.ItemDataRole.ToolTipRole and fresh:
            return self.tr("Dit bericht is niet meer beschikbaar")
        return None

    def _row_data(self, item: LetterRow, column: LetterColumn, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(item, column)
        if role == LetterRole.STATUS_TONE:
            return item.status_tone
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (LetterColumn.STATUS, LetterColumn.VERWERKINGSCODE):
                return item.explanation or item.status_label
            if column == LetterColumn.BSN:
                return self.tr("Het BSN is afgeschermd; alleen de laatste vier cijfers staan er.")
            if column in (LetterColumn.ONDERWERP, LetterColumn.ORGANISATION):
                return self._display(item, column)
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == LetterColumn.STATUS:
            return QColor(theme.tone(item.status_tone).text)
        return None

    def _display(self, item: LetterRow, column: LetterColumn) -> str:
        if column == LetterColumn.DATE:
            return format_datetime(item.created_at)
        if column == LetterColumn.ORGANISATION:
            return item.organisation_name
        if column == LetterColumn.BERICHTTYPE:
            return item.berichttype
        if column == LetterColumn.BSN:
            return item.bsn_masked
        if column == LetterColumn.ONDERWERP:
            return item.onderwerp
        if column == LetterColumn.REFERENTIE:
            return item.referentie
        if column == LetterColumn.STATUS:
            return item.status_label
        return item.verwerkings_code or ""

    # -- loading -----------------------------------------------------------------------------

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

    def _ids_failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._query_serial:
            return
        self._set_loading(False)
        self.loadFailed.emit(str(exc))

    def _first_loaded(self, serial: int, light: bool, result: tuple[int, Sequence[int]]) -> None:
        if serial != self._query_serial:
            return
        total, first = result
        if len(first) >= total:
            self._ids_loaded(serial, first)  # small enough: complete in one step
            return
        known = self._ids[: len(first)]
        if (
            light
            and self.complete
            and total == len(self._ids)
            and len(known) == len(first)
            and _same(known, first)
        ):
            # Nothing came or went at the top and the count is the same: keep the id list.
            self._ids_loaded(serial, self._ids)
            return
        prefix_kept = len(known) == len(first) and _same(known, first) and total == self._total
        if not prefix_kept:
            self._show_ids(first, total)
            self._loaded_once = True
            self.countChanged.emit(total)
        # The rest of the list once the first rows are on screen (or shortly after): the two
        # would only slow each other down.
        self._full_pending = serial
        QTimer.singleShot(FULL_LIST_DELAY_MS, self, lambda: self._start_full(serial))

    def _start_full(self, serial: int) -> None:
        if self._full_pending == serial == self._query_serial:
            self._full_pending = None
            self._fetch_all(serial)

    def _ids_loaded(self, serial: int, ids: Sequence[int]) -> None:
        if serial != self._query_serial:
            return  # a newer query is on its way
        self._loaded_once = True
        self._show_ids(ids, len(ids))
        self._set_loading(False)
        self.countChanged.emit(len(ids))

    def _show_ids(self, ids: Sequence[int], total: int) -> None:
        """Take *ids* (and the exact *total*) as the list; the selection follows its letters."""
        self._retire_blocks()
        if (
            total == self.rowCount()
            and len(ids) >= len(self._ids)
            and _same(ids[: len(self._ids)], self._ids)
        ):
            # The same letters in the same order, maybe more of their ids known now.
            self._ids = ids
            self._total = total
            if total:
                last = self.index(total - 1, len(LetterColumn) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
        else:
            self.layoutAboutToBeChanged.emit()
            old_ids = self._ids
            sources = self.persistentIndexList()
            letter_ids = [
                old_ids[p.row()] if 0 <= p.row() < len(old_ids) else None for p in sources
            ]
            new_rows = _rows_of(ids, {i for i in letter_ids if i is not None})
            targets: list[QModelIndex] = []
            for source, letter_id in zip(sources, letter_ids, strict=True):
                new_row = new_rows.get(letter_id) if letter_id is not None else None
                if new_row is None:
                    targets.append(QModelIndex())
                else:
                    targets.append(self.createIndex(new_row, source.column()))
            self._ids = ids
            self._total = total
            self.changePersistentIndexList(sources, targets)
            self.layoutChanged.emit()

    def _retire_blocks(self) -> None:
        """Cached blocks no longer match: keep their rows as stale display, fetch anew on demand."""
        stale: dict[int, LetterRow] = {}
        for block in self._blocks.values():
            for item in block:
                if item is not None:
                    stale[item.id] = item
        # Keep rows that were stale and not re-fetched yet, within the same bound as the cache.
        budget = self.block_size * self.max_blocks
        for letter_id, item in self._stale.items():
            if len(stale) >= budget:
                break
            stale.setdefault(letter_id, item)
        self._stale = stale
        self._blocks.clear()
        self._generation += 1

    def _request_block(self, number: int) -> None:
        key = (self._generation, number)
        if key in self._pending_blocks:
            return
        start = number * self.block_size
        ids = list(self._ids[start : start + self.block_size])
        if not ids:
            return
        self._pending_blocks.add(key)
        self._runner.run(
            self._letters.rows,
            ids,
            on_done=partial(self._block_loaded, self._generation, number, ids),
            on_error=partial(self._block_failed, self._generation, number),
            lane="io",
            owner=self,
        )

    def _block_failed(self, generation: int, number: int, exc: BaseException) -> None:
        self._pending_blocks.discard((generation, number))
        self.loadFailed.emit(str(exc))

    def _block_loaded(
        self, generation: int, number: int, ids: list[int], rows: list[LetterRow]
    ) -> None:
        self._pending_blocks.discard((generation, number))
        by_id = {item.id: item for item in rows}
        if generation != self._generation:
            # The id list changed meanwhile; the rows are still good to show until refreshed.
            self._stale.update(by_id)
            return
        self._blocks[number] = [by_id.get(letter_id) for letter_id in ids]
        self._blocks.move_to_end(number)
        while len(self._blocks) > self.max_blocks:
            self._blocks.popitem(last=False)
        for letter_id in ids:
            self._stale.pop(letter_id, None)
        first = number * self.block_size
        last = first + len(ids) - 1
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(LetterColumn) - 1))
        self.rowsLoaded.emit(first, last)
        if self._full_pending is not None:
            self._start_full(self._full_pending)
