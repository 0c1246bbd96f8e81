"""The engine runner: worker thread, inbound endpoint, cancel and a progress snapshot.

Plain Python threads; no Qt. The UI polls :meth:`EngineRunner.snapshot`.
"""

from __future__ import annotations

import http.server
import logging
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import delete, func, select

from console.db import models as m
from console.db.database import Database
from console.digikoppeling import tls
from console.domain.lifecycle import LetterStatus
from console.engine.inbox import Inbox, handler_for
from console.engine.outbox import Outbox
from console.engine.sender import Sender
from console.engine.signals import SignalProcessor
from console.engine.transport import TransportFactory
from console.settings import EngineSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InboundTls:
    cert_pem: bytes
    key_pem: bytes
    client_trust_pem: bytes


@dataclass(frozen=True, slots=True)
class EngineState:
    running: bool = False
    queued: int = 0
    in_flight: int = 0
    awaiting_result: int = 0
    inbound_url: str = ""
    last_error: str | None = None
    ticks: int = 0


class EngineRunner:
    def __init__(
        self,
        db: Database,
        transport: TransportFactory,
        inbound_tls: InboundTls | None,
        *,
        settings: EngineSettings | None = None,
        endpoint_overrides: dict[int, str] | None = None,
    ) -> None:
        self.settings = settings or EngineSettings()
        self._db = db
        self._transport = transport
        self.signals = SignalProcessor(db)
        self.outbox = Outbox(
            db, max_letters=self.settings.max_batch_letters, max_bytes=self.settings.max_batch_bytes
        )
        self.sender = Sender(db, transport, self.signals, endpoint_overrides=endpoint_overrides)
        self.inbox = Inbox(db, self.signals, max_bytes=self.settings.max_inbound_bytes)
        self._inbound_tls = inbound_tls
        self._server: tls.TlsServer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._paused = threading.Event()
        self._idle = threading.Event()
        self._lock = threading.Lock()
        self._state = EngineState()
        self._pool: ThreadPoolExecutor | None = None

    # --- lifecycle ---
    def start(self) -> EngineRunner:
        self.sender.recover(datetime.now(UTC))
        if self._inbound_tls is not None:
            ctx = tls.server_context(
                self._inbound_tls.cert_pem,
                self._inbound_tls.key_pem,
                self._inbound_tls.client_trust_pem,
            )
            self._server = _start_server(
                ctx, handler_for(self.inbox), self.settings.inbound_host, self.settings.inbound_port
            )
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="engine", daemon=True)
        self._thread.start()
        with self._lock:
            self._state = replace(self._state, running=True, inbound_url=self.inbound_url or "")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._transport.close()
        with self._lock:
            self._state = replace(self._state, running=False)

    @property
    def transport(self) -> TransportFactory:
        """The TLS clients per connection (also used for an interactive Ping)."""
        return self._transport

    @property
    def inbound_url(self) -> str | None:
        return self._server.url + "/ebms" if self._server is not None else None

    def wake(self) -> None:
        self._wake.set()

    def pause(self) -> None:
        """Stop sending (the inbound endpoint keeps receiving); returns once the current pass ended."""
        self._idle.clear()
        self._paused.set()
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            self._idle.wait(timeout=30)

    def resume(self) -> None:
        self._paused.clear()
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def snapshot(self) -> EngineState:
        with self._lock:
            return self._state

    # --- work ---
    def run_once(self) -> None:
        """One pass: pack, send, purge, count. The loop calls this; tests may too."""
        now = datetime.now(UTC)
        self.outbox.pack(now)
        self._send_due()
        with self._db.session() as s:
            s.execute(delete(m.InboundMessageId).where(m.InboundMessageId.keep_until < now))
            s.commit()
            # list(): a Result has keys(), so dict() would take it for a mapping.
            counts: dict[LetterStatus, int] = dict(
                list(
                    s.execute(
                        select(m.Letter.status, func.count())
                        .where(
                            m.Letter.status.in_(
                                [
                                    LetterStatus.QUEUED,
                                    LetterStatus.SENDING,
                                    LetterStatus.SENT,
                                    LetterStatus.ACKNOWLEDGED,
                                ]
                            )
                        )
                        .group_by(m.Letter.status)
                    ).tuples()
                )
            )
        with self._lock:
            self._state = replace(
                self._state,
                queued=counts.get(LetterStatus.QUEUED, 0),
                in_flight=counts.get(LetterStatus.SENDING, 0) + counts.get(LetterStatus.SENT, 0),
                awaiting_result=counts.get(LetterStatus.ACKNOWLEDGED, 0),
                ticks=self._state.ticks + 1,
            )

    def _send_due(self) -> None:
        """Send what is due; with ``parallel_sends`` > 1 that many at the same time.

        Each worker claims one message at a time (the claim is atomic), so two workers never
        send the same message; while one waits for the receiver, the other sends.
        """
        workers = max(1, self.settings.parallel_sends)
        if workers == 1:
            self._drain()
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="engine-send")
        for future in [self._pool.submit(self._drain) for _ in range(workers)]:
            future.result()

    def _drain(self) -> None:
        while not self._stop.is_set() and self.sender.deliver_due(datetime.now(UTC), limit=1):
            pass

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._paused.is_set():
                self._idle.set()
                self._wake.wait(self.settings.tick_seconds)
                self._wake.clear()
                continue
            try:
                self.run_once()
                with self._lock:
                    self._state = replace(self._state, last_error=None)
            except Exception as exc:  # keep the engine alive; show the problem
                log.exception("Engine: fout in verwerkingsronde")
                with self._lock:
                    self._state = replace(self._state, last_error=f"{type(exc).__name__}: {exc}")
            self._wake.wait(self.settings.tick_seconds)
            self._wake.clear()


def _start_server(
    ctx: ssl.SSLContext,
    handler: type[http.server.BaseHTTPRequestHandler],
    host: str,
    port: int,
) -> tls.TlsServer:
    """Listen on the configured port; when it is taken, on a free one (shown in the status bar)."""
    try:
        server = tls.TlsServer(ctx, handler, host=host, port=port)
        server.start()
    except OSError:
        if port == 0:
            raise
        log.warning("Poort %d is bezet; de inbound endpoint kiest een vrije poort", port)
        server = tls.TlsServer(ctx, handler, host=host, port=0)
        server.start()
    return server
