"""Preflight as a use case: check letters typed in, read from a file, or already stored.

Every letter gets one :class:`PreflightReport` (Dutch, naming field and limit). The rules
are in :mod:`console.berichtenbox.preflight` and :mod:`console.domain.letter`; this service
adds the context: the organisation's berichttypes for the active environment, what the
newest subscription snapshot says about each BSN, and the stored settings.

File formats for ``letters preflight --bestand`` and the batch import:

- CSV (``;`` or ``,``, UTF-8, a header row) with the columns ``bsn``, ``berichttype``,
  ``onderwerp``, ``berichttekst``, ``referentie``, ``publicatiedatum`` (ISO 8601; a date
  without time zone is taken as local time), ``bijlage`` (PDF paths relative to the file,
  separated by ``|``) and ``omschrijving`` (separated by ``|`` too);
- JSON: a list of objects with the same keys (``bijlage`` may be a list).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.berichtenbox.preflight import (
    PreflightContext,
    PreflightReport,
    PreflightSettings,
    SubscriptionHint,
    preflight_letter,
)
from console.db.database import Database
from console.db.repositories import SettingsRepository
from console.domain.letter import AttachmentDraft, FieldIssue, LetterDraft
from console.engine.subscriptions import subscription_hints
from console.services.errors import ServiceError
from console.services.workspace import WorkspaceService

MAX_FILE_BYTES = 500 * 1024 * 1024
# The columns of a letters file (CSV/Excel), in the order of the import template.
LETTER_COLUMNS = (
    "bsn",
    "berichttype",
    "onderwerp",
    "berichttekst",
    "referentie",
    "publicatiedatum",
    "bijlage",
    "omschrijving",
)


class LetterFileError(ServiceError):
    """A letters file could not be read at all."""


@dataclass(frozen=True, slots=True)
class PreflightSummary:
    total: int
    passed: int  # without any issue
    with_warnings: int  # passed, but with warnings
    refused: int

    @property
    def text(self) -> str:
        return (
            f"{self.total} bericht(en) gecontroleerd: {self.passed} goedgekeurd, "
            f"{self.with_warnings} goedgekeurd met waarschuwingen, {self.refused} afgekeurd."
        )


def summarise(reports: Sequence[PreflightReport]) -> PreflightSummary:
    refused = sum(1 for r in reports if not r.passed)
    warned = sum(1 for r in reports if r.passed and r.warnings)
    return PreflightSummary(len(reports), len(reports) - refused - warned, warned, refused)


@dataclass(frozen=True, slots=True)
class FileLetter:
    key: str  # "regel 3"
    draft: LetterDraft | None  # None when the row could not be read
    problem: str | None = None


def _date(value: str, row: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{row}: publicatiedatum '{value}' is geen datum (gebruik 2026-12-01 of "
            "2026-12-01T09:00:00+01:00)."
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.astimezone()


def _split(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").split("|") if v.strip()]


def _draft(record: dict[str, Any], base: Path, key: str) -> LetterDraft:
    attachments: list[AttachmentDraft] = []
    descriptions = _split(record.get("omschrijving"))
    for n, name in enumerate(_split(record.get("bijlage"))):
        path = (base / name).resolve() if not Path(name).is_absolute() else Path(name)
        if not path.is_file():
            raise ValueError(f"{key}: bijlage {name} bestaat niet.")
        attachments.append(
            AttachmentDraft(
                path.name, path.read_bytes(), descriptions[n] if n < len(descriptions) else ""
            )
        )
    return LetterDraft(
        bsn=str(record.get("bsn") or "").strip(),
        berichttype=str(record.get("berichttype") or "").strip(),
        onderwerp=str(record.get("onderwerp") or ""),
        berichttekst=str(record.get("berichttekst") or record.get("tekst") or "").replace(
            "\\n", "\n"
        ),
        referentie=str(record.get("referentie") or "").strip(),
        publicatie_datum=_date(str(record.get("publicatiedatum") or ""), key),
        attachments=tuple(attachments),
    )


def read_letters_file(path: Path) -> list[FileLetter]:
    """Letters from a CSV or JSON file; a row that cannot be read becomes a problem, not a stop."""
    if not path.is_file():
        raise LetterFileError(f"Het bestand {path} bestaat niet.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise LetterFileError(f"Het bestand {path.name} is groter dan 500 MB.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LetterFileError(f"{path.name} is geen UTF-8-tekst.") from None
    records: list[tuple[str, dict[str, Any]]]
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LetterFileError(
                f"{path.name} is geen geldige JSON: {exc.msg} (regel {exc.lineno})."
            ) from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise LetterFileError(f"{path.name}: verwacht een lijst van berichten (objecten).")
        records = [
            (f"bericht {n}", {k.lower(): v for k, v in r.items()}) for n, r in enumerate(data, 1)
        ]
    else:
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
        if "bsn" not in fields or "onderwerp" not in fields:
            raise LetterFileError(
                f"{path.name}: de kopregel mist bsn of onderwerp. Kolommen: {', '.join(LETTER_COLUMNS)}."
            )
        records = [
            (f"regel {n}", {(k or "").strip().lower(): v for k, v in row.items()})
            for n, row in enumerate(reader, start=2)
        ]
    out: list[FileLetter] = []
    for key, record in records:
        try:
            out.append(FileLetter(key, _draft(record, path.parent, key)))
        except ValueError as exc:
            out.append(FileLetter(key, None, str(exc)))
    return out


class PreflightService:
    def __init__(self, db: Database, workspace: WorkspaceService) -> None:
        self._db = db
        self._workspace = workspace
        self._settings: PreflightSettings | None = None
        self._lock = threading.Lock()

    # --- settings ---
    def settings(self) -> PreflightSettings:
        with self._lock:
            if self._settings is None:
                with self._db.session() as s:
                    self._settings = PreflightSettings.from_mapping(SettingsRepository(s).all())
            return self._settings

    def save_settings(self, settings: PreflightSettings) -> PreflightSettings:
        with self._db.session() as s:
            repo = SettingsRepository(s)
            for key, value in settings.as_mapping().items():
                repo.set(key, value)
            s.commit()
        self.forget_settings()
        return self.settings()

    def forget_settings(self) -> None:
        """Read the settings again on next use (after the Instellingen page changed them)."""
        with self._lock:
            self._settings = None

    # --- checks ---
    def _context(self, organisation_id: int | None, now: datetime) -> PreflightContext:
        if organisation_id is None:
            return PreflightContext(now=now)
        types = {b.code: b.active for b in self._workspace.berichttypes(organisation_id)}
        env = self._workspace.status().environment.label
        return PreflightContext(now=now, berichttypes=types, environment_label=env)

    def _hints(self, organisation_id: int | None, bsns: list[str]) -> dict[str, SubscriptionHint]:
        if organisation_id is None:
            return {}
        with self._db.session() as s:
            return subscription_hints(s, organisation_id, bsns)

    def check(
        self,
        drafts: Sequence[LetterDraft],
        organisation_id: int | None = None,
        *,
        keys: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> list[PreflightReport]:
        """One report per draft, in order."""
        now = now or datetime.now(UTC)
        settings = self.settings()
        context = self._context(organisation_id, now)
        hints = self._hints(organisation_id, [d.bsn for d in drafts])
        names = (
            list(keys) if keys is not None else [f"bericht {n}" for n in range(1, len(drafts) + 1)]
        )
        return [
            preflight_letter(d, settings, context, key=k, subscription=hints.get(d.bsn))
            for d, k in zip(drafts, names, strict=True)
        ]

    def check_one(
        self, draft: LetterDraft, organisation_id: int | None = None, *, key: str = "bericht"
    ) -> PreflightReport:
        return self.check([draft], organisation_id, keys=[key])[0]

    def check_file(self, path: Path, organisation_id: int | None = None) -> list[PreflightReport]:
        letters = read_letters_file(path)
        readable = [fl for fl in letters if fl.draft is not None]
        reports = iter(
            self.check(
                [fl.draft for fl in readable if fl.draft is not None],
                organisation_id,
                keys=[fl.key for fl in readable],
            )
        )
        return [
            next(reports)
            if fl.draft is not None
            else PreflightReport(fl.key, (FieldIssue("Bestand", fl.problem or "Onleesbaar."),))
            for fl in letters
        ]
