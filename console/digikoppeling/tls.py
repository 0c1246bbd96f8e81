"""Two-way TLS for Digikoppeling: the one way to make TLS clients and servers.

Digikoppeling (interface reference §4.7) demands two-way TLS, TLS 1.2 or newer, NCSC
"goed"/"voldoende" cipher suites, and a PKIoverheid certificate with the OIN in
``subject.serialNumber``. Everything here enforces that; there is deliberately no switch
to turn certificate or host name verification off, not even for tests (the local test
PKI in :mod:`console.secrets.local_pki` makes real certificates instead).

- :func:`client_context` / :func:`server_context` build the :class:`ssl.SSLContext`.
- :func:`http_client` wraps a client context in an ``httpx.Client``.
- :func:`peer_oin` and :func:`oin_from_certificate` read the OIN from a certificate.
- :class:`TlsServer` is a small threaded HTTPS server for the simulator, the inbound
  endpoint and tests.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import os
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.x509.oid import NameOID

log = logging.getLogger(__name__)

# TLS 1.2 suites: forward secret AEAD first, then CBC with SHA-2 ("voldoende" per NCSC);
# no SHA-1, no RSA key exchange, no DSS. TLS 1.3 suites are all acceptable and are not
# affected by this string.
TLS12_CIPHERS = (
    "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:ECDHE+AES"
    ":!aNULL:!eNULL:!MD5:!SHA1:!DSS:!PSK:!SRP:!AESCCM"
)
HANDSHAKE_TIMEOUT = 15.0
IDLE_TIMEOUT = 120.0


class TlsConfigError(ValueError):
    """Certificate material could not be used. The message is plain Dutch for the user."""


def _base_context(protocol: int) -> ssl.SSLContext:
    ctx = ssl.SSLContext(protocol)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(TLS12_CIPHERS)
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    return ctx


def _private_dir() -> str:
    """A fresh directory only we can read; in RAM (``/dev/shm``) where the system has it."""
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
    return tempfile.mkdtemp(prefix="bbc-tls-", dir=base)  # mkdtemp makes it mode 0700


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _load_identity(ctx: ssl.SSLContext, cert_chain_pem: bytes, key_pem: bytes) -> None:
    """``load_cert_chain`` only reads files: write them privately, load, remove at once."""
    folder = _private_dir()
    try:
        os.chmod(folder, 0o700)
        cert_path = os.path.join(folder, "cert.pem")
        key_path = os.path.join(folder, "key.pem")
        _write_private(cert_path, cert_chain_pem)
        _write_private(key_path, key_pem)
        try:
            ctx.load_cert_chain(cert_path, key_path)
        except ssl.SSLError as exc:
            raise TlsConfigError(
                "Het certificaat en de privésleutel kunnen niet worden geladen: ze horen niet "
                "bij elkaar of een van beide is geen geldig PEM-bestand. Kies het juiste "
                "certificaat (PEM, eventueel met de tussenliggende certificaten) en de "
                "bijbehorende sleutel zonder wachtwoord."
            ) from exc
    finally:
        for name in ("key.pem", "cert.pem"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(folder, name))
        shutil.rmtree(folder, ignore_errors=True)


def _load_trust(ctx: ssl.SSLContext, trust_pem: bytes, what: str) -> None:
    try:
        text = trust_pem.decode("ascii")
    except UnicodeDecodeError as exc:
        raise TlsConfigError(f"De {what} zijn geen PEM-tekst.") from exc
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise TlsConfigError(f"De {what} bevatten geen certificaat (PEM verwacht).")
    try:
        ctx.load_verify_locations(cadata=text)
    except ssl.SSLError as exc:
        raise TlsConfigError(f"De {what} kunnen niet worden gelezen: {exc.reason}.") from exc


def client_context(cert_chain_pem: bytes, key_pem: bytes, trust_pem: bytes) -> ssl.SSLContext:
    """Client side: verify the server against *trust_pem* (and its host name); present our
    certificate (*cert_chain_pem*: leaf first, then intermediates) with *key_pem*."""
    ctx = _base_context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    _load_trust(ctx, trust_pem, "vertrouwde servercertificaten")
    _load_identity(ctx, cert_chain_pem, key_pem)
    return ctx


def server_context(
    cert_chain_pem: bytes, key_pem: bytes, client_trust_pem: bytes
) -> ssl.SSLContext:
    """Server side: present our certificate and require a client certificate that chains
    to *client_trust_pem*."""
    ctx = _base_context(ssl.PROTOCOL_TLS_SERVER)
    ctx.verify_mode = ssl.CERT_REQUIRED
    _load_trust(ctx, client_trust_pem, "vertrouwde clientcertificaten")
    _load_identity(ctx, cert_chain_pem, key_pem)
    return ctx


def http_client(ctx: ssl.SSLContext, *, timeout: float = 30.0) -> httpx.Client:
    """An HTTP/1.1 keep-alive client over *ctx*.

    The SSLContext goes in as ``verify=ctx`` (it carries the client certificate too);
    httpx 0.28 drops a client certificate when ``verify`` is a path. Environment settings
    (proxies, ``SSL_CERT_FILE``, ``.netrc`` credentials) are ignored so that only this
    context decides whom we trust, and redirects are not followed (Digikoppeling treats
    3xx as an error).
    """
    if ctx.verify_mode != ssl.CERT_REQUIRED or not ctx.check_hostname:
        raise ValueError("http_client vereist een context met volledige verificatie")
    return httpx.Client(
        verify=ctx,
        http1=True,
        http2=False,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(
            max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0
        ),
        follow_redirects=False,
        trust_env=False,
    )


def peer_oin(peercert: Mapping[str, Any] | None) -> str | None:
    """The OIN (``subject.serialNumber``) from ``SSLSocket.getpeercert()``, or None."""
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):
        for name, value in rdn:
            if name == "serialNumber" and str(value).strip():
                return str(value).strip()
    return None


def oin_from_certificate(cert_pem: bytes) -> str | None:
    """The OIN (``subject.serialNumber``) of the first certificate in *cert_pem*, or None."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise TlsConfigError("Het certificaat is geen geldig PEM-certificaat.") from exc
    for attribute in cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
        value = attribute.value
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        if text.strip():
            return text.strip()
    return None


