"""Ping/Pong and StatusRequest/StatusResponse both ways, and synchronous acknowledgments
(syncReplyMode mshSignalsOnly) both ways, over real two-way TLS on loopback."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from console.db import models as m
from console.digikoppeling.ebms.cpa import CpaPartySpec, CpaSpec, build_cpa
from console.services.bootstrap import ConsoleServices
from console.services.demo import (
    BB_SERVICE,
    DEMO_CPA_ID,
    DEMO_OIN,
    DEMO_ORGANISATION,
    DEMO_RECEIVES,
    DEMO_SENDS,
    LOGIUS_OIN,
)

from .conftest import submit, wait_for


def _until(check: object, timeout: float = 20.0) -> object:
    """Poll *check* until it gives something truthy; the deadline only guards a hang."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()  # type: ignore[operator]
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def demo_cpa(
    *, sync: str = "none", retries: int = 5, interval: timedelta = timedelta(seconds=10)
) -> bytes:
    now = datetime.now(UTC)
    return build_cpa(
        CpaSpec(
            cpa_id=DEMO_CPA_ID,
            service=BB_SERVICE,
            service_type=None,
            parties=(
                CpaPartySpec(
                    DEMO_ORGANISATION, DEMO_OIN, "SR", "https://127.0.0.1:8443/ebms", DEMO_SENDS,
                    DEMO_RECEIVES,
                ),
                CpaPartySpec(
                    "Logius (simulator)", LOGIUS_OIN, "SP", "https://127.0.0.1:8444/ebms",
                    DEMO_RECEIVES, DEMO_SENDS,
                ),
            ),
            start=now - timedelta(days=1),
            end=now + timedelta(days=365),
            retries=retries,
            retry_interval=interval,
            sync_reply_mode=sync,
        )
    )  # fmt: skip


def test_ping_gets_a_pong_both_ways(workspace: ConsoleServices) -> None:
    assert workspace.ebms is not None and workspace.simulator is not None
    result = workspace.ebms.ping("Demo-simulator", timeout=20)
    assert result.ok and result.http_status == 200 and not result.synchronous
    assert result.pong_message_id and "Pong ontvangen" in result.detail
    with workspace.db.session() as s:
        kinds = {
            (x.direction, x.kind)
            for x in s.scalars(select(m.EbmsMessage).where(m.EbmsMessage.cpa_id == DEMO_CPA_ID))
        }
        assert {(m.EbmsDirection.OUT, m.EbmsKind.PING), (m.EbmsDirection.IN, m.EbmsKind.PONG)} <= (
            kinds
        )
    # And the other way: "Logius" pings the console; the Pong comes back as its own message.
    assert workspace.simulator.probe(DEMO_OIN) is None
    pong = _until(lambda: [x for x in workspace.simulator.signals_received if x.is_pong])
    assert pong


def test_status_request_is_not_answered_by_logius_on_the_letter_flow(
    workspace: ConsoleServices,
) -> None:
    assert workspace.ebms is not None and workspace.simulator is not None
    letter_id = submit(workspace, "999990019")
    detail = wait_for(workspace, letter_id)
    sent = detail.message_ids[0]
    result = workspace.ebms.status_request("Demo-simulator", sent, timeout=1)
    assert not result.answered and result.message_status is None
    assert "Logius beantwoordt een ebMS StatusRequest op de berichtenstroom niet" in result.detail
    # A simulator told to answer (not Logius' behaviour) gives a real StatusResponse.
    workspace.simulator.config = replace(workspace.simulator.config, answer_status_requests=True)
    answered = workspace.ebms.status_request("Demo-simulator", sent, timeout=10)
    assert answered.answered and answered.message_status in ("Received", "Processed")
    unknown = workspace.ebms.status_request("Demo-simulator", "onbekend@x", timeout=10)
    assert unknown.message_status == "NotRecognized"


def test_console_answers_a_status_request_from_logius(workspace: ConsoleServices) -> None:
    assert workspace.simulator is not None
    letter_id = submit(workspace, "999990019")
    wait_for(workspace, letter_id)
    with workspace.db.session() as s:
        result_id = s.scalar(
            select(m.EbmsMessage.message_id).where(
                m.EbmsMessage.direction == m.EbmsDirection.IN,
                m.EbmsMessage.action == "GLOBE-R-BV-Result",
            )
        )
    assert result_id is not None
    workspace.simulator.signals_received.clear()
    workspace.simulator.probe(DEMO_OIN, status_of=result_id)
    workspace.simulator.probe(DEMO_OIN, status_of="nooit-gezien@x")
    responses = _until(
        lambda: (
            [
                x.status_response
                for x in workspace.simulator.signals_received
                if x.status_response is not None
            ]
            if len(workspace.simulator.signals_received) >= 2
            else None
        )
    )
    assert isinstance(responses, list)
    by_ref = {r.ref_to_message_id: r for r in responses}
    assert by_ref[result_id].message_status == "Processed"
    assert by_ref[result_id].timestamp is not None
    assert by_ref["nooit-gezien@x"].message_status == "NotRecognized"


