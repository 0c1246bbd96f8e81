"""The inbound ebMS endpoint: receives Acknowledgments, MessageErrors and results.

Every inbound message is checked before it is believed: a client certificate whose OIN is
the From PartyId, a known CPA, and duplicate elimination (a MessageId seen before is
acknowledged again, never processed again). Recording the MessageId and processing the
message happen in one transaction, so a crash in between makes Logius resend, not lose.
"""

from __future__ import annotations

import http.server
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.digikoppeling.ebms.envelope import acknowledgment_for, message_error_for, pong_for
from console.digikoppeling.ebms.mime import EbmsReceiveError, package, parse_http
from console.digikoppeling.ebms.model import (
    ACTION_ACKNOWLEDGMENT,
    ACTION_MESSAGE_ERROR,
    EbmsError,
    EbmsMessage,
)
from console.domain.oin import strip_party_prefix
from console.engine.signals import SignalProcessor

log = logging.getLogger(__name__)

MIN_KEEP = timedelta(days=1)
NO_ERROR_REPLY = frozenset({ACTION_MESSAGE_ERROR, ACTION_ACKNOWLEDGMENT})


class Inbox:
    def __init__(self, db: Database, signals: SignalProcessor, *, max_bytes: int) -> None:
        self._db = db
        self._signals = signals
        self.max_bytes = max_bytes
        self.received = 0

    def handle(
        self, content_type: str, body: bytes, peer_oin: str | None
    ) -> tuple[int, str, bytes]:
        try:
            msg = parse_http(content_type, body, max_bytes=self.max_bytes)
        except EbmsReceiveError as exc:
            log.warning("Ongeldig inkomend ebMS-bericht: %s", exc)
            if exc.header is None or exc.header.action in NO_ERROR_REPLY:
                # No readable header, or a signal: the standard forbids answering an error
                # signal with another one, so the problem is only logged.
                return 400, "text/plain; charset=utf-8", str(exc).encode()
            ct, out = package(message_error_for(exc.header, list(exc.errors)))
            return 200, ct, out

        with self._db.session() as s:
            conn = self._connection_for(s, msg)
            problem = self._problem(msg, conn, peer_oin)
            if problem is not None and msg.header.action in NO_ERROR_REPLY:
                log.warning("Signaal %s geweigerd: %s", msg.header.message_id, problem.description)
                return 403, "text/plain; charset=utf-8", (problem.description or "").encode()
            if problem is not None:
                ct, out = package(message_error_for(msg, [problem]))
                return 200, ct, out
            assert conn is not None
            conn_id, sync_default, endpoint = conn.id, conn.sync_reply, conn.endpoint_url
            keep = max(
                MIN_KEEP, timedelta(seconds=(1 + conn.retries) * conn.retry_interval_seconds)
            )

        if msg.is_ping:
            ct, out = package(pong_for(msg))
            return 200, ct, out

        duplicate = False
        now = datetime.now(UTC)
        with self._db.session() as s:
            seen = s.get(m.InboundMessageId, msg.header.message_id)
            if seen is not None:
                duplicate = True
            else:
                s.add(
                    m.InboundMessageId(
                        message_id=msg.header.message_id, received_at=now, keep_until=now + keep
                    )
                )
                self._signals.apply(s, msg, body, content_type, conn_id)
                ack = None
                if msg.ack_requested and not (msg.sync_reply or sync_default):
                    ack = acknowledgment_for(msg)
                    ct, out = package(ack)
                    s.add(
                        m.EbmsMessage(
                            message_id=ack.header.message_id,
                            conversation_id=ack.header.conversation_id,
                            cpa_id=ack.header.cpa_id,
                            connection_id=conn_id,
                            direction=m.EbmsDirection.OUT,
                            kind=m.EbmsKind.ACK,
                            service=ack.header.service,
                            action=ack.header.action,
                            ref_to_message_id=msg.header.message_id,
                            status=m.EbmsStatus.PENDING,
                            content_type=ct,
                            raw=out,
                            next_attempt_at=now,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                try:
                    s.commit()
                except IntegrityError:
                    s.rollback()
                    duplicate = True
        self.received += 1
        if duplicate:
            log.info(
                "Dubbel bericht %s: opnieuw bevestigd, niet opnieuw verwerkt", msg.header.message_id
            )
            if msg.ack_requested:
                ct, out = package(acknowledgment_for(msg))
                if msg.sync_reply or sync_default:
                    return 200, ct, out
                self._queue_ack_again(msg, conn_id, ct, out, endpoint)
            return 200, "text/plain", b""
        if msg.ack_requested and (msg.sync_reply or sync_default):
            ct, out = package(acknowledgment_for(msg))
            return 200, ct, out
        return 200, "text/plain", b""

    def _queue_ack_again(
        self, msg: EbmsMessage, conn_id: int, ct: str, out: bytes, endpoint: str
    ) -> None:
        ack = parse_http(ct, out, max_bytes=self.max_bytes)
        now = datetime.now(UTC)
        with self._db.session() as s:
            s.add(
                m.EbmsMessage(
                    message_id=ack.header.message_id,
                    conversation_id=ack.header.conversation_id,
                    cpa_id=ack.header.cpa_id,
                    connection_id=conn_id,
                    direction=m.EbmsDirection.OUT,
                    kind=m.EbmsKind.ACK,
                    service=ack.header.service,
                    action=ack.header.action,
                    ref_to_message_id=msg.header.message_id,
                    status=m.EbmsStatus.PENDING,
                    content_type=ct,
                    raw=out,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            s.commit()

    @staticmethod
    def _connection_for(s: Session, msg: EbmsMessage) -> m.Connection | None:
        sender = strip_party_prefix(msg.header.from_party.party_id)
        for conn in s.scalars(select(m.Connection).where(m.Connection.cpa_id == msg.header.cpa_id)):
            if strip_party_prefix(conn.to_party_id) == sender:
                return conn
        return None

    @staticmethod
    def _problem(
        msg: EbmsMessage, conn: m.Connection | None, peer_oin: str | None
    ) -> EbmsError | None:
        sender = strip_party_prefix(msg.header.from_party.party_id)
        if conn is None:
            return EbmsError(
                "ValueNotRecognized",
                location="eb:MessageHeader/eb:CPAId",
                description=f"Geen CPA {msg.header.cpa_id} met partij {sender} bekend.",
            )
        if peer_oin is None or strip_party_prefix(peer_oin) != sender:
            return EbmsError(
                "SecurityFailure",
                location="eb:MessageHeader/eb:From/eb:PartyId",
                description=f"Het OIN in het certificaat ({peer_oin}) is niet het From-PartyId ({sender}).",
            )
        return None


def handler_for(inbox: Inbox) -> type[http.server.BaseHTTPRequestHandler]:
    from console.digikoppeling import tls

    class InboundRequestHandler(http.server.BaseHTTPRequestHandler):
        # Without this every response waits for the peer's delayed ACK (Nagle): ~40 ms a request.
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"
        server_version = "BerichtenboxConsole/1.0"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > inbox.max_bytes:
                self._send(413, "text/plain", b"Bericht te groot")
                return
            body = self.rfile.read(length)
            peer = tls.peer_oin(self.connection.getpeercert() or {})
            try:
                status, ct, out = inbox.handle(self.headers.get("Content-Type", ""), body, peer)
            except Exception:
                log.exception("Inbound: onverwachte fout")
                status, ct, out = 500, "text/plain", b"Interne fout"
            self._send(status, ct, out)

        def _send(self, status: int, ct: str, out: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ct)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("inbound: " + format, *args)

    return InboundRequestHandler
