"""The local preprod: an HTTPS ebMS endpoint that behaves like the Logius back end (GLOBE).

It is the other side of the wire. It requires a client certificate, checks the sender's OIN
against the CPA registration, eliminates duplicates, acknowledges, keeps every payload it
received on disk, and after a configurable delay pushes a ``GLOBE-R-BV-Result`` ebMS message
to the sender's inbound endpoint, retrying until that message is acknowledged.
"""

from __future__ import annotations

import http.server
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from console.berichtenbox.result import build_result
from console.digikoppeling import tls
from console.digikoppeling.ebms.envelope import (
    acknowledgment_for,
    message_error_for,
    pong_for,
    user_message,
)
from console.digikoppeling.ebms.mime import SOAP_ACTION, EbmsReceiveError, package, parse_http
from console.digikoppeling.ebms.model import EbmsError, EbmsMessage, Party, Payload
from console.domain.ids import new_guid, new_message_id
from console.simulator.globe import process_batch, summarise
from console.simulator.state import PartyRegistration, Push, ReceivedBatch, SimulatorStateStore
from console.xml.schemas import SchemaRegistry, default_registry

log = logging.getLogger(__name__)

LOGIUS_OIN = "00000004003214345001"
BV_REQUEST = "GLOBE-R-BV-Request"
BV_RESULT = "GLOBE-R-BV-Result"
MAX_BODY = 150 * 1000 * 1000
MSH_HOST = "globe-simulator.local"


def _mid() -> str:
    return new_message_id(MSH_HOST)


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    data_dir: Path
    server_cert_pem: bytes
    server_key_pem: bytes
    client_trust_pem: bytes  # CA of the console's client certificates
    push_cert_pem: bytes  # the simulator's ("Logius") client certificate for pushes
    push_key_pem: bytes
    push_trust_pem: bytes  # CA of the console's inbound server certificate
    host: str = "127.0.0.1"
    port: int = 0
    logius_oin: str = LOGIUS_OIN
    logius_role: str = "SP"
    result_delay_seconds: float = 1.0
    push_retry_seconds: float = 2.0
    push_max_attempts: int = 20