def test_synchronous_acknowledgments_both_ways(workspace: ConsoleServices) -> None:
    """With syncReplyMode mshSignalsOnly every Acknowledgment is in the HTTP response."""
    assert workspace.cpa is not None and workspace.simulator is not None
    imported = workspace.cpa.import_bytes(demo_cpa(sync="mshSignalsOnly"), "sync.xml")
    assert imported.connection_name == "Demo-simulator"
    assert workspace.ebms is not None
    ping = workspace.ebms.ping("Demo-simulator", timeout=10)
    assert ping.ok and ping.synchronous

    letter_id = submit(workspace, "999990019")
    detail = wait_for(workspace, letter_id)
    assert detail.row.verwerkings_code == "Verwerkt"
    with workspace.db.session() as s:
        out = s.scalar(
            select(m.EbmsMessage).where(
                m.EbmsMessage.batch_id == detail.row.batch_id,
                m.EbmsMessage.direction == m.EbmsDirection.OUT,
                m.EbmsMessage.kind == m.EbmsKind.USER,
            )
        )
        assert out is not None and b"SyncReply" in out.raw
        # Logius' acknowledgment of our batch came back in the HTTP response itself.
        (ack_in,) = s.scalars(
            select(m.EbmsMessage).where(
                m.EbmsMessage.direction == m.EbmsDirection.IN,
                m.EbmsMessage.kind == m.EbmsKind.ACK,
                m.EbmsMessage.ref_to_message_id == out.message_id,
            )
        )
        assert out.status is m.EbmsStatus.DELIVERED
        assert workspace.simulator.store.push_status(ack_in.message_id) is None  # never pushed
        # Our acknowledgment of the result went back in the HTTP response: delivered at
        # once, never queued for a separate POST.
        acks = list(
            s.scalars(
                select(m.EbmsMessage).where(
                    m.EbmsMessage.direction == m.EbmsDirection.OUT,
                    m.EbmsMessage.kind == m.EbmsKind.ACK,
                )
            )
        )
        assert acks and all(a.status is m.EbmsStatus.DELIVERED for a in acks)
        assert all(not a.delivery_attempts for a in acks)
        result_id = s.scalar(
            select(m.EbmsMessage.message_id).where(
                m.EbmsMessage.direction == m.EbmsDirection.IN,
                m.EbmsMessage.action == "GLOBE-R-BV-Result",
            )
        )
    assert workspace.simulator.store.push_status(result_id or "") == "acknowledged"


def test_inbound_message_ids_are_kept_for_the_retry_window(workspace: ConsoleServices) -> None:
    """Duplicate elimination keeps MessageIds at least (1+Retries) x RetryInterval."""
    assert workspace.cpa is not None
    workspace.cpa.import_bytes(demo_cpa(retries=30, interval=timedelta(hours=1)), "lang.xml")
    letter_id = submit(workspace, "999990019")
    wait_for(workspace, letter_id)
    with workspace.db.session() as s:
        result = s.scalar(
            select(m.EbmsMessage).where(
                m.EbmsMessage.direction == m.EbmsDirection.IN,
                m.EbmsMessage.action == "GLOBE-R-BV-Result",
            )
        )
        assert result is not None
        kept = s.get(m.InboundMessageId, result.message_id)
        assert kept is not None
        window = kept.keep_until - kept.received_at
        assert window == timedelta(hours=31)
        raw, ct = result.raw, result.content_type
        result_id = result.message_id

    # The same result again (Logius did not get our ack): acknowledged, not processed again.
    assert workspace.simulator is not None
    from console.digikoppeling.ebms.mime import parse_http

    again = parse_http(ct, raw, max_bytes=10_000_000)
    response = workspace.simulator.send(DEMO_OIN, again)
    assert response.status_code == 200
    with workspace.db.session() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(m.EbmsMessage)
                .where(m.EbmsMessage.message_id == result_id)
            )
            == 1
        )
        results = s.scalar(
            select(func.count())
            .select_from(m.LetterEventRecord)
            .where(m.LetterEventRecord.letter_id == letter_id, m.LetterEventRecord.kind == "result")
        )
        assert results == 1
    acks = _until(
        lambda: _count_acks(workspace, result_id) >= 2,
    )
    assert acks


def _count_acks(workspace: ConsoleServices, ref: str) -> int:
    with workspace.db.session() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(m.EbmsMessage)
                .where(
                    m.EbmsMessage.direction == m.EbmsDirection.OUT,
                    m.EbmsMessage.kind == m.EbmsKind.ACK,
                    m.EbmsMessage.ref_to_message_id == ref,
                )
            )
            or 0
        )
