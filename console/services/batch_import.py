"""Batch import: a whole file of letters, checked first, queued in one go.

The file is the one ``letters preflight --bestand`` reads (:func:`read_letters_file`: CSV with
a header, ``;`` or ``,``, UTF-8, or JSON). Two steps:

1. :meth:`BatchImportService.preview` reads the file, runs the preflight once over all letters
   and the production guard and send checks once for the whole import, and says per row: ok,
   let op (a warning) or afgekeurd (with the Dutch reasons). Nothing is stored.
2. :meth:`BatchImportService.import_letters` queues the rows that passed, all in ONE
   transaction: a crash halfway leaves nothing half-imported. Refused rows (and warned rows
   the user held back) are not dropped: they go to a CSV with the original columns plus
   ``reden``, to fix and import again.

Sending the same file twice must not send letters twice. Every letter of an import carries
the import's tag in ``created_by``: ``import:<sha256 of the file, 12 hex>:<file name>`` (a
deliberate resend adds ``-2``, ``-3``, ... to the fingerprint). A second import of the same
bytes is refused, naming the date of the first, unless the user explicitly asks to resend.
The tag is also how the message log shows one import (type it in the search box).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select

from console.db import models as m
from console.db.database import Database
from console.domain.bsn import mask_bsn
from console.domain.letter import FieldIssue, LetterDraft
from console.services.dto import LetterQuery
from console.services.errors import ServiceError
from console.services.letters import IMPORT_TAG_PREFIX, NewLetter, queue_letters
from console.services.preflight import (
    LETTER_COLUMNS,
    LetterFileError,
    PreflightService,
    read_letters_file,
)
from console.services.privacy import current_user
from console.services.production_guard import ProductionGuardService
from console.services.workspace import WorkspaceService

FINGERPRINT_CHARS = 12
NAME_CHARS = 60  # of the file name in the tag (created_by holds 100 characters)
REASON_COLUMN = "reden"
FIELD_FILE = "Bestand"
TEMPLATE_COLUMNS = LETTER_COLUMNS  # the template's header row

SendChecks = Callable[[int, int], list[FieldIssue]]


class RowOutcome(StrEnum):
    """What the preview says about one row (the values are the Dutch words shown)."""

    OK = "ok"
    WARNING = "let op"
    REFUSED = "afgekeurd"


class ImportRefused(ServiceError):
    """The import as a whole cannot go ahead; nothing was stored. ``issues`` say why."""

    def __init__(self, issues: Sequence[FieldIssue], *, lead: str = "") -> None:
        self.issues = list(issues)
        lines = "\n".join(f"- {i.message}" for i in self.issues if i.blocking)
        super().__init__((lead or "Er is niets geïmporteerd:") + "\n" + lines)


class AlreadyImported(ImportRefused):
    """The same file (same bytes) was imported before; ``previous`` says when."""

    def __init__(self, previous: PreviousImport, file_name: str) -> None:
        self.previous = previous
        super().__init__(
            [FieldIssue(FIELD_FILE, previous.message(file_name))],
            lead="Er is niets geïmporteerd, zodat geen brief twee keer wordt verstuurd:",
        )


def _count(n: int) -> str:
    """1.234, as a Dutch reader expects."""
    return f"{n:,}".replace(",", ".")


def _letters(n: int) -> str:
    return f"{_count(n)} {'brief' if n == 1 else 'brieven'}"


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%d-%m-%Y om %H:%M")


def fingerprint_of(data: bytes) -> str:
    """The sha256 of the file's bytes (hex): the same file is recognised under any name."""
    return hashlib.sha256(data).hexdigest()


def import_tag(fingerprint: str, file_name: str, number: int = 1) -> str:
    """``created_by`` of the letters of one import; *number* > 1 for a deliberate resend."""
    again = f"-{number}" if number > 1 else ""
    return f"{IMPORT_TAG_PREFIX}{fingerprint[:FINGERPRINT_CHARS]}{again}:{file_name[:NAME_CHARS]}"


def default_rejected_path(path: Path) -> Path:
    """Where refused rows go unless the user chooses: next to the file, ``<naam>-afgekeurd.csv``
    (so relative PDF paths keep working when the fixed file is imported again)."""
    return path.with_name(f"{path.stem}-afgekeurd.csv")


