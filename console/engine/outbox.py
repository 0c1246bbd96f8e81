"""The persistent outbox: queued letters become recorded batches before anything is sent.

Packing runs in one transaction: claim the letters (a single conditional UPDATE, so two
engines on one database never claim the same letter), build the ``Berichten`` payload and
the ebMS message, and store both. A crash before the commit leaves the letters queued; a
crash after it leaves a pending ebMS message that the sender delivers (again, with the same
MessageId and BatchID) after a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from console.berichtenbox.batch import (
    MAX_BATCH_BYTES,
    MAX_LETTERS,
    BatchAttachment,
    BatchLetter,
    BatchRequest,
    build_berichten,
    estimate_letter_bytes,
)
from console.berichtenbox.preflight import PreflightContext, PreflightSettings, preflight_letter
from console.db import models as m
from console.db.database import Database
from console.db.repositories import SettingsRepository
from console.digikoppeling.ebms.envelope import user_message
from console.digikoppeling.ebms.mime import package
from console.digikoppeling.ebms.model import Party, Payload
from console.domain.ids import new_guid
from console.domain.letter import AttachmentDraft, LetterDraft, decode_line_breaks
from console.domain.lifecycle import LetterEvent, LetterStatus, transition
from console.engine.cpas import send_options
from console.engine.letters import apply_letter_event, rows_affected
from console.engine.subscriptions import latest_snapshot_date

log = logging.getLogger(__name__)

# Batch limits as settings (clamped to what Logius allows: 1-1000 letters, 100 MB).
KEY_MAX_LETTERS = "batch.max_berichten"
KEY_MAX_BYTES = "batch.max_bytes"


@dataclass(frozen=True, slots=True)
class PackResult:
    batches: int
    letters: int


def _estimated_bytes(letter: m.Letter) -> int:
    """What the letter adds to the batch document, base64 included (exact serialisation)."""
    return estimate_letter_bytes(_batch_letter(letter))


# The batch document around the letters: declaration, root, BatchInformatie (generous).
_BATCH_ENVELOPE_BYTES = 1_000


def _clamp(value: object, default: int, high: int) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default
    return max(1, min(number, high))


class Outbox:
    def __init__(
        self, db: Database, *, max_letters: int = 1000, max_bytes: int = 100_000_000
    ) -> None:
        self._db = db
        self._max_letters = max_letters
        self._max_bytes = max_bytes
        self._claimed = transition(LetterStatus.QUEUED, LetterEvent.CLAIM)
        self._defaults = (max_letters, max_bytes)

    def queued_count(self) -> int:
        from sqlalchemy import func

        with self._db.session() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(m.Letter)
                    .where(m.Letter.status == LetterStatus.QUEUED)
                )
                or 0
            )

    def pack(self, now: datetime) -> PackResult:
        """Pack every queued letter into batches; return what was made.

        New letters are grouped per connection and BerichtLeverancierID (organisation). A
        letter queued again after a fix keeps its BatchID (the Logius rule for a resend):
        it goes out in a batch with that same BatchID.
        """
        batches = letters = 0
        with self._db.session() as s:
            stored = SettingsRepository(s).all()
            self._max_letters = _clamp(
                stored.get(KEY_MAX_LETTERS, self._defaults[0]), self._defaults[0], MAX_LETTERS
            )
            self._max_bytes = _clamp(
                stored.get(KEY_MAX_BYTES, self._defaults[1]), self._defaults[1], MAX_BATCH_BYTES
            )
            self._preflight = PreflightSettings.from_mapping(stored)
            groups = s.execute(
                select(m.Letter.connection_id, m.Letter.organisation_id)
                .where(m.Letter.status == LetterStatus.QUEUED, m.Letter.batch_id.is_(None))
                .distinct()
            ).all()
            resends = s.execute(
                select(m.Letter.connection_id, m.Letter.organisation_id, m.Letter.batch_id)
                .where(m.Letter.status == LetterStatus.QUEUED, m.Letter.batch_id.is_not(None))
                .distinct()
            ).all()
        for connection_id, organisation_id in groups:
            while True:
                n = self._pack_one(connection_id, organisation_id, now)
                if n == 0:
                    break
                batches += 1
                letters += n
        for connection_id, organisation_id, resend_batch_id in resends:
            n = self._pack_one(connection_id, organisation_id, now, resend_batch_id=resend_batch_id)
            if n:
                batches += 1
                letters += n
        return PackResult(batches, letters)

    def _pack_one(
        self,
        connection_id: int,
        organisation_id: int,
        now: datetime,
        *,
        resend_batch_id: str | None = None,
    ) -> int:
        batch_id = resend_batch_id or new_guid()
        with self._db.session() as s:
            pick = (
                select(m.Letter.id)
                .where(
                    m.Letter.status == LetterStatus.QUEUED,
                    m.Letter.connection_id == connection_id,
                    m.Letter.organisation_id == organisation_id,
                    m.Letter.batch_id.is_(None)
                    if resend_batch_id is None
                    else m.Letter.batch_id == resend_batch_id,
                )
                .order_by(m.Letter.id)
                .limit(self._max_letters)
                .scalar_subquery()
            )
            claimed = rows_affected(
                s.execute(
                    update(m.Letter)
                    .where(m.Letter.id.in_(pick), m.Letter.status == LetterStatus.QUEUED)
                    .values(status=self._claimed, batch_id=batch_id, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
            )
            if not claimed:
                return 0
            rows = list(
                s.scalars(
                    select(m.Letter)
                    .where(m.Letter.batch_id == batch_id)
                    .options(selectinload(m.Letter.attachments))
                    .order_by(m.Letter.id)
                )
            )
            conn = s.get(m.Connection, connection_id)
            org = s.get(m.Organisation, organisation_id)
            assert conn is not None and org is not None
            options = send_options(s, conn)  # what the connection's CPA says (issue 3)
            if options.refusal is not None:
                for letter in rows:
                    letter.batch_id = None
                    apply_letter_event(
                        s, letter, LetterEvent.MESSAGE_ERROR, now, detail=options.refusal
                    )
                s.commit()
                return 1  # the letters left the queue as failed; go on with the next
            rows = self._passing_preflight(s, rows, org, conn, now, resend_batch_id)
            if not rows:
                s.commit()
                return 1  # the letters left the queue as failed; go on with the next
            if resend_batch_id is None:
                rows = self._within_byte_budget(s, rows)
            try:
                payload = _build(batch_id, now, org.oin, rows)
            except ValueError:
                rows = self._drop_unbuildable(s, rows, batch_id, org.oin, now)
                if not rows:
                    s.commit()
                    return 1  # the letters left the queue as failed; go on with the next
                payload = _build(batch_id, now, org.oin, rows)
            msg = user_message(
                cpa_id=conn.cpa_id,
                from_party=Party(conn.from_party_id, conn.from_role),
                to_party=Party(conn.to_party_id, conn.to_role),
                service=conn.service,
                service_type=conn.service_type,
                action=conn.action,
                payloads=[Payload(f"{batch_id}@berichtenbox-console", "text/xml", payload)],
                sync_reply=options.sync_reply,
                ack_requested=options.ack_requested,
                duplicate_elimination=options.duplicate_elimination,
                time_to_live=now + options.time_to_live if options.time_to_live else None,
            )
            content_type, body = package(msg)
            existing = (
                s.scalar(select(m.Batch).where(m.Batch.batch_id == batch_id))
                if resend_batch_id is not None
                else None
            )
            if existing is not None:  # a resend: the same BatchID, a new AanmaakDatum
                existing.status = m.BatchStatus.QUEUED
                existing.aanmaak_datum = now
                existing.letter_count = len(rows)
                existing.payload_bytes = len(payload)
                existing.result_at = None
            else:
                s.add(
                    m.Batch(
                        batch_id=batch_id,
                        connection_id=connection_id,
                        bericht_leverancier_id=org.oin,
                        aanmaak_datum=now,
                        status=m.BatchStatus.QUEUED,
                        letter_count=len(rows),
                        payload_bytes=len(payload),
                        created_at=now,
                    )
                )
            note = self._snapshot_note(s, organisation_id, now)
            how = (
                "Opnieuw aangeboden met dezelfde BatchID en BerichtID"
                if resend_batch_id
                else "Opgenomen"
            )
            s.add(
                m.EbmsMessage(
                    message_id=msg.header.message_id,
                    conversation_id=msg.header.conversation_id,
                    cpa_id=conn.cpa_id,
                    connection_id=connection_id,
                    direction=m.EbmsDirection.OUT,
                    kind=m.EbmsKind.USER,
                    service=conn.service,
                    action=conn.action,
                    batch_id=batch_id,
                    status=m.EbmsStatus.PENDING,
                    content_type=content_type,
                    raw=body,
                    attempts=0,
                    next_attempt_at=now,
                    expires_at=now + timedelta(seconds=conn.persist_duration_seconds),
                    created_at=now,
                    updated_at=now,
                )
            )
            batched = f"{how} in batch {batch_id} (ebMS MessageId {msg.header.message_id}).{note}"
            # One multi-row INSERT: an ORM object per letter costs more than the batch itself.
            s.execute(
                insert(m.LetterEventRecord),
                [
                    {
                        "letter_id": letter.id,
                        "at": now,
                        "kind": "batched",
                        "detail": batched,
                        "actor": "engine",
                    }
                    for letter in rows
                ],
            )
            s.commit()
            log.info("Batch %s gemaakt met %d berichten", batch_id, len(rows))
            return len(rows)

    def _snapshot_note(self, s: Session, organisation_id: int, now: datetime) -> str:
        """A warning when the organisation relies on subscription data older than allowed."""
        latest = latest_snapshot_date(s, organisation_id)
        if latest is None:
            return ""
        age = now - latest
        limit = self._preflight.snapshot_max_age_days
        if age.total_seconds() <= limit * 86400:
            return ""
        return (
            f" Let op: de abonnementsgegevens van {latest.astimezone():%d-%m-%Y} zijn "
            f"{age.days} dagen oud; Logius vraagt ten hoogste {limit} dagen."
        )

    def _passing_preflight(
        self,
        s: Session,
        rows: list[m.Letter],
        org: m.Organisation,
        conn: m.Connection,
        now: datetime,
        resend_batch_id: str | None,
    ) -> list[m.Letter]:
        """Run the preflight again at packing time; a letter that fails does not go."""
        types = {
            bt.code: bt.status_for(conn.environment) is m.BerichtTypeStatus.ACTIEF
            for bt in s.scalars(
                select(m.BerichtType).where(m.BerichtType.organisation_id == org.id)
            )
        }
        context = PreflightContext(
            now=now, berichttypes=types, environment_label=conn.environment.label
        )
        good: list[m.Letter] = []
        for letter in rows:
            report = preflight_letter(
                _draft(letter), self._preflight, context, key=letter.bericht_id
            )
            if report.passed:
                good.append(letter)
                continue
            letter.batch_id = resend_batch_id
            detail = "De preflight keurde het bericht af bij het inpakken: " + " ".join(
                i.message for i in report.blocking
            )
            apply_letter_event(s, letter, LetterEvent.PREFLIGHT_FAILED, now, detail=detail)
            letter.status_detail = detail
        return good

    def _drop_unbuildable(
        self, s: Session, rows: list[m.Letter], batch_id: str, oin: str, now: datetime
    ) -> list[m.Letter]:
        """A letter the builder cannot write (e.g. a control character) fails alone, with a reason.

        Without this one bad letter would block its whole queue on every tick.
        """
        good: list[m.Letter] = []
        for letter in rows:
            try:
                _build(batch_id, now, oin, [letter])
            except ValueError as exc:
                letter.batch_id = None
                apply_letter_event(
                    s,
                    letter,
                    LetterEvent.MESSAGE_ERROR,
                    now,
                    detail=f"Het bericht kon niet in een batch worden gezet: {exc} Herstel het bericht en verstuur het opnieuw.",
                )
                continue
            good.append(letter)
        return good

    def _within_byte_budget(self, s: Session, rows: list[m.Letter]) -> list[m.Letter]:
        """Keep the batch under the size limit; letters that do not fit go back to the queue."""
        total = _BATCH_ENVELOPE_BYTES
        keep: list[m.Letter] = []
        for n, letter in enumerate(rows):
            size = _estimated_bytes(letter)
            if keep and (total + size > self._max_bytes or len(keep) >= self._max_letters):
                for rest in rows[n:]:
                    rest.status = LetterStatus.QUEUED
                    rest.batch_id = None
                break
            keep.append(letter)
            total += size
        return keep


def _build(batch_id: str, now: datetime, oin: str, rows: list[m.Letter]) -> bytes:
    return build_berichten(
        BatchRequest(
            batch_id=batch_id,
            aanmaak_datum=now,
            bericht_leverancier_id=oin,
            letters=tuple(_batch_letter(letter) for letter in rows),
        )
    )


def _draft(letter: m.Letter) -> LetterDraft:
    """The stored letter as the preflight sees it (the body text decoded again)."""
    return LetterDraft(
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


def _batch_letter(letter: m.Letter) -> BatchLetter:
    return BatchLetter(
        bericht_id=letter.bericht_id,
        berichttype=letter.berichttype,
        onderwerp=letter.onderwerp,
        bsn=letter.bsn,
        berichttekst=letter.berichttekst,
        referentie=letter.referentie,
        publicatie_datum=letter.publicatie_datum,
        attachments=tuple(
            BatchAttachment(
                content=a.content, omschrijving=a.omschrijving or a.filename, volgorde=a.volgorde
            )
            for a in sorted(letter.attachments, key=lambda a: a.volgorde)
        ),
    )
