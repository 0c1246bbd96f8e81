"""The inbound ebMS endpoint: receives Acknowledgments, MessageErrors, results and MSH signals.

Every inbound message goes through
:func:`console.digikoppeling.ebms.validation.check_inbound` before it is believed (the same
function the ``ebms inspect`` support tool uses): size and MIME before parsing, the hardened
XML parser, the connection's CPA (parties, roles, service and action, AckRequested,
DuplicateElimination, SyncReply, TimeToLive), and the client certificate, whose OIN must be
the From PartyId. What fails gets a MessageError with the ebMS error codes (never for an
Acknowledgment or MessageError, which the standard forbids answering with an error).

Duplicate elimination: a MessageId seen within (1+Retries) x RetryInterval of the sender's
channel (at least one day) is acknowledged again, never processed again. Recording the
MessageId and processing the message happen in one transaction, so a crash in between makes
the other side resend, not lose.

Ping is answered with a Pong, a StatusRequest with a StatusResponse; synchronously when the
CPA (or the SyncReply header) says so, otherwise as a separate message.
"""

from __future__ import annotations

import http.server
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.digikoppeling.ebms.envelope import (
    acknowledgment_for,
    message_error_for,
    pong_for,
    status_response_for,
)
from console.digikoppeling.ebms.mime import package
from console.digikoppeling.ebms.model import (
    STATUS_NOT_RECOGNIZED,
    STATUS_PROCESSED,
    STATUS_RECEIVED,
    EbmsError,
    EbmsMessage,
)
from console.digikoppeling.ebms.validation import InboundVerdict, check_inbound
from console.digikoppeling.endpoint import post_handler
from console.domain.ebms_errors import EbmsErrorCode
from console.engine.cpas import CpaDirectory
from console.engine.signals import SignalProcessor

log = logging.getLogger(__name__)

MIN_KEEP = timedelta(days=1)
_TEXT = "text/plain; charset=utf-8"
# SQLSTATE string_data_right_truncation: a value longer than its VARCHAR column (PostgreSQL).
VALUE_TOO_LONG = "22001"
MAX_ID_CHARS = 255  # ebms_messages.message_id, conversation_id, ref_to_message_id


