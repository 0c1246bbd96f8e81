"""Het auditlog: who changed which configuration, when, with the values before and after.

Services call :func:`record` inside the unit of work that makes the change, so the change and
its audit entry are committed together or not at all. :class:`AuditService` reads the log
and exports it (CSV or JSON).
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from console.db.database import Database
from console.db.models_flows import AuditEntry
from console.services.errors import NotFound, ServiceError

ACTOR_ENV = "BERICHTENBOX_CONSOLE_GEBRUIKER"  # overrides the OS user name (e.g. a shared login)

# Entities and actions as they appear in the log (Dutch words, shown to the user).
ORGANISATIE = "organisatie"
KOPPELING = "koppeling"
BERICHTTYPE = "berichttype"
BERICHTSTROOM = "berichtstroom"
SJABLOON = "sjabloon"
CONFIGURATIE = "configuratie"

AANGEMAAKT = "aangemaakt"
GEWIJZIGD = "gewijzigd"
GEDEACTIVEERD = "gedeactiveerd"
GEACTIVEERD = "geactiveerd"
VERWIJDERD = "verwijderd"
STATUS = "status gewijzigd"
GEIMPORTEERD = "geïmporteerd"
GEEXPORTEERD = "geëxporteerd"


def current_actor() -> str:
    """Who is making the change: the configured name, else the OS user, else 'gebruiker'."""
    configured = os.environ.get(ACTOR_ENV, "").strip()
    if configured:
        return configured[:100]
    try:
        return (getpass.getuser() or "gebruiker")[:100]
    except Exception:  # getuser raises when no user name can be found at all
        return "gebruiker"


def _json(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """The keys whose value differs between *before* and *after* (sorted)."""
    old = dict(before or {})
    new = dict(after or {})
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def record(
    s: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    key: str | int,
    label: str,
    summary: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add one audit entry to the caller's unit of work (no commit here)."""
    if not summary:
        fields = changed_fields(before, after)
        summary = f"{entity.capitalize()} {label} {action}" + (
            f": {', '.join(fields)}" if fields and action == GEWIJZIGD else ""
        )
    entry = AuditEntry(
        at=at or datetime.now(UTC),
        actor=(actor or "gebruiker")[:100],
        action=action[:32],
        entity=entity[:32],
        entity_key=str(key)[:100],
        entity_label=label[:255],
        summary=summary,
        before=_json(before),
        after=_json(after),
    )
    s.add(entry)
    return entry


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_key: str
    entity_label: str
    summary: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    @property
    def changed(self) -> list[str]:
        return changed_fields(self.before, self.after)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    text: str = ""  # matches label, summary or actor (case-insensitive)
    entity: str | None = None
    entity_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive


class AuditExportError(ServiceError):
    pass


def _record(e: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=e.id,
        at=e.at,
        actor=e.actor,
        action=e.action,
        entity=e.entity,
        entity_key=e.entity_key,
        entity_label=e.entity_label,
        summary=e.summary,
        before=json.loads(e.before) if e.before else None,
        after=json.loads(e.after) if e.after else None,
    )


class AuditService:
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _conditions(query: AuditQuery) -> list[Any]:
        cond: list[Any] = []
        if query.entity:
            cond.append(AuditEntry.entity == query.entity)
        if query.entity_key is not None:
            cond.append(AuditEntry.entity_key == query.entity_key)
        if query.since is not None:
            cond.append(AuditEntry.at >= query.since)
        if query.until is not None:
            cond.append(AuditEntry.at < query.until)
        text = query.text.strip()
        if text:
            cond.append(
                or_(
                    AuditEntry.entity_label.icontains(text, autoescape=True),
                    AuditEntry.summary.icontains(text, autoescape=True),
                    AuditEntry.actor.icontains(text, autoescape=True),
                )
            )
        return cond

    def count(self, query: AuditQuery | None = None) -> int:
        with self._db.session() as s:
            q = select(func.count(AuditEntry.id)).where(*self._conditions(query or AuditQuery()))
            return int(s.scalar(q) or 0)

    def entries(
        self, query: AuditQuery | None = None, *, limit: int = 500, offset: int = 0
    ) -> list[AuditRecord]:
        """Newest first."""
        with self._db.session() as s:
            rows = s.scalars(
                select(AuditEntry)
                .where(*self._conditions(query or AuditQuery()))
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return [_record(e) for e in rows]

    def get(self, entry_id: int) -> AuditRecord:
        with self._db.session() as s:
            e = s.get(AuditEntry, entry_id)
            if e is None:
                raise NotFound(f"Auditregel {entry_id} bestaat niet.")
            return _record(e)

    def export(self, query: AuditQuery | None = None, *, fmt: str = "csv") -> bytes:
        """The whole (filtered) log, oldest first: CSV (``;``, UTF-8 with BOM for Excel) or JSON."""
        with self._db.session() as s:
            rows = [
                _record(e)
                for e in s.scalars(
                    select(AuditEntry)
                    .where(*self._conditions(query or AuditQuery()))
                    .order_by(AuditEntry.at, AuditEntry.id)
                )
            ]
        return export_bytes(rows, fmt)


def export_bytes(rows: Sequence[AuditRecord], fmt: str) -> bytes:
    if fmt == "json":
        data = [
            {
                "tijd": r.at.isoformat(),
                "wie": r.actor,
                "actie": r.action,
                "onderdeel": r.entity,
                "sleutel": r.entity_key,
                "naam": r.entity_label,
                "omschrijving": r.summary,
                "voor": r.before,
                "na": r.after,
            }
            for r in rows
        ]
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    if fmt != "csv":
        raise AuditExportError(f"Onbekend exportformaat '{fmt}'; kies csv of json.")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["tijd", "wie", "actie", "onderdeel", "sleutel", "naam", "omschrijving", "voor", "na"]
    )
    for r in rows:
        writer.writerow(
            [
                r.at.isoformat(),
                r.actor,
                r.action,
                r.entity,
                r.entity_key,
                r.entity_label,
                r.summary,
                _json(r.before) or "",
                _json(r.after) or "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