@dataclass(frozen=True, slots=True)
class PreviousImport:
    """An earlier import of the same bytes."""

    first_at: datetime
    letters: int
    imports: int  # how many times the file was imported (a deliberate resend counts)
    tag: str  # of the first import

    def message(self, file_name: str) -> str:
        times = "" if self.imports == 1 else f" (en daarna nog {self.imports - 1} keer)"
        return (
            f"{file_name} is al geïmporteerd op {_when(self.first_at)}{times}: "
            f"{_letters(self.letters)} {'staat' if self.letters == 1 else 'staan'} al in de "
            "console. Wilt u deze brieven bewust "
            "nog een keer versturen, kies dan 'Toch opnieuw versturen' (opdrachtregel: --opnieuw)."
        )


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One row of the file as the preview shows it (the BSN masked)."""

    number: int  # the line in a CSV (the header is line 1), the position in a JSON list
    key: str  # "regel 3", "bericht 2": how reports and the rejected file name the row
    bsn_masked: str
    berichttype: str
    onderwerp: str
    attachments: tuple[str, ...]  # file names
    outcome: RowOutcome
    issues: tuple[FieldIssue, ...]

    @property
    def reasons(self) -> str:
        """The refusals (afgekeurd) or the warnings (let op), in one line."""
        blocking = [i.message for i in self.issues if i.blocking]
        return "; ".join(blocking or [i.message for i in self.issues])


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What an import of *path* would do, row by row. Nothing is stored yet."""

    path: Path
    fingerprint: str
    size_bytes: int
    organisation_id: int
    organisation_name: str
    connection_id: int
    environment_label: str
    rows: tuple[ImportRow, ...]
    general: tuple[FieldIssue, ...]  # about the whole import: guard, certificate, CPA
    previous: PreviousImport | None
    columns: tuple[str, ...]  # of the file, as written there
    delimiter: str
    records: tuple[tuple[str, ...], ...] = field(repr=False, compare=False)  # original values
    drafts: tuple[LetterDraft | None, ...] = field(repr=False, compare=False)

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def total(self) -> int:
        return len(self.rows)

    def count(self, outcome: RowOutcome) -> int:
        return sum(1 for r in self.rows if r.outcome is outcome)

    @property
    def blocking(self) -> tuple[FieldIssue, ...]:
        """Import-wide problems that stop the whole import."""
        return tuple(i for i in self.general if i.blocking)

    def to_send(self, include_warnings: bool = True) -> int:
        return sum(1 for r in self.rows if _selected(r, include_warnings))

    def held_rows(self, include_warnings: bool = True) -> list[int]:
        """Indexes of the rows that are not sent (refused, or warned and held back)."""
        return [n for n, r in enumerate(self.rows) if not _selected(r, include_warnings)]

    @property
    def summary(self) -> str:
        return (
            f"{_letters(self.total)} in {self.file_name}: {_count(self.count(RowOutcome.OK))} "
            f"ok, {_count(self.count(RowOutcome.WARNING))} let op, "
            f"{_count(self.count(RowOutcome.REFUSED))} afgekeurd."
        )


def _selected(row: ImportRow, include_warnings: bool) -> bool:
    return row.outcome is RowOutcome.OK or (row.outcome is RowOutcome.WARNING and include_warnings)


@dataclass(frozen=True, slots=True)
class ImportResult:
    tag: str
    file_name: str
    organisation_id: int
    imported_at: datetime
    queued: int
    with_warnings: int  # queued, with a warning
    refused: int  # refused by the check; in the rejected file
    held_back: int  # warned and not sent (the user chose so); in the rejected file too
    rejected_path: Path | None
    resent: bool  # a deliberate second import of the same file

    @property
    def query(self) -> LetterQuery:
        """The message log on exactly this import (the time narrows it by an index)."""
        return LetterQuery(search=self.tag, created_from=self.imported_at)

    @property
    def summary(self) -> str:
        parts = [f"{_letters(self.queued)} in de wachtrij"]
        if self.refused:
            parts.append(f"{_count(self.refused)} afgekeurd")
        if self.held_back:
            parts.append(f"{_count(self.held_back)} met waarschuwing niet verstuurd")
        if self.rejected_path is not None and (self.refused or self.held_back):
            parts[-1] += f" (opgeslagen als {self.rejected_path})"
        if self.with_warnings:
            parts.append(f"{_count(self.with_warnings)} met waarschuwing")
        return ", ".join(parts) + "."


