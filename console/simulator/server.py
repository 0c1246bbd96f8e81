"""The local preprod: an HTTPS ebMS endpoint that behaves like the Logius back end (GLOBE).

It is the other side of the wire. It requires a client certificate, checks the sender's OIN
against the CPA registration, eliminates duplicates, acknowledges, keeps every payload it
received on disk, and after a configurable delay pushes a ``GLOBE-R-BV-Result`` ebMS message
to the sender's inbound endpoint, retrying until that message is acknowledged.
"""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from console.berichtenbox.abonnement import ACTION_REQUEST as ABS_REQUEST
from console.berichtenbox.abonnement import DEFAULT_ANSWER_ACTION
from console.berichtenbox.result import build_result
from console.digikoppeling import tls
from console.digikoppeling.ebms.cpa import Cpa, parse_cpa
from console.digikoppeling.ebms.envelope import (
    acknowledgment_for,
    message_error_for,
    ping,
    pong_for,
    status_request,
    status_response_for,
    user_message,
)
from console.digikoppeling.ebms.mime import SOAP_ACTION, EbmsReceiveError, package, parse_http
from console.digikoppeling.ebms.model import (
    STATUS_NOT_RECOGNIZED,
    STATUS_PROCESSED,
    STATUS_RECEIVED,
    EbmsError,
    EbmsMessage,
    Party,
    Payload,
)
from console.digikoppeling.ebms.validation import check_inbound
from console.digikoppeling.endpoint import TEXT, post_handler
from console.domain.ids import new_guid, new_message_id
from console.simulator.abonnement import process_request
from console.simulator.globe import process_batch, summarise
from console.simulator.state import (
    AbsRequestRecord,
    PartyRegistration,
    Push,
    ReceivedBatch,
    SimulatorStateStore,
)
from console.simulator.wus import WusServer, WusService
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
    wus_port: int = 0  # the WUS validation service listens on its own port
    # Logius does not answer an ebMS StatusRequest on the letter flow (interface reference
    # §5, NotifyNL); the simulator behaves the same unless told otherwise.
    answer_status_requests: bool = False
    # Fault injection: wait this long before answering a business message (after it is
    # processed), e.g. so that a test can kill the sender while the request is in flight.
    response_delay_seconds: float = 0.0
    abs_answer_action: str = DEFAULT_ANSWER_ACTION  # not confirmed by Logius: configurable


