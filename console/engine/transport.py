"""TLS material per connection: the one place the engine builds HTTP clients.

The certificate comes from the database, the private key only from the secret store (OS
keyring). A missing key is a known problem with a Dutch next step, not a crash.
"""

from __future__ import annotations

import ssl
import threading
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from console.db.database import Database
from console.db.models import Connection
from console.db.models_certificates import Certificate, TrustAnchor
from console.digikoppeling import tls
from console.domain.oin import strip_party_prefix
from console.secrets.certificates import format_date
from console.secrets.store import SecretStore


class TransportUnavailable(RuntimeError):
    """The connection cannot be used right now; the message says what to do."""


class TransportFactory:
    def __init__(self, db: Database, secrets: SecretStore, *, timeout: float = 60.0) -> None:
        self._db = db
        self._secrets = secrets
        self._timeout = timeout
        self._clients: dict[int, httpx.Client] = {}
        self._expires: dict[int, datetime] = {}  # a cached client is dropped once its cert expires
        self._lock = threading.Lock()

    def client_for(self, connection_id: int) -> httpx.Client:
        with self._lock:
            client = self._clients.get(connection_id)
            expires = self._expires.get(connection_id)
            if client is not None and expires is not None and datetime.now(UTC) >= expires:
                self._clients.pop(connection_id).close()
                client = None
            if client is None:
                ctx, expires = self._context(connection_id)
                client = tls.http_client(ctx, timeout=self._timeout)
                self._clients[connection_id] = client
                if expires is not None:
                    self._expires[connection_id] = expires
            return client

    def context_for(self, connection_id: int) -> ssl.SSLContext:
        """A fresh client TLS context for the connection (the connection test uses it)."""
        return self._context(connection_id)[0]

    def forget(self, connection_id: int) -> None:
        """Drop a cached client, e.g. after a certificate change."""
        with self._lock:
            client = self._clients.pop(connection_id, None)
            self._expires.pop(connection_id, None)
        if client is not None:
            client.close()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            c.close()

    def _context(self, connection_id: int) -> tuple[ssl.SSLContext, datetime | None]:
        expires: datetime | None = None
        with self._db.session() as s:
            conn = s.get(Connection, connection_id)
            if conn is None:
                raise TransportUnavailable(f"Koppeling {connection_id} bestaat niet meer.")
            name, cert, key_ref, trust = (
                conn.name,
                conn.client_cert_pem,
                conn.client_key_ref,
                conn.trust_pem,
            )
            record = s.get(Certificate, conn.certificate_id) if conn.certificate_id else None
            if record is not None:  # a certificate from the Certificaten page (issue 7)
                cert, key_ref, expires = (
                    record.cert_pem + record.chain_pem,
                    record.key_ref,
                    record.not_after,
                )
                _refuse_unusable(name, record, strip_party_prefix(conn.from_party_id))
            anchors = s.scalars(
                select(TrustAnchor.cert_pem)
                .where(TrustAnchor.environment == conn.environment)
                .order_by(TrustAnchor.id)
            ).all()
            if anchors:  # the environment's trust store wins over a per-connection trust
                trust = "".join(anchors)
        if not cert or not key_ref:
            raise TransportUnavailable(
                f"Koppeling {name} heeft geen clientcertificaat. Importeer het certificaat bij "
                "Certificaten."
            )
        key = self._secrets.get(key_ref)
        if not key:
            raise TransportUnavailable(
                f"De sleutel van het certificaat van koppeling {name} staat niet in de "
                "sleutelbos. Importeer het certificaat opnieuw bij Certificaten."
            )
        if not trust:
            raise TransportUnavailable(
                f"Koppeling {name} heeft geen vertrouwde servercertificaten. Voeg ze toe bij "
                "Certificaten."
            )
        return tls.client_context(cert.encode(), key.encode(), trust.encode()), expires


def _refuse_unusable(name: str, record: Certificate, cpa_oin: str) -> None:
    """An expired or not yet valid certificate, or one with another OIN, is never used."""
    now = datetime.now(UTC)
    if now >= record.not_after:
        raise TransportUnavailable(
            f"Het certificaat van koppeling {name} is verlopen op {format_date(record.not_after)}. "
            "Er wordt niets verstuurd tot u een nieuw certificaat importeert bij Certificaten."
        )
    if now < record.not_before:
        raise TransportUnavailable(
            f"Het certificaat van koppeling {name} is pas geldig vanaf "
            f"{format_date(record.not_before)}. Er wordt tot dan niets verstuurd."
        )
    if record.oin != cpa_oin:
        raise TransportUnavailable(
            f"Het OIN in het certificaat van koppeling {name} ({record.oin or 'geen'}) is niet "
            f"het OIN van de CPA ({cpa_oin}). Logius zou de berichten weigeren met "
            "OinInCPAKomtNietOvereenMetOinInBericht. Koppel het juiste certificaat bij "
            "Certificaten."
        )
