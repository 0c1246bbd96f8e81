"""Privacy: BSNs masked by default, shown in full only on purpose, and every look recorded.

- Lists, exports and logs show ``*****6782`` (``console.domain.bsn.mask_bsn``; the log files
  mask every nine-digit run, ``console.logs``).
- Showing one BSN in full asks for a reason; the console records who looked at which BSN,
  when and why (``bsn_lookups``) and adds a line to the letter's timeline.
- A search by BSN, an export with full BSNs and an evidence pack with the full BSN are
  recorded the same way.
- The lookup log is for administrators: the OS user names in the setting
  ``privacy.beheerders``. As long as nobody is named, everyone who can open this workspace
  can read it, and the console says so (and asks to name one).
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from console.db import models as m
from console.db.database import Database
from console.db.models_monitoring import BsnLookup, LookupKind
from console.db.repositories import LetterRepository, SettingsRepository
from console.services.errors import NotFound, ServiceError

KEY_ADMINISTRATORS = "privacy.beheerders"
MIN_REASON = 5
MAX_REASON = 500

KIND_LABELS = {
    LookupKind.REVEAL: "BSN getoond",
    LookupKind.SEARCH: "Gezocht op BSN",
    LookupKind.EXPORT: "Export met volledige BSN's",
    LookupKind.EVIDENCE: "Bewijsstuk met volledig BSN",
}


class NotAllowed(ServiceError):
    """The user may not do this; the message says who may."""


def current_user() -> str:
    """The name of the person at the keyboard, as the operating system knows it."""
    try:
        return getpass.getuser() or "onbekend"
    except (OSError, KeyError, ImportError):
        return "onbekend"


def check_reason(reason: str) -> str:
    """The reason, trimmed; a Dutch refusal when it is too short or too long."""
    text = " ".join(reason.split())
    if len(text) < MIN_REASON:
        raise ServiceError(
            f"Geef een reden op waarom u het volledige BSN nodig hebt (minimaal {MIN_REASON} "
            "tekens), bijvoorbeeld 'telefoon burger, zaak 2025-123'."
        )
    if len(text) > MAX_REASON:
        raise ServiceError(f"De reden is {len(text)} tekens; maximaal {MAX_REASON}.")
    return text


@dataclass(frozen=True, slots=True)
class RevealedBsn:
    letter_id: int
    bsn: str
    lookup_id: int


@dataclass(frozen=True, slots=True)
class LookupRow:
    id: int
    at: datetime
    actor: str
    kind: str
    kind_label: str
    bsn: str | None  # in full: this log is for administrators
    letter_id: int | None
    letter_count: int
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class LookupAccess:
    allowed: bool
    user: str
    administrators: tuple[str, ...]
    note: str  # plain Dutch: why (not), and what to do


class PrivacyService:
    def __init__(self, db: Database, *, user: str | None = None) -> None:
        self._db = db
        self.user = user or current_user()

    # --- administrators ---
    def administrators(self) -> tuple[str, ...]:
        with self._db.session() as s:
            value = SettingsRepository(s).get(KEY_ADMINISTRATORS, [])
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    def set_administrators(self, names: Sequence[str]) -> tuple[str, ...]:
        """Name the administrators; only an administrator may (or anyone, while none is named)."""
        access = self.lookup_access()
        if not access.allowed:
            raise NotAllowed(access.note)
        cleaned = tuple(sorted({n.strip() for n in names if n.strip()}))
        if access.administrators and self.user not in cleaned:
            raise NotAllowed(
                "U kunt uzelf niet als beheerder verwijderen; laat een andere beheerder dat doen."
            )
        with self._db.session() as s:
            SettingsRepository(s).set(KEY_ADMINISTRATORS, list(cleaned))
            s.commit()
        return cleaned

    def lookup_access(self) -> LookupAccess:
        admins = self.administrators()
        if not admins:
            return LookupAccess(
                True,
                self.user,
                admins,
                "Er is nog geen beheerder aangewezen: iedereen die deze werkmap opent, kan dit "
                "inzagelog lezen. Wijs een beheerder aan met "
                "'berichtenbox-console letters bsn-log --toevoegen NAAM'.",
            )
        if self.user in admins:
            return LookupAccess(True, self.user, admins, f"U bent beheerder ({self.user}).")
        return LookupAccess(
            False,
            self.user,
            admins,
            f"Alleen een beheerder mag het inzagelog van BSN's bekijken ({', '.join(admins)}). "
            f"U bent aangemeld als {self.user}.",
        )

    # --- looking ---
    def reveal_bsn(self, letter_id: int, reason: str) -> RevealedBsn:
        """The full BSN of one letter; the look is recorded (who, when, why) first."""
        why = check_reason(reason)
        now = datetime.now(UTC)
        with self._db.session() as s:
            letter = s.get(m.Letter, letter_id)
            if letter is None:
                raise NotFound(f"Bericht {letter_id} bestaat niet.")
            row = BsnLookup(
                at=now,
                actor=self.user,
                kind=LookupKind.REVEAL,
                bsn=letter.bsn,
                letter_id=letter.id,
                letter_count=1,
                reason=why,
                detail="",
            )
            s.add(row)
            LetterRepository(s).add_event(
                letter,
                kind="bsn_revealed",
                detail=f"Volledig BSN getoond aan {self.user}. Reden: {why}",
                actor=self.user,
                at=now,
            )
            s.commit()
            return RevealedBsn(letter.id, letter.bsn, row.id)

    def record_search(self, bsn: str, *, matches: int, channel: str = "venster") -> None:
        """A search by BSN: the user typed it, but the log still says who looked it up."""
        self._record(
            LookupKind.SEARCH,
            bsn=bsn,
            count=matches,
            reason="",
            detail=f"Zoekopdracht in de berichtenlijst ({channel}): {matches} bericht(en).",
        )

    def record_export(self, *, count: int, reason: str, detail: str) -> None:
        self._record(LookupKind.EXPORT, bsn=None, count=count, reason=reason, detail=detail)

    def record_evidence(self, letter_id: int, bsn: str, reason: str) -> None:
        self._record(
            LookupKind.EVIDENCE,
            bsn=bsn,
            count=1,
            reason=reason,
            detail="Bewijsstuk (PDF) met volledig BSN gemaakt.",
            letter_id=letter_id,
        )

    def _record(
        self,
        kind: LookupKind,
        *,
        bsn: str | None,
        count: int,
        reason: str,
        detail: str,
        letter_id: int | None = None,
    ) -> None:
        with self._db.session() as s:
            s.add(
                BsnLookup(
                    at=datetime.now(UTC),
                    actor=self.user,
                    kind=kind,
                    bsn=bsn,
                    letter_id=letter_id,
                    letter_count=count,
                    reason=reason,
                    detail=detail,
                )
            )
            s.commit()

    # --- the lookup log ---
    def lookups(self, *, bsn: str | None = None, limit: int = 2000) -> list[LookupRow]:
        """The lookup log, newest first; for administrators only."""
        access = self.lookup_access()
        if not access.allowed:
            raise NotAllowed(access.note)
        query = select(BsnLookup).order_by(BsnLookup.at.desc(), BsnLookup.id.desc()).limit(limit)
        if bsn:
            query = query.where(BsnLookup.bsn == bsn.strip())
        with self._db.session() as s:
            return [
                LookupRow(
                    id=r.id,
                    at=r.at,
                    actor=r.actor,
                    kind=r.kind.value,
                    kind_label=KIND_LABELS.get(r.kind, r.kind.value),
                    bsn=r.bsn,
                    letter_id=r.letter_id,
                    letter_count=r.letter_count,
                    reason=r.reason,
                    detail=r.detail,
                )
                for r in s.scalars(query)
            ]
