"""ebMS on HTTP: MIME packaging, and refusing bad input with the right ebMS error code."""

from __future__ import annotations

import base64
import re

import pytest

from console.digikoppeling.ebms import envelope as env
from console.digikoppeling.ebms.mime import (
    SOAP_ACTION,
    EbmsReceiveError,
    is_ebms_soap_action,
    package,
    parse_http,
)
from console.digikoppeling.ebms.model import EbmsError, EbmsMessage, Party, Payload
from console.domain.ebms_errors import EbmsErrorCode

AFNEMER = Party("00000099000000001000", "Afnemer")
LOGIUS = Party("00000004003214345001", "Logius")
MAX = 1024 * 1024
PDF = b"%PDF-1.4\r\n\x00\x01\x02\xff\r\n--not-a-boundary\r\n\r\n%%EOF"


def _msg(*payloads: Payload) -> EbmsMessage:
    return env.user_message(
        "cpa", AFNEMER, LOGIUS, "urn:osb:services:BB", "urn:osb:services", "Act", list(payloads)
    )


def _refused(content_type: str, body: bytes, *, max_bytes: int = MAX) -> EbmsReceiveError:
    with pytest.raises(EbmsReceiveError) as info:
        parse_http(content_type, body, max_bytes=max_bytes)
    return info.value


def _multipart(boundary: str, parts: list[tuple[list[str], bytes]], *, close: bool = True) -> bytes:
    out = b""
    for headers, data in parts:
        out += f"--{boundary}\r\n".encode() + "".join(h + "\r\n" for h in headers).encode()
        out += b"\r\n" + data + b"\r\n"
    if close:
        out += f"--{boundary}--\r\n".encode()
    return out


def test_soap_action_value() -> None:
    assert SOAP_ACTION == '"ebXML"'
    assert is_ebms_soap_action('"ebXML"') and is_ebms_soap_action("ebXML")
    assert not is_ebms_soap_action(None) and not is_ebms_soap_action('""')


def test_package_layout_with_payloads() -> None:
    msg = _msg(
        Payload("bericht-1@x", "text/xml", b"<B/>"), Payload("bijlage@x", "application/pdf", PDF)
    )
    content_type, body = package(msg)
    assert content_type.startswith("multipart/related;")
    assert 'type="text/xml"' in content_type
    boundary = re.search(r'boundary="([^"]+)"', content_type)
    start = re.search(r'start="<([^>]+)>"', content_type)
    assert boundary and start
    parts = body.split(f"--{boundary[1]}".encode())
    assert parts[0] == b"" and parts[-1] == b"--\r\n"
    soap, first, second = parts[1:-1]
    assert soap.startswith(
        f"\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-ID: <{start[1]}>\r\n\r\n".encode()
    )
    assert b"<soap:Envelope" in soap
    assert first == b"\r\nContent-Type: text/xml\r\nContent-ID: <bericht-1@x>\r\n\r\n<B/>\r\n"
    assert second.endswith(b"\r\n\r\n" + PDF + b"\r\n")
    assert b"Content-Transfer-Encoding" not in body


def test_binary_payload_survives_unchanged() -> None:
    data = bytes(range(256)) * 50 + PDF
    back = parse_http(*package(_msg(Payload("b@x", "application/pdf", data))), max_bytes=MAX)
    assert back.payloads[0].data == data
    assert back.payloads[0].content_type == "application/pdf"


def test_a_received_payload_is_a_read_only_view_into_the_body_not_a_copy() -> None:
    """A batch payload is up to 100 MB: the receiver must not copy it to split the MIME."""
    data = bytes(range(256)) * 4000
    content_type, body = package(_msg(Payload("b@x", "application/pdf", data)))
    received = parse_http(content_type, body, max_bytes=MAX).payloads[0].data
    assert isinstance(received, memoryview) and received.readonly
    assert received.obj is body  # the very HTTP body, sliced
    assert received == data and bytes(received) == data


def test_signal_without_payloads_is_plain_text_xml_and_both_forms_are_read() -> None:
    ack = env.acknowledgment_for(_msg())
    content_type, body = package(ack)
    assert content_type == "text/xml; charset=UTF-8"
    assert body.startswith(b"<?xml")
    assert parse_http(content_type, body, max_bytes=MAX) == ack
    # the same signal wrapped in multipart/related, as other MSHs send it
    wrapped = _multipart("b1", [(["Content-Type: text/xml", "Content-ID: <s@x>"], body)])
    ct = 'multipart/related; type="text/xml"; boundary=b1; start="<s@x>"'
    assert parse_http(ct, wrapped, max_bytes=MAX) == ack