# --- server ---------------------------------------------------------------------------------


class _TlsHttpServer(http.server.ThreadingHTTPServer):
    """ThreadingHTTPServer whose TLS handshake runs in the handler thread.

    ``get_request`` (in the accept loop) only wraps the socket without a handshake; the
    handshake happens in ``finish_request`` on the request's own thread, with a timeout.
    A client that stalls, speaks no TLS or has no acceptable certificate therefore only
    ties up its own thread, never the accept loop.
    """

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[http.server.BaseHTTPRequestHandler],
        ctx: ssl.SSLContext,
    ) -> None:
        self.ssl_context = ctx
        self.handshake_failures = 0
        self._lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (socket.getfqdn); skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        tls = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return tls, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(HANDSHAKE_TIMEOUT)
            request.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            with self._lock:
                self.handshake_failures += 1
            log.info("TLS-handshake met %s mislukt: %s", client_address, exc)
            return  # process_request_thread closes the socket
        request.settimeout(None)
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("Fout bij verwerken verzoek van %s", client_address)


class TlsServer:
    """A threaded HTTPS server with two-way TLS, on ``127.0.0.1`` and a free port by default.

    *handler_class* is a ``BaseHTTPRequestHandler`` subclass; inside it,
    ``self.connection.getpeercert()`` gives the client certificate (see :func:`peer_oin`).
    The server runs the handler with ``disable_nagle_algorithm = True``: a response is
    written as headers and body in separate ``send()`` calls, and with Nagle's algorithm
    on, the second small write waits for the client's delayed ACK (40 ms on Linux, up to
    200 ms elsewhere) on every keep-alive request.
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        handler_class: type[http.server.BaseHTTPRequestHandler],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if ssl_context.verify_mode != ssl.CERT_REQUIRED:
            raise ValueError("TlsServer vereist een context die een clientcertificaat eist")
        self._ssl_context = ssl_context
        self._handler = type(
            handler_class.__name__,
            (handler_class,),
            {
                "disable_nagle_algorithm": True,
                # an idle keep-alive connection must not hold its thread forever
                "timeout": handler_class.timeout or IDLE_TIMEOUT,
                "__module__": handler_class.__module__,
            },
        )
        self._host = host
        self._port = port
        self._server: _TlsHttpServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("TlsServer draait al")
        server = _TlsHttpServer((self._host, self._port), self._handler, self._ssl_context)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"tls-server-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("TlsServer is niet gestart")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"https://{host}:{self.port}"

    @property
    def handshake_failures(self) -> int:
        """How many connections ended in a failed TLS handshake (for logs and tests)."""
        return self._server.handshake_failures if self._server is not None else 0

    def __enter__(self) -> TlsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = [
    "HANDSHAKE_TIMEOUT",
    "IDLE_TIMEOUT",
    "TLS12_CIPHERS",
    "TlsConfigError",
    "TlsServer",
    "client_context",
    "http_client",
    "oin_from_certificate",
    "peer_oin",
    "server_context",
]