class SimulatorServer:
    """Run with :meth:`start`, stop with :meth:`stop`; thread-based, no Qt, no engine code."""

    def __init__(self, config: SimulatorConfig, *, schemas: SchemaRegistry | None = None) -> None:
        self.config = config
        self.store = SimulatorStateStore(config.data_dir / "simulator.sqlite3")
        self.received_dir = config.data_dir / "received"
        self.received_dir.mkdir(parents=True, exist_ok=True)
        self.schemas = schemas or default_registry()
        self._server: tls.TlsServer | None = None
        self._wus: WusServer | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pusher: threading.Thread | None = None
        self._client_ctx = tls.client_context(
            config.push_cert_pem, config.push_key_pem, config.push_trust_pem
        )
        self._cpas: dict[str, Cpa] = {}  # the CPAs the "CPA register" gave us, by CPAId
        self._faults: list[int] = []  # injected HTTP statuses for the next business messages
        self._faults_lock = threading.Lock()
        self._pending: list[_PendingBatch] = []  # acknowledged, not yet processed by GLOBE
        self._pending_lock = threading.Lock()
        self._recover_pending()
        self.signals_received: list[EbmsMessage] = []  # Pongs and StatusResponses we got
        self.received_ids: list[str] = []  # every MessageId that came in, duplicates included

    # --- lifecycle ---
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("De simulator draait niet.")
        return self._server.url + "/ebms"

    @property
    def wus_url(self) -> str:
        """The BerichtenboxValidatieService (WUS) endpoint."""
        if self._wus is None:
            raise RuntimeError("De simulator draait niet.")
        return self._wus.url

    def result_delay(self) -> float:
        value = self.store.setting("result_delay_seconds")
        return self.config.result_delay_seconds if value < 0 else value

    def start(self) -> SimulatorServer:
        ctx = tls.server_context(
            self.config.server_cert_pem, self.config.server_key_pem, self.config.client_trust_pem
        )
        self._server = tls.TlsServer(
            ctx, _handler_for(self), host=self.config.host, port=self.config.port
        )
        self._server.start()
        wus_ctx = tls.server_context(
            self.config.server_cert_pem, self.config.server_key_pem, self.config.client_trust_pem
        )
        try:
            self._wus = WusServer(
                WusService(self.store, self.schemas),
                wus_ctx,
                host=self.config.host,
                port=self.config.wus_port,
            ).start()
        except OSError:
            log.warning(
                "Poort %d voor de WUS-simulator is bezet; vrije poort", self.config.wus_port
            )
            self._wus = WusServer(
                WusService(self.store, self.schemas), wus_ctx, host=self.config.host, port=0
            ).start()
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
        if self._wus is not None:
            self._wus.stop()
            self._wus = None
        if self._pusher is not None:
            self._pusher.join(timeout=10)
            self._pusher = None

    # --- configuration, like the Leveranciersportaal and the CPA register ---
    def register_party(self, reg: PartyRegistration) -> None:
        self.store.register_party(reg)

    def set_berichttypes(self, organisation_oin: str, codes: list[str]) -> None:
        self.store.set_berichttypes(organisation_oin, codes)

    def register_cpa(self, document: bytes) -> Cpa:
        """Check inbound messages under this CPA like Logius' MSH does (raises CpaError)."""
        cpa = parse_cpa(document)
        self._cpas[cpa.cpa_id] = cpa
        return cpa

    def inject_http_status(self, status: int, count: int = 1) -> None:
        """Answer the next *count* business messages with HTTP *status*, unprocessed."""
        with self._faults_lock:
            self._faults.extend([status] * count)

    def _injected_fault(self) -> int | None:
        with self._faults_lock:
            return self._faults.pop(0) if self._faults else None

    def send(self, party_oin: str, msg: EbmsMessage) -> httpx.Response:
        """POST an ebMS message to the party's inbound endpoint now, as Logius would."""
        reg = self.store.party(party_oin)
        if reg is None:
            raise ValueError(f"Partij {party_oin} is niet geregistreerd.")
        ct, out = package(msg)
        with tls.http_client(self._client_ctx, timeout=30.0) as client:
            return client.post(
                reg.push_url, content=out, headers={"Content-Type": ct, "SOAPAction": SOAP_ACTION}
            )

    def probe(self, party_oin: str, *, status_of: str | None = None) -> EbmsMessage | None:
        """Send the console a Ping (or a StatusRequest about *status_of*) and return the
        synchronous answer, if any; an asynchronous one lands in :attr:`signals_received`."""
        reg = self.store.party(party_oin)
        if reg is None:
            raise ValueError(f"Partij {party_oin} is niet geregistreerd.")
        me = Party(self.config.logius_oin, None)
        them = Party(reg.party_oin, None)
        msg = (
            status_request(
                reg.cpa_id, me, them, status_of, message_id=_mid(), sync_reply=reg.sync_reply
            )
            if status_of is not None
            else ping(reg.cpa_id, me, them, message_id=_mid(), sync_reply=reg.sync_reply)
        )
        resp = self.send(party_oin, msg)
        if resp.status_code != 200 or not resp.content:
            return None
        try:
            return parse_http(
                resp.headers.get("content-type", ""), resp.content, max_bytes=MAX_BODY
            )
        except EbmsReceiveError:
            return None

    # --- inbound ---
    def handle(
        self, content_type: str, body: bytes, peer_oin: str | None
    ) -> tuple[int, str, bytes]:
        """Process one POST; return (HTTP status, content type, body)."""
        if self._cpas:
            # Checked against the registered CPAs exactly like the console's own endpoint.
            verdict = check_inbound(
                content_type,
                body,
                cpa_for=self._cpas.get,
                now=datetime.now(UTC),
                max_bytes=MAX_BODY,
                peer_oin=peer_oin,
            )
            if not verdict.valid:
                if not verdict.may_reply or verdict.header is None:
                    text = "; ".join(f"{e.code}: {e.description}" for e in verdict.errors)
                    return 400, "text/plain; charset=utf-8", text.encode()
                reg = self.store.party(_bare(verdict.header.from_party.party_id))
                error = message_error_for(verdict.header, list(verdict.errors), message_id=_mid())
                return self._reply_signal(error, reg, sync=verdict.sync_reply)
            assert verdict.message is not None
            msg = verdict.message
        else:
            try:
                msg = parse_http(content_type, body, max_bytes=MAX_BODY)
            except EbmsReceiveError as exc:
                if exc.header is None or exc.header.action in ("MessageError", "Acknowledgment"):
                    # Never answer an error signal with another one (ebMS 2.0).
                    return 400, "text/plain; charset=utf-8", str(exc).encode()
                reg = self.store.party(_bare(exc.header.from_party.party_id))
                error = message_error_for(exc.header, list(exc.errors), message_id=_mid())
                return self._reply_signal(error, reg)
        self.received_ids.append(msg.header.message_id)
        if not msg.is_signal and (fault := self._injected_fault()) is not None:
            return fault, "text/plain; charset=utf-8", b"Gesimuleerde storing"

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
            return self._reply_signal(pong_for(msg, message_id=_mid()), reg, sync=msg.sync_reply)
        if msg.is_status_request:
            if not self.config.answer_status_requests:
                # Like Logius on the letter flow: accepted on the wire, never answered.
                log.info("Simulator: StatusRequest %s niet beantwoord", msg.header.message_id)
                return 200, "text/plain", b""
            return self._reply_signal(self._status_response(msg), reg, sync=msg.sync_reply)
        if msg.is_pong or msg.is_status_response:
            self.signals_received.append(msg)
            return 200, "text/plain", b""

        first_time = self.store.remember_message(msg.header.message_id)
        job: _PendingBatch | None = None
        if first_time and msg.header.action == BV_REQUEST:
            job = self._accept_batch(msg, reg)
        elif first_time and msg.header.action == ABS_REQUEST:
            problem_text = self._accept_abs(msg, reg)
            if problem_text is not None:
                err = EbmsError(
                    "ValueNotRecognized", location="eb:Manifest", description=problem_text
                )
                return self._reply_signal(message_error_for(msg, [err], message_id=_mid()), reg)
        elif first_time:
            err = EbmsError(
                "NotSupported",
                location="eb:Action",
                description=f"De simulator kent actie {msg.header.action} niet.",
            )
            return self._reply_signal(message_error_for(msg, [err], message_id=_mid()), reg)
        if self.config.response_delay_seconds > 0:
            time.sleep(self.config.response_delay_seconds)
        # A duplicate is acknowledged again, never processed again.
        reply: tuple[int, str, bytes] = (200, "text/plain", b"")
        if msg.ack_requested:
            reply = self._reply_signal(
                acknowledgment_for(msg, message_id=_mid()), reg, sync=msg.sync_reply
            )
        if job is not None:  # after the acknowledgment is queued: the result never comes first
            with self._pending_lock:
                self._pending.append(job)
            self._wake.set()
        return reply

    def _status_response(self, msg: EbmsMessage) -> EbmsMessage:
        ref = msg.status_request_ref or ""
        for batch in self.store.batches():
            if batch.message_id == ref:
                status = STATUS_PROCESSED if batch.result_summary else STATUS_RECEIVED
                return status_response_for(msg, status, batch.received_at, message_id=_mid())
        return status_response_for(msg, STATUS_NOT_RECOGNIZED, message_id=_mid())

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

    def _accept_batch(self, msg: EbmsMessage, reg: PartyRegistration) -> _PendingBatch:
        """Keep the payload; the caller queues it for GLOBE once the acknowledgment is queued.

        Like Logius: the MSH acknowledges receipt, the business processing comes later
        (the acknowledgment does not wait for it). A marker file next to the payload keeps
        the pending work across a restart of the simulator.
        """
        now = datetime.now(UTC)
        payload = msg.payloads[0].data if msg.payloads else b""
        day_dir = self.received_dir / now.strftime("%Y-%m-%d")
        day_dir.mkdir(parents=True, exist_ok=True)
        path = day_dir / f"{now.strftime('%H%M%S')}-{_safe(msg.header.message_id)}.xml"
        path.write_bytes(payload)
        job = _PendingBatch(
            message_id=msg.header.message_id,
            conversation_id=msg.header.conversation_id,
            service=msg.header.service,
            service_type=msg.header.service_type,
            party_oin=reg.party_oin,
            received_at=now,
            due_at=now + timedelta(seconds=self.result_delay()),
            path=path,
        )
        job.marker.write_text(job.to_json(), encoding="utf-8")
        return job

    def _process_due_batches(self) -> None:
        now = datetime.now(UTC)
        with self._pending_lock:
            due = [j for j in self._pending if j.due_at <= now]
            self._pending = [j for j in self._pending if j.due_at > now]
        for job in due:
            try:
                self._process_batch(job)
            except Exception:
                log.exception("Simulator: batch %s kon niet worden verwerkt", job.message_id)
            job.marker.unlink(missing_ok=True)

    def _recover_pending(self) -> None:
        """Batches acknowledged before a restart but not yet processed."""
        for marker in sorted(self.received_dir.glob("*/*.pending.json")):
            try:
                job = _PendingBatch.from_json(marker.read_text(encoding="utf-8"))
            except (ValueError, KeyError):
                log.warning("Simulator: onleesbare wachtende batch %s", marker)
                continue
            with self._pending_lock:
                self._pending.append(job)

    def _process_batch(self, job: _PendingBatch) -> None:
        reg = self.store.party(job.party_oin)
        if reg is None:
            log.warning("Simulator: partij %s is niet meer geregistreerd", job.party_oin)
            return
        payload = job.path.read_bytes()
        now = job.received_at
        path = job.path
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
                message_id=job.message_id,
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
            service=job.service,
            service_type=job.service_type,
            action=BV_RESULT,
            payloads=[Payload(f"{new_guid()}@simulator", "text/xml", build_result(result))],
            conversation_id=job.conversation_id,
            message_id=_mid(),
            sync_reply=reg.sync_reply,
        )
        ct, out = package(reply)
        due = datetime.now(UTC)
        self.store.add_push(
            reply.header.message_id, BV_RESULT, reg.push_url, ct, out, due, needs_ack=True
        )
        self._wake.set()

    def _accept_abs(self, msg: EbmsMessage, reg: PartyRegistration) -> str | None:
        """An AbonnementService request: answer after the configured delay, or a problem."""
        now = datetime.now(UTC)
        payload = bytes(msg.payloads[0].data) if msg.payloads else b""
        outcome = process_request(
            payload,
            allowed_oins=reg.allowed_oins,
            store=self.store,
            schemas=self.schemas,
            now=now,
        )
        aanvraag = outcome.aanvraag
        message_id = _mid() if outcome.answer is not None else None
        self.store.record_abs_request(
            AbsRequestRecord(
                verzoek_id=aanvraag.verzoek_id if aanvraag else "?",
                organisation_oin=aanvraag.oin if aanvraag else "?",
                soort=aanvraag.soort.value if aanvraag else "?",
                received_at=now,
                bsn_count=len(aanvraag.bsns) if aanvraag else 0,
                answer_entries=outcome.entries if outcome.answer is not None else None,
                answer_message_id=message_id,
                problem=outcome.problem,
            )
        )
        if outcome.answer is None or message_id is None:
            return outcome.problem or "De abonnementsaanvraag kon niet worden verwerkt."
        reply = user_message(
            cpa_id=reg.cpa_id,
            from_party=Party(self.config.logius_oin, self.config.logius_role),
            to_party=Party(reg.party_oin, reg.role),
            service=msg.header.service,
            service_type=msg.header.service_type,
            action=self.config.abs_answer_action,
            payloads=[Payload(f"{new_guid()}@simulator", "application/gzip", outcome.answer)],
            conversation_id=msg.header.conversation_id,
            message_id=message_id,
            sync_reply=reg.sync_reply,
        )
        ct, out = package(reply)
        due = now + timedelta(seconds=self.store.setting("abs_delay_seconds"))
        self.store.add_push(
            message_id, self.config.abs_answer_action, reg.push_url, ct, out, due, needs_ack=True
        )
        self._wake.set()
        return None

    # --- outbound pushes with retries ---
    def _push_loop(self) -> None:
        with tls.http_client(self._client_ctx, timeout=30.0) as client:
            while not self._stop.is_set():
                self._process_due_batches()
                for push in self.store.due_pushes(datetime.now(UTC)):
                    if self._stop.is_set():
                        break
                    self._push_one(client, push)
                self._wake.wait(0.1)
                self._wake.clear()

    def _push_one(self, client: httpx.Client, push: Push) -> None:
        needs_ack = push.kind in (BV_RESULT, self.config.abs_answer_action)
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


