"""The engine's transport verifies the server against the environment's trust store, always."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from console.domain.environment import Environment
from console.engine.transport import TransportUnavailable
from tests.certificate_factory import make_ca
from tests.integration.loopback_party import Party, loopback_server, make_party


@pytest.fixture
def party(tmp_path: Path) -> Iterator[Party]:
    p = make_party(tmp_path)
    yield p
    p.transport.close()
    p.db.dispose()


def _post(party: Party, url: str) -> httpx.Response:
    client = party.transport.client_for(party.connection_id)
    return client.post(url, content=b"x", headers={"Content-Type": "text/plain"})


def test_trusted_server_is_reached_with_the_imported_client_certificate(party: Party) -> None:
    with loopback_server(
        party.server_cert(), [party.server_ca], [party.client_ca], mode="empty"
    ) as (srv, rx):
        response = _post(party, srv.url + "/ebms")
    assert response.status_code == 200
    assert rx.peer_oins == ["00000099123456789000"]  # the server saw our OIN


def test_replacing_the_trust_store_changes_whom_the_engine_trusts(party: Party) -> None:
    with loopback_server(
        party.server_cert(), [party.server_ca], [party.client_ca], mode="empty"
    ) as (srv, rx):
        assert _post(party, srv.url).status_code == 200

        # Logius "rolls over" to another CA: the old anchor goes, an unrelated one comes.
        (anchor,) = party.certificates.trust_list(Environment.PREPROD)
        party.certificates.trust_remove(anchor.id)
        with pytest.raises(TransportUnavailable, match="vertrouwde servercertificaten"):
            party.transport.client_for(party.connection_id)

        party.certificates.trust_import(Environment.PREPROD, make_ca("Nieuwe CA").cert_pem)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            _post(party, srv.url)
        assert len(rx.bodies) == 1  # nothing reached the server without verification

        party.certificates.trust_import(Environment.PREPROD, party.server_ca.cert_pem)
        assert _post(party, srv.url).status_code == 200


def test_host_name_is_checked_even_for_a_trusted_issuer(party: Party) -> None:
    server = party.server_cert(hosts=("bb.preprod.example",))
    with (
        loopback_server(server, [party.server_ca], [party.client_ca], mode="empty") as (srv, rx),
        pytest.raises(httpx.ConnectError, match=r"Hostname mismatch|IP address mismatch"),
    ):
        _post(party, srv.url)
    assert rx.bodies == []
