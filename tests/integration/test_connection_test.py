"""The connection test over real two-way TLS on 127.0.0.1: every step, good and bad."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.secrets.store import KeyringStore
from console.services.certificates import CertificateService
from console.services.connection_test import STEP_ORDER, ConnectionStep, StepStatus
from console.services.demo import DEMO_CONNECTION
from tests.certificate_factory import NOW, make_ca, make_leaf, p12
from tests.integration.conftest import open_test_workspace
from tests.integration.loopback_party import CONNECTION, Party, loopback_server, make_party


@pytest.fixture
def party(tmp_path: Path) -> Iterator[Party]:
    p = make_party(tmp_path)
    yield p
    p.transport.close()
    p.db.dispose()


def _statuses(result: object) -> dict[str, StepStatus]:
    return {s.key: s.status for s in result.steps}  # type: ignore[attr-defined]


def _detail(result: object, key: str) -> str:
    return next(s.detail for s in result.steps if s.key == key)  # type: ignore[attr-defined]


def test_every_step_passes_and_the_ping_gets_a_pong(party: Party) -> None:
    seen: list[ConnectionStep] = []
    with loopback_server(party.server_cert(), [party.server_ca], [party.client_ca]) as (srv, rx):
        party.set_endpoint(srv.url + "/ebms")
        result = party.tester.run(CONNECTION, on_step=seen.append)

    assert result.ok, result.steps
    assert [s.key for s in result.steps] == list(STEP_ORDER)
    assert set(_statuses(result).values()) == {StepStatus.OK}
    assert "Pong ontvangen" in _detail(result, "ping")
    assert "PREPROD" in _detail(result, "server_certificate")
    assert "00000004003214345001" in _detail(result, "server_certificate")
    # Live: each step is reported running first, then with its outcome, in order.
    assert [(s.key, s.status) for s in seen][:2] == [
        ("certificate", StepStatus.RUNNING),
        ("certificate", StepStatus.OK),
    ]
    assert [s.key for s in seen if s.status is not StepStatus.RUNNING] == list(STEP_ORDER)
    # The Ping really went over the wire with our client certificate.
    assert rx.peer_oins == ["00000099123456789000"]
    assert b"<eb:Action>Ping</eb:Action>" in rx.bodies[0]


def test_a_receiver_that_does_not_answer_ping_is_reported_honestly(party: Party) -> None:
    with loopback_server(
        party.server_cert(), [party.server_ca], [party.client_ca], mode="empty"
    ) as (srv, _rx):
        party.set_endpoint(srv.url + "/ebms")
        result = party.tester.run(CONNECTION)
    assert _statuses(result)["ping"] is StepStatus.WARNING
    assert "geen Pong" in _detail(result, "ping")
    assert _statuses(result)["tls"] is StepStatus.OK


def test_server_certificate_from_an_untrusted_issuer_is_refused(party: Party) -> None:
    stranger = make_ca("Onbekende CA")
    server = make_leaf(stranger, oin=None, hosts=["127.0.0.1"], server=True)
    with loopback_server(server, [stranger], [party.client_ca]) as (srv, rx):
        party.set_endpoint(srv.url + "/ebms")
        result = party.tester.run(CONNECTION)
    statuses = _statuses(result)
    assert statuses["tls"] is StepStatus.FAILED
    assert statuses["server_certificate"] is StepStatus.FAILED
    assert "trust store van PREPROD" in _detail(result, "server_certificate")
    assert statuses["ping"] is StepStatus.SKIPPED
    assert rx.bodies == []
    assert not result.ok and "TLS-handshake" in result.summary


def test_server_certificate_for_another_host_name_is_refused(party: Party) -> None:
    server = party.server_cert(hosts=("bb.preprod.example",))
    with loopback_server(server, [party.server_ca], [party.client_ca]) as (srv, rx):
        party.set_endpoint(srv.url + "/ebms")
        result = party.tester.run(CONNECTION)
    assert _statuses(result)["server_certificate"] is StepStatus.FAILED
    assert "hoort niet bij de naam 127.0.0.1" in _detail(result, "server_certificate")
    assert rx.bodies == []


def test_expired_server_certificate_is_refused(party: Party) -> None:
    server = party.server_cert(
        not_before=NOW - dt.timedelta(days=800), not_after=NOW - dt.timedelta(days=2)
    )
    with loopback_server(server, [party.server_ca], [party.client_ca]) as (srv, _rx):
        party.set_endpoint(srv.url + "/ebms")
        result = party.tester.run(CONNECTION)
    assert _statuses(result)["server_certificate"] is StepStatus.FAILED
    assert "verlopen" in _detail(result, "server_certificate")


def test_server_refusing_our_client_certificate(tmp_path: Path) -> None:
    party = make_party(tmp_path, client_cert_wait=10)  # the refusal ends the wait at once
    try:
        other_client_ca = make_ca("Andere client-CA")
        with loopback_server(party.server_cert(), [party.server_ca], [other_client_ca]) as (
            srv,
            rx,
        ):
            party.set_endpoint(srv.url + "/ebms")
            result = party.tester.run(CONNECTION)
        statuses = _statuses(result)
        assert statuses["tls"] is StepStatus.FAILED
        assert "clientcertificaat" in _detail(result, "tls")
        assert statuses["ping"] is StepStatus.SKIPPED
        assert rx.bodies == []
    finally:
        party.transport.close()
        party.db.dispose()


def test_nobody_listening_fails_at_tcp(party: Party) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    party.set_endpoint(f"https://127.0.0.1:{port}/ebms")
    result = party.tester.run(CONNECTION)
    statuses = _statuses(result)
    assert statuses["dns"] is StepStatus.OK
    assert statuses["tcp"] is StepStatus.FAILED
    assert "weigert de verbinding" in _detail(result, "tcp")
    assert [statuses[k] for k in ("tls", "server_certificate", "ping")] == [StepStatus.SKIPPED] * 3


def test_unknown_host_name_fails_at_dns(party: Party, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_name(*_args: object, **_kw: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # no DNS traffic from a test
    party.set_endpoint("https://bb.preprod.invalid/ebms")
    result = party.tester.run(CONNECTION)
    assert _statuses(result)["dns"] is StepStatus.FAILED
    assert "bb.preprod.invalid kan niet worden gevonden" in _detail(result, "dns")
    assert _statuses(result)["tcp"] is StepStatus.SKIPPED


def test_expired_client_certificate_stops_before_the_handshake(party: Party) -> None:
    past = CertificateService(
        party.db, KeyringStore(backend=party.backend), clock=lambda: NOW - dt.timedelta(days=500)
    )
    expired = make_leaf(
        party.client_ca,
        not_before=NOW - dt.timedelta(days=600),
        not_after=NOW - dt.timedelta(days=1),
    )
    past.import_file(p12(expired, [party.client_ca], None), connection=CONNECTION)
    party.transport.forget(party.connection_id)
    with loopback_server(party.server_cert(), [party.server_ca], [party.client_ca]) as (srv, rx):
        party.set_endpoint(srv.url + "/ebms")
        result = party.tester.run(CONNECTION)
    statuses = _statuses(result)
    assert statuses["certificate"] is StepStatus.FAILED
    assert "verlopen" in _detail(result, "certificate")
    assert statuses["tls"] is StepStatus.FAILED and "verlopen" in _detail(result, "tls")
    assert rx.bodies == []


def test_demo_workspace_pings_the_built_in_simulator(tmp_path: Path) -> None:
    services = open_test_workspace(tmp_path / "data")
    try:
        result = services.connection_test.run(DEMO_CONNECTION)
    finally:
        services.close()
    assert result.ok, result.steps
    assert _statuses(result)["ping"] is StepStatus.OK
    assert "SIMULATOR" in _detail(result, "server_certificate")