class Inbox:
    def __init__(
        self,
        db: Database,
        signals: SignalProcessor,
        *,
        max_bytes: int,
        cpas: CpaDirectory | None = None,
    ) -> None:
        self._db = db
        self._signals = signals
        self.max_bytes = max_bytes
        self.cpas = cpas or CpaDirectory(db)
        self.received = 0

    # --- what the check needs from the store ---
    def _seen(self, message_id: str) -> bool:
        with self._db.session() as s:
            return s.get(m.InboundMessageId, message_id) is not None

    def _known(self, message_id: str) -> bool:
        with self._db.session() as s:
            return (
                s.scalar(select(m.EbmsMessage.id).where(m.EbmsMessage.message_id == message_id))
                is not None
            )

    def check(
        self,
        content_type: str,
        body: bytes,
        peer_oin: str | None,
        *,
        check_client_certificate: bool = True,
    ) -> InboundVerdict:
        """What this endpoint concludes about a POST (the support tool calls this too; it
        has no TLS connection, so it may skip the client certificate check)."""
        return check_inbound(
            content_type,
            body,
            cpa_for=self.cpas.cpa,
            now=datetime.now(UTC),
            max_bytes=self.max_bytes,
            peer_oin=peer_oin,
            check_client_certificate=check_client_certificate,
            seen=self._seen,
            known_message=self._known,
        )

    # --- the endpoint ---
    def handle(
        self, content_type: str, body: bytes, peer_oin: str | None
    ) -> tuple[int, str, bytes]:
        try:
            return self._handle(content_type, body, peer_oin)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != VALUE_TOO_LONG:
                raise
            return self._refuse_too_long(content_type, body, peer_oin)

    def _refuse_too_long(
        self, content_type: str, body: bytes, peer_oin: str | None
    ) -> tuple[int, str, bytes]:
        """A value in the message does not fit its column (PostgreSQL enforces the lengths;
        SQLite does not): refused as a whole, nothing of it stored, the sender told why."""
        verdict = self.check(content_type, body, peer_oin)
        detail = (
            "Een waarde in dit bericht is langer dan de console kan bewaren (bijvoorbeeld een "
            f"MessageId of ConversationId van meer dan {MAX_ID_CHARS} tekens). Het bericht is "
            "niet verwerkt."
        )
        log.warning("Inkomend ebMS-bericht geweigerd: %s", detail)
        if not verdict.may_reply or verdict.header is None:
            return 400, _TEXT, detail.encode()
        errors = [*verdict.errors, EbmsError(EbmsErrorCode.NOT_SUPPORTED, description=detail)]
        ct, out = package(message_error_for(verdict.header, errors))
        return 200, ct, out

    def _handle(
        self, content_type: str, body: bytes, peer_oin: str | None
    ) -> tuple[int, str, bytes]:
        verdict = self.check(content_type, body, peer_oin)
        if not verdict.valid:
            return self._refuse(verdict, content_type, body)
        msg = verdict.message
        assert msg is not None and verdict.cpa is not None
        conn_id = self.cpas.connection_id(msg.header.cpa_id, msg.header.from_party.party_id)
        sync = verdict.sync_reply
        self.received += 1

        if msg.is_ping:
            return self._answer(pong_for(msg), conn_id, sync, msg)
        if msg.is_status_request:
            return self._answer(self._status_response(msg), conn_id, sync, msg)

        now = datetime.now(UTC)
        keep = self._keep(verdict)
        duplicate = verdict.duplicate
        if not duplicate:
            with self._db.session() as s:
                s.add(
                    m.InboundMessageId(
                        message_id=msg.header.message_id, received_at=now, keep_until=now + keep
                    )
                )
                self._signals.apply(s, msg, body, content_type, conn_id)
                if msg.ack_requested and not sync:
                    self._queue(s, acknowledgment_for(msg), conn_id, msg.header.message_id, now)
                try:
                    s.commit()
                except IntegrityError:  # the same MessageId arrived twice at the same moment
                    s.rollback()
                    duplicate = True
        if duplicate:
            log.info(
                "Dubbel bericht %s: opnieuw bevestigd, niet opnieuw verwerkt", msg.header.message_id
            )
            if msg.ack_requested and not sync:
                with self._db.session() as s:
                    self._queue(s, acknowledgment_for(msg), conn_id, msg.header.message_id, now)
                    s.commit()
        if msg.ack_requested and sync:
            ack = acknowledgment_for(msg)
            ct, out = package(ack)
            with self._db.session() as s:  # kept as evidence, delivered in the HTTP response
                self._record(s, ack, conn_id, msg.header.message_id, ct, out, now, sent=True)
                s.commit()
            return 200, ct, out
        return 200, "text/plain", b""

    def _refuse(
        self, verdict: InboundVerdict, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        detail = "; ".join(
            f"{e.code}" + (f" bij {e.location}" if e.location else "") + f": {e.description}"
            for e in verdict.errors
        )
        log.warning("Inkomend ebMS-bericht geweigerd: %s", detail)
        if not verdict.may_reply or verdict.header is None:
            security = any(e.code == EbmsErrorCode.SECURITY_FAILURE for e in verdict.errors)
            return (403 if security else 400), _TEXT, detail.encode()
        error = message_error_for(verdict.header, list(verdict.errors))
        ct, out = package(error)
        now = datetime.now(UTC)
        with self._db.session() as s:
            conn_id = (
                self.cpas.connection_id(verdict.header.cpa_id, verdict.header.from_party.party_id)
                if verdict.cpa is not None
                else None
            )
            self._record(s, error, conn_id, verdict.header.message_id, ct, out, now, sent=True)
            s.commit()
        return 200, ct, out

    def _keep(self, verdict: InboundVerdict) -> timedelta:
        """How long this MessageId is remembered: at least (1+Retries) x RetryInterval."""
        rm = verdict.channel.sender_reliable if verdict.channel is not None else None
        keep = MIN_KEEP
        if rm is not None and rm.retries is not None and rm.retry_interval is not None:
            keep = max(keep, (1 + rm.retries) * rm.retry_interval)
        if rm is not None and rm.persist_duration is not None:
            keep = max(keep, rm.persist_duration)
        return keep

    def _status_response(self, msg: EbmsMessage) -> EbmsMessage:
        ref = msg.status_request_ref or ""
        with self._db.session() as s:
            row = s.scalar(
                select(m.EbmsMessage).where(
                    m.EbmsMessage.message_id == ref, m.EbmsMessage.direction == m.EbmsDirection.IN
                )
            )
            if row is None:
                return status_response_for(msg, STATUS_NOT_RECOGNIZED)
            status = STATUS_PROCESSED if row.batch_id or row.error_detail else STATUS_RECEIVED
            return status_response_for(msg, status, row.created_at)

    def _answer(
        self, reply: EbmsMessage, conn_id: int | None, sync: bool, about: EbmsMessage
    ) -> tuple[int, str, bytes]:
        """A Pong or StatusResponse: in the HTTP response, or queued for the sender."""
        ct, out = package(reply)
        now = datetime.now(UTC)
        with self._db.session() as s:
            self._signals.store_inbound(s, about, about.raw_envelope, "text/xml", conn_id)
            self._record(s, reply, conn_id, about.header.message_id, ct, out, now, sent=sync)
            try:
                s.commit()
            except IntegrityError:  # the same Ping again: answer, do not store twice
                s.rollback()
                with self._db.session() as s2:
                    self._record(
                        s2, reply, conn_id, about.header.message_id, ct, out, now, sent=sync
                    )
                    s2.commit()
        if sync:
            return 200, ct, out
        return 200, "text/plain", b""

    def _queue(
        self,
        s: Session,
        reply: EbmsMessage,
        conn_id: int | None,
        ref: str,
        now: datetime,
    ) -> None:
        ct, out = package(reply)
        self._record(s, reply, conn_id, ref, ct, out, now, sent=False)

    @staticmethod
    def _record(
        s: Session,
        reply: EbmsMessage,
        conn_id: int | None,
        ref: str,
        ct: str,
        out: bytes,
        now: datetime,
        *,
        sent: bool,
    ) -> None:
        """Store a signal we send: delivered at once (in the HTTP response) or pending."""
        kind = {
            "Acknowledgment": m.EbmsKind.ACK,
            "MessageError": m.EbmsKind.ERROR,
            "Pong": m.EbmsKind.PONG,
            "StatusResponse": m.EbmsKind.STATUS_RESPONSE,
        }.get(reply.header.action, m.EbmsKind.ACK)
        first = reply.errors[0] if reply.errors else None
        s.add(
            m.EbmsMessage(
                message_id=reply.header.message_id,
                conversation_id=reply.header.conversation_id,
                cpa_id=reply.header.cpa_id,
                connection_id=conn_id,
                direction=m.EbmsDirection.OUT,
                kind=kind,
                service=reply.header.service,
                action=reply.header.action,
                ref_to_message_id=ref,
                status=m.EbmsStatus.DELIVERED if sent else m.EbmsStatus.PENDING,
                content_type=ct,
                raw=out,
                next_attempt_at=None if sent else now,
                created_at=now,
                updated_at=now,
                error_code=first.code if first else None,
                error_detail=first.description if first else None,
            )
        )


def handler_for(inbox: Inbox) -> type[http.server.BaseHTTPRequestHandler]:
    return post_handler(
        lambda r: inbox.handle(r.content_type, r.body, r.peer_oin),
        max_bytes=inbox.max_bytes,
        name="inbound",
        server_version="BerichtenboxConsole/1.0",
    )
