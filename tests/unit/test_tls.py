"""Two-way TLS on loopback: real handshakes with certificates from the local test PKI."""

from __future__ import annotations

import datetime as dt
import http.server
import os
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from console.digikoppeling import tls
from console.secrets import local_pki
from console.secrets.local_pki import IssuedCert

CLIENT_OIN = "00000099000000001000"
SERVER_OIN = "00000004003214345001"


@dataclass(frozen=True)
class Material:
    ca: IssuedCert
    server: IssuedCert
    client: IssuedCert
    other_ca: IssuedCert
    stranger: IssuedCert
    wrong_host: IssuedCert
    expired: IssuedCert


@pytest.fixture(scope="module")
def pki() -> Material:
    ca = local_pki.create_ca("TLS-test-CA")
    other = local_pki.create_ca("Andere CA")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    return Material(
        ca=ca,
        server=local_pki.issue_server_cert(ca, ["localhost", "127.0.0.1"], oin=SERVER_OIN),
        client=local_pki.issue_client_cert(
            ca, oin=CLIENT_OIN, organisation="Gemeente Test", common_name="Koppeling"
        ),
        other_ca=other,
        stranger=local_pki.issue_client_cert(
            other, oin=CLIENT_OIN, organisation="Gemeente Test", common_name="Koppeling"
        ),
        wrong_host=local_pki.issue_server_cert(ca, ["simulator.example"], oin=SERVER_OIN),
        expired=local_pki.issue_client_cert(
            ca,
            oin=CLIENT_OIN,
            organisation="Gemeente Test",
            common_name="Verlopen",
            not_before=past - dt.timedelta(days=30),
            not_after=past,
        ),
    )


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str | None, int, bool]] = []

    def add(self, oin: str | None, port: int, nagle_off: bool) -> None:
        with self.lock:
            self.calls.append((oin, port, nagle_off))


def _handler(recorder: Recorder) -> type[http.server.BaseHTTPRequestHandler]:
    class EchoHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            assert isinstance(self.connection, ssl.SSLSocket)
            oin = tls.peer_oin(self.connection.getpeercert())
            nodelay = self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            recorder.add(oin, self.client_address[1], bool(nodelay))
            answer = f"{oin}|{len(body)}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return EchoHandler


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def _server(
    pki: Material, recorder: Recorder, server_cert: IssuedCert | None = None
) -> tls.TlsServer:
    cert = server_cert or pki.server
    ctx = tls.server_context(cert.cert_pem + pki.ca.cert_pem, cert.key_pem, pki.ca.cert_pem)
    return tls.TlsServer(ctx, _handler(recorder))


@pytest.fixture
def server(pki: Material, recorder: Recorder) -> Iterator[tls.TlsServer]:
    srv = _server(pki, recorder)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _client(pki: Material, who: IssuedCert, trust: bytes | None = None) -> httpx.Client:
    ctx = tls.client_context(who.cert_pem, who.key_pem, trust or pki.ca.cert_pem)
    return tls.http_client(ctx, timeout=30.0)


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"wachten op {what} duurde te lang")
        time.sleep(0.01)


# --- contexts -------------------------------------------------------------------------------


def test_contexts_are_strict(pki: Material) -> None:
    client = tls.client_context(pki.client.cert_pem, pki.client.key_pem, pki.ca.cert_pem)
    assert client.minimum_version == ssl.TLSVersion.TLSv1_2
    assert client.verify_mode == ssl.CERT_REQUIRED and client.check_hostname
    server = tls.server_context(pki.server.cert_pem, pki.server.key_pem, pki.ca.cert_pem)
    assert server.minimum_version == ssl.TLSVersion.TLSv1_2
    assert server.verify_mode == ssl.CERT_REQUIRED
    ciphers = {c["name"] for c in client.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert ciphers and not any(name.rsplit("-", 1)[-1] == "SHA" for name in ciphers)
    assert not any(name.startswith(("AES", "DES", "RC4")) for name in ciphers)  # no RSA kx


def _leftover_key_dirs() -> set[str]:
    found: set[str] = set()
    for base in {tempfile.gettempdir(), "/dev/shm"}:
        if os.path.isdir(base):
            found |= {os.path.join(base, n) for n in os.listdir(base) if n.startswith("bbc-tls-")}
    return found


def test_key_files_do_not_stay_on_disk(pki: Material) -> None:
    before = _leftover_key_dirs()
    tls.client_context(pki.client.cert_pem, pki.client.key_pem, pki.ca.cert_pem)
    tls.server_context(pki.server.cert_pem, pki.server.key_pem, pki.ca.cert_pem)
    with pytest.raises(tls.TlsConfigError, match="horen niet"):
        tls.client_context(pki.client.cert_pem, pki.server.key_pem, pki.ca.cert_pem)
    assert _leftover_key_dirs() == before


def test_bad_trust_material_is_a_config_error(pki: Material) -> None:
    with pytest.raises(tls.TlsConfigError):
        tls.client_context(pki.client.cert_pem, pki.client.key_pem, b"geen certificaat")
    with pytest.raises(tls.TlsConfigError):
        tls.server_context(pki.server.cert_pem, pki.server.key_pem, b"\xff\xfe")


def test_no_way_to_switch_verification_off(pki: Material) -> None:
    loose = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    loose.check_hostname = False
    loose.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError):
        tls.http_client(loose)
    one_way = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(ValueError):
        tls.TlsServer(one_way, http.server.BaseHTTPRequestHandler)


