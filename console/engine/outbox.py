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

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from console.berichtenbox.batch import BatchAttachment, BatchLetter, BatchRequest, build_berichten
from console.db import models as m
from console.db.database import Database
from console.digikoppeling.ebms.envelope import user_message
from console.digikoppeling.ebms.mime import package
from console.digikoppeling.ebms.model import Party, Payload
from console.domain.ids import new_guid
from console.domain.lifecycle import LetterEvent, LetterStatus, transition
from console.engine.letters import apply_letter_event, rows_affected

log = logging.getLogger(__name__)

# Base64 grows content by 4/3; the XML around each letter is small next to that.
_LETTER_OVERHEAD = 2_000


@dataclass(frozen=True, slots=True)
class PackResult:
    batches: int
    letters: int


def _estimated_bytes(letter: m.Letter) -> int:
    att = sum((a.size_bytes + 2) // 3 * 4 for a in letter.attachments)
    return _LETTER_OVERHEAD + len(letter.onderwerp) + len(letter.berichttekst) + att


class Outbox:
    def __init__(
        self, db: Database, *, max_letters: int = 1000, max_bytes: int = 100_000_000
    ) -> None:
        self._db = db
        self._max_letters = max_letters
        self._max_bytes = max_bytes
        self._claimed = transition(LetterStatus.QUEUED, LetterEvent.CLAIM)

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
        """Pack every queued letter into batches; return what was made."""
        batches = letters = 0
        with self._db.session() as s:
            groups = s.execute(
                select(m.Letter.connection_id, m.Letter.organisation_id)
                .where(m.Letter.status == LetterStatus.QUEUED)
                .distinct()
            ).all()
        for connection_id, organisation_id in groups:
            while True:
                n = self._pack_one(connection_id, organisation_id, now)
                if n == 0:
                    break
                batches += 1
                letters += n
        return PackResult(batches, letters)

    def _pack_one(self, connection_id: int, organisation_id: int, now: datetime) -> int:
        batch_id = new_guid()
        with self._db.session() as s:
            pick = (
                select(m.Letter.id)
                .where(
                    m.Letter.status == LetterStatus.QUEUED,
                    m.Letter.connection_id == connection_id,
                    m.Letter.organisation_id == organisation_id,
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
            rows = self._within_byte_budget(s, rows)
            conn = s.get(m.Connection, connection_id)
            org = s.get(m.Organisation, organisation_id)
            assert conn is not None and org is not None
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
                sync_reply=conn.sync_reply,
            )
            content_type, body = package(msg)
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
            for letter in rows:
                s.add(
                    m.LetterEventRecord(
                        letter_id=letter.id,
                        at=now,
                        kind="batched",
                        detail=f"Opgenomen in batch {batch_id} (ebMS MessageId {msg.header.message_id}).",
                        actor="engine",
                    )
                )
            s.commit()
            log.info("Batch %s gemaakt met %d berichten", batch_id, len(rows))
            return len(rows)

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
        total = 0
        keep: list[m.Letter] = []
        for n, letter in enumerate(rows):
            size = _estimated_bytes(letter)
            if keep and total + size > self._max_bytes:
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
