"""check_inbound: an inbound message against a CPA, exactly as the inbound endpoint does."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from console.digikoppeling.ebms import envelope as env
from console.digikoppeling.ebms.cpa import Cpa, CpaPartySpec, CpaSpec, build_cpa, parse_cpa
from console.digikoppeling.ebms.mime import package
from console.digikoppeling.ebms.model import EbmsMessage, Party, Payload
from console.digikoppeling.ebms.validation import InboundVerdict, check_inbound

BB = "urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0"
GEMEENTE = "00000099123456789000"
LOGIUS = "00000004003214345001"
NOW = datetime.now(UTC)


def _cpa(sync: str = "none", **kw: object) -> Cpa:
    spec = CpaSpec(
        cpa_id="BB_demo_1",
        service=BB,
        service_type=None,
        parties=(
            CpaPartySpec(
                "Gemeente",
                GEMEENTE,
                "SR",
                "https://g.example/ebms",
                ("GLOBE-R-BV-Request",),
                ("GLOBE-R-BV-Result",),
            ),
            CpaPartySpec(
                "Logius",
                LOGIUS,
                "SP",
                "https://l.example/ebms",
                ("GLOBE-R-BV-Result",),
                ("GLOBE-R-BV-Request",),
            ),
        ),
        start=NOW - timedelta(days=1),
        end=NOW + timedelta(days=300),
        retries=4,
        retry_interval=timedelta(hours=2),
        sync_reply_mode=sync,
        **kw,  # type: ignore[arg-type]
    )
    return parse_cpa(build_cpa(spec))  # fmt: skip


def _result(**kw: object) -> EbmsMessage:
    values: dict[str, object] = {"sync_reply": False}
    values.update(kw)
    return env.user_message(
        "BB_demo_1",
        Party(LOGIUS, "SP"),
        Party(GEMEENTE, "SR"),
        BB,
        None,
        "GLOBE-R-BV-Result",
        [Payload("r1@logius", "text/xml", b"<Resultaat/>")],
        **values,  # type: ignore[arg-type]
    )


def _check(
    msg: EbmsMessage,
    cpa: Cpa | None = None,
    *,
    peer: str | None = LOGIUS,
    seen: bool = False,
    known: bool = True,
    now: datetime = NOW,
    check_cert: bool = True,
) -> InboundVerdict:
    the_cpa = cpa or _cpa()
    ct, body = package(msg)
    return check_inbound(
        ct,
        body,
        cpa_for=lambda cid: the_cpa if cid == the_cpa.cpa_id else None,
        now=now,
        max_bytes=10_000_000,
        peer_oin=peer,
        check_client_certificate=check_cert,
        seen=lambda _m: seen,
        known_message=lambda _m: known,
    )


def _codes(v: InboundVerdict) -> list[tuple[str, str | None]]:
    return [(e.code, e.location) for e in v.errors]


def test_a_good_result_is_accepted_with_the_senders_channel() -> None:
    v = _check(_result())
    assert v.valid and not v.duplicate and v.notes == ()
    assert v.from_party is not None and v.from_party.name == "Logius"
    assert v.channel is not None and v.channel.sender_reliable is not None
    assert v.channel.sender_reliable.retries == 4
    assert not v.sync_reply


def test_duplicate_is_flagged_not_refused() -> None:
    v = _check(_result(), seen=True)
    assert v.valid and v.duplicate


def test_unknown_cpa_is_value_not_recognized() -> None:
    msg = _result()
    msg = replace(msg, header=replace(msg.header, cpa_id="onbekend"))
    v = _check(msg)
    assert _codes(v) == [("ValueNotRecognized", "//Header/MessageHeader/CPAId")]
    assert v.may_reply and v.errors[0].ref_to_message_id == msg.header.message_id


def test_cpa_not_valid_now_is_inconsistent() -> None:
    v = _check(_result(), _cpa(status="proposed"))
    assert _codes(v) == [("Inconsistent", "//Header/MessageHeader/CPAId")]
    v = _check(_result(), now=NOW + timedelta(days=400))
    assert _codes(v) == [("Inconsistent", "//Header/MessageHeader/CPAId")]


def test_party_not_in_cpa_is_inconsistent() -> None:
    msg = _result()
    msg = replace(msg, header=replace(msg.header, to_party=Party("00000099999999999000", "SR")))
    assert _codes(_check(msg)) == [("Inconsistent", "//Header/MessageHeader/To/PartyId")]


@pytest.mark.parametrize(
    ("peer", "fragment"),
    [(None, "geen clientcertificaat"), ("00000099000000000666", "00000099000000000666")],
)
def test_client_certificate_must_carry_the_from_oin(peer: str | None, fragment: str) -> None:
    v = _check(_result(), peer=peer)
    assert _codes(v) == [("SecurityFailure", "//Header/MessageHeader/From/PartyId")]
    assert fragment in (v.errors[0].description or "")


def test_support_tool_may_skip_the_certificate_and_says_so() -> None:
    v = _check(_result(), peer=None, check_cert=False)
    assert v.valid and "niet gecontroleerd" in v.notes[0]


def test_action_the_party_may_not_send_is_value_not_recognized() -> None:
    msg = env.user_message(
        "BB_demo_1",
        Party(LOGIUS, "SP"),
        Party(GEMEENTE, "SR"),
        BB,
        None,
        "GLOBE-R-BV-Request",  # only the municipality sends this
        [Payload("r1@logius", "text/xml", b"<x/>")],
    )
    v = _check(msg)
    assert {c for c, _ in _codes(v)} == {"ValueNotRecognized"}
    assert {loc for _, loc in _codes(v)} == {"//Header/MessageHeader/Action"}
    assert "mag volgens CPA" in (v.errors[0].description or "")


def test_wrong_role_is_value_not_recognized_at_the_role() -> None:
    msg = _result()
    msg = replace(msg, header=replace(msg.header, from_party=Party(LOGIUS, "Afnemer")))
    assert _codes(_check(msg)) == [("ValueNotRecognized", "//Header/MessageHeader/From/Role")]


def test_unknown_ref_to_message_id() -> None:
    msg = _result()
    msg = replace(msg, header=replace(msg.header, ref_to_message_id="niet@bekend"))
    assert _codes(_check(msg, known=False)) == [
        ("ValueNotRecognized", "//Header/MessageHeader/MessageData/RefToMessageId")
    ]
    assert _check(msg, known=True).valid


def test_time_to_live_passed_is_time_to_live_expired() -> None:
    msg = _result(time_to_live=NOW - timedelta(seconds=1))
    assert _codes(_check(msg)) == [
        ("TimeToLiveExpired", "//Header/MessageHeader/MessageData/TimeToLive")
    ]
    assert _check(_result(time_to_live=NOW + timedelta(hours=1))).valid


def test_reliable_messaging_elements_must_match_the_channel() -> None:
    no_ack = _result(ack_requested=False)
    assert _codes(_check(no_ack)) == [("Inconsistent", "//Header/AckRequested")]
    no_dup = _result(duplicate_elimination=False)
    assert _codes(_check(no_dup)) == [
        ("Inconsistent", "//Header/MessageHeader/DuplicateElimination")
    ]


def test_sync_reply_must_match_sync_reply_mode() -> None:
    sync_cpa = _cpa("mshSignalsOnly")
    assert _codes(_check(_result(), sync_cpa)) == [("Inconsistent", "//Header/SyncReply")]
    v = _check(_result(sync_reply=True), sync_cpa)
    assert v.valid and v.sync_reply
    assert _codes(_check(_result(sync_reply=True))) == [("Inconsistent", "//Header/SyncReply")]


def test_signals_need_parties_of_the_cpa_but_no_service_binding() -> None:
    ping = env.ping("BB_demo_1", Party(LOGIUS, None), Party(GEMEENTE, None))
    v = _check(ping)
    assert v.valid and v.channel is not None  # the default MSH channel
    stranger = env.ping("BB_demo_1", Party("00000099999999999000", None), Party(GEMEENTE, None))
    assert ("Inconsistent", "//Header/MessageHeader/From/PartyId") in _codes(
        _check(stranger, peer="00000099999999999000")
    )


def test_acknowledgment_and_message_error_may_never_get_an_error_back() -> None:
    ack = env.acknowledgment_for(_result())
    msg = replace(ack, header=replace(ack.header, cpa_id="onbekend"))
    v = _check(msg, peer=GEMEENTE)
    assert not v.valid and not v.may_reply


def test_mime_problems_come_before_any_xml_parsing() -> None:
    v = check_inbound(
        "multipart/related; boundary=x; type=text/xml",
        b"--y\r\n\r\n<a/>\r\n--y--",
        cpa_for=lambda _c: None,
        now=NOW,
        max_bytes=1000,
        peer_oin=LOGIUS,
    )
    assert _codes(v)[0][0] == "MimeProblem" and v.header is None and not v.may_reply
    big = check_inbound(
        "text/xml", b"<a/>" * 400, cpa_for=lambda _c: None, now=NOW, max_bytes=1000, peer_oin=None
    )
    assert _codes(big) == [("MimeProblem", "Content-Length")]
