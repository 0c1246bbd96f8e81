"""Export the message log (a filter, or chosen letters) to CSV or XLSX.

Runs on a worker: ``progress(done, total)`` after every block, and a ``threading.Event`` to
cancel. The rows are read in blocks of ids (the same id list the log shows, in its order), only
the columns the file needs. The file is written under a temporary name next to the target and
renamed when complete, so a cancelled or failed export leaves nothing half-written.

BSNs are masked (``*****6782``) unless the user asks for full BSNs with a reason; that export
is recorded in the BSN lookup log. Cells that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``) are written as text.

CSV: UTF-8 with a byte-order mark and ``;`` between fields, as Dutch Excel expects. XLSX:
openpyxl in write-only mode (constant memory, for millions of rows).
"""

from __future__ import annotations

import csv
import os
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select

from console.db import models as m
from console.db.database import Database
from console.db.repositories import LetterRepository
from console.domain.bsn import mask_bsn
from console.domain.lifecycle import STATUS_LABELS, LetterStatus
from console.domain.verwerkingscode import explain
from console.services.dto import LetterQuery
from console.services.errors import ServiceError
from console.services.letters import SORT_COLUMNS, filter_for
from console.services.privacy import PrivacyService, check_reason

BLOCK = 500
MAX_XLSX_ROWS = 1_048_575  # one sheet; the header takes the first row

COLUMNS = (
    "Nummer",
    "Aangemaakt",
    "Organisatie",
    "Berichttype",
    "BSN",
    "Onderwerp",
    "Referentie",
    "Status",
    "Verwerkingscode",
    "Uitleg",
    "Resultaat ontvangen",
    "BatchID",
    "BerichtID",
)

Progress = Callable[[int, int], None]


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    path: Path
    format: ExportFormat
    query: LetterQuery | None = None  # the filtered view ...
    letter_ids: tuple[int, ...] | None = None  # ... or exactly these letters (a selection)
    full_bsn: bool = False
    reason: str = ""  # required with full_bsn


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    format: ExportFormat
    rows: int
    total: int
    cancelled: bool
    full_bsn: bool

    @property
    def text(self) -> str:
        if self.cancelled:
            return f"Export afgebroken na {self.rows} van {self.total} berichten; er is geen bestand gemaakt."
        bsn = "met volledige BSN's" if self.full_bsn else "BSN's afgeschermd"
        return f"{self.rows} berichten geëxporteerd naar {self.path.name} ({bsn})."


def format_for(path: Path) -> ExportFormat:
    """The format a file name asks for (.csv or .xlsx)."""
    suffix = path.suffix.lower().lstrip(".")
    try:
        return ExportFormat(suffix)
    except ValueError:
        raise ServiceError(
            f"Kies een bestandsnaam die eindigt op .csv of .xlsx (niet '{path.name}')."
        ) from None


def safe_cell(value: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


class ExportService:
    def __init__(self, db: Database, privacy: PrivacyService) -> None:
        self._db = db
        self._privacy = privacy

    def count(self, request: ExportRequest) -> int:
        return len(self._ids(request))

    def export(
        self,
        request: ExportRequest,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> ExportResult:
        reason = check_reason(request.reason) if request.full_bsn else ""
        target = request.path
        if not target.parent.is_dir():
            raise ServiceError(f"De map {target.parent} bestaat niet. Kies een andere map.")
        ids = self._ids(request)
        total = len(ids)
        if request.format is ExportFormat.XLSX and total > MAX_XLSX_ROWS:
            raise ServiceError(
                f"Er zijn {total} berichten; een Excel-blad kan er {MAX_XLSX_ROWS} bevatten. "
                "Kies CSV of verfijn de zoekopdracht."
            )
        partial = target.with_name(f".{target.name}.deel")
        written = 0
        cancelled = False
        blocks = self._blocks(ids, full_bsn=request.full_bsn)
        try:
            with _writer(request.format, partial) as write:
                write(COLUMNS)
                for rows in blocks:
                    if cancel is not None and cancel.is_set():
                        cancelled = True
                        break
                    for row in rows:
                        write(row)
                    written += len(rows)
                    if progress is not None:
                        progress(written, total)
            if cancelled:
                partial.unlink(missing_ok=True)
            else:
                os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ServiceError(f"Het bestand {target} kon niet worden geschreven: {exc}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            blocks.close()
        if request.full_bsn and not cancelled:
            self._privacy.record_export(
                count=written,
                reason=reason,
                detail=f"{request.format.value.upper()}-export naar {target.name}.",
            )
        return ExportResult(target, request.format, written, total, cancelled, request.full_bsn)

    # --- internals ---
    def _ids(self, request: ExportRequest) -> Sequence[int]:
        if request.letter_ids is not None:
            return request.letter_ids
        query = request.query or LetterQuery()
        with self._db.session() as s:
            return LetterRepository(s).id_array(
                filter_for(query),
                order_by=SORT_COLUMNS.get(query.sort_key, "created_at"),
                descending=query.descending,
            )

    def _blocks(
        self, ids: Sequence[int], *, full_bsn: bool
    ) -> Generator[list[tuple[Any, ...]], None, None]:
        with self._db.session() as s:
            orgs = dict(s.execute(select(m.Organisation.id, m.Organisation.name)).tuples().all())
            columns = (
                m.Letter.id,
                m.Letter.created_at,
                m.Letter.organisation_id,
                m.Letter.berichttype,
                m.Letter.bsn,
                m.Letter.onderwerp,
                m.Letter.referentie,
                m.Letter.status,
                m.Letter.verwerkings_code,
                m.Letter.result_at,
                m.Letter.batch_id,
                m.Letter.bericht_id,
            )
            for start in range(0, len(ids), BLOCK):
                chunk = list(ids[start : start + BLOCK])
                found = {
                    row[0]: row for row in s.execute(select(*columns).where(m.Letter.id.in_(chunk)))
                }
                block = []
                for letter_id in chunk:
                    row = found.get(letter_id)
                    if row is None:
                        continue
                    (
                        _,
                        created,
                        org_id,
                        bt,
                        bsn,
                        onderwerp,
                        ref,
                        status,
                        code,
                        result_at,
                        batch,
                        bid,
                    ) = row
                    expl = explain(code) if code else None
                    block.append(
                        (
                            letter_id,
                            _local(created),
                            safe_cell(orgs.get(org_id, "")),
                            safe_cell(bt),
                            bsn if full_bsn else mask_bsn(bsn),
                            safe_cell(onderwerp),
                            safe_cell(ref),
                            STATUS_LABELS[LetterStatus(status)].text,
                            code or "",
                            expl.explanation if expl else "",
                            _local(result_at),
                            batch or "",
                            bid,
                        )
                    )
                yield block


def _local(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


class _writer:
    """``with _writer(format, path) as write: write(row)``."""

    def __init__(self, fmt: ExportFormat, path: Path) -> None:
        self._fmt = fmt
        self._path = path
        self._file: Any = None
        self._book: Any = None
        self._sheet: Any = None

    def __enter__(self) -> Callable[[Sequence[Any]], None]:
        if self._fmt is ExportFormat.CSV:
            self._file = self._path.open("w", encoding="utf-8-sig", newline="")
            writer = csv.writer(self._file, delimiter=";", quoting=csv.QUOTE_MINIMAL)
            return writer.writerow
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("Berichten")
        return self._sheet.append

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._file is not None:
            self._file.close()
        if self._book is not None:
            if exc_type is None:
                self._book.save(self._path)
            else:
                self._book.close()
