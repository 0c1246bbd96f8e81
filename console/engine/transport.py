"""TLS material per connection: the one place the engine builds HTTP clients.

The certificate comes from the database, the private key only from the secret store (OS
keyring). A missing key is a known problem with a Dutch next step, not a crash.
"""

from __future__ import annotations

import ssl
import threading

import httpx

from console.db.database import Database
from console.db.models import Connection
from console.digikoppeling import tls
from console.secrets.store import SecretStore


class TransportUnavailable(RuntimeError):
    """The connection cannot be used right now; the message says what to do."""


class TransportFactory:
    def __init__(self, db: Database, secrets: SecretStore, *, timeout: float = 60.0) -> None:
        self._db = db
        self._secrets = secrets
        self._timeout = timeout
        self._clients: dict[int, httpx.Client] = {}
        self._lock = threading.Lock()

    def client_for(self, connection_id: int) -> httpx.Client:
        with self._lock:
            client = self._clients.get(connection_id)
            if client is None:
                client = tls.http_client(self._context(connection_id), timeout=self._timeout)
                self._clients[connection_id] = client
            return client

    def forget(self, connection_id: int) -> None:
        """Drop a cached client, e.g. after a certificate change."""
        with self._lock:
            client = self._clients.pop(connection_id, None)
        if client is not None:
            client.close()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            c.close()

    def _context(self, connection_id: int) -> ssl.SSLContext:
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
        return tls.client_context(cert.encode(), key.encode(), trust.encode())
