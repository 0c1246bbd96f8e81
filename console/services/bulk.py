"""Bulk actions on a filtered selection: resend (the Berichtenbox rule) and mark for paper.

Both work in two steps: a **preview** that says, for every letter of the selection, whether
the action applies and why not, grouped by reason; then the **action** on the letters the user
confirmed (checked again, since things may have moved meanwhile).

- **Resend** goes through ``ResultsService`` (issue 4), one letter at a time the same as the
  single-letter resend: only codes whose catalogue entry allows it, after the cause is fixed
  (the user confirms), with the same BatchID and BerichtID. Never for ``Verwerkt``,
  ``NietActiefOfGeabonneerd`` (paper) or ``BerichtBestaatAl``, nor while a result may still
  come.
- **Mark for paper**: the letter goes out by post instead (``LetterEvent.MARK_PAPER``); allowed
  from the states the lifecycle allows (not subscribed, refused, failed, expired, queued,
  duplicate), recorded on each letter's timeline with who did it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from console.db import models as m
from console.db.database import Database
from console.db.repositories import LetterRepository
from console.domain.bsn import mask_bsn
from console.domain.lifecycle import (
    STATUS_LABELS,
    IllegalTransition,
    LetterEvent,
    LetterStatus,
    transition,
)
from console.services.dto import LetterQuery
from console.services.errors import ServiceError
from console.services.letters import SORT_COLUMNS, filter_for
from console.services.results import RESEND_RULE, ResendRefused, ResultsService

CHUNK = 500
MAX_BULK = 50_000
SAMPLE = 20


@dataclass(frozen=True, slots=True)
class BulkSampleRow:
    letter_id: int
    bsn_masked: str
    onderwerp: str
    status_label: str
    code: str | None
    allowed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class BulkPreview:
    action: str  # "resend" | "paper"
    total: int
    allowed_ids: tuple[int, ...]
    refused: tuple[tuple[str, int], ...]  # (reason, how many), most common first
    sample: tuple[BulkSampleRow, ...]  # the first letters, to show what happens
    batch_ids: tuple[str, ...] = ()  # resend: the batches that go again (same BatchID)
    rule: str = ""

    @property
    def refused_count(self) -> int:
        return sum(n for _reason, n in self.refused)

    @property
    def summary(self) -> str:
        what = "opnieuw verstuurd" if self.action == "resend" else "per post verstuurd"
        text = f"{len(self.allowed_ids)} van de {self.total} berichten worden {what}."
        if self.refused_count:
            text += f" {self.refused_count} niet (zie waarom)."
        return text


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    action: str
    done: tuple[int, ...]
    skipped: int
    batch_ids: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        if self.action == "resend":
            text = f"{len(self.done)} bericht(en) opnieuw in de wachtrij"
            if self.batch_ids:
                text += f", met dezelfde BatchID ({len(self.batch_ids)} batch(es))"
        else:
            text = f"{len(self.done)} bericht(en) gemarkeerd voor verzending per post"
        if self.skipped:
            text += f"; {self.skipped} overgeslagen omdat ze intussen veranderden"
        return text + "."


class BulkService:
    def __init__(
        self,
        db: Database,
        results: ResultsService | None,
        *,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._results = results
        self._on_change = on_change

    def selection(self, query: LetterQuery) -> Sequence[int]:
        """The ids a filter selects, in the log's order."""
        with self._db.session() as s:
            return LetterRepository(s).id_array(
                filter_for(query),
                order_by=SORT_COLUMNS.get(query.sort_key, "created_at"),
                descending=query.descending,
            )

    # --- resend ---
    def preview_resend(self, letter_ids: Sequence[int]) -> BulkPreview:
        results = self._require_results()
        ids = _checked(letter_ids)
        allowed: list[int] = []
        reasons: Counter[str] = Counter()
        sample: list[BulkSampleRow] = []
        batches: list[str] = []
        for start in range(0, len(ids), CHUNK):
            plan = results.resend_plan(ids[start : start + CHUNK])
            for c in plan.candidates:
                if c.allowed:
                    allowed.append(c.letter_id)
                    if c.batch_id and c.batch_id not in batches:
                        batches.append(c.batch_id)
                else:
                    reasons[c.reason] += 1
                if len(sample) < SAMPLE * 2:
                    sample.append(
                        BulkSampleRow(
                            c.letter_id,
                            c.bsn_masked,
                            c.onderwerp,
                            STATUS_LABELS[c.status].text,
                            c.code,
                            c.allowed,
                            c.reason,
                        )
                    )
        return BulkPreview(
            "resend",
            len(ids),
            tuple(allowed),
            tuple(reasons.most_common()),
            _examples(sample),
            tuple(batches),
            RESEND_RULE,
        )

    def resend(
        self, letter_ids: Sequence[int], *, cause_fixed: bool, actor: str = "gebruiker"
    ) -> BulkOutcome:
        """Resend the letters (from a preview); each is checked again by the Logius rule."""
        results = self._require_results()
        if not cause_fixed:
            raise ResendRefused("Bevestig eerst dat de oorzaak is hersteld. " + RESEND_RULE)
        ids = _checked(letter_ids)
        done: list[int] = []
        batches: list[str] = []
        skipped = 0
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            try:
                outcome = results.resend(chunk, cause_fixed=True, actor=actor)
            except ResendRefused:
                skipped += len(chunk)
                continue
            done += outcome.queued
            skipped += len(chunk) - len(outcome.queued)
            batches += [b for b in outcome.batch_ids if b not in batches]
        return BulkOutcome("resend", tuple(done), skipped, tuple(batches))

    # --- paper ---
    def preview_paper(self, letter_ids: Sequence[int]) -> BulkPreview:
        ids = _checked(letter_ids)
        allowed: list[int] = []
        reasons: Counter[str] = Counter()
        sample: list[BulkSampleRow] = []
        with self._db.session() as s:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                rows = {
                    r[0]: r
                    for r in s.execute(
                        select(
                            m.Letter.id,
                            m.Letter.status,
                            m.Letter.bsn,
                            m.Letter.onderwerp,
                            m.Letter.verwerkings_code,
                        ).where(m.Letter.id.in_(chunk))
                    )
                }
                for letter_id in chunk:
                    row = rows.get(letter_id)
                    if row is None:
                        continue
                    status = LetterStatus(row[1])
                    reason = _paper_refusal(status)
                    if reason is None:
                        allowed.append(letter_id)
                    else:
                        reasons[reason] += 1
                    if len(sample) < SAMPLE * 2:
                        sample.append(
                            BulkSampleRow(
                                letter_id,
                                mask_bsn(row[2]),
                                row[3],
                                STATUS_LABELS[status].text,
                                row[4],
                                reason is None,
                                reason or "Gaat per post.",
                            )
                        )
        return BulkPreview(
            "paper", len(ids), tuple(allowed), tuple(reasons.most_common()), _examples(sample)
        )

    def mark_paper(
        self, letter_ids: Sequence[int], *, confirmed: bool, actor: str = "gebruiker"
    ) -> BulkOutcome:
        if not confirmed:
            raise ServiceError("Bevestig eerst dat deze berichten per post worden verstuurd.")
        ids = _checked(letter_ids)
        now = datetime.now(UTC)
        done: list[int] = []
        skipped = 0
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            with self._db.session(immediate=True) as s:
                repo = LetterRepository(s)
                for letter in s.scalars(select(m.Letter).where(m.Letter.id.in_(chunk))):
                    try:
                        new = transition(letter.status, LetterEvent.MARK_PAPER)
                    except IllegalTransition:
                        skipped += 1
                        continue
                    before = STATUS_LABELS[letter.status].text
                    repo.set_status(
                        letter,
                        new,
                        event_kind=LetterEvent.MARK_PAPER.value,
                        detail=f"Gemarkeerd voor verzending per post door {actor} (was: {before}).",
                        actor=actor,
                        at=now,
                    )
                    done.append(letter.id)
                s.commit()
        if done and self._on_change is not None:
            self._on_change()
        return BulkOutcome("paper", tuple(done), len(ids) - len(done))

    def _require_results(self) -> ResultsService:
        if self._results is None:
            raise ServiceError("Opnieuw versturen is in deze werkmap niet beschikbaar.")
        return self._results


def _examples(sample: list[BulkSampleRow]) -> tuple[BulkSampleRow, ...]:
    """What the preview lists: letters the action applies to first, then some that it skips."""
    ordered = [s for s in sample if s.allowed] + [s for s in sample if not s.allowed]
    return tuple(ordered[:SAMPLE])


def _checked(letter_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in letter_ids))
    if not ids:
        raise ServiceError("Er zijn geen berichten gekozen.")
    if len(ids) > MAX_BULK:
        raise ServiceError(
            f"Dit zijn {len(ids)} berichten; in één keer kunnen er ten hoogste {MAX_BULK}. "
            "Verfijn de zoekopdracht, bijvoorbeeld met een datum of een berichttype."
        )
    return ids


def _paper_refusal(status: LetterStatus) -> str | None:
    try:
        transition(status, LetterEvent.MARK_PAPER)
    except IllegalTransition:
        if status is LetterStatus.PAPER:
            return "Staat al op per post."
        if status is LetterStatus.DELIVERED:
            return "Staat al in de Berichtenbox van de burger: niet nog eens per post."
        return (
            f"Nog onderweg ({STATUS_LABELS[status].text}): wacht op het resultaat, of haal het "
            "eerst uit de wachtrij."
        )
    return None