@dataclass(frozen=True, slots=True)
class _PendingBatch:
    """A received batch waiting for GLOBE; kept on disk as a marker next to the payload."""

    message_id: str
    conversation_id: str
    service: str
    service_type: str | None
    party_oin: str
    received_at: datetime
    due_at: datetime
    path: Path

    @property
    def marker(self) -> Path:
        return self.path.with_suffix(".pending.json")

    def to_json(self) -> str:
        return json.dumps(
            {
                "message_id": self.message_id,
                "conversation_id": self.conversation_id,
                "service": self.service,
                "service_type": self.service_type,
                "party_oin": self.party_oin,
                "received_at": self.received_at.isoformat(),
                "due_at": self.due_at.isoformat(),
                "path": str(self.path),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> _PendingBatch:
        d = json.loads(text)
        return cls(
            message_id=d["message_id"],
            conversation_id=d["conversation_id"],
            service=d["service"],
            service_type=d["service_type"],
            party_oin=d["party_oin"],
            received_at=datetime.fromisoformat(d["received_at"]),
            due_at=datetime.fromisoformat(d["due_at"]),
            path=Path(d["path"]),
        )


def _bare(party_id: str) -> str:
    return party_id.removeprefix("urn:osb:oin:")


def _safe(message_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in message_id)[:80]


def _handler_for(sim: SimulatorServer) -> type[http.server.BaseHTTPRequestHandler]:
    return post_handler(
        lambda r: sim.handle(r.content_type, r.body, r.peer_oin),
        max_bytes=MAX_BODY,
        name="simulator",
        server_version="BerichtenboxSimulator/1.0",
        error_reply=lambda: (TEXT, b"Interne fout in de simulator"),
    )
