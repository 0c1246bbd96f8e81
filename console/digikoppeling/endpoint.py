"""One way to serve POSTs over two-way TLS: the inbound endpoint, the simulator and its WUS service.

The handler checks the body size before reading a byte of it, reads the OIN from the client
certificate, and turns an unexpected exception into a 500 that is logged, never shown.
"""

from __future__ import annotations

import http.server
import logging
from collections.abc import Callable
from dataclasses import dataclass

from console.digikoppeling import tls

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class PostRequest:
    path: str
    content_type: str
    soap_action: str | None
    body: bytes
    peer_oin: str | None  # from the client certificate's subject serialNumber


# (request) -> (HTTP status, content type, body)
PostHandler = Callable[[PostRequest], tuple[int, str, bytes]]


def post_handler(
    handle: PostHandler,
    *,
    max_bytes: int,
    name: str,
    server_version: str,
    error_reply: Callable[[], tuple[str, bytes]] = lambda: (TEXT, b"Interne fout"),
) -> type[http.server.BaseHTTPRequestHandler]:
    """A request handler class for :class:`console.digikoppeling.tls.TlsServer`."""

    class PostRequestHandler(http.server.BaseHTTPRequestHandler):
        # Without this every response waits for the peer's delayed ACK (Nagle): ~40 ms a request.
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self._send(400, TEXT, b"Ongeldige Content-Length")
                return
            if length > max_bytes:
                self._send(413, TEXT, b"Bericht te groot")
                self.close_connection = True
                return
            body = self.rfile.read(length)
            request = PostRequest(
                path=self.path,
                content_type=self.headers.get("Content-Type", ""),
                soap_action=self.headers.get("SOAPAction"),
                body=body,
                peer_oin=tls.peer_oin(self.connection.getpeercert() or {}),
            )
            try:
                status, ct, out = handle(request)
            except Exception:
                log.exception("%s: onverwachte fout", name)
                ct, out = error_reply()
                status = 500
            self._send(status, ct, out)

        def _send(self, status: int, ct: str, out: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ct)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, format: str, *args: object) -> None:
            log.debug(f"{name}: " + format, *args)

    PostRequestHandler.server_version = server_version
    PostRequestHandler.__name__ = f"{name.title().replace('-', '')}RequestHandler"
    return PostRequestHandler
