"""ebMS envelopes: what the factories build, and build -> package -> parse round trips."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from console.digikoppeling.ebms import envelope as env
from console.digikoppeling.ebms.mime import package, parse_http
from console.digikoppeling.ebms.model import (
    NS_EB,
    NS_SOAP,
    NS_XLINK,
    SERVICE_EBMS,
    SOAP_NEXT_ACTOR,
    TO_PARTY_MSH_ACTOR,
    Acknowledgment,
    EbmsError,
    EbmsMessage,
    MessageHeader,
    Party,
    Payload,
    StatusResponse,
)

NS = {"soap": NS_SOAP, "eb": NS_EB, "xlink": NS_XLINK}
AFNEMER = Party("00000099000000001000", "Afnemer")
LOGIUS = Party("00000004003214345001", "Logius")
SERVICE = "urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0"
MAX = 10 * 1024 * 1024


def _tree(msg: EbmsMessage) -> etree._Element:
    return etree.fromstring(env.build_envelope(msg))


def _one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, (path, found)
    el = found[0]
    assert isinstance(el, etree._Element)
    return el


def _roundtrip(msg: EbmsMessage) -> EbmsMessage:
    content_type, body = package(msg)
    return parse_http(content_type, body, max_bytes=MAX)


def _user(**kwargs: object) -> EbmsMessage:
    return env.user_message(
        "cpa_bb_00000099000000001000",
        AFNEMER,
        LOGIUS,
        SERVICE,
        "urn:osb:services",
        "GLOBE-R-BV-Request",
        [Payload("bericht-1@berichtenbox-console.local", "text/xml", b"<Berichten/>")],
        **kwargs,  # type: ignore[arg-type]
    )


# --- the factories --------------------------------------------------------------------------


def test_user_message_has_the_osb_rm_header() -> None:
    msg = _user(conversation_id="conv-1", message_id="m-1@x")
    root = _tree(msg)
    mh = _one(root, "/soap:Envelope/soap:Header/eb:MessageHeader")
    assert mh.get(f"{{{NS_EB}}}version") == "2.0"
    assert mh.get(f"{{{NS_SOAP}}}mustUnderstand") == "1"
    from_id = _one(mh, "eb:From/eb:PartyId")
    assert from_id.text == "00000099000000001000"
    assert from_id.get(f"{{{NS_EB}}}type") == "urn:osb:oin"
    assert _one(mh, "eb:From/eb:Role").text == "Afnemer"
    assert _one(mh, "eb:To/eb:PartyId").text == "00000004003214345001"
    assert _one(mh, "eb:CPAId").text == "cpa_bb_00000099000000001000"
    assert _one(mh, "eb:ConversationId").text == "conv-1"
    service = _one(mh, "eb:Service")
    assert service.text == SERVICE and service.get(f"{{{NS_EB}}}type") == "urn:osb:services"
    assert _one(mh, "eb:Action").text == "GLOBE-R-BV-Request"
    assert _one(mh, "eb:MessageData/eb:MessageId").text == "m-1@x"
    assert (_one(mh, "eb:MessageData/eb:Timestamp").text or "").endswith("Z")
    assert not mh.xpath("eb:MessageData/eb:RefToMessageId", namespaces=NS)
    _one(mh, "eb:DuplicateElimination")

    ack_req = _one(root, "/soap:Envelope/soap:Header/eb:AckRequested")
    assert ack_req.get(f"{{{NS_SOAP}}}actor") == TO_PARTY_MSH_ACTOR
    assert ack_req.get(f"{{{NS_EB}}}signed") == "false"
    assert ack_req.get(f"{{{NS_EB}}}version") == "2.0"
    assert ack_req.get(f"{{{NS_SOAP}}}mustUnderstand") == "1"
    assert not root.xpath("//eb:SyncReply", namespaces=NS)

    ref = _one(root, "/soap:Envelope/soap:Body/eb:Manifest/eb:Reference")
    assert ref.get(f"{{{NS_XLINK}}}href") == "cid:bericht-1@berichtenbox-console.local"
    assert ref.get(f"{{{NS_XLINK}}}type") == "simple"


def test_user_message_generates_unique_ids_and_honours_switches() -> None:
    a, b = _user(), _user()
    assert a.header.message_id != b.header.message_id
    assert a.header.conversation_id != b.header.conversation_id
    assert "@" in a.header.message_id
    ttl = datetime(2030, 1, 1, 12, tzinfo=UTC)
    msg = _user(ack_requested=False, duplicate_elimination=False, sync_reply=True, time_to_live=ttl)
    root = _tree(msg)
    assert not root.xpath("//eb:AckRequested | //eb:DuplicateElimination", namespaces=NS)
    sync = _one(root, "//eb:SyncReply")
    assert sync.get(f"{{{NS_SOAP}}}actor") == SOAP_NEXT_ACTOR
    assert _one(root, "//eb:TimeToLive").text == "2030-01-01T12:00:00.000Z"


def test_user_message_refuses_what_would_be_wrong_on_the_wire() -> None:
    with pytest.raises(ValueError):
        env.user_message("c", AFNEMER, LOGIUS, SERVICE_EBMS, None, "Ping", [])
    with pytest.raises(ValueError, match="Role"):
        env.user_message("c", Party("00000099000000001000", None), LOGIUS, SERVICE, None, "A", [])
    dup = [Payload("a@x", "text/xml", b"1"), Payload("a@x", "text/xml", b"2")]
    with pytest.raises(ValueError, match="Content-ID"):
        env.user_message("c", AFNEMER, LOGIUS, SERVICE, None, "A", dup)


def test_acknowledgment_swaps_parties_and_refers_to_the_message() -> None:
    msg = _user()
    ack = env.acknowledgment_for(msg)
    h = ack.header
    assert (h.from_party, h.to_party) == (LOGIUS, AFNEMER)
    assert h.cpa_id == msg.header.cpa_id
    assert h.conversation_id == msg.header.conversation_id
    assert h.ref_to_message_id == msg.header.message_id
    assert (h.service, h.action, h.service_type) == (SERVICE_EBMS, "Acknowledgment", None)
    assert h.message_id != msg.header.message_id
    assert ack.is_acknowledgment and not ack.ack_requested and not h.duplicate_elimination
    root = _tree(ack)
    el = _one(root, "/soap:Envelope/soap:Header/eb:Acknowledgment")
    assert el.get(f"{{{NS_SOAP}}}actor") == TO_PARTY_MSH_ACTOR
    assert el.get(f"{{{NS_SOAP}}}mustUnderstand") == "1"
    assert _one(el, "eb:RefToMessageId").text == msg.header.message_id
    assert _one(el, "eb:From/eb:PartyId").text == LOGIUS.party_id
    assert not root.xpath("//eb:Service/@eb:type", namespaces=NS)
    with pytest.raises(ValueError):
        env.acknowledgment_for(ack)


def test_message_error_lists_errors_with_highest_severity() -> None:
    msg = _user()
    errors = [
        EbmsError("Inconsistent", location="//Header/MessageHeader/CPAId", description="Onbekend"),
        EbmsError("Unknown", severity="Warning"),
    ]
    err = env.message_error_for(msg.header, errors)
    assert err.is_message_error
    assert err.header.ref_to_message_id == msg.header.message_id
    assert all(e.ref_to_message_id == msg.header.message_id for e in err.errors)
    root = _tree(err)
    error_list = _one(root, "//eb:ErrorList")
    assert error_list.get(f"{{{NS_EB}}}highestSeverity") == "Error"
    first = _one(error_list, "eb:Error[1]")
    assert first.get(f"{{{NS_EB}}}errorCode") == "Inconsistent"
    assert first.get(f"{{{NS_EB}}}codeContext") == "urn:oasis:names:tc:ebxml-msg:service:errors"
    assert first.get(f"{{{NS_EB}}}location") == "//Header/MessageHeader/CPAId"
    desc = _one(first, "eb:Description")
    assert desc.text == "Onbekend"
    assert desc.get("{http://www.w3.org/XML/1998/namespace}lang") == "nl"
    only_warning = env.message_error_for(msg, [EbmsError("Unknown", severity="Warning")])
    assert (
        _one(_tree(only_warning), "//eb:ErrorList").get(f"{{{NS_EB}}}highestSeverity") == "Warning"
    )
    with pytest.raises(ValueError):
        env.message_error_for(msg, [])


def test_ping_pong_and_status_messages() -> None:
    p = env.ping("cpa", AFNEMER, LOGIUS, sync_reply=True)
    assert p.is_ping and p.sync_reply and p.header.service == SERVICE_EBMS
    pong = env.pong_for(p)
    assert pong.is_pong and pong.header.ref_to_message_id == p.header.message_id
    assert pong.header.from_party == LOGIUS
    with pytest.raises(ValueError):
        env.pong_for(pong)

    req = env.status_request("cpa", AFNEMER, LOGIUS, "m-1@x")
    assert req.is_status_request and req.status_request_ref == "m-1@x"
    assert _one(_tree(req), "//soap:Body/eb:StatusRequest/eb:RefToMessageId").text == "m-1@x"
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    resp = env.status_response_for(req, "Received", when)
    assert resp.is_status_response
    assert resp.status_response == StatusResponse("m-1@x", "Received", when)
    el = _one(_tree(resp), "//soap:Body/eb:StatusResponse")
    assert el.get(f"{{{NS_EB}}}messageStatus") == "Received"
    assert _one(el, "eb:Timestamp").text == "2026-01-02T03:04:05.000Z"
    with pytest.raises(ValueError):
        env.status_response_for(req, "NotRecognized", when)
    with pytest.raises(ValueError):
        env.status_response_for(req, "Gelezen")
    with pytest.raises(ValueError):
        env.status_response_for(p, "Received")


def test_timestamps_are_utc_with_z() -> None:
    amsterdam = timezone(timedelta(hours=2))
    assert env.format_timestamp(datetime(2026, 6, 1, 14, 0, tzinfo=amsterdam)) == (
        "2026-06-01T12:00:00.000Z"
    )
    assert env.format_timestamp(datetime(2026, 6, 1, 12, 0, 0, 1, tzinfo=UTC)) == (
        "2026-06-01T12:00:00.000001Z"
    )
    with pytest.raises(ValueError):
        env.format_timestamp(datetime(2026, 6, 1, 12))
    with pytest.raises(ValueError):
        MessageHeader("c", "c", AFNEMER, LOGIUS, "s", None, "a", "m", datetime(2026, 1, 1))


def test_xml_special_characters_are_escaped_and_come_back() -> None:
    msg = _user(conversation_id="a<b>&\"c'", message_id="<m>&@x")
    back = _roundtrip(msg)
    assert back == msg


# --- round trips ----------------------------------------------------------------------------

_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).filter(lambda s: s == s.strip() and s.strip() != "")
_URI = st.from_regex(r"urn:[a-z]{1,8}:[A-Za-z0-9.:$_-]{1,30}", fullmatch=True)
_WHEN = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]),
)


@st.composite
def _parties(draw: st.DrawFn, *, role: bool) -> Party:
    if draw(st.booleans()):
        return Party(draw(_URI), draw(_TEXT) if role else None, party_type=None)
    party_type = draw(st.sampled_from(["urn:osb:oin"]) | _TEXT)
    return Party(draw(_TEXT), draw(_TEXT) if role else draw(st.none() | _TEXT), party_type)


@st.composite
def _headers(
    draw: st.DrawFn, *, service: str | None = None, action: str | None = None
) -> MessageHeader:
    if service is None:
        typed = draw(st.booleans())
        service_type = draw(_TEXT) if typed else None
        service = draw(_TEXT) if typed else draw(_URI)
        role = True
    else:
        service_type = None
        role = False
    return MessageHeader(
        cpa_id=draw(_TEXT),
        conversation_id=draw(_TEXT),
        from_party=draw(_parties(role=role)),
        to_party=draw(_parties(role=role)),
        service=service,
        service_type=service_type,
        action=action or draw(_TEXT),
        message_id=draw(_TEXT),
        timestamp=draw(_WHEN),
        ref_to_message_id=draw(st.none() | _TEXT),
        time_to_live=draw(st.none() | _WHEN),
        duplicate_elimination=draw(st.booleans()),
    )


_CID = st.from_regex(r"[A-Za-z0-9._%+-]{1,20}@[a-z]{1,10}\.[a-z]{2,4}", fullmatch=True)
_PAYLOADS = st.lists(
    st.builds(
        Payload,
        content_id=_CID,
        content_type=st.sampled_from(["text/xml", "application/pdf", "application/octet-stream"]),
        data=st.binary(max_size=300),
    ),
    max_size=3,
    unique_by=lambda p: p.content_id,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=_headers(),
    payloads=_PAYLOADS,
    ack_requested=st.booleans(),
    sync_reply=st.booleans(),
)
def test_business_message_roundtrip(
    header: MessageHeader, payloads: list[Payload], ack_requested: bool, sync_reply: bool
) -> None:
    msg = EbmsMessage(
        header=header,
        ack_requested=ack_requested,
        sync_reply=sync_reply,
        payloads=tuple(payloads),
    )
    back = _roundtrip(msg)
    assert back == msg
    assert back.raw_envelope == env.build_envelope(msg)


@settings(max_examples=60)
@given(header=_headers(service=SERVICE_EBMS, action="Acknowledgment"), ref=_TEXT, when=_WHEN)
def test_acknowledgment_roundtrip(header: MessageHeader, ref: str, when: datetime) -> None:
    header = dataclasses.replace(header, ref_to_message_id=ref)
    msg = EbmsMessage(header=header, acknowledgment=Acknowledgment(ref, when))
    assert _roundtrip(msg) == msg


@settings(max_examples=60)
@given(
    header=_headers(service=SERVICE_EBMS, action="MessageError"),
    ref=_TEXT,
    errors=st.lists(
        st.builds(
            EbmsError,
            code=st.sampled_from(["ValueNotRecognized", "Inconsistent", "MimeProblem"]) | _TEXT,
            severity=st.sampled_from(["Error", "Warning"]),
            location=st.none() | _TEXT,
            description=st.none() | _TEXT,
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_message_error_roundtrip(header: MessageHeader, ref: str, errors: list[EbmsError]) -> None:
    header = dataclasses.replace(header, ref_to_message_id=ref)
    errors = [dataclasses.replace(e, ref_to_message_id=ref) for e in errors]
    msg = EbmsMessage(header=header, errors=tuple(errors))
    assert _roundtrip(msg) == msg


@settings(max_examples=60)
@given(
    header=_headers(service=SERVICE_EBMS, action="StatusResponse"),
    ref=_TEXT,
    status=st.sampled_from(["Received", "Processed", "Forwarded", "NotRecognized", "UnAuthorized"]),
    when=_WHEN,
)
def test_status_response_roundtrip(
    header: MessageHeader, ref: str, status: str, when: datetime
) -> None:
    header = dataclasses.replace(header, ref_to_message_id=ref)
    stamp = when if status in {"Received", "Processed", "Forwarded"} else None
    msg = EbmsMessage(header=header, status_response=StatusResponse(ref, status, stamp))
    assert _roundtrip(msg) == msg


def test_factory_messages_roundtrip() -> None:
    msg = _user(sync_reply=True)
    req = env.status_request("cpa", AFNEMER, LOGIUS, msg.header.message_id)
    p = env.ping("cpa", AFNEMER, LOGIUS)
    for m in (
        msg,
        env.acknowledgment_for(msg),
        env.message_error_for(
            msg, [EbmsError("Inconsistent", location="//Header", description="x")]
        ),
        p,
        env.pong_for(p),
        req,
        env.status_response_for(req, "Processed", datetime.now(UTC)),
    ):
        back = _roundtrip(m)
        assert back == m
        assert back.is_acknowledgment == m.is_acknowledgment
        assert back.is_message_error == m.is_message_error