def test_oin_readers(pki: Material) -> None:
    assert tls.oin_from_certificate(pki.client.cert_pem) == CLIENT_OIN
    assert tls.oin_from_certificate(local_pki.create_ca("x").cert_pem) is None
    peercert = {
        "subject": (
            (("countryName", "NL"),),
            (("serialNumber", CLIENT_OIN),),
            (("commonName", "x"),),
        )
    }
    assert tls.peer_oin(peercert) == CLIENT_OIN
    assert tls.peer_oin({"subject": ((("commonName", "x"),),)}) is None
    assert tls.peer_oin({}) is None and tls.peer_oin(None) is None


# --- real handshakes ------------------------------------------------------------------------


def test_valid_client_is_accepted_and_its_oin_is_read(
    pki: Material, server: tls.TlsServer, recorder: Recorder
) -> None:
    assert server.url.startswith("https://127.0.0.1:")
    with _client(pki, pki.client) as client:
        first = client.post(server.url + "/ebms", content=b"x" * 1000)
        second = client.post(server.url + "/ebms", content=b"y")
    assert first.status_code == 200 and first.text == f"{CLIENT_OIN}|1000"
    assert second.text == f"{CLIENT_OIN}|1"
    assert first.http_version == "HTTP/1.1"
    (oin1, port1, nagle1), (oin2, port2, _) = recorder.calls
    assert oin1 == oin2 == CLIENT_OIN
    assert port1 == port2, "keep-alive: both requests on one connection"
    assert nagle1, "the handler runs with TCP_NODELAY"


def test_localhost_name_works_too(pki: Material, server: tls.TlsServer) -> None:
    with _client(pki, pki.client) as client:
        assert client.post(f"https://localhost:{server.port}/", content=b"").status_code == 200


def test_client_without_certificate_is_refused(
    pki: Material, server: tls.TlsServer, recorder: Recorder
) -> None:
    anonymous = ssl.create_default_context(cadata=pki.ca.cert_pem.decode())
    with (
        httpx.Client(verify=anonymous, trust_env=False) as client,
        pytest.raises(httpx.TransportError),
    ):
        client.post(server.url, content=b"x")
    _wait_for(lambda: server.handshake_failures >= 1, "de mislukte handshake")
    assert recorder.calls == []


@pytest.mark.parametrize("who", ["stranger", "expired"])
def test_untrusted_or_expired_client_certificate_is_refused(
    pki: Material, server: tls.TlsServer, recorder: Recorder, who: str
) -> None:
    cert: IssuedCert = getattr(pki, who)
    with _client(pki, cert) as client, pytest.raises(httpx.TransportError):
        client.post(server.url, content=b"x")
    _wait_for(lambda: server.handshake_failures >= 1, "de mislukte handshake")
    assert recorder.calls == []


def test_wrong_host_name_is_refused_by_the_client(pki: Material, recorder: Recorder) -> None:
    with _server(pki, recorder, pki.wrong_host) as srv, _client(pki, pki.client) as client:
        with pytest.raises(httpx.ConnectError) as info:
            client.post(srv.url, content=b"x")
        assert "hostname" in str(info.value).lower() or "ip address" in str(info.value).lower()
    assert recorder.calls == []


def test_server_from_another_ca_is_refused_by_the_client(
    pki: Material, server: tls.TlsServer, recorder: Recorder
) -> None:
    client = _client(pki, pki.client, trust=pki.other_ca.cert_pem)
    with client, pytest.raises(httpx.ConnectError):
        client.post(server.url, content=b"x")
    assert recorder.calls == []


def test_a_stalled_connection_does_not_block_others(
    pki: Material, server: tls.TlsServer, recorder: Recorder
) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as silent:
        silent.sendall(b"\x16\x03")  # half a TLS record, then nothing
        with _client(pki, pki.client) as client:
            assert client.post(server.url, content=b"ok").status_code == 200
    assert [c[0] for c in recorder.calls] == [CLIENT_OIN]


def test_server_restarts_and_stops_cleanly(pki: Material, recorder: Recorder) -> None:
    srv = _server(pki, recorder)
    with pytest.raises(RuntimeError):
        _ = srv.url
    srv.start()
    with pytest.raises(RuntimeError):
        srv.start()
    srv.stop()
    srv.stop()  # idempotent
    with srv, _client(pki, pki.client) as client:
        assert client.post(srv.url, content=b"").status_code == 200


def test_handler_class_is_left_untouched(pki: Material, recorder: Recorder) -> None:
    handler = _handler(recorder)
    tls.TlsServer(
        tls.server_context(pki.server.cert_pem, pki.server.key_pem, pki.ca.cert_pem), handler
    )
    assert handler.disable_nagle_algorithm is False


def test_temp_dir_is_private(monkeypatch: pytest.MonkeyPatch, pki: Material) -> None:
    modes: list[tuple[int, int, int]] = []
    real = ssl.SSLContext.load_cert_chain

    def spy(
        self: ssl.SSLContext, certfile: str, keyfile: str | None = None, password: object = None
    ) -> None:
        assert keyfile is not None
        modes.append(
            (
                os.stat(Path(keyfile).parent).st_mode & 0o777,
                os.stat(keyfile).st_mode & 0o777,
                os.stat(certfile).st_mode & 0o777,
            )
        )
        real(self, certfile, keyfile)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
    tls.client_context(pki.client.cert_pem, pki.client.key_pem, pki.ca.cert_pem)
    assert modes == [(0o700, 0o600, 0o600)]
