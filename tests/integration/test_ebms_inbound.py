"""Inbound hardening, through the console's real two-way TLS endpoint on loopback."""

from __future__ import annotations

import ssl
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from console.db import models as m
from console.digikoppeling import tls
from console.digikoppeling.ebms import envelope as env
from console.digikoppeling.ebms.mime import SOAP_ACTION, package, parse_http
from console.digikoppeling.ebms.model import EbmsMessage, Party, Payload
from console.secrets.local_pki import LocalPki, issue_client_cert
from console.services.bootstrap import ConsoleServices
from console.services.demo import BB_SERVICE, DEMO_CPA_ID, DEMO_OIN, LOGIUS_OIN

from .conftest import FAST, open_test_workspace


def _pki(ws: ConsoleServices) -> LocalPki:
    return LocalPki.ensure(
        ws.paths.pki_dir,
        client_oin=DEMO_OIN,
        organisation="Gemeente Voorbeeld",
        simulator_oin=LOGIUS_OIN,
        client_key_available=True,
    )


def _client(ws: ConsoleServices, oin: str | None) -> httpx.Client:
    pki = _pki(ws)
    if oin is None:
        ctx = ssl.create_default_context(cadata=pki.trust_pem.decode())
        ctx.check_hostname = True
        return httpx.Client(verify=ctx, trust_env=False)
    cert = issue_client_cert(pki.ca, oin=oin, organisation="Test", common_name="test")
    return tls.http_client(
        tls.client_context(cert.cert_pem + pki.ca.cert_pem, cert.key_pem, pki.trust_pem)
    )


def _result(cpa_id: str = DEMO_CPA_ID, **ids: str) -> EbmsMessage:
    """A result from Logius; *ids* (message_id, conversation_id, ...) as env.user_message."""
    return env.user_message(
        cpa_id,
        Party(LOGIUS_OIN, "SP"),
        Party(DEMO_OIN, "SR"),
        BB_SERVICE,
        None,
        "GLOBE-R-BV-Result",
        [Payload("r@logius", "text/xml", b"<Resultaat/>")],
        **ids,  # type: ignore[arg-type]
    )


def _post(ws: ConsoleServices, oin: str | None, ct: str, body: bytes) -> httpx.Response:
    runner = ws.engine.runner
    assert runner is not None and runner.inbound_url is not None
    with _client(ws, oin) as client:
        return client.post(
            runner.inbound_url,
            content=body,
            headers={"Content-Type": ct, "SOAPAction": SOAP_ACTION},
        )


def _stored(ws: ConsoleServices, message_id: str) -> int:
    with ws.db.session() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(m.EbmsMessage)
                .where(m.EbmsMessage.message_id == message_id)
            )
            or 0
        )


def test_certificate_oin_must_be_the_from_party(workspace: ConsoleServices) -> None:
    msg = _result()
    response = _post(workspace, "00000099000000000666", *package(msg))
    assert response.status_code == 200
    error = parse_http(response.headers["content-type"], response.content, max_bytes=1_000_000)
    assert error.is_message_error
    assert [(e.code, e.location) for e in error.errors] == [
        ("SecurityFailure", "//Header/MessageHeader/From/PartyId")
    ]
    assert error.header.ref_to_message_id == msg.header.message_id
    assert _stored(workspace, msg.header.message_id) == 0  # not believed, not kept


def test_unknown_cpa_is_refused(workspace: ConsoleServices) -> None:
    response = _post(workspace, LOGIUS_OIN, *package(_result("een-andere-cpa")))
    error = parse_http(response.headers["content-type"], response.content, max_bytes=1_000_000)
    assert [e.code for e in error.errors] == ["ValueNotRecognized"]


def test_the_right_certificate_and_cpa_are_accepted(workspace: ConsoleServices) -> None:
    msg = _result()
    response = _post(workspace, LOGIUS_OIN, *package(msg))
    assert response.status_code == 200 and response.content == b""  # ack follows separately
    assert _stored(workspace, msg.header.message_id) == 1


def test_broken_mime_is_refused_before_parsing(workspace: ConsoleServices) -> None:
    response = _post(
        workspace, LOGIUS_OIN, 'multipart/related; type="text/xml"; boundary=abc', b"--xyz\r\n<a/>"
    )
    assert response.status_code == 400 and b"MimeProblem" in response.content


def test_a_client_without_certificate_does_not_get_in(workspace: ConsoleServices) -> None:
    with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
        _post(workspace, None, *package(_result()))


def test_body_size_is_checked_before_reading(tmp_path: Path) -> None:
    ws = open_test_workspace(
        tmp_path / "data", engine_settings=replace(FAST, max_inbound_bytes=50_000)
    )
    try:
        msg = env.user_message(
            DEMO_CPA_ID,
            Party(LOGIUS_OIN, "SP"),
            Party(DEMO_OIN, "SR"),
            BB_SERVICE,
            None,
            "GLOBE-R-BV-Result",
            [Payload("r@logius", "text/xml", b"<R>" + b"x" * 60_000 + b"</R>")],
        )
        response = _post(ws, LOGIUS_OIN, *package(msg))
        assert response.status_code == 413
        assert _stored(ws, msg.header.message_id) == 0
    finally:
        ws.close()