def test_start_part_need_not_be_first_and_start_defaults_to_first() -> None:
    msg = _msg(Payload("p@x", "text/xml", b"<P/>"))
    soap = env.build_envelope(msg)
    body = _multipart(
        "bb",
        [
            (["Content-ID: <p@x>", "Content-Type: text/xml"], b"<P/>"),
            (["Content-ID: <soap@x>", "Content-Type: text/xml; charset=utf-8"], soap),
        ],
    )
    assert (
        parse_http('multipart/related; boundary="bb"; start="<soap@x>"', body, max_bytes=MAX) == msg
    )
    body = _multipart(
        "bb",
        [
            (["Content-Type: text/xml"], soap),
            (["Content-ID: <p@x>", "Content-Type: text/xml"], b"<P/>"),
        ],
    )
    assert parse_http("multipart/related; type=text/xml; boundary=bb", body, max_bytes=MAX) == msg


def test_lf_line_endings_and_base64_parts_are_accepted() -> None:
    msg = _msg(Payload("p@x", "application/pdf", PDF))
    soap = env.build_envelope(msg)
    encoded = base64.encodebytes(PDF)
    body = (
        b"preamble\n--bb\nContent-Type: text/xml\n\n" + soap + b"\n--bb\n"
        b"Content-ID: <p@x>\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
        + encoded
        + b"\n--bb--\n"
    )
    back = parse_http("multipart/related; boundary=bb", body, max_bytes=MAX)
    assert back.payloads[0].data == PDF


# --- refusals: MIME -------------------------------------------------------------------------


def test_oversized_body_is_refused_before_parsing() -> None:
    content_type, body = package(_msg(Payload("p@x", "text/xml", b"x" * 2000)))
    err = _refused(content_type, body, max_bytes=len(body) - 1)
    assert err.codes == ("MimeProblem",)
    assert str(len(body) - 1) in (err.errors[0].description or "")
    assert err.header is None


@pytest.mark.parametrize(
    ("content_type", "body", "needle"),
    [
        ('multipart/related; type="text/xml"', b"--x\r\n\r\n<a/>\r\n--x--", "boundary"),
        ("multipart/related; boundary=zz", b"--x\r\n\r\n<a/>\r\n--x--\r\n", "boundary"),
        (
            "multipart/related; boundary=x",
            b"--x\r\nContent-Type: text/xml\r\n\r\n<a/>",
            "afsluitende",
        ),
        (
            'multipart/related; boundary=x; start="<nope@x>"',
            b"--x\r\nContent-ID: <a@x>\r\nContent-Type: text/xml\r\n\r\n<a/>\r\n--x--",
            "startdeel",
        ),
        (
            "multipart/related; boundary=x",
            b"--x\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--x--",
            "startdeel",
        ),
        (
            "multipart/related; boundary=x",
            b"--x\r\nContent-Type text/xml\r\n\r\n<a/>\r\n--x--",
            "kopregel",
        ),
        (
            "multipart/related; boundary=x",
            b"--x\r\nContent-Type: text/xml\r\n<a/>\r\n--x--",
            "lege regel",
        ),
        (
            'multipart/related; type="application/soap+xml"; boundary=x',
            b"--x\r\nContent-Type: text/xml\r\n\r\n<a/>\r\n--x--",
            "type",
        ),
        ("application/json", b"{}", "niet ondersteund"),
        ("text/xml; charset=ISO-8859-1", b"<a/>", "UTF-8"),
        ("", b"<a/>", "Content-Type"),
        ("text/xml", b"   ", "leeg"),
    ],
)
def test_bad_mime_is_mime_problem(content_type: str, body: bytes, needle: str) -> None:
    err = _refused(content_type, body)
    assert err.codes == ("MimeProblem",)
    assert needle.lower() in (str(err.errors[0].description) + str(err.errors[0].location)).lower()


def test_duplicate_content_id_is_mime_problem() -> None:
    soap = env.build_envelope(_msg(Payload("p@x", "text/xml", b"<P/>")))
    body = _multipart(
        "b",
        [
            (["Content-Type: text/xml"], soap),
            (["Content-ID: <p@x>", "Content-Type: text/xml"], b"1"),
            (["Content-ID: <p@x>", "Content-Type: text/xml"], b"2"),
        ],
    )
    assert _refused("multipart/related; boundary=b", body).codes == ("MimeProblem",)