# -- reading the file as written (for the rejected file) ----------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _raw_table(path: Path, raw: bytes) -> tuple[tuple[str, ...], list[tuple[str, ...]], str]:
    """Columns and values as the file has them, row for row as ``read_letters_file`` reads it."""
    text = raw.decode("utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        columns: dict[str, None] = {}
        for record in data:
            columns.update(dict.fromkeys(str(k) for k in record))
        names = tuple(columns)
        rows = [tuple(_cell(r.get(k)) for k in names) for r in data]
        return names, rows, ";"
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","  # as read_letters_file
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    names = tuple(f or "" for f in reader.fieldnames or [])
    rows = [tuple(_cell(row.get(k)) for k in names) for row in reader]
    return names, rows, delimiter


def _row_number(key: str) -> int:
    tail = key.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _duplicate_key(draft: LetterDraft) -> tuple[str, ...]:
    return (
        draft.bsn,
        draft.berichttype,
        draft.onderwerp,
        draft.berichttekst,
        draft.referentie,
        *(hashlib.sha256(a.content).hexdigest() for a in draft.attachments),
    )


class BatchImportService:
    def __init__(
        self,
        db: Database,
        workspace: WorkspaceService,
        preflight: PreflightService,
        *,
        guard: ProductionGuardService | None = None,
        send_checks: SendChecks | None = None,
        on_queued: Callable[[], None] | None = None,
        user: str | None = None,
    ) -> None:
        self._db = db
        self._workspace = workspace
        self._preflight = preflight
        self._guard = guard
        self._send_checks = send_checks
        self._on_queued = on_queued
        self.user = user or current_user()

    # -- step 1: the preview -----------------------------------------------------------------

    def preview(self, path: Path, organisation_id: int | None = None) -> ImportPreview:
        """Read and check every row of *path* for the organisation (default: the banner's)."""
        path = Path(path).resolve()
        if not path.is_file():
            raise LetterFileError(f"Het bestand {path} bestaat niet.")
        raw = path.read_bytes()
        letters = read_letters_file(path)
        if not letters:
            raise ImportRefused(
                [
                    FieldIssue(
                        FIELD_FILE,
                        f"{path.name} bevat geen brieven. Een CSV-bestand heeft een kopregel "
                        f"({';'.join(TEMPLATE_COLUMNS)}) en daaronder één brief per regel.",
                    )
                ]
            )
        columns, records, delimiter = _raw_table(path, raw)
        if len(records) != len(letters):
            raise LetterFileError(
                f"{path.name} veranderde terwijl de console het las. Probeer het opnieuw."
            )
        status = self._workspace.status()
        org_id = organisation_id if organisation_id is not None else status.organisation_id
        if org_id is None:
            raise ServiceError(
                "Er is nog geen organisatie ingesteld. Kies er een bij Organisaties."
            )
        connection_id = self._workspace.connection_id_for(org_id)
        org_name = next((o.name for o in status.organisations if o.id == org_id), "")

        readable = [fl for fl in letters if fl.draft is not None]
        reports = iter(
            self._preflight.check(
                [fl.draft for fl in readable if fl.draft is not None],
                org_id,
                keys=[fl.key for fl in readable],
            )
        )
        bsn_column = next((n for n, c in enumerate(columns) if c.strip().lower() == "bsn"), None)
        seen: dict[tuple[str, ...], str] = {}
        rows: list[ImportRow] = []
        passed_bsns: list[str] = []
        for index, fl in enumerate(letters):
            draft = fl.draft
            if draft is None:
                raw_bsn = records[index][bsn_column].strip() if bsn_column is not None else ""
                rows.append(
                    ImportRow(
                        number=_row_number(fl.key),
                        key=fl.key,
                        bsn_masked=mask_bsn(raw_bsn),
                        berichttype="",
                        onderwerp="",
                        attachments=(),
                        outcome=RowOutcome.REFUSED,
                        issues=(FieldIssue(FIELD_FILE, fl.problem or "Deze regel is onleesbaar."),),
                    )
                )
                continue
            issues = list(next(reports).issues)
            dup = _duplicate_key(draft)
            if dup in seen:
                issues.append(
                    FieldIssue(
                        FIELD_FILE,
                        f"Deze brief staat ook op {seen[dup]} (zelfde BSN, berichttype, "
                        "onderwerp, tekst, referentie en bijlagen); hij zou twee keer worden "
                        "verstuurd.",
                        blocking=False,
                    )
                )
            else:
                seen[dup] = fl.key
            blocking = any(i.blocking for i in issues)
            outcome = (
                RowOutcome.REFUSED if blocking else RowOutcome.WARNING if issues else RowOutcome.OK
            )
            if not blocking:
                passed_bsns.append(draft.bsn)
            rows.append(
                ImportRow(
                    number=_row_number(fl.key),
                    key=fl.key,
                    bsn_masked=mask_bsn(draft.bsn),
                    berichttype=draft.berichttype,
                    onderwerp=draft.onderwerp,
                    attachments=tuple(a.filename for a in draft.attachments),
                    outcome=outcome,
                    issues=tuple(issues),
                )
            )
        return ImportPreview(
            path=path,
            fingerprint=fingerprint_of(raw),
            size_bytes=len(raw),
            organisation_id=org_id,
            organisation_name=org_name,
            connection_id=connection_id,
            environment_label=status.environment.label,
            rows=tuple(rows),
            general=tuple(self._general(passed_bsns, connection_id, org_id)),
            previous=self.previous_import(fingerprint_of(raw)),
            columns=columns,
            delimiter=delimiter,
            records=tuple(records),
            drafts=tuple(fl.draft for fl in letters),
        )

    def _general(
        self, bsns: list[str], connection_id: int, organisation_id: int
    ) -> list[FieldIssue]:
        """The production guard and the send checks, once for the whole import."""
        issues: list[FieldIssue] = []
        if self._guard is not None:
            issues += self._guard.issues(bsns, connection_id, organisation_id)
        if self._send_checks is not None:
            issues += self._send_checks(connection_id, organisation_id)
        return issues

    def previous_import(self, fingerprint: str) -> PreviousImport | None:
        with self._db.session() as s:
            return _previous(s, fingerprint)

    # -- step 2: the import ------------------------------------------------------------------

    def import_letters(
        self,
        preview: ImportPreview,
        *,
        include_warnings: bool = True,
        rejected_path: Path | None = None,
        resend: bool = False,
        channel: str = "venster",
    ) -> ImportResult:
        """Queue the rows that passed, in one transaction; the others go to *rejected_path*
        (default: next to the file). Refused as a whole (nothing stored) when the file changed
        since the preview, when it was imported before (unless *resend*), when production is
        not confirmed, or when the guard or the send checks block."""
        try:
            current = fingerprint_of(preview.path.read_bytes())
        except OSError as exc:
            raise ImportRefused(
                [FieldIssue(FIELD_FILE, f"{preview.file_name} is niet te lezen: {exc.strerror}.")]
            ) from None
        if current != preview.fingerprint:
            raise ImportRefused(
                [
                    FieldIssue(
                        FIELD_FILE,
                        f"{preview.file_name} is gewijzigd sinds de controle. Controleer het "
                        "bestand opnieuw voordat u het importeert.",
                    )
                ]
            )
        selected = [
            (row, draft)
            for row, draft in zip(preview.rows, preview.drafts, strict=True)
            if _selected(row, include_warnings) and draft is not None
        ]
        if not selected:
            raise ImportRefused(
                [
                    FieldIssue(
                        FIELD_FILE,
                        f"Geen enkele brief in {preview.file_name} kan worden verstuurd: "
                        f"{_count(preview.count(RowOutcome.REFUSED))} afgekeurd"
                        + (
                            ""
                            if include_warnings
                            else f", {_count(preview.count(RowOutcome.WARNING))} met een "
                            "waarschuwing (die laat u nu achter)"
                        )
                        + ".",
                    )
                ]
            )
        org_id = preview.organisation_id
        if self._guard is not None and self._guard.needs_confirmation(org_id):
            raise ImportRefused(
                [
                    FieldIssue(
                        "Bevestiging",
                        f"Dit is PRODUCTIE: bevestig eerst met de naam van de organisatie "
                        f"({preview.organisation_name}) dat de brieven naar echte burgers mogen.",
                    )
                ]
            )
        connection_id = self._workspace.connection_id_for(org_id)
        general = self._general([d.bsn for _r, d in selected], connection_id, org_id)
        if any(i.blocking for i in general):
            raise ImportRefused(general)
        previous = self.previous_import(preview.fingerprint)
        if previous is not None and not resend:
            raise AlreadyImported(previous, preview.file_name)

        held = preview.held_rows(include_warnings)
        written: Path | None = None
        if held:
            written = self.write_rejected(
                preview, rejected_path or default_rejected_path(preview.path), held
            )

        now = datetime.now(UTC)
        actor = self.user
        with self._db.session(immediate=True) as s:
            # Again inside the write lock: two imports of one file at once cannot both pass.
            previous = _previous(s, preview.fingerprint)
            if previous is not None and not resend:
                raise AlreadyImported(previous, preview.file_name)
            tag = import_tag(
                preview.fingerprint,
                preview.file_name,
                previous.imports + 1 if previous is not None else 1,
            )
            via = "" if channel == "venster" else f" ({channel})"
            queue_letters(
                s,
                [
                    NewLetter(
                        draft,
                        f"Geïmporteerd uit {preview.file_name}, {row.key}, door {actor}{via}."
                        + (
                            " Waarschuwing: " + "; ".join(i.message for i in row.issues)
                            if row.issues
                            else ""
                        ),
                    )
                    for row, draft in selected
                ],
                organisation_id=org_id,
                connection_id=connection_id,
                created_by=tag,
                actor=actor,
                at=now,
            )
            s.add(
                m.LetterImport(
                    fingerprint=preview.fingerprint[:FINGERPRINT_CHARS],
                    tag=tag,
                    file_name=preview.file_name[:255],
                    imported_at=now,
                    imported_by=actor[:100],
                    letters=len(selected),
                )
            )
        if self._on_queued is not None:
            self._on_queued()
        refused = preview.count(RowOutcome.REFUSED)
        return ImportResult(
            tag=tag,
            file_name=preview.file_name,
            organisation_id=org_id,
            imported_at=now,
            queued=len(selected),
            with_warnings=sum(1 for r, _d in selected if r.outcome is RowOutcome.WARNING),
            refused=refused,
            held_back=len(held) - refused,
            rejected_path=written,
            resent=previous is not None,
        )

    def import_file(
        self,
        path: Path,
        organisation_id: int | None = None,
        **options: Any,
    ) -> tuple[ImportPreview, ImportResult]:
        """Preview and import in one call (the command line)."""
        preview = self.preview(path, organisation_id)
        return preview, self.import_letters(preview, **options)

    # -- the rejected rows -------------------------------------------------------------------

    def write_rejected(
        self, preview: ImportPreview, path: Path, rows: Sequence[int] | None = None
    ) -> Path:
        """The rows (indexes; default: every refused row) with their original columns plus
        ``reden``, as CSV (UTF-8 with BOM, so Excel reads it). PDF paths relative to the
        imported file are made absolute when the CSV goes to another folder."""
        indexes = (
            list(rows)
            if rows is not None
            else [n for n, r in enumerate(preview.rows) if r.outcome is RowOutcome.REFUSED]
        )
        path = Path(path)
        source_dir = preview.path.parent.resolve()
        moved = path.parent.resolve() != source_dir
        bijlage = next(
            (n for n, c in enumerate(preview.columns) if c.strip().lower() == "bijlage"), None
        )
        out = io.StringIO()
        writer = csv.writer(out, delimiter=preview.delimiter, lineterminator="\r\n")
        writer.writerow([*preview.columns, REASON_COLUMN])
        for index in indexes:
            values = list(preview.records[index])
            if moved and bijlage is not None and values[bijlage].strip():
                values[bijlage] = "|".join(
                    str(source_dir / p.strip()) if not Path(p.strip()).is_absolute() else p.strip()
                    for p in values[bijlage].split("|")
                    if p.strip()
                )
            row = preview.rows[index]
            reason = row.reasons
            if row.outcome is RowOutcome.WARNING:
                reason = f"Niet verstuurd (waarschuwing): {reason}"
            writer.writerow([*values, reason])
        temporary = path.with_name(path.name + ".tmp")
        try:
            temporary.write_bytes(out.getvalue().encode("utf-8-sig"))
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ImportRefused(
                [
                    FieldIssue(
                        FIELD_FILE,
                        f"De afgekeurde brieven kunnen niet worden opgeslagen in {path}: "
                        f"{exc.strerror or exc}. Kies een andere map.",
                    )
                ]
            ) from None
        return path


def write_template(path: Path) -> Path:
    """An example file with the header and one letter, to fill in (CSV, ``;``, UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerow(
        [
            "999990019",
            "BELAST",
            "Uw aanslag gemeentelijke belastingen",
            "Beste inwoner,\\nHierbij ontvangt u uw aanslag.",
            "ZK-2026-00001",
            "",
            "",
            "",
        ]
    )
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def _previous(s: Any, fingerprint: str) -> PreviousImport | None:
    found = list(
        s.scalars(
            select(m.LetterImport)
            .where(m.LetterImport.fingerprint == fingerprint[:FINGERPRINT_CHARS])
            .order_by(m.LetterImport.imported_at, m.LetterImport.id)
        )
    )
    if not found:
        return None
    return PreviousImport(
        first_at=_aware(found[0].imported_at),
        letters=sum(i.letters for i in found),
        imports=len(found),
        tag=found[0].tag,
    )


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
