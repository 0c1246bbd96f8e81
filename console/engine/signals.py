"""What the console does with what comes back: Acknowledgments, MessageErrors and results.

Shared by the inbound endpoint (asynchronous signals) and the sender (synchronous replies),
so both paths store the same evidence and move letters the same way.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from console.berichtenbox.result import BatchResult, ResultParseError, parse_result
from console.db import models as m
from console.db.database import Database
from console.digikoppeling.ebms.model import EbmsMessage
from console.domain.ebms_errors import EbmsErrorCode, explain_ebms_error
from console.domain.lifecycle import LetterEvent, LetterStatus
from console.domain.verwerkingscode import VerwerkingsCode, explain, explain_stadium
from console.engine.letters import apply_batch_event, apply_letter_event, letters_of_batch

log = logging.getLogger(__name__)

RESULT_ACTIONS = frozenset({"GLOBE-R-BV-Result"})
_AWAITING = (LetterStatus.SENDING, LetterStatus.SENT, LetterStatus.ACKNOWLEDGED)


def _kind(msg: EbmsMessage) -> m.EbmsKind:
    if msg.is_acknowledgment:
        return m.EbmsKind.ACK
    if msg.is_message_error:
        return m.EbmsKind.ERROR
    if msg.is_ping:
        return m.EbmsKind.PING
    if msg.is_pong:
        return m.EbmsKind.PONG
    if msg.is_status_request:
        return m.EbmsKind.STATUS_REQUEST
    if msg.is_status_response:
        return m.EbmsKind.STATUS_RESPONSE
    return m.EbmsKind.USER


def maybe_gunzip(data: bytes) -> bytes:
    """Results may arrive gzipped (RFC 1952); read both."""
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    return data


# A business message handler: (session, message, stored row) -> the BatchID or None.
ActionHandler = Callable[[Session, EbmsMessage, m.EbmsMessage], str | None]


class SignalProcessor:
    """Dispatches what arrives. Business actions other than the letter result register a
    handler in :attr:`action_handlers` (e.g. the AbonnementService answer)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.action_handlers: dict[str, ActionHandler] = {
            action: self._result for action in RESULT_ACTIONS
        }

    def store_inbound(
        self, s: Session, msg: EbmsMessage, raw: bytes, content_type: str, connection_id: int | None
    ) -> m.EbmsMessage:
        now = datetime.now(UTC)
        row = m.EbmsMessage(
            message_id=msg.header.message_id,
            conversation_id=msg.header.conversation_id,
            cpa_id=msg.header.cpa_id,
            connection_id=connection_id,
            direction=m.EbmsDirection.IN,
            kind=_kind(msg),
            service=msg.header.service,
            action=msg.header.action,
            ref_to_message_id=msg.header.ref_to_message_id
            or (msg.acknowledgment.ref_to_message_id if msg.acknowledgment else None),
            status=m.EbmsStatus.RECEIVED,
            content_type=content_type,
            raw=raw,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        return row

    def process(
        self, msg: EbmsMessage, raw: bytes, content_type: str, connection_id: int | None = None
    ) -> None:
        """Process a signal in its own unit of work (used for synchronous replies)."""
        with self._db.session() as s:
            existing = s.scalar(
                select(m.EbmsMessage).where(m.EbmsMessage.message_id == msg.header.message_id)
            )
            if existing is not None:
                return
            self.apply(s, msg, raw, content_type, connection_id)
            s.commit()

    def apply(
        self, s: Session, msg: EbmsMessage, raw: bytes, content_type: str, connection_id: int | None
    ) -> None:
        row = self.store_inbound(s, msg, raw, content_type, connection_id)
        if msg.is_acknowledgment and msg.acknowledgment is not None:
            self._acknowledged(s, msg.acknowledgment.ref_to_message_id, row)
        elif msg.is_message_error:
            self._message_error(s, msg, row)
        elif (handler := self.action_handlers.get(msg.header.action)) is not None:
            row.batch_id = handler(s, msg, row)

    def _outbound(self, s: Session, message_id: str | None) -> m.EbmsMessage | None:
        if not message_id:
            return None
        return s.scalar(
            select(m.EbmsMessage)
            .where(
                m.EbmsMessage.message_id == message_id,
                m.EbmsMessage.direction == m.EbmsDirection.OUT,
            )
            .options(lazyload(m.EbmsMessage.body))  # the body is not needed, and may be 100 MB
        )

    def _acknowledged(self, s: Session, ref: str, row: m.EbmsMessage) -> None:
        now = datetime.now(UTC)
        out = self._outbound(s, ref)
        if out is None:
            log.warning("Ontvangstbevestiging voor onbekend bericht %s", ref)
            row.error_detail = f"Bevestiging voor een onbekend bericht ({ref})."
            return
        row.batch_id = out.batch_id
        if out.status in (m.EbmsStatus.DELIVERED, m.EbmsStatus.FAILED):
            return
        out.status = m.EbmsStatus.DELIVERED
        out.next_attempt_at = None
        out.updated_at = now
        if out.batch_id:
            batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == out.batch_id))
            if batch is not None and batch.status is not m.BatchStatus.RESULT:
                batch.status = m.BatchStatus.ACKNOWLEDGED
            # The result may overtake the acknowledgment; the ack is still evidence.
            apply_batch_event(
                s,
                out.batch_id,
                LetterEvent.ACKNOWLEDGED,
                now,
                detail=f"Ontvangst bevestigd door Logius (ebMS Acknowledgment {row.message_id}).",
                mark_acknowledged=True,
            )

    def _message_error(self, s: Session, msg: EbmsMessage, row: m.EbmsMessage) -> None:
        now = datetime.now(UTC)
        first = msg.errors[0] if msg.errors else None
        code = first.code if first else "Unknown"
        expl = explain_ebms_error(code)
        detail = f"{expl.explanation} {expl.next_step}"
        if first and first.description:
            detail += f" (Melding van de ontvanger: {first.description})"
        row.error_code = code
        row.error_detail = detail
        ref = msg.header.ref_to_message_id or (first.ref_to_message_id if first else None)
        out = self._outbound(s, ref)
        if out is None:
            log.warning("MessageError %s voor onbekend bericht %s", code, ref)
            return
        row.batch_id = out.batch_id
        # TimeToLiveExpired: the receiver got it too late; the message ends as expired.
        expired = code == EbmsErrorCode.TIME_TO_LIVE_EXPIRED
        out.status = m.EbmsStatus.EXPIRED if expired else m.EbmsStatus.FAILED
        out.error_code = code
        out.error_detail = detail
        out.next_attempt_at = None
        if out.batch_id:
            batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == out.batch_id))
            if batch is not None:
                batch.status = m.BatchStatus.EXPIRED if expired else m.BatchStatus.FAILED
            apply_batch_event(
                s,
                out.batch_id,
                LetterEvent.EXPIRED if expired else LetterEvent.MESSAGE_ERROR,
                now,
                detail=f"[{code}] {detail}",
            )

    def _result(self, s: Session, msg: EbmsMessage, row: m.EbmsMessage) -> str | None:
        now = datetime.now(UTC)
        if not msg.payloads:
            row.error_detail = "Resultaatbericht zonder inhoud."
            s.add(
                m.UnmatchedResult(
                    received_at=now, batch_id=None, raw=row.raw, reason=row.error_detail
                )
            )
            return None
        data = maybe_gunzip(bytes(msg.payloads[0].data))
        try:
            result = parse_result(data)
        except (ResultParseError, ValueError) as exc:
            row.error_detail = f"Resultaat onleesbaar: {exc}"
            s.add(
                m.UnmatchedResult(received_at=now, batch_id=None, raw=data, reason=row.error_detail)
            )
            return None
        batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == result.batch_id))
        if batch is None:
            reason = f"Resultaat voor onbekende batch {result.batch_id}: bewaard, niet gekoppeld."
            row.error_detail = reason
            s.add(
                m.UnmatchedResult(
                    received_at=now, batch_id=result.batch_id, raw=data, reason=reason
                )
            )
            return result.batch_id
        self._apply_counters(batch, result, now)
        letters = {letter.bericht_id: letter for letter in letters_of_batch(s, batch.batch_id)}
        for res in result.letters:
            targets = (
                [lt for lt in letters.values() if lt.status in _AWAITING]
                if res.is_nil
                else [letters[res.bericht_id]]
                if res.bericht_id in letters
                else []
            )
            if not targets:
                s.add(
                    m.UnmatchedResult(
                        received_at=now,
                        batch_id=result.batch_id,
                        raw=data,
                        reason=f"BerichtID {res.bericht_id} hoort niet bij batch {result.batch_id}.",
                    )
                )
                continue
            for letter in targets:
                self._letter_result(s, letter, res.code, res.stadium, now, row.message_id)
        return batch.batch_id

    @staticmethod
    def _apply_counters(batch: m.Batch, r: BatchResult, now: datetime) -> None:
        batch.status = m.BatchStatus.RESULT
        batch.result_at = now
        batch.totaal_ontvangen = r.totaal
        batch.aantal_verwerkt = r.verwerkt
        batch.aantal_niet_geabonneerd = r.geen_actieve_box
        batch.aantal_technisch_probleem = r.technisch_probleem
        batch.aantal_berichttype_niet_correct = r.berichttype_niet_correct
        batch.aantal_publicatiedatum_niet_correct = r.publicatiedatum_niet_correct
        batch.aantal_aanmaakdatum_niet_correct = r.aanmaakdatum_niet_correct
        batch.datum_verwerkt = r.datum_verwerkt

    @staticmethod
    def _letter_result(
        s: Session,
        letter: m.Letter,
        raw_code: str,
        stadium: str | None,
        now: datetime,
        message_id: str,
    ) -> None:
        letter.verwerkings_code = raw_code
        letter.stadium = stadium
        letter.result_at = now
        expl = explain(raw_code)
        if expl is None:
            # Unknown code: keep it, never drop it; the letter needs a person to look.
            letter.status_detail = f"Onbekende verwerkingscode {raw_code} ontvangen."
            s.add(
                m.LetterEventRecord(
                    letter_id=letter.id,
                    at=now,
                    kind="result_unknown",
                    detail=letter.status_detail,
                    actor="engine",
                )
            )
            return
        detail = f"{expl.explanation} {expl.next_step}"
        st = explain_stadium(stadium)
        if stadium and stadium != "NA":
            detail += f" Stadium: {st}"
        detail += f" (resultaatbericht {message_id})"
        if letter.status in _AWAITING:
            apply_letter_event(
                s, letter, LetterEvent.RESULT, now, detail=detail, code=VerwerkingsCode(raw_code)
            )
        else:
            s.add(
                m.LetterEventRecord(
                    letter_id=letter.id, at=now, kind="result_again", detail=detail, actor="engine"
                )
            )