def test_unresolvable_cid_is_mime_problem_and_keeps_the_header() -> None:
    msg = _msg(Payload("missing@x", "text/xml", b"<P/>"))
    soap = env.build_envelope(msg)
    body = _multipart("b", [(["Content-Type: text/xml"], soap)])
    err = _refused("multipart/related; boundary=b", body)
    assert err.codes == ("MimeProblem",)
    assert err.errors[0].location == "cid:missing@x"
    assert err.header == msg.header
    assert err.errors[0].ref_to_message_id == msg.header.message_id


def test_external_manifest_reference_is_mime_problem() -> None:
    soap = env.build_envelope(_msg(Payload("p@x", "text/xml", b"<P/>")))
    soap = soap.replace(b'"cid:p@x"', b'"https://example.org/p.xml"')
    err = _refused("text/xml", soap)
    assert err.codes == ("MimeProblem",)


def test_unreferenced_parts_are_not_payloads() -> None:
    msg = _msg(Payload("p@x", "text/xml", b"<P/>"))
    body = _multipart(
        "b",
        [
            (["Content-Type: text/xml"], env.build_envelope(msg)),
            (["Content-ID: <p@x>", "Content-Type: text/xml"], b"<P/>"),
            (["Content-ID: <extra@x>", "Content-Type: text/plain"], b"spam"),
        ],
    )
    assert parse_http("multipart/related; boundary=b", body, max_bytes=MAX) == msg


