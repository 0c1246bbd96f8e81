"""Results: letters without a result, results nobody asked for, and resend by the Logius rule.

- **Missing results.** A letter Logius acknowledged but for which no ``GLOBE-R-BV-Result``
  came within N hours (setting ``resultaten.ontbrekend_na_uren``, default 24). The advice
  is to ask Logius, never to resend blindly: a resend would race the real result and come
  back as ``BerichtBestaatAl`` (interface reference 5.2, NotifyNL's practice).
- **Unmatched results.** A result for a batch the console does not know is kept and shown.
- **Duplicates.** ``BerichtBestaatAl`` means the BerichtID was offered before; it is shown
  as a duplicate, never as a new failure.
- **Resend.** The Logius rule (TAH 5.6 via the interface reference 2.2): a refused letter
  may be offered again with the **same BatchID and BerichtID**, and only **after the cause
  is fixed**. Only codes whose catalogue entry allows it (``resend_allowed``) qualify; the
  preflight runs again, and some causes are checked (the berichttype must be active now);
  the user confirms the fix. The engine then packs the letters into a batch with their
  original BatchID and a new AanmaakDatum.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from console.db import models as m
from console.db.database import Database
from console.db.repositories import SettingsRepository
from console.domain.bsn import mask_bsn
from console.domain.letter import AttachmentDraft, LetterDraft, decode_line_breaks
from console.domain.lifecycle import IllegalTransition, LetterEvent, LetterStatus, transition
from console.domain.verwerkingscode import CATALOGUE, VerwerkingsCode, explain
from console.services.errors import ServiceError
from console.services.preflight import PreflightService
from console.services.workspace import WorkspaceService

KEY_MISSING_HOURS = "resultaten.ontbrekend_na_uren"
DEFAULT_MISSING_HOURS = 24

RESEND_RULE = (
    "Logius staat toe dat een afgekeurd bericht opnieuw wordt aangeboden, met dezelfde "
    "BatchID en hetzelfde BerichtID, maar pas nadat de oorzaak is hersteld. Een bericht dat "
    "al in de Berichtenbox staat (BerichtBestaatAl) of dat de burger niet digitaal ontvangt "
    "(NietActiefOfGeabonneerd), verstuurt u niet opnieuw: dat gaat per post. Komt er geen "
    "resultaat, neem dan eerst contact op met Logius; opnieuw versturen geeft dan "
    "BerichtBestaatAl."
)
RESENDABLE = frozenset({LetterStatus.REJECTED, LetterStatus.FAILED, LetterStatus.EXPIRED})


class ResendRefused(ServiceError):
    """Nothing was resent; the message says why."""


@dataclass(frozen=True, slots=True)
class MissingResultRow:
    letter_id: int
    bericht_id: str
    batch_id: str | None
    bsn_masked: str
    onderwerp: str
    organisation_name: str
    acknowledged_at: datetime
    hours_waiting: int


@dataclass(frozen=True, slots=True)
class UnmatchedResultRow:
    id: int
    received_at: datetime
    batch_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ResendCandidate:
    letter_id: int
    bericht_id: str
    batch_id: str | None
    bsn_masked: str
    onderwerp: str
    status: LetterStatus
    code: str | None
    code_title: str
    allowed: bool
    reason: str  # why not, or what was checked


@dataclass(frozen=True, slots=True)
class ResendPlan:
    candidates: tuple[ResendCandidate, ...]
    rule: str = RESEND_RULE

    @property
    def allowed(self) -> tuple[ResendCandidate, ...]:
        return tuple(c for c in self.candidates if c.allowed)

    @property
    def refused(self) -> tuple[ResendCandidate, ...]:
        return tuple(c for c in self.candidates if not c.allowed)


@dataclass(frozen=True, slots=True)
class ResendOutcome:
    queued: tuple[int, ...]
    refused: tuple[ResendCandidate, ...]
    batch_ids: tuple[str, ...]

    @property
    def text(self) -> str:
        parts = [f"{len(self.queued)} bericht(en) opnieuw in de wachtrij"]
        if self.batch_ids:
            parts.append(f"met dezelfde BatchID ({', '.join(self.batch_ids)})")
        if self.refused:
            parts.append(f"{len(self.refused)} niet opnieuw verstuurd")
        return ", ".join(parts) + "."


class ResultsService:
    def __init__(
        self,
        db: Database,
        workspace: WorkspaceService,
        preflight: PreflightService,
        *,
        on_resend: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._workspace = workspace
        self._preflight = preflight
        self._on_resend = on_resend

    # --- settings ---
    def missing_hours(self) -> int:
        with self._db.session() as s:
            value = SettingsRepository(s).get(KEY_MISSING_HOURS, DEFAULT_MISSING_HOURS)
        try:
            hours = int(value)
        except (TypeError, ValueError):
            return DEFAULT_MISSING_HOURS
        return hours if hours >= 1 else DEFAULT_MISSING_HOURS

    def set_missing_hours(self, hours: int) -> None:
        if not 1 <= hours <= 24 * 30:
            raise ServiceError("Kies een wachttijd van 1 tot 720 uur.")
        with self._db.session() as s:
            SettingsRepository(s).set(KEY_MISSING_HOURS, int(hours))
            s.commit()

    # --- missing and unmatched results ---
    def missing_results(
        self,
        *,
        hours: int | None = None,
        organisation_id: int | None = None,
        now: datetime | None = None,
    ) -> list[MissingResultRow]:
        """Letters acknowledged by Logius without a result for more than *hours* hours."""
        now = now or datetime.now(UTC)
        limit = hours if hours is not None else self.missing_hours()
        cutoff = now - timedelta(hours=limit)
        with self._db.session() as s:
            query = (
                select(m.Letter, m.Organisation.name)
                .join(m.Organisation, m.Organisation.id == m.Letter.organisation_id)
                .where(
                    m.Letter.status == LetterStatus.ACKNOWLEDGED,
                    m.Letter.acknowledged_at.is_not(None),
                    m.Letter.acknowledged_at < cutoff,
                )
                .order_by(m.Letter.acknowledged_at, m.Letter.id)
            )
            if organisation_id is not None:
                query = query.where(m.Letter.organisation_id == organisation_id)
            rows = []
            for letter, org_name in s.execute(query).tuples():
                assert letter.acknowledged_at is not None
                rows.append(
                    MissingResultRow(
                        letter_id=letter.id,
                        bericht_id=letter.bericht_id,
                        batch_id=letter.batch_id,
                        bsn_masked=mask_bsn(letter.bsn),
                        onderwerp=letter.onderwerp,
                        organisation_name=org_name,
                        acknowledged_at=letter.acknowledged_at,
                        hours_waiting=int((now - letter.acknowledged_at).total_seconds() // 3600),
                    )
                )
            return rows

    def unmatched_results(self) -> list[UnmatchedResultRow]:
        with self._db.session() as s:
            return [
                UnmatchedResultRow(r.id, r.received_at, r.batch_id, r.reason)
                for r in s.scalars(
                    select(m.UnmatchedResult).order_by(m.UnmatchedResult.received_at.desc())
                )
            ]

    def unmatched_raw(self, unmatched_id: int) -> bytes:
        with self._db.session() as s:
            row = s.get(m.UnmatchedResult, unmatched_id)
            if row is None:
                raise ServiceError(f"Resultaat {unmatched_id} bestaat niet.")
            return row.raw

    # --- resend ---
    def resend_candidates(self, organisation_id: int | None = None) -> list[ResendCandidate]:
        """Every refused, failed or expired letter, each with whether it may go again now."""
        with self._db.session() as s:
            query = (
                select(m.Letter.id)
                .where(m.Letter.status.in_(sorted(RESENDABLE | {LetterStatus.DUPLICATE})))
                .order_by(m.Letter.updated_at.desc(), m.Letter.id.desc())
                .limit(5000)
            )
            if organisation_id is not None:
                query = query.where(m.Letter.organisation_id == organisation_id)
            ids = list(s.scalars(query))
        return list(self.resend_plan(ids).candidates)

    def resend_plan(self, letter_ids: Sequence[int]) -> ResendPlan:
        with self._db.session() as s:
            letters = list(
                s.scalars(
                    select(m.Letter)
                    .where(m.Letter.id.in_(list(letter_ids)))
                    .options(selectinload(m.Letter.attachments))
                )
            )
            by_id = {letter.id: letter for letter in letters}
            return ResendPlan(tuple(self._candidate(s, by_id[i]) for i in letter_ids if i in by_id))

    def _candidate(self, s: Session, letter: m.Letter) -> ResendCandidate:
        code = letter.verwerkings_code
        expl = explain(code) if code else None
        title = expl.title if expl else (code or letter.status.value)

        def result(allowed: bool, reason: str) -> ResendCandidate:
            return ResendCandidate(
                letter.id,
                letter.bericht_id,
                letter.batch_id,
                mask_bsn(letter.bsn),
                letter.onderwerp,
                letter.status,
                code,
                title,
                allowed,
                reason,
            )

        if letter.status is LetterStatus.DUPLICATE:
            return result(
                False,
                "BerichtBestaatAl: dit BerichtID is al eerder aangeboden. Dit is geen nieuwe "
                "fout; verstuur het niet opnieuw. Controleer het eerste bericht.",
            )
        if expl is not None and not CATALOGUE[expl.code].resend_allowed:
            return result(False, f"{expl.title}: {expl.next_step}")
        if letter.status in (LetterStatus.SENT, LetterStatus.ACKNOWLEDGED, LetterStatus.SENDING):
            return result(
                False,
                "Er is nog geen resultaat. Wacht; komt het niet, neem dan contact op met Logius. "
                "Opnieuw versturen geeft BerichtBestaatAl als Logius het bericht al heeft.",
            )
        if letter.status not in RESENDABLE:
            return result(
                False, f"Een bericht in status '{letter.status.value}' gaat niet opnieuw."
            )
        if letter.status is LetterStatus.REJECTED:
            if expl is None:
                return result(
                    False,
                    f"Onbekende verwerkingscode {code}: neem contact op met Logius voordat u "
                    "iets opnieuw verstuurt.",
                )
            if not CATALOGUE[expl.code].resend_allowed:
                return result(False, f"{expl.title}: {expl.next_step}")
        problems = self._cause_still_there(s, letter, expl.code if expl else None)
        if problems:
            return result(False, " ".join(problems))
        checked = expl.next_step if expl else "Controleer eerst waarom de verzending mislukte."
        return result(True, f"Mag opnieuw na herstel. {checked}")

    def _cause_still_there(
        self, s: Session, letter: m.Letter, code: VerwerkingsCode | None
    ) -> list[str]:
        problems: list[str] = []
        if code is VerwerkingsCode.BERICHTTYPE_NIET_ONDERSTEUND:
            active = {
                b.code: b.active for b in self._workspace.berichttypes(letter.organisation_id)
            }
            if not active.get(letter.berichttype, False):
                env = self._workspace.status().environment.label
                problems.append(
                    f"Berichttype {letter.berichttype} is nog niet actief voor {env}. Activeer "
                    "het eerst in het Leveranciersportaal en zet het hier op actief."
                )
        draft = LetterDraft(
            bsn=letter.bsn,
            berichttype=letter.berichttype,
            onderwerp=letter.onderwerp,
            berichttekst=decode_line_breaks(letter.berichttekst),
            referentie=letter.referentie,
            publicatie_datum=letter.publicatie_datum,
            attachments=tuple(
                AttachmentDraft(a.filename, a.content, a.omschrijving)
                for a in sorted(letter.attachments, key=lambda a: a.volgorde)
            ),
        )
        report = self._preflight.check_one(draft, letter.organisation_id, key=letter.bericht_id)
        problems += [f"{i.field}: {i.message}" for i in report.blocking]
        return problems

    def resend(
        self, letter_ids: Sequence[int], *, cause_fixed: bool, actor: str = "gebruiker"
    ) -> ResendOutcome:
        """Queue the allowed letters again with their BatchID and BerichtID."""
        if not cause_fixed:
            raise ResendRefused("Bevestig eerst dat de oorzaak is hersteld. " + RESEND_RULE)
        plan = self.resend_plan(letter_ids)
        if not plan.allowed:
            reasons = "; ".join(c.reason for c in plan.refused[:3])
            raise ResendRefused(f"Geen van de berichten mag nu opnieuw: {reasons}")
        now = datetime.now(UTC)
        queued: list[int] = []
        batch_ids: list[str] = []
        with self._db.session() as s:
            for c in plan.allowed:
                letter = s.get(m.Letter, c.letter_id)
                assert letter is not None
                try:
                    new = transition(letter.status, LetterEvent.RESEND)
                except IllegalTransition:
                    continue  # changed meanwhile
                previous = letter.verwerkings_code or letter.status.value
                letter.status = new
                letter.updated_at = now
                letter.verwerkings_code = None
                letter.stadium = None
                letter.result_at = None
                letter.acknowledged_at = None
                letter.status_detail = None
                same = (
                    f"dezelfde BatchID {letter.batch_id} en hetzelfde BerichtID {letter.bericht_id}"
                    if letter.batch_id
                    else f"hetzelfde BerichtID {letter.bericht_id} (nog nooit in een batch)"
                )
                s.add(
                    m.LetterEventRecord(
                        letter_id=letter.id,
                        at=now,
                        kind=LetterEvent.RESEND.value,
                        detail=f"Opnieuw in de wachtrij na herstel van de oorzaak ({previous}), "
                        f"bevestigd door {actor}; met {same}.",
                        actor=actor,
                    )
                )
                queued.append(letter.id)
                if letter.batch_id and letter.batch_id not in batch_ids:
                    batch_ids.append(letter.batch_id)
            s.commit()
        if queued and self._on_resend is not None:
            self._on_resend()
        return ResendOutcome(tuple(queued), plan.refused, tuple(batch_ids))
