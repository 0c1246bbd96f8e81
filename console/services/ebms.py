"""ebMS use cases for support staff: ping a connection, ask a message's status, inspect a
raw message the way the inbound endpoint would.

- :meth:`EbmsService.ping` sends an ebMS Ping over the connection's two-way TLS and waits
  for the Pong (in the HTTP response when the CPA says syncReplyMode, else as a separate
  message to the inbound endpoint).
- :meth:`EbmsService.status_request` asks the other MSH about a MessageId. Logius does not
  answer a StatusRequest on the letter flow; the result says so when no answer comes.
- :meth:`EbmsService.inspect_bytes` checks a raw message (a SOAP envelope, a MIME multipart,
  or a saved HTTP request) with :meth:`console.engine.inbox.Inbox.check`, i.e. exactly as
  the inbound endpoint does, and returns the ebMS errors it would answer with.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.digikoppeling.ebms.envelope import ping, status_request
from console.digikoppeling.ebms.mime import SOAP_ACTION, EbmsReceiveError, package, parse_http
from console.digikoppeling.ebms.model import EbmsMessage, Party
from console.domain.ebms_errors import explain_ebms_error
from console.engine.cpas import send_options
from console.engine.inbox import Inbox
from console.engine.runner import EngineRunner
from console.engine.signals import SignalProcessor
from console.engine.transport import TransportUnavailable
from console.services.errors import NotFound, ServiceError

MAX_INSPECT_BYTES = 150 * 1000 * 1000
STATUS_NOT_ANSWERED = (
    "Logius beantwoordt een ebMS StatusRequest op de berichtenstroom niet; dat is normaal. "
    "Of een bericht is aangekomen ziet u aan de ontvangstbevestiging (Acknowledgment) en aan "
    "het resultaat (GLOBE-R-BV-Result) bij het bericht."
)


class EbmsRefused(ServiceError):
    """The ebMS action cannot be done; the message says why, in Dutch."""


@dataclass(frozen=True, slots=True)
class PingResult:
    ok: bool
    connection: str
    url: str
    message_id: str
    http_status: int | None
    duration_ms: int
    pong_message_id: str | None
    synchronous: bool
    detail: str  # Dutch


@dataclass(frozen=True, slots=True)
class StatusResult:
    answered: bool
    connection: str
    ref_to_message_id: str
    message_id: str
    message_status: str | None  # Received, Processed, NotRecognized, ...
    detail: str  # Dutch


@dataclass(frozen=True, slots=True)
class InspectError:
    code: str
    severity: str
    location: str | None
    description: str
    explanation: str  # plain Dutch, beside the original code
    next_step: str


@dataclass(frozen=True, slots=True)
class InspectReport:
    valid: bool
    errors: tuple[InspectError, ...]
    notes: tuple[str, ...]
    content_type: str
    message_id: str | None = None
    cpa_id: str | None = None
    from_party: str | None = None
    to_party: str | None = None
    service: str | None = None
    action: str | None = None
    duplicate: bool = False

    def as_json(self) -> dict[str, object]:
        """The machine form: ``{"valid": bool, "errors": [{"code", "location", "description"}]}``."""
        return {
            "valid": self.valid,
            "errors": [
                {"code": e.code, "location": e.location, "description": e.description}
                for e in self.errors
            ],
        }


_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[^\r\n]*$")
_REQUEST_LINE = re.compile(rb"^(POST|PUT) \S+ HTTP/1\.[01]\r?\n", re.IGNORECASE)


def split_raw_message(data: bytes) -> tuple[str, bytes]:
    """``(Content-Type, body)`` of a raw message as support staff get it.

    Accepted: a bare SOAP envelope (XML), a MIME multipart body starting with its boundary
    line, or either one preceded by HTTP or MIME header lines (a saved HTTP request).
    """
    text = data.lstrip(b"\xef\xbb\xbf")
    request = _REQUEST_LINE.match(text)
    if request is not None:
        text = text[request.end() :]
    first = text.split(b"\n", 1)[0].rstrip(b"\r")
    if _HEADER_LINE.match(first) and not first.lstrip().startswith(b"<"):
        head, sep, body = text.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = text.partition(b"\n\n")
        content_type = ""
        lines = head.replace(b"\r\n", b"\n").split(b"\n")
        unfolded: list[bytes] = []
        for line in lines:
            if line[:1] in (b" ", b"\t") and unfolded:
                unfolded[-1] += b" " + line.strip()
            else:
                unfolded.append(line)
        for line in unfolded:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-type":
                content_type = value.strip().decode("latin-1")
        return content_type, body
    stripped = text.lstrip()
    if stripped.startswith(b"--"):
        boundary = stripped.split(b"\n", 1)[0].rstrip(b"\r")[2:].decode("latin-1").strip()
        return f'multipart/related; type="text/xml"; boundary="{boundary}"', stripped
    return "text/xml; charset=UTF-8", text


class EbmsService:
    def __init__(
        self,
        db: Database,
        runner: EngineRunner | None,
        *,
        max_inbound_bytes: int = MAX_INSPECT_BYTES,
    ) -> None:
        self._db = db
        self._runner = runner
        self._inbox = runner.inbox if runner is not None else None
        self._max_inbound_bytes = max_inbound_bytes

    # -- inspect --
    def inspect_file(self, path: Path, *, client_oin: str | None = None) -> InspectReport:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EbmsRefused(
                f"Het bestand {path} kan niet worden gelezen: {exc.strerror}."
            ) from exc
        return self.inspect_bytes(data, client_oin=client_oin)

    def inspect_bytes(self, data: bytes, *, client_oin: str | None = None) -> InspectReport:
        content_type, body = split_raw_message(data)
        return self.inspect(content_type, body, client_oin=client_oin)

    def inspect(
        self, content_type: str, body: bytes, *, client_oin: str | None = None
    ) -> InspectReport:
        """Check a raw message as the inbound endpoint would; nothing is stored or sent.

        Without *client_oin* the client certificate check is skipped (there is no TLS
        connection) and a note says so; with it, the check runs as for a real connection.
        """
        inbox = self._inbox or Inbox(
            self._db, SignalProcessor(self._db), max_bytes=self._max_inbound_bytes
        )
        verdict = inbox.check(
            content_type, body, client_oin, check_client_certificate=client_oin is not None
        )
        errors = []
        for e in verdict.errors:
            expl = explain_ebms_error(e.code)
            errors.append(
                InspectError(
                    code=e.code,
                    severity=e.severity,
                    location=e.location,
                    description=e.description or "",
                    explanation=expl.explanation,
                    next_step=expl.next_step,
                )
            )
        notes = list(verdict.notes)
        if verdict.duplicate:
            notes.append(
                "Deze MessageId is al eerder ontvangen: de inbound endpoint zou het bericht "
                "opnieuw bevestigen maar niet opnieuw verwerken."
            )
        if verdict.valid and not verdict.duplicate:
            notes.append("De inbound endpoint zou dit bericht aannemen.")
        h = verdict.header
        return InspectReport(
            valid=verdict.valid,
            errors=tuple(errors),
            notes=tuple(notes),
            content_type=content_type,
            message_id=h.message_id if h else None,
            cpa_id=h.cpa_id if h else None,
            from_party=h.from_party.party_id if h else None,
            to_party=h.to_party.party_id if h else None,
            service=h.service if h else None,
            action=h.action if h else None,
            duplicate=verdict.duplicate,
        )

    # -- ping and status --
    def ping(self, connection: str | int, *, timeout: float = 30.0) -> PingResult:
        """Ping the other MSH of *connection* (name or id) and wait for the Pong."""
        conn_id, name, msg, url = self._prepare(connection, "Ping")
        content_type, body = package(msg)
        status, reply, duration, error = self._post(
            conn_id, url, msg, content_type, body, m.EbmsKind.PING
        )
        if error is not None:
            return PingResult(
                False, name, url, msg.header.message_id, None, duration, None, False, error
            )
        if status is None or not 200 <= status < 300:
            return PingResult(
                False,
                name,
                url,
                msg.header.message_id,
                status,
                duration,
                None,
                False,
                f"De ontvanger antwoordde met HTTP {status} in plaats van een Pong.",
            )
        answer = self._sync_answer(reply, conn_id)
        if answer is not None and answer.is_pong:
            return PingResult(
                True,
                name,
                url,
                msg.header.message_id,
                status,
                duration,
                answer.header.message_id,
                True,
                f"Pong ontvangen in {duration} ms (synchroon).",
            )
        if answer is not None and answer.is_message_error:
            first = answer.errors[0] if answer.errors else None
            return PingResult(
                False,
                name,
                url,
                msg.header.message_id,
                status,
                duration,
                None,
                True,
                "De ontvanger antwoordde met een MessageError"
                + (f" ({first.code}: {first.description})" if first else "")
                + ".",
            )
        pong = self._wait_for(msg.header.message_id, m.EbmsKind.PONG, timeout)
        if pong is None:
            return PingResult(
                False,
                name,
                url,
                msg.header.message_id,
                status,
                duration,
                None,
                False,
                f"De Ping is aangenomen (HTTP {status}), maar binnen {timeout:.0f} seconden kwam "
                "geen Pong op de inbound endpoint. Controleer of de inbound endpoint bereikbaar "
                "is voor de andere partij.",
            )
        return PingResult(
            True,
            name,
            url,
            msg.header.message_id,
            status,
            duration,
            pong,
            False,
            "Pong ontvangen op de inbound endpoint (asynchroon).",
        )

    def status_request(
        self, connection: str | int, message_id: str, *, timeout: float = 10.0
    ) -> StatusResult:
        """Ask the other MSH what it knows of *message_id*. Logius does not answer this on
        the letter flow; then the result says so (that is not an error)."""
        conn_id, name, msg, url = self._prepare(connection, "StatusRequest", ref=message_id)
        content_type, body = package(msg)
        status, reply, _duration, error = self._post(
            conn_id, url, msg, content_type, body, m.EbmsKind.STATUS_REQUEST
        )
        if error is not None:
            return StatusResult(False, name, message_id, msg.header.message_id, None, error)
        answer = self._sync_answer(reply, conn_id) if status == 200 else None
        if answer is None or not answer.is_status_response:
            ref = self._wait_for(msg.header.message_id, m.EbmsKind.STATUS_RESPONSE, timeout)
            if ref is not None:
                with self._db.session() as s:
                    row = s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.message_id == ref))
                    raw, ct = (row.raw, row.content_type) if row is not None else (b"", "")
                try:
                    answer = parse_http(ct, raw, max_bytes=self._max_inbound_bytes)
                except EbmsReceiveError:
                    answer = None
        if answer is None or answer.status_response is None:
            return StatusResult(
                False,
                name,
                message_id,
                msg.header.message_id,
                None,
                f"Geen StatusResponse ontvangen. {STATUS_NOT_ANSWERED}",
            )
        sr = answer.status_response
        return StatusResult(
            True,
            name,
            message_id,
            msg.header.message_id,
            sr.message_status,
            f"De ontvanger meldt {sr.message_status}"
            + (f" (sinds {sr.timestamp:%Y-%m-%d %H:%M:%S} UTC)" if sr.timestamp else "")
            + ".",
        )

    # -- internals --
    def _prepare(
        self, connection: str | int, what: str, *, ref: str | None = None
    ) -> tuple[int, str, EbmsMessage, str]:
        if self._runner is None:
            raise EbmsRefused(f"De engine draait niet; een {what} kan nu niet worden verstuurd.")
        with self._db.session() as s:
            conn = _find_connection(s, connection)
            refusal = send_options(s, conn).refusal
            if refusal is not None:
                raise EbmsRefused(refusal)
            me = Party(conn.from_party_id, None)
            them = Party(conn.to_party_id, None)
            msg = (
                status_request(conn.cpa_id, me, them, ref, sync_reply=conn.sync_reply)
                if ref is not None
                else ping(conn.cpa_id, me, them, sync_reply=conn.sync_reply)
            )
            url = (
                self._runner.sender.endpoint_overrides.get(conn.id)
                or conn.endpoint_override
                or conn.endpoint_url
            )
            return conn.id, conn.name, msg, url

    def _post(
        self,
        conn_id: int,
        url: str,
        msg: EbmsMessage,
        content_type: str,
        body: bytes,
        kind: m.EbmsKind,
    ) -> tuple[int | None, httpx.Response | None, int, str | None]:
        assert self._runner is not None
        now = datetime.now(UTC)
        with self._db.session() as s:
            row = m.EbmsMessage(
                message_id=msg.header.message_id,
                conversation_id=msg.header.conversation_id,
                cpa_id=msg.header.cpa_id,
                connection_id=conn_id,
                direction=m.EbmsDirection.OUT,
                kind=kind,
                service=msg.header.service,
                action=msg.header.action,
                ref_to_message_id=msg.status_request_ref,
                status=m.EbmsStatus.SENDING,
                content_type=content_type,
                raw=body,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.commit()
            row_id = row.id
        t0 = time.perf_counter()
        status: int | None = None
        reply: httpx.Response | None = None
        error: str | None = None
        try:
            client = self._runner.transport.client_for(conn_id)
            reply = client.post(
                url,
                content=body,
                headers={"Content-Type": content_type, "SOAPAction": SOAP_ACTION},
            )
            status = reply.status_code
        except TransportUnavailable as exc:
            error = str(exc)
        except (httpx.HTTPError, OSError) as exc:
            error = f"Kan {url} niet bereiken: {exc}"
        duration = int((time.perf_counter() - t0) * 1000)
        with self._db.session() as s:
            stored = s.get(m.EbmsMessage, row_id)
            assert stored is not None
            stored.attempts = 1
            stored.updated_at = datetime.now(UTC)
            ok = status is not None and 200 <= status < 300
            stored.status = m.EbmsStatus.DELIVERED if ok else m.EbmsStatus.FAILED
            stored.error_detail = error or (None if ok else f"HTTP {status}")
            s.add(
                m.DeliveryAttempt(
                    ebms_message_id=row_id,
                    started_at=now,
                    url=url,
                    http_status=status,
                    error=error,
                    duration_ms=duration,
                    outcome="accepted" if ok else "refused",
                )
            )
            s.commit()
        return status, reply, duration, error

    def _sync_answer(self, reply: httpx.Response | None, conn_id: int) -> EbmsMessage | None:
        if reply is None or not reply.content:
            return None
        ct = reply.headers.get("content-type", "")
        try:
            answer = parse_http(ct, reply.content, max_bytes=self._max_inbound_bytes)
        except EbmsReceiveError:
            return None
        assert self._runner is not None
        self._runner.signals.process(answer, reply.content, ct, conn_id)
        return answer

    def _wait_for(self, ref: str, kind: m.EbmsKind, timeout: float) -> str | None:
        """The MessageId of an inbound *kind* referring to *ref*, once it arrives."""
        deadline = time.monotonic() + timeout
        while True:
            with self._db.session() as s:
                found = s.scalar(
                    select(m.EbmsMessage.message_id).where(
                        m.EbmsMessage.direction == m.EbmsDirection.IN,
                        m.EbmsMessage.kind == kind,
                        m.EbmsMessage.ref_to_message_id == ref,
                    )
                )
            if found is not None or time.monotonic() >= deadline:
                return found
            time.sleep(0.1)


def _find_connection(s: Session, connection: str | int) -> m.Connection:
    conn: m.Connection | None
    if isinstance(connection, int) or (isinstance(connection, str) and connection.isdigit()):
        conn = s.get(m.Connection, int(connection))
    else:
        conn = s.scalar(select(m.Connection).where(m.Connection.name == connection))
    if conn is None:
        names = ", ".join(s.scalars(select(m.Connection.name).order_by(m.Connection.name)))
        raise NotFound(
            f"Koppeling {connection} bestaat niet. Bekende koppelingen: {names or 'geen'}."
        )
    return conn
