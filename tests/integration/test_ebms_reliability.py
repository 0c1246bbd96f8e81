"""Reliable messaging per the CPA and the Digikoppeling HTTP rules, over real TLS."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from console.db import models as m
from console.digikoppeling.ebms.envelope import message_error_for
from console.digikoppeling.ebms.mime import package, parse_http
from console.digikoppeling.ebms.model import EbmsError
from console.domain.letter import LetterDraft
from console.domain.lifecycle import LetterStatus
from console.engine.sender import INTERRUPTED, classify_reply
from console.services.bootstrap import ConsoleServices
from console.services.demo import DEMO_OIN
from console.services.errors import LetterRefused

from .conftest import submit, wait_for
from .test_ebms_signals import demo_cpa


def _fast_retries(ws: ConsoleServices) -> int:
    conn_id = ws.workspace.status().connection_id
    assert conn_id is not None
    with ws.db.session() as s:
        conn = s.get(m.Connection, conn_id)
        assert conn is not None
        conn.retry_interval_seconds = 0
        s.commit()
    return conn_id


def _out(ws: ConsoleServices, batch_id: str | None) -> m.EbmsMessage:
    with ws.db.session() as s:
        out = s.scalar(
            select(m.EbmsMessage).where(
                m.EbmsMessage.batch_id == batch_id,
                m.EbmsMessage.direction == m.EbmsDirection.OUT,
                m.EbmsMessage.kind == m.EbmsKind.USER,
            )
        )
        assert out is not None
        _ = list(out.delivery_attempts)  # loaded while the session is open
        s.expunge(out)
        return out


def test_503_is_recoverable_and_every_attempt_is_stored(workspace: ConsoleServices) -> None:
    assert workspace.simulator is not None
    _fast_retries(workspace)
    workspace.simulator.inject_http_status(503, 2)
    letter_id = submit(workspace, "999990019")
    detail = wait_for(workspace, letter_id)
    assert detail.row.status is LetterStatus.DELIVERED
    out = _out(workspace, detail.row.batch_id)
    attempts = [a for a in out.delivery_attempts if a.outcome != "sending"]
    assert [(a.http_status, a.outcome) for a in attempts[:3]] == [
        (503, "retry"),
        (503, "retry"),
        (200, "accepted"),
    ]
    # RetryInterval 0: until the acknowledgment is in, the same message may go again.
    assert all((a.http_status, a.outcome) == (200, "accepted") for a in attempts[3:])
    assert all(a.url.endswith("/ebms") and a.started_at <= datetime.now(UTC) for a in attempts)
    assert all(a.duration_ms >= 0 for a in attempts)
    assert "503" in (attempts[0].error or "") and attempts[2].error is None
    assert out.attempts >= 3
    kinds = [t.kind for t in detail.timeline]
    assert kinds.count("transport_error") == 2


def test_4xx_is_an_error_that_retrying_does_not_fix(workspace: ConsoleServices) -> None:
    assert workspace.simulator is not None
    workspace.simulator.inject_http_status(400)
    letter_id = submit(workspace, "999990019")
    detail = wait_for(workspace, letter_id)
    assert detail.row.status is LetterStatus.FAILED
    assert "HTTP 400" in detail.row.explanation
    out = _out(workspace, detail.row.batch_id)
    assert out.status is m.EbmsStatus.FAILED
    assert [(a.http_status, a.outcome) for a in out.delivery_attempts] == [(400, "refused")]


def test_500_without_a_client_fault_is_retried(workspace: ConsoleServices) -> None:
    assert workspace.simulator is not None
    _fast_retries(workspace)
    workspace.simulator.inject_http_status(500)
    letter_id = submit(workspace, "999990019")
    detail = wait_for(workspace, letter_id)
    assert detail.row.status is LetterStatus.DELIVERED
    out = _out(workspace, detail.row.batch_id)
    statuses = [a.http_status for a in out.delivery_attempts if a.outcome != "sending"]
    assert statuses[:2] == [500, 200] and set(statuses[2:]) <= {200}


def _response(status: int, content_type: str = "", body: bytes = b"") -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": content_type}, content=body)


SOAP_FAULT = (
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    b"<soap:Fault><faultcode>soap:%s</faultcode><faultstring>x</faultstring></soap:Fault>"
    b"</soap:Body></soap:Envelope>"
)


@pytest.mark.parametrize(
    ("status", "ct", "body", "outcome"),
    [
        (200, "", b"", "accepted"),
        (202, "", b"", "accepted"),
        (503, "text/plain", b"druk", "retry"),
        (502, "", b"", "retry"),
        (500, "text/xml", SOAP_FAULT % b"Server", "retry"),
        (500, "text/xml", SOAP_FAULT % b"Client", "refused"),
        (301, "", b"", "refused"),
        (404, "", b"", "refused"),
        (None, "", b"", "retry"),
    ],
)
def test_http_status_rules(status: int | None, ct: str, body: bytes, outcome: str) -> None:
    reply = _response(status, ct, body) if status is not None else None
    got, error, signal = classify_reply(status, reply, "Kan geen verbinding maken.")
    assert got == outcome and signal is None
    assert (error is None) == (outcome == "accepted")


def test_a_message_error_in_an_error_response_ends_the_message(workspace: ConsoleServices) -> None:
    letter_id = submit(workspace, "999990019")
    detail = wait_for(workspace, letter_id)
    out = _out(workspace, detail.row.batch_id)
    original = parse_http(out.content_type, out.raw, max_bytes=10_000_000)
    error = message_error_for(original, [EbmsError("SecurityFailure", description="nee")])
    ct, body = package(error)
    outcome, text, signal = classify_reply(500, _response(500, ct, body), None)
    assert outcome == "refused" and signal is not None and "SecurityFailure" in (text or "")


def test_time_to_live_expired_from_the_receiver_ends_the_letter_as_expired(
    workspace: ConsoleServices,
) -> None:
    assert workspace.simulator is not None and workspace.engine.runner is not None
    workspace.engine.runner.pause()
    letter_id = submit(workspace, "999990019")
    workspace.engine.runner.outbox.pack(datetime.now(UTC))
    with workspace.db.session() as s:
        out = s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.kind == m.EbmsKind.USER))
        assert out is not None
        original = parse_http(out.content_type, out.raw, max_bytes=10_000_000)
        assert original.header.time_to_live is not None  # PersistDuration from the CPA
        assert original.header.time_to_live == out.expires_at
    error = message_error_for(
        original,
        [EbmsError("TimeToLiveExpired", location="//Header/MessageHeader/MessageData/TimeToLive")],
    )
    assert workspace.simulator.send(DEMO_OIN, error).status_code == 200
    detail = wait_for(workspace, letter_id)
    assert detail.row.status is LetterStatus.EXPIRED
    assert "[TimeToLiveExpired]" in (detail.row.explanation or "")
    with workspace.db.session() as s:
        again = s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.id == out.id))
        assert again is not None and again.status is m.EbmsStatus.EXPIRED
    workspace.engine.runner.resume()


SIGNED = (
    "<tns:PersistDuration>P1D</tns:PersistDuration>",
    "<tns:PersistDuration>P1D</tns:PersistDuration><tns:SenderNonRepudiation>"
    "<tns:NonRepudiationProtocol>http://www.w3.org/2000/09/xmldsig#</tns:NonRepudiationProtocol>"
    "<tns:HashFunction>http://www.w3.org/2001/04/xmlenc#sha256</tns:HashFunction>"
    "<tns:SignatureAlgorithm>http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    '</tns:SignatureAlgorithm><tns:SigningCertificateRef tns:certId="x"/>'
    "</tns:SenderNonRepudiation>",
)


def test_signed_profile_imports_and_sending_is_refused(workspace: ConsoleServices) -> None:
    assert workspace.cpa is not None and workspace.engine.runner is not None
    signed = demo_cpa().decode().replace(*SIGNED).encode()
    result = workspace.cpa.import_bytes(signed, "ondertekend.xml")
    assert result.connection_name == "Demo-simulator"
    assert result.details.profile == "osb-rm-s" and not result.details.sending_supported
    status = workspace.workspace.status()
    assert status.organisation_id is not None
    with pytest.raises(LetterRefused) as info:
        workspace.letters.submit(
            LetterDraft(bsn="999990019", berichttype="BELAST", onderwerp="x"),
            status.organisation_id,
        )
    assert "osb-rm-s" in str(info.value) and "ondertekent en versleutelt geen" in str(info.value)
    # A letter that got into the queue anyway (e.g. before the CPA changed) is refused by the
    # outbox with the same reason, and nothing is sent.
    now = datetime.now(UTC)
    with workspace.db.session() as s:
        letter = m.Letter(
            organisation_id=status.organisation_id,
            connection_id=status.connection_id,
            berichttype="BELAST",
            bsn="999990019",
            onderwerp="x",
            berichttekst="",
            bericht_id="8f14e45f-ceea-467f-a0e6-0b7f8e9b0b7a",
            status=LetterStatus.QUEUED,
            created_at=now,
            updated_at=now,
        )
        s.add(letter)
        s.commit()
        letter_id = letter.id
    workspace.engine.runner.wake()
    detail = wait_for(workspace, letter_id)
    assert detail.row.status is LetterStatus.FAILED
    assert "osb-rm-s" in detail.row.explanation
    with workspace.db.session() as s:
        assert s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.kind == m.EbmsKind.USER)) is None
    assert workspace.ebms is not None
    from console.services.ebms import EbmsRefused

    with pytest.raises(EbmsRefused, match="osb-rm-s"):
        workspace.ebms.ping("Demo-simulator")


def test_an_attempt_cut_off_by_a_crash_is_kept_as_interrupted(workspace: ConsoleServices) -> None:
    runner = workspace.engine.runner
    assert runner is not None
    runner.pause()
    submit(workspace, "999990019")
    now = datetime.now(UTC)
    runner.outbox.pack(now)
    claimed = runner.sender._claim(now)  # what a crash right after the claim leaves behind
    assert len(claimed) == 1
    with workspace.db.session() as s:
        (attempt,) = s.scalars(select(m.DeliveryAttempt))
        assert attempt.outcome == "sending" and attempt.http_status is None
    assert runner.sender.recover(datetime.now(UTC)) == 1
    with workspace.db.session() as s:
        (attempt,) = s.scalars(select(m.DeliveryAttempt))
        assert attempt.outcome == "interrupted" and attempt.error == INTERRUPTED
        out = s.get(m.EbmsMessage, claimed[0].id)
        assert out is not None and out.status is m.EbmsStatus.PENDING and out.attempts == 1
    runner.resume()


def test_a_worker_that_loses_the_claim_race_takes_the_next_message(
    workspace: ConsoleServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With parallel sends, two workers read the same first due message; the one whose claim
    loses must claim the next one, not give up (it used to sit idle for the whole pass)."""
    import threading

    from console.engine.sender import Sender

    runner = workspace.engine.runner
    assert runner is not None
    runner.pause()
    for bsn in ("999990019", "999990020"):  # two batches: packed one after the other
        submit(workspace, bsn)
        runner.outbox.pack(datetime.now(UTC))
    now = datetime.now(UTC)
    rival: list[list[object]] = []
    raced = threading.Event()
    exhausted = Sender._exhausted

    def race(msg: m.EbmsMessage, retries: int, at: datetime) -> bool:
        if not raced.is_set():  # between this worker's read and its claim, another one claims
            raced.set()
            worker = threading.Thread(target=lambda: rival.append(list(runner.sender._claim(now))))
            worker.start()
            worker.join()
        return exhausted(msg, retries, at)

    monkeypatch.setattr(Sender, "_exhausted", staticmethod(race))
    claimed = runner.sender._claim(now)
    monkeypatch.undo()
    assert len(rival) == 1 and len(rival[0]) == 1 and len(claimed) == 1
    assert claimed[0].id != rival[0][0].id  # type: ignore[attr-defined]
    with workspace.db.session() as s:
        sending = s.scalars(
            select(m.EbmsMessage.id).where(m.EbmsMessage.status == m.EbmsStatus.SENDING)
        ).all()
    assert sorted(sending) == sorted([claimed[0].id, rival[0][0].id])  # type: ignore[attr-defined]
    runner.resume()


