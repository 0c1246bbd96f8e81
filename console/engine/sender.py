"""The sender: delivers due ebMS messages with reliable messaging and records every attempt.

Reliable messaging (Digikoppeling osb-rm): a user message is sent, then resent with the
same MessageId every RetryInterval until it is acknowledged, until Retries resends were
made, or until PersistDuration (the message's TimeToLive) has passed; then it expires.
Retries, RetryInterval and PersistDuration come from the connection's CPA. HTTP 503 and
transport errors are recoverable; see :func:`classify_reply` for the other codes.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload

from console.db import models as m
from console.db.database import Database
from console.digikoppeling.ebms.mime import SOAP_ACTION, EbmsReceiveError, parse_http
from console.digikoppeling.ebms.model import NS_SOAP, EbmsMessage
from console.domain.lifecycle import LetterEvent
from console.engine.letters import apply_batch_event, rows_affected
from console.engine.signals import SignalProcessor
from console.engine.transport import TransportFactory, TransportUnavailable
from console.xml.parser import XmlInputError, parse_xml

log = logging.getLogger(__name__)

SIGNAL_RETRIES = 5
SIGNAL_RETRY_SECONDS = 10
LEASE = timedelta(minutes=5)  # a message in flight longer than this is taken back after a crash
# Due messages looked at per claim. More than one: with parallel sends, two workers read the
# same first candidate; the one whose claim loses must find the next, not give up.
CLAIM_CANDIDATES = 16
ATTEMPT_IN_FLIGHT = "sending"  # a DeliveryAttempt whose request has not returned yet
INTERRUPTED = (
    "De engine stopte tijdens deze poging (afgesloten of vastgelopen); het bericht is na de "
    "herstart opnieuw verstuurd met dezelfde MessageId."
)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    message_id: str
    connection_id: int
    kind: m.EbmsKind
    batch_id: str | None
    attempts: int
    url: str
    content_type: str
    retries: int
    retry_interval: timedelta
    expires_at: datetime | None
    attempt_id: int | None = None  # the DeliveryAttempt recorded before the request


def _dutch_error(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"Kan geen verbinding maken met de ontvanger ({exc})."
    if isinstance(exc, httpx.TimeoutException):
        return "De ontvanger antwoordde niet op tijd."
    if isinstance(exc, TransportUnavailable):
        return str(exc)
    return f"Verzending mislukt: {type(exc).__name__}: {exc}"


def _soap_fault_code(reply: httpx.Response) -> str | None:
    """The local part of a SOAP 1.1 ``faultcode`` in an error response, if there is one."""
    if "xml" not in reply.headers.get("content-type", "").lower() or not reply.content:
        return None
    try:
        root = parse_xml(reply.content, max_bytes=1_000_000)
    except XmlInputError:
        return None
    code = root.findtext(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault/faultcode")
    return code.strip().rsplit(":", 1)[-1] if code else None


def classify_reply(
    status: int | None, reply: httpx.Response | None, error: str | None
) -> tuple[str, str | None, EbmsMessage | None]:
    """``(outcome, Dutch error, MessageError in the body)`` for one delivery attempt.

    Digikoppeling ebMS2 (HTTP binding): 2xx is accepted; a transport error and HTTP 503 are
    recoverable (reliable-messaging retries go on); other 5xx follow SOAP 1.1: a Fault with
    faultcode Client means the message itself is wrong (no retry), anything else is a
    server-side problem that may pass (retry); 3xx and 4xx are errors (no retry). A
    MessageError in an error response is the receiver's refusal and ends the message.
    """
    if status is None:
        return "retry", error or "Geen antwoord van de ontvanger; nieuwe poging volgt.", None
    if 200 <= status < 300:
        return "accepted", None, None
    signal: EbmsMessage | None = None
    if reply is not None and reply.content and status >= 400:
        try:
            parsed = parse_http(
                reply.headers.get("content-type", ""), reply.content, max_bytes=10_000_000
            )
        except EbmsReceiveError:
            parsed = None
        if parsed is not None and parsed.is_message_error:
            signal = parsed
    if signal is not None:
        first = signal.errors[0] if signal.errors else None
        code = first.code if first else "Unknown"
        return "refused", f"De ontvanger weigerde het bericht (HTTP {status}, {code}).", signal
    if status == 503:
        return (
            "retry",
            "De ontvanger is tijdelijk niet beschikbaar (HTTP 503); nieuwe poging volgt.",
            None,
        )
    if status >= 500:
        fault = _soap_fault_code(reply) if reply is not None else None
        if fault == "Client":
            return (
                "refused",
                f"De ontvanger weigerde het bericht (HTTP {status}, SOAP Fault Client).",
                None,
            )
        return "retry", f"De ontvanger gaf HTTP {status}; nieuwe poging volgt.", None
    return "refused", f"De ontvanger weigerde het bericht (HTTP {status}).", None


BODY_CHUNK = 1 << 20


@contextmanager
def outbound_body(db: Database, ebms_pk: int) -> Iterator[tuple[int, Iterable[bytes]]]:
    """``(size, chunks)`` of a stored message body, read while it is being sent.

    On SQLite the body is streamed from the row in chunks of 1 MiB (incremental blob I/O),
    so a 100 MB batch is never in memory as a whole and sending starts at once. Elsewhere
    it is read in one piece.
    """
    with db.engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        if isinstance(dbapi, sqlite3.Connection):
            with dbapi.blobopen("ebms_message_bodies", "raw", ebms_pk, readonly=True) as blob:
                size = len(blob)

                def chunks() -> Iterator[bytes]:
                    blob.seek(0)
                    while data := blob.read(BODY_CHUNK):
                        yield data

                yield size, chunks()
        else:
            raw = conn.execute(
                select(m.EbmsMessageBody.raw).where(m.EbmsMessageBody.ebms_message_id == ebms_pk)
            ).scalar_one()
            yield len(raw), [raw]


class Sender:
    def __init__(
        self,
        db: Database,
        transport: TransportFactory,
        signals: SignalProcessor,
        *,
        endpoint_overrides: dict[int, str] | None = None,
    ) -> None:
        self._db = db
        self._transport = transport
        self._signals = signals
        self.endpoint_overrides = endpoint_overrides if endpoint_overrides is not None else {}

    def recover(self, now: datetime) -> int:
        """After a crash: messages left 'sending' are sent again (same MessageId)."""
        with self._db.session() as s:
            s.execute(
                update(m.DeliveryAttempt)
                .where(m.DeliveryAttempt.outcome == ATTEMPT_IN_FLIGHT)
                .values(outcome="interrupted", error=INTERRUPTED)
            )
            n = rows_affected(
                s.execute(
                    update(m.EbmsMessage)
                    .where(
                        m.EbmsMessage.direction == m.EbmsDirection.OUT,
                        m.EbmsMessage.status == m.EbmsStatus.SENDING,
                    )
                    .values(status=m.EbmsStatus.PENDING, next_attempt_at=now)
                )
            )
            s.commit()
        if n:
            log.warning("%d berichten in verzending na herstart: worden opnieuw verstuurd", n)
        return n or 0

    def deliver_due(self, now: datetime, *, limit: int = 20) -> int:
        """Send up to *limit* due messages, one at a time: claimed, sent, recorded.

        One at a time, so that a message body (up to 100 MB) is in memory only while it is
        sent, and the first message goes out without waiting for the others to be claimed.
        """
        done = 0
        while done < limit:
            claimed = self._claim(now)
            if not claimed:
                break
            self._deliver(claimed[0])
            done += 1
        return done

    def _claim(self, now: datetime) -> list[Claimed]:
        """Claim the first due message another worker has not claimed (exhausted ones expire)."""
        out: list[Claimed] = []
        with self._db.session() as s:
            candidates = list(
                s.scalars(
                    select(m.EbmsMessage)
                    .where(
                        m.EbmsMessage.direction == m.EbmsDirection.OUT,
                        m.EbmsMessage.status.in_([m.EbmsStatus.PENDING, m.EbmsStatus.SENT]),
                        m.EbmsMessage.next_attempt_at <= now,
                    )
                    .order_by(m.EbmsMessage.next_attempt_at)
                    .limit(CLAIM_CANDIDATES)
                    # The body (up to 100 MB) is loaded only for a message this engine claims.
                    .options(lazyload(m.EbmsMessage.body))
                )
            )
            for msg in candidates:
                conn = s.get(m.Connection, msg.connection_id) if msg.connection_id else None
                if conn is None:
                    continue
                is_user = msg.kind is m.EbmsKind.USER
                retries = conn.retries if is_user else SIGNAL_RETRIES
                interval = timedelta(
                    seconds=conn.retry_interval_seconds if is_user else SIGNAL_RETRY_SECONDS
                )
                if self._exhausted(msg, retries, now):
                    self._expire(s, msg, now)
                    continue
                # Atomic claim: only the engine whose UPDATE matches sends it.
                got = rows_affected(
                    s.execute(
                        update(m.EbmsMessage)
                        .where(m.EbmsMessage.id == msg.id, m.EbmsMessage.status == msg.status)
                        .values(
                            status=m.EbmsStatus.SENDING,
                            next_attempt_at=now + LEASE,
                            updated_at=now,
                            attempts=msg.attempts + 1,
                        )
                        .execution_options(synchronize_session=False)
                    )
                )
                if not got:
                    continue
                url = (
                    self.endpoint_overrides.get(conn.id)
                    or conn.endpoint_override
                    or conn.endpoint_url
                )
                # The attempt is on record before the request; its outcome follows after.
                attempt = m.DeliveryAttempt(
                    ebms_message_id=msg.id,
                    started_at=now,
                    url=url,
                    duration_ms=0,
                    outcome=ATTEMPT_IN_FLIGHT,
                )
                s.add(attempt)
                s.flush()
                out.append(
                    Claimed(
                        msg.id,
                        msg.message_id,
                        conn.id,
                        msg.kind,
                        msg.batch_id,
                        msg.attempts + 1,
                        url,
                        msg.content_type,
                        retries,
                        interval,
                        msg.expires_at,
                        attempt.id,
                    )
                )
                if msg.batch_id and msg.attempts == 0:
                    batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == msg.batch_id))
                    if batch is not None:
                        batch.status = m.BatchStatus.SENDING
                break
            s.commit()
        return out

    @staticmethod
    def _exhausted(msg: m.EbmsMessage, retries: int, now: datetime) -> bool:
        if msg.expires_at is not None and now >= msg.expires_at:
            return True
        return msg.attempts >= 1 + retries

    def _expire(self, s: Session, msg: m.EbmsMessage, now: datetime) -> None:
        msg.status = m.EbmsStatus.EXPIRED
        msg.updated_at = now
        msg.error_detail = (
            f"Geen ontvangstbevestiging na {msg.attempts} pogingen; het bericht is verlopen."
        )
        if msg.batch_id:
            batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == msg.batch_id))
            if batch is not None:
                batch.status = m.BatchStatus.EXPIRED
            apply_batch_event(
                s,
                msg.batch_id,
                LetterEvent.EXPIRED,
                now,
                detail=msg.error_detail + " U kunt het bericht opnieuw versturen.",
            )

    def _deliver(self, c: Claimed) -> None:
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        status: int | None = None
        error: str | None = None
        reply: httpx.Response | None = None
        try:
            client = self._transport.client_for(c.connection_id)
            with outbound_body(self._db, c.id) as (size, chunks):
                reply = client.post(
                    c.url,
                    content=chunks,
                    headers={
                        "Content-Type": c.content_type,
                        "Content-Length": str(size),
                        "SOAPAction": SOAP_ACTION,
                    },
                )
            status = reply.status_code
        except (httpx.HTTPError, TransportUnavailable, OSError) as exc:
            error = _dutch_error(exc)
        duration_ms = int((time.perf_counter() - t0) * 1000)
        now = datetime.now(UTC)
        outcome, error, signal = classify_reply(status, reply, error)

        # immediate: the write lock from the first read, so that an acknowledgment recorded by
        # the inbound endpoint in the meantime is seen here and never overwritten. PostgreSQL
        # has no such lock: there the row is locked (FOR UPDATE; SQLite ignores it).
        with self._db.session(immediate=True) as s:
            msg = s.get(
                m.EbmsMessage, c.id, options=[lazyload(m.EbmsMessage.body)], with_for_update=True
            )
            assert msg is not None
            attempt = s.get(m.DeliveryAttempt, c.attempt_id) if c.attempt_id else None
            if attempt is None:
                attempt = m.DeliveryAttempt(ebms_message_id=c.id, url=c.url)
                s.add(attempt)
            attempt.started_at = started
            attempt.http_status = status
            attempt.error = error
            attempt.duration_ms = duration_ms
            attempt.outcome = outcome
            settled = msg.status is not m.EbmsStatus.SENDING
            if settled:
                # The asynchronous Acknowledgment (or a MessageError) overtook the HTTP
                # response: the message is already settled; only the attempt is recorded.
                log.debug("Bericht %s al %s voor het HTTP-antwoord", c.message_id, msg.status)
            elif outcome == "accepted":
                msg.error_detail = None
                if c.kind is m.EbmsKind.USER:
                    msg.status = m.EbmsStatus.SENT
                    msg.next_attempt_at = now + c.retry_interval  # resend if no ack by then
                    self._letters_event(
                        s,
                        c,
                        LetterEvent.HTTP_ACCEPTED,
                        now,
                        f"Aangeboden bij de ontvanger (HTTP {status}).",
                    )
                else:
                    msg.status = m.EbmsStatus.DELIVERED
                    msg.next_attempt_at = None
            elif outcome == "retry":
                msg.status = m.EbmsStatus.PENDING
                msg.error_detail = error
                msg.next_attempt_at = now + c.retry_interval
                at = msg.next_attempt_at.astimezone().strftime("%H:%M:%S")
                self._letters_event(
                    s, c, LetterEvent.TRANSPORT_ERROR, now, f"{error} Nieuwe poging om {at}."
                )
            else:
                msg.status = m.EbmsStatus.FAILED
                msg.error_detail = error
                msg.next_attempt_at = None
                self._letters_event(s, c, LetterEvent.MESSAGE_ERROR, now, error or "")
            if not settled:
                msg.updated_at = now
            s.commit()

        if outcome == "accepted" and reply is not None and reply.content:
            self._sync_reply(reply)
        elif signal is not None and reply is not None:
            # A MessageError in an error response: recorded like any other (the message fails).
            self._signals.process(signal, reply.content, reply.headers.get("content-type", ""))

    def _letters_event(
        self, s: Session, c: Claimed, event: LetterEvent, now: datetime, detail: str
    ) -> None:
        if c.kind is not m.EbmsKind.USER or not c.batch_id:
            return
        if event is LetterEvent.HTTP_ACCEPTED:
            batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == c.batch_id))
            if batch is not None and batch.status in (m.BatchStatus.QUEUED, m.BatchStatus.SENDING):
                batch.status = m.BatchStatus.SENT
        apply_batch_event(s, c.batch_id, event, now, detail=detail)

    def _sync_reply(self, reply: httpx.Response) -> None:
        """A synchronous signal (mshSignalsOnly): an Acknowledgment or MessageError in the body."""
        try:
            msg = parse_http(
                reply.headers.get("content-type", ""), reply.content, max_bytes=10_000_000
            )
        except EbmsReceiveError as exc:
            log.warning("Onleesbaar synchroon antwoord: %s", exc)
            return
        self._signals.process(msg, reply.content, reply.headers.get("content-type", ""))