# --- refusals: XML --------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&xxe;</soap:Body>
</soap:Envelope>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lolz>&lol3;</lolz>"""


@pytest.mark.parametrize("doc", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_doctype_documents_are_other_xml(doc: bytes) -> None:
    err = _refused("text/xml", doc)
    assert err.codes == ("OtherXml",)
    assert "root:" not in str(err) and "lollol" not in str(err)
    wrapped = _multipart("b", [(["Content-Type: text/xml"], doc)])
    assert _refused("multipart/related; boundary=b", wrapped).codes == ("OtherXml",)


@pytest.mark.parametrize(
    "doc",
    [
        b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'><soap:Body>",
        b"<Envelope><Body/></Envelope>",
        b"<e:Envelope xmlns:e='http://www.w3.org/2003/05/soap-envelope'><e:Body/></e:Envelope>",
        b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'/>",
    ],
)
def test_not_xml_or_not_soap11_is_other_xml(doc: bytes) -> None:
    assert _refused("text/xml", doc).codes == ("OtherXml",)


# --- refusals: header -----------------------------------------------------------------------


def _soap_of(msg: EbmsMessage) -> bytes:
    return env.build_envelope(msg)


def test_missing_message_header_is_inconsistent() -> None:
    doc = b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'><soap:Header/><soap:Body/></soap:Envelope>"
    err = _refused("text/xml", doc)
    assert err.codes == ("Inconsistent",) and err.header is None


@pytest.mark.parametrize(
    ("old", "new", "code", "location", "keeps_header"),
    [
        (
            b'<eb:MessageHeader eb:version="2.0"',
            b'<eb:MessageHeader eb:version="1.0"',
            "Inconsistent",
            "//Header/MessageHeader/@version",
            True,
        ),
        (
            b'<eb:MessageHeader eb:version="2.0" soap:mustUnderstand="1"',
            b'<eb:MessageHeader eb:version="2.0" soap:mustUnderstand="0"',
            "Inconsistent",
            "//Header/MessageHeader/@mustUnderstand",
            True,
        ),
        (
            b'<eb:PartyId eb:type="urn:osb:oin">00000099000000001000</eb:PartyId>',
            b"",
            "Inconsistent",
            "//Header/MessageHeader/From/PartyId",
            False,
        ),
        (
            b'<eb:PartyId eb:type="urn:osb:oin">00000004003214345001</eb:PartyId>',
            b"<eb:PartyId>00000004003214345001</eb:PartyId>",
            "Inconsistent",
            "//Header/MessageHeader/To/PartyId",
            False,
        ),
        (
            b"<eb:CPAId>cpa</eb:CPAId>",
            b"<eb:CPAId> </eb:CPAId>",
            "Inconsistent",
            "//Header/MessageHeader/CPAId",
            False,
        ),
        (
            b"<eb:Action>Act</eb:Action>",
            b"",
            "Inconsistent",
            "//Header/MessageHeader/Action",
            False,
        ),
        (
            b"<eb:Role>Afnemer</eb:Role>",
            b"",
            "Inconsistent",
            "//Header/MessageHeader/From/Role",
            True,
        ),
        (
            b"Z</eb:Timestamp>",
            b"Q</eb:Timestamp>",
            "Inconsistent",
            "//Header/MessageHeader/MessageData/Timestamp",
            False,
        ),
        (
            b'soap:actor="urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH"',
            b'soap:actor="urn:oasis:names:tc:ebxml-msg:actor:nextMSH"',
            "NotSupported",
            "//Header/AckRequested/@actor",
            True,
        ),
        (
            b'soap:actor="urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH"',
            b"",
            "Inconsistent",
            "//Header/AckRequested/@actor",
            True,
        ),
        (
            b'eb:signed="false"',
            b'eb:signed="true"',
            "NotSupported",
            "//Header/AckRequested/@signed",
            True,
        ),
        (
            b'<eb:Manifest eb:version="2.0">',
            b'<eb:Manifest eb:version="1.0">',
            "Inconsistent",
            "//Body/Manifest/@version",
            True,
        ),
        (
            b"</soap:Header>",
            b'<eb:MessageOrder eb:version="2.0" soap:mustUnderstand="1"><eb:SequenceNumber>1'
            b"</eb:SequenceNumber></eb:MessageOrder></soap:Header>",
            "NotSupported",
            "//Header/MessageOrder",
            True,
        ),
        (
            b"</soap:Header>",
            b'<x:Security xmlns:x="urn:x" soap:mustUnderstand="1"/></soap:Header>',
            "NotSupported",
            "//Header/Security",
            True,
        ),
    ],
)
def test_header_problems_get_the_standard_error_code(
    old: bytes, new: bytes, code: str, location: str, keeps_header: bool
) -> None:
    msg = _msg(Payload("p@x", "text/xml", b"<P/>"))
    soap = _soap_of(msg)
    assert old in soap
    body = _multipart(
        "b",
        [
            (["Content-Type: text/xml"], soap.replace(old, new, 1)),
            (["Content-ID: <p@x>", "Content-Type: text/xml"], b"<P/>"),
        ],
    )
    err = _refused("multipart/related; boundary=b", body)
    assert (code, location) in [(e.code, e.location) for e in err.errors], err.errors
    assert all(e.code in {c.value for c in EbmsErrorCode} for e in err.errors)
    if keeps_header:
        assert err.header is not None
        assert err.header.message_id == msg.header.message_id
        assert err.header.cpa_id == msg.header.cpa_id
        assert all(e.ref_to_message_id == msg.header.message_id for e in err.errors)
    else:
        assert err.header is None
    assert "geweigerd" in str(err)


def test_unknown_header_block_without_must_understand_is_ignored() -> None:
    msg = _msg()
    soap = _soap_of(msg).replace(
        b"</soap:Header>", b'<x:Trace xmlns:x="urn:x">hi</x:Trace></soap:Header>'
    )
    assert parse_http("text/xml", soap, max_bytes=MAX) == msg


def test_signals_must_carry_their_parts() -> None:
    ack = env.acknowledgment_for(_msg())
    soap = _soap_of(ack)
    start = soap.index(b"<eb:Acknowledgment ")
    end = soap.index(b"</eb:Acknowledgment>") + len(b"</eb:Acknowledgment>")
    err = _refused("text/xml", soap[:start] + soap[end:])
    assert [(e.code, e.location) for e in err.errors] == [
        ("Inconsistent", "//Header/Acknowledgment")
    ]
    assert err.header == ack.header

    unknown = _soap_of(env.ping("c", AFNEMER, LOGIUS)).replace(b">Ping<", b">Dance<")
    assert _refused("text/xml", unknown).codes == ("ValueNotRecognized",)

    pong = _soap_of(env.pong_for(env.ping("c", AFNEMER, LOGIUS)))
    no_ref = re.sub(rb"<eb:RefToMessageId>[^<]*</eb:RefToMessageId>", b"", pong)
    assert _refused("text/xml", no_ref).codes == ("Inconsistent",)


def test_message_error_is_read_with_its_errors() -> None:
    msg = _msg()
    err_msg = env.message_error_for(msg, [EbmsError("SecurityFailure", description="Certificaat")])
    back = parse_http(*package(err_msg), max_bytes=MAX)
    assert back.is_message_error
    assert back.errors[0].code == "SecurityFailure"
    assert back.errors[0].ref_to_message_id == msg.header.message_id


def test_parts_without_headers() -> None:
    msg = _msg()
    soap = env.build_envelope(msg)
    body = (
        b"--b\r\nContent-Type: text/xml\r\n\r\n" + soap + b"\r\n--b\r\n\r\nanonymous\r\n--b--\r\n"
    )
    assert parse_http("multipart/related; boundary=b", body, max_bytes=MAX) == msg
    headerless_start = b"--b\r\n\r\n" + soap + b"\r\n--b--\r\n"
    assert _refused("multipart/related; boundary=b", headerless_start).codes == ("MimeProblem",)