def test_an_acknowledgment_that_overtakes_the_http_response_is_not_overwritten(
    workspace: ConsoleServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asynchronous acks may arrive before the sender has recorded the HTTP 200 (the receiver
    acknowledges as soon as it stored the message; more so with parallel sends). The sender
    must then only record its attempt, not move the message back to 'sent, awaiting ack'
    (which left it waiting a whole RetryInterval for an ack it already had)."""
    from console.engine import sender as sender_module

    def ack_recorded() -> bool:
        with workspace.db.session() as s:
            return (
                s.scalar(
                    select(m.EbmsMessage.id).where(
                        m.EbmsMessage.kind == m.EbmsKind.USER,
                        m.EbmsMessage.direction == m.EbmsDirection.OUT,
                        m.EbmsMessage.status == m.EbmsStatus.DELIVERED,
                    )
                )
                is not None
            )

    real = sender_module.classify_reply
    overtaken: list[bool] = []

    def after_the_ack(*args: object, **kw: object):  # type: ignore[no-untyped-def]
        # The HTTP response is in; hold its recording until the inbound ack was recorded.
        deadline = datetime.now(UTC).timestamp() + 10
        while not ack_recorded() and datetime.now(UTC).timestamp() < deadline:
            time.sleep(0.02)
        overtaken.append(ack_recorded())
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(sender_module, "classify_reply", after_the_ack)
    letter_id = submit(workspace, "999990019")
    detail = wait_for(workspace, letter_id)
    out = _out(workspace, detail.row.batch_id)
    assert overtaken and overtaken[0] is True  # the ack really came first
    assert out.status is m.EbmsStatus.DELIVERED
    assert out.next_attempt_at is None
    assert [a.outcome for a in out.delivery_attempts] == ["accepted"]
    assert detail.row.status is LetterStatus.DELIVERED  # the result followed as usual