class SimulatorServer:
    """Run with :meth:`start`, stop with :meth:`stop`; thread-based, no Qt, no engine code."""

    def __init__(self, config: SimulatorConfig, *, schemas: SchemaRegistry | None = None) -> None:
        self.config = config
        self.store = SimulatorStateStore(config.data_dir / "simulator.sqlite3")
        self.received_dir = config.data_dir / "received"
        self.received_dir.mkdir(parents=True, exist_ok=True)
        self.schemas = schemas or default_registry()
        self._server: tls.TlsServer | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pusher: threading.Thread | None = None
        self._client_ctx = tls.client_context(
            config.push_cert_pem, config.push_key_pem, config.push_trust_pem
        )

    # --- lifecycle ---
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("De simulator draait niet.")
        return self._server.url + "/ebms"

    def start(self) -> SimulatorServer:
        ctx = tls.server_context(
            self.config.server_cert_pem, self.config.server_key_pem, self.config.client_trust_pem
        )
        self._server = tls.TlsServer(
            ctx, _handler_for(self), host=self.config.host, port=self.config.port
        )
        self._server.start()
        self._stop.clear()
        self._pusher = threading.Thread(target=self._push_loop, name="simulator-push", daemon=True)
        self._pusher.start()
        log.info("Simulator luistert op %s", self.url)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._pusher is not None:
            self._pusher.join(timeout=10)
            self._pusher = None

    # --- configuration, like the Leveranciersportaal and the CPA register ---
    def register_party(self, reg: PartyRegistration) -> None:
        self.store.register_party(reg)

    def set_berichttypes(self, organisation_oin: str, codes: list[str]) -> None:
        self.store.set_berichttypes(organisation_oin, codes)

    # --- inbound ---
    def handle(
        self, content_type: str, body: bytes, peer_oin: str | None
    ) -> tuple[int, str, bytes]:
        """Process one POST; return (HTTP status, content type, body)."""
        try:
            msg = parse_http(content_type, body, max_bytes=MAX_BODY)
        except EbmsReceiveError as exc:
            if exc.header is None or exc.header.action in ("MessageError", "Acknowledgment"):
                # Never answer an error signal with another one (ebMS 2.0).
                return 400, "text/plain; charset=utf-8", str(exc).encode()
            reg = self.store.party(_bare(exc.header.from_party.party_id))
            error = message_error_for(exc.header, list(exc.errors), message_id=_mid())
            return self._reply_signal(error, reg)

        sender_oin = _bare(msg.header.from_party.party_id)
        reg = self.store.party(sender_oin)
        problem = self._security_problem(msg, reg, peer_oin)
        if problem is not None and msg.is_signal:
            return 403, "text/plain; charset=utf-8", (problem.description or "").encode()
        if problem is not None:
            return self._reply_signal(message_error_for(msg, [problem], message_id=_mid()), reg)
        assert reg is not None

        if msg.is_acknowledgment and msg.acknowledgment is not None:
            self.store.push_acknowledged(msg.acknowledgment.ref_to_message_id)
            return 200, "text/plain", b""
        if msg.is_message_error:
            log.warning("Simulator kreeg een MessageError: %s", msg.errors)
            return 200, "text/plain", b""
        if msg.is_ping:
            ct, out = package(pong_for(msg, message_id=_mid()))
            return 200, ct, out

        first_time = self.store.remember_message(msg.header.message_id)
        if first_time and msg.header.action == BV_REQUEST:
            self._accept_batch(msg, reg)
        elif first_time:
            err = EbmsError(
                "NotSupported",
                location="eb:Action",
                description=f"De simulator kent actie {msg.header.action} niet.",
            )
            return self._reply_signal(message_error_for(msg, [err], message_id=_mid()), reg)
        # A duplicate is acknowledged again, never processed again.
        if msg.ack_requested:
            return self._reply_signal(
                acknowledgment_for(msg, message_id=_mid()), reg, sync=msg.sync_reply
            )
        return 200, "text/plain", b""

    def _security_problem(
        self, msg: EbmsMessage, reg: PartyRegistration | None, peer_oin: str | None
    ) -> EbmsError | None:
        sender = _bare(msg.header.from_party.party_id)
        if reg is None:
            return EbmsError(
                "ValueNotRecognized",
                location="eb:MessageHeader/eb:From/eb:PartyId",
                description=f"Geen CPA bekend voor partij {sender}.",
            )
        if msg.header.cpa_id != reg.cpa_id:
            return EbmsError(
                "ValueNotRecognized",
                location="eb:MessageHeader/eb:CPAId",
                description=f"CPAId {msg.header.cpa_id} is onbekend; verwacht {reg.cpa_id}.",
            )
        if peer_oin != sender:
            return EbmsError(
                "SecurityFailure",
                location="eb:MessageHeader/eb:From/eb:PartyId",
                description=f"Het OIN in het certificaat ({peer_oin}) is niet het From-PartyId ({sender}).",
            )
        return None

    def _reply_signal(
        self, signal: EbmsMessage, reg: PartyRegistration | None, *, sync: bool = False
    ) -> tuple[int, str, bytes]:
        ct, out = package(signal)
        if sync or reg is None or reg.sync_reply:
            return 200, ct, out
        self.store.add_push(
            signal.header.message_id,
            signal.header.action,
            reg.push_url,
            ct,
            out,
            datetime.now(UTC),
            needs_ack=False,
        )
        self._wake.set()
        return 200, "text/plain", b""

    def _accept_batch(self, msg: EbmsMessage, reg: PartyRegistration) -> None:
        now = datetime.now(UTC)
        payload = msg.payloads[0].data if msg.payloads else b""
        day_dir = self.received_dir / now.strftime("%Y-%m-%d")
        day_dir.mkdir(parents=True, exist_ok=True)
        path = day_dir / f"{now.strftime('%H%M%S')}-{_safe(msg.header.message_id)}.xml"
        path.write_bytes(payload)
        result = process_batch(
            payload,
            from_party_oin=reg.party_oin,
            allowed_oins=reg.allowed_oins,
            store=self.store,
            schemas=self.schemas,
            now=now,
        )
        valid = not (len(result.letters) == 1 and result.letters[0].is_nil)
        self.store.record_batch(
            ReceivedBatch(
                batch_id=result.batch_id,
                message_id=msg.header.message_id,
                from_party=reg.party_oin,
                received_at=now,
                letters=result.totaal,
                valid=valid,
                path=str(path),
                result_summary=summarise(result),
            )
        )
        reply = user_message(
            cpa_id=reg.cpa_id,
            from_party=Party(self.config.logius_oin, self.config.logius_role),
            to_party=Party(reg.party_oin, reg.role),
            service=msg.header.service,
            service_type=msg.header.service_type,
            action=BV_RESULT,
            payloads=[Payload(f"{new_guid()}@simulator", "text/xml", build_result(result))],
            conversation_id=msg.header.conversation_id,
            message_id=_mid(),
        )
        ct, out = package(reply)
        due = now + timedelta(seconds=self.config.result_delay_seconds)
        self.store.add_push(
            reply.header.message_id, BV_RESULT, reg.push_url, ct, out, due, needs_ack=True
        )
        self._wake.set()

    # --- outbound pushes with retries ---
    def _push_loop(self) -> None:
        with tls.http_client(self._client_ctx, timeout=30.0) as client:
            while not self._stop.is_set():
                for push in self.store.due_pushes(datetime.now(UTC)):
                    if self._stop.is_set():
                        break
                    self._push_one(client, push)
                self._wake.wait(0.1)
                self._wake.clear()

    def _push_one(self, client: httpx.Client, push: Push) -> None:
        needs_ack = push.kind == BV_RESULT
        try:
            resp = client.post(
                push.url,
                content=push.body,
                headers={"Content-Type": push.content_type, "SOAPAction": SOAP_ACTION},
            )
            if 200 <= resp.status_code < 300:
                self.store.push_done(push.message_id, needs_ack=needs_ack)
                if needs_ack and resp.content:
                    self._maybe_sync_ack(resp.headers.get("content-type", ""), resp.content)
                return
            error = f"HTTP {resp.status_code}"
        except Exception as exc:  # transport errors: retry
            error = f"{type(exc).__name__}: {exc}"
        retry_at = None
        if push.attempts + 1 < self.config.push_max_attempts:
            retry_at = datetime.now(UTC) + timedelta(seconds=self.config.push_retry_seconds)
        log.info("Simulator: push %s mislukt (%s)", push.message_id, error)
        self.store.push_failed(push.message_id, error, retry_at)

    def _maybe_sync_ack(self, content_type: str, body: bytes) -> None:
        try:
            msg = parse_http(content_type, body, max_bytes=MAX_BODY)
        except EbmsReceiveError:
            return
        if msg.acknowledgment is not None:
            self.store.push_acknowledged(msg.acknowledgment.ref_to_message_id)


def _bare(party_id: str) -> str:
    return party_id.removeprefix("urn:osb:oin:")


def _safe(message_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in message_id)[:80]


def _handler_for(sim: SimulatorServer) -> type[http.server.BaseHTTPRequestHandler]:
    class SimulatorRequestHandler(http.server.BaseHTTPRequestHandler):
        # Without this every response waits for the peer's delayed ACK (Nagle): ~40 ms a request.
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"
        server_version = "BerichtenboxSimulator/1.0"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, "text/plain", b"Bericht te groot")
                return
            body = self.rfile.read(length)
            peer = tls.peer_oin(self.connection.getpeercert() or {})
            try:
                status, ct, out = sim.handle(self.headers.get("Content-Type", ""), body, peer)
            except Exception:
                log.exception("Simulator: onverwachte fout")
                status, ct, out = 500, "text/plain", b"Interne fout in de simulator"
            self._send(status, ct, out)

        def _send(self, status: int, ct: str, out: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ct)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("simulator: " + format, *args)

    return SimulatorRequestHandler
