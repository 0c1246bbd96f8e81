"""A small ebMS party on 127.0.0.1 with two-way TLS, and a workspace with one PREPROD connection.

Used by the connection-test and trust-store tests: the server side gets any certificate the
test makes (valid, expired, for another host name, from an untrusted CA).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from console.db import models as m
from console.db.database import Database, open_database, upgrade
from console.digikoppeling import tls
from console.digikoppeling.ebms.envelope import pong_for
from console.digikoppeling.ebms.mime import package, parse_http
from console.domain.environment import Environment
from console.engine.transport import TransportFactory
from console.secrets.store import KeyringStore
from console.services.certificates import CertificateService
from console.services.connection_test import ConnectionTestService
from tests.certificate_factory import OIN, Made, MemoryKeyring, make_ca, make_leaf, p12

CONNECTION = "Preprod-koppeling"
LOGIUS_OIN = "00000004003214345001"


@dataclass
class Received:
    bodies: list[bytes] = field(default_factory=list)
    peer_oins: list[str | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(mode: str, received: Received) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with received.lock:
                received.bodies.append(body)
                received.peer_oins.append(tls.peer_oin(self.connection.getpeercert()))  # type: ignore[attr-defined]
            if mode == "pong":
                msg = parse_http(self.headers.get("Content-Type", ""), body, max_bytes=10**6)
                content_type, out = package(pong_for(msg))
            else:
                content_type, out = "text/plain", b""
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def loopback_server(
    server: Made, server_chain: list[Made], client_trust: list[Made], *, mode: str = "pong"
) -> Iterator[tuple[tls.TlsServer, Received]]:
    """An HTTPS server presenting *server* and accepting clients issued by *client_trust*."""
    received = Received()
    ctx = tls.server_context(
        server.cert_pem + b"".join(c.cert_pem for c in server_chain),
        server.key_pem,
        b"".join(c.cert_pem for c in client_trust),
    )
    with tls.TlsServer(ctx, _handler(mode, received)) as srv:
        yield srv, received


@dataclass
class Party:
    """Both sides of one PREPROD connection, with its own PKI for each side."""

    db: Database
    backend: MemoryKeyring
    certificates: CertificateService
    transport: TransportFactory
    tester: ConnectionTestService
    client_ca: Made
    server_ca: Made
    client: Made
    connection_id: int

    def set_endpoint(self, url: str) -> None:
        with self.db.session() as s:
            s.get_one(m.Connection, self.connection_id).endpoint_url = url
            s.commit()
        self.transport.forget(self.connection_id)

    def server_cert(
        self, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"), **kw: object
    ) -> Made:
        return make_leaf(
            self.server_ca,
            oin=LOGIUS_OIN,
            organisation="Logius",
            common_name=hosts[0],
            hosts=hosts,
            server=True,
            **kw,  # type: ignore[arg-type]
        )


def make_party(tmp_path: Path, *, client_cert_wait: float = 0.2) -> Party:
    db = open_database(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    upgrade(db, backup_dir=None)
    now = datetime.now(UTC)
    with db.session() as s:
        org = m.Organisation(name="Gemeente Voorbeeld", oin=OIN, created_at=now)
        s.add(org)
        s.flush()
        conn = m.Connection(
            name=CONNECTION,
            owner_organisation_id=org.id,
            environment=Environment.PREPROD,
            cpa_id="MIJNOVERHEID-EBMS-BB-2-0_test",
            from_party_id=OIN,
            from_role="SR",
            to_party_id=LOGIUS_OIN,
            to_role="SP",
            service="urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0",
            endpoint_url="https://127.0.0.1:9/ebms",
            created_at=now,
        )
        s.add(conn)
        s.commit()
        conn_id = conn.id
    backend = MemoryKeyring()
    store = KeyringStore(backend=backend)
    transport = TransportFactory(db, store, timeout=10)
    certificates = CertificateService(db, store, on_connection_changed=transport.forget)
    client_ca = make_ca("Client-CA")
    server_ca = make_ca("Server-CA")
    client = make_leaf(client_ca)
    certificates.import_file(p12(client, [client_ca], None), connection=conn_id)
    certificates.trust_import(Environment.PREPROD, server_ca.cert_pem)
    tester = ConnectionTestService(
        db, transport, certificates, timeout=10, client_cert_wait=client_cert_wait
    )
    return Party(
        db, backend, certificates, transport, tester, client_ca, server_ca, client, conn_id
    )
