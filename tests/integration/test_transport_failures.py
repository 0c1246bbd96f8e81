"""What happens when the other side is not there, or is not who it should be."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from console.db import models as m
from console.domain.lifecycle import LetterStatus
from console.services.bootstrap import ConsoleServices

from .conftest import submit, wait_for


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_endpoint_keeps_the_letter_with_the_error_and_retries(
    workspace: ConsoleServices,
) -> None:
    runner = workspace.engine.runner
    assert runner is not None and workspace.simulator is not None
    conn_id = workspace.workspace.status().connection_id
    assert conn_id is not None
    runner.pause()
    with workspace.db.session() as s:
        conn = s.get(m.Connection, conn_id)
        assert conn is not None
        conn.retry_interval_seconds = 1
        s.commit()
    good_url = runner.sender.endpoint_overrides[conn_id]
    runner.sender.endpoint_overrides[conn_id] = f"https://127.0.0.1:{_closed_port()}/ebms"
    letter_id = submit(workspace, "999990019")
    runner.resume()

    detail = wait_for(
        workspace, letter_id, lambda d: d.row.status_label == "Wacht op nieuwe poging"
    )
    assert detail.row.status is LetterStatus.SENDING
    assert "verbinding" in detail.row.explanation
    with workspace.db.session() as s:
        out = s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.batch_id == detail.row.batch_id))
        assert out is not None and out.status in (m.EbmsStatus.PENDING, m.EbmsStatus.SENDING)
        first = out.delivery_attempts[0]
        assert first.http_status is None and first.outcome == "retry" and first.error
        message_id = out.message_id

    # The endpoint comes back: the same batch and the same ebMS message get through.
    runner.sender.endpoint_overrides[conn_id] = good_url
    detail = wait_for(workspace, letter_id)
    assert detail.row.verwerkings_code == "Verwerkt"
    with workspace.db.session() as s:
        out = s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.message_id == message_id))
        assert out is not None and out.batch_id == detail.row.batch_id
        assert out.attempts >= 2
        assert out.delivery_attempts[-1].http_status == 200


def test_retries_end_in_expiry_with_a_reason(workspace: ConsoleServices) -> None:
    runner = workspace.engine.runner
    assert runner is not None
    conn_id = workspace.workspace.status().connection_id
    assert conn_id is not None
    runner.pause()
    with workspace.db.session() as s:
        conn = s.get(m.Connection, conn_id)
        assert conn is not None
        conn.retry_interval_seconds = 0
        conn.retries = 2
        s.commit()
    runner.sender.endpoint_overrides[conn_id] = f"https://127.0.0.1:{_closed_port()}/ebms"
    letter_id = submit(workspace, "999990019")
    runner.resume()
    detail = wait_for(workspace, letter_id)
    assert detail.row.status is LetterStatus.EXPIRED
    assert "3 pogingen" in detail.row.explanation


def _tls_without_client_cert(trust_pem: bytes) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cadata=trust_pem.decode())
    return ctx


@pytest.mark.parametrize("server", ["simulator", "inbound"])
def test_a_client_without_certificate_is_refused(workspace: ConsoleServices, server: str) -> None:
    runner = workspace.engine.runner
    assert runner is not None and workspace.simulator is not None
    url = workspace.simulator.url if server == "simulator" else runner.inbound_url
    assert url
    with workspace.db.session() as s:
        conn = s.scalar(select(m.Connection))
        assert conn is not None and conn.trust_pem
        trust = conn.trust_pem.encode()
    with (
        httpx.Client(verify=_tls_without_client_cert(trust), timeout=10) as client,
        pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)),
    ):
        client.post(url, content=b"<x/>", headers={"Content-Type": "text/xml"})


def test_the_simulator_eliminates_a_duplicate_and_acknowledges_it_again(
    workspace: ConsoleServices,
) -> None:
    letter_id = submit(workspace, "999990019")
    detail = wait_for(workspace, letter_id)
    assert detail.row.verwerkings_code == "Verwerkt"
    assert workspace.simulator is not None
    with workspace.db.session() as s:
        out = s.scalar(
            select(m.EbmsMessage).where(
                m.EbmsMessage.batch_id == detail.row.batch_id,
                m.EbmsMessage.direction == m.EbmsDirection.OUT,
                m.EbmsMessage.kind == m.EbmsKind.USER,
            )
        )
        assert out is not None
        conn_id, raw, ct, message_id = out.connection_id, out.raw, out.content_type, out.message_id
    assert conn_id is not None
    client = workspace.engine.runner.sender._transport.client_for(conn_id)  # type: ignore[union-attr]
    reply = client.post(
        workspace.simulator.url, content=raw, headers={"Content-Type": ct, "SOAPAction": '"ebXML"'}
    )
    assert reply.status_code == 200
    # Still one batch at the simulator, and no BerichtBestaatAl for the resent message.
    batches = workspace.simulator.store.batches()
    assert [b.message_id for b in batches] == [message_id]
    assert "BerichtBestaatAl" not in (batches[0].result_summary or "")

    # The re-acknowledgment arrives at the console's inbound endpoint.
    def acks() -> int:
        with workspace.db.session() as s:
            return len(
                list(
                    s.scalars(
                        select(m.EbmsMessage).where(
                            m.EbmsMessage.kind == m.EbmsKind.ACK,
                            m.EbmsMessage.direction == m.EbmsDirection.IN,
                            m.EbmsMessage.ref_to_message_id == message_id,
                        )
                    )
                )
            )

    wait_for(workspace, letter_id, lambda d: acks() >= 2)
    assert acks() == 2
    assert workspace.letters.detail(letter_id).row.status is LetterStatus.DELIVERED


def test_a_result_for_an_unknown_batch_is_kept(workspace: ConsoleServices) -> None:
    from console.berichtenbox.result import BatchResult, LetterResult, build_result
    from console.digikoppeling.ebms.envelope import user_message
    from console.digikoppeling.ebms.mime import package
    from console.digikoppeling.ebms.model import Party, Payload
    from console.domain.ids import new_guid
    from console.engine.signals import SignalProcessor

    now = datetime.now(UTC)
    batch_id = new_guid()
    result = BatchResult(
        "00000099123456789000", batch_id, 1, 1, 0, 0, 0, 0, 0, now, now,
        (LetterResult(new_guid(), "BELAST", "Verwerkt", "NA"),),
    )  # fmt: skip
    msg = user_message(
        cpa_id="x",
        from_party=Party("00000004003214345001", "SP"),
        to_party=Party("00000099123456789000", "SR"),
        service="urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0",
        service_type=None,
        action="GLOBE-R-BV-Result",
        payloads=[Payload("r@x", "text/xml", build_result(result))],
    )
    ct, body = package(msg)
    SignalProcessor(workspace.db).process(msg, body, ct)
    with workspace.db.session() as s:
        (kept,) = list(s.scalars(select(m.UnmatchedResult)))
        assert kept.batch_id == batch_id and "onbekende batch" in kept.reason
        assert batch_id.encode() in kept.raw
