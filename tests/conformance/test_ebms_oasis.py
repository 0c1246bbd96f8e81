"""ebMS against the external oracles in ../shared/reference/ebms-core.

1. What we build validates against the OASIS schemas (msg-header-2_0.xsd + envelope.xsd).
2. ebms-core's own wire templates (Thymeleaf placeholders filled in here, in memory) are
   read correctly, and its negative templates are refused with the right error code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from console.digikoppeling.ebms import envelope as env
from console.digikoppeling.ebms.mime import EbmsReceiveError, package, parse_http
from console.digikoppeling.ebms.model import EbmsError, EbmsMessage, Party, Payload

REFERENCE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "reference").resolve()
MAX = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def ebms_core() -> Path:
    folder = REFERENCE / "ebms-core"
    if not folder.is_dir():
        pytest.skip(f"referentiebestanden ontbreken: {folder}")
    return folder


class _LocalOnly(etree.Resolver):
    """Resolve schema imports to the files beside msg-header-2_0.xsd; never the network."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def resolve(  # type: ignore[override]  # lxml-stubs lack the context argument
        self, system_url: str | None, public_id: str | None, context: object
    ) -> object:
        name = (system_url or "").rsplit("/", 1)[-1]
        path = self.folder / name
        if name and path.is_file():
            return self.resolve_filename(str(path), context)  # type: ignore[attr-defined]
        raise AssertionError(f"schema import buiten de referentiemap: {system_url}")


@pytest.fixture(scope="module")
def oasis_schema(ebms_core: Path) -> etree.XMLSchema:
    xsd_dir = ebms_core / "xsd"
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_LocalOnly(xsd_dir))
    doc = etree.parse(str(xsd_dir / "msg-header-2_0.xsd"), parser)
    return etree.XMLSchema(doc)


AFNEMER = Party("00000099000000001000", "Afnemer")
LOGIUS = Party("00000004003214345001", "Logius")


def _built_messages() -> dict[str, EbmsMessage]:
    user = env.user_message(
        "cpa_BB_00000099000000001000_00000004003214345001",
        AFNEMER,
        LOGIUS,
        "urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0",
        "urn:osb:services",
        "GLOBE-R-BV-Request",
        [
            Payload("bericht-1@berichtenbox-console.local", "text/xml", b"<B/>"),
            Payload("bijlage-1@berichtenbox-console.local", "application/pdf", b"%PDF"),
        ],
        sync_reply=True,
        time_to_live=datetime.now(UTC) + timedelta(days=1),
    )
    p = env.ping("cpa", AFNEMER, LOGIUS, sync_reply=True)
    req = env.status_request("cpa", AFNEMER, LOGIUS, user.header.message_id)
    return {
        "user message": user,
        "acknowledgment": env.acknowledgment_for(user),
        "message error": env.message_error_for(
            user,
            [
                EbmsError(
                    "ValueNotRecognized",
                    location="//Header/MessageHeader/CPAId",
                    description="Onbekende CPA",
                ),
                EbmsError("Unknown", severity="Warning"),
            ],
        ),
        "ping": p,
        "pong": env.pong_for(p),
        "status request": req,
        "status response": env.status_response_for(req, "Received", datetime.now(UTC)),
        "status response not recognized": env.status_response_for(req, "NotRecognized"),
    }


@pytest.mark.parametrize("name", list(_built_messages()))
def test_built_envelopes_validate_against_oasis_schema(
    name: str, oasis_schema: etree.XMLSchema
) -> None:
    doc = etree.fromstring(env.build_envelope(_built_messages()[name]))
    assert oasis_schema.validate(doc), oasis_schema.error_log


def test_schema_oracle_is_strict_enough(oasis_schema: etree.XMLSchema) -> None:
    """The schema really checks the eb: blocks (the lax SOAP wildcards find their declarations)."""
    good = env.build_envelope(_built_messages()["acknowledgment"])
    assert oasis_schema.validate(etree.fromstring(good))
    ns = {"eb": "http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd"}
    for path in ("//eb:Acknowledgment/eb:RefToMessageId", "//eb:MessageHeader/eb:From/eb:PartyId"):
        doc = etree.fromstring(good)
        found = doc.xpath(path, namespaces=ns)
        assert isinstance(found, list) and len(found) == 1
        el = found[0]
        parent = el.getparent() if isinstance(el, etree._Element) else None
        assert isinstance(el, etree._Element) and parent is not None
        parent.remove(el)
        assert not oasis_schema.validate(doc), path


# --- ebms-core templates --------------------------------------------------------------------

UUID = "6b5bd2a4-8f3a-4c1e-9b7a-1d2c3e4f5a6b"
REF = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
VALUES = {
    "cpaId": "cpaStubEBF.rm.http.unsigned.sync",
    "partyType": "urn:osb:oin",
    "fromPartyId": "00000000000000000000",
    "fromRole": "DIGIPOORT",
    "toPartyId": "00000000000000000001",
    "toRole": "OVERHEID",
    "serviceType": "urn:osb:services",
    "service": "osb:afleveren:1.1$1.0",
    "action": "afleveren",
    "uuid": UUID,
    "refToMessageId": REF,
    "timestamp": "2025-03-09T10:11:12.345Z",
    "timeToLive": "2025-03-10T10:11:12.345+01:00",
}
CID = "afleverbericht@localhost"


def _fill(template: bytes) -> bytes:
    """Fill the Thymeleaf placeholders like ebms-core's own test harness does."""
    text = template.decode("utf-8")
    text = re.sub(r"\[\[\$\{(\w+)\}\]\]", lambda m: VALUES[m[1]], text)
    text = text.replace(' th:each="cid: ${cids}"', "")
    text = text.replace("th:xlink:href=\"${'cid:' + cid}\"", f'xlink:href="cid:{CID}"')
    text = re.sub(r'th:([\w:]+)="\$\{(\w+)\}"', lambda m: f'{m[1]}="{VALUES[m[2]]}"', text)
    assert "th:" not in text and "${" not in text, text
    return text.encode("utf-8")


def _template(ebms_core: Path, name: str) -> bytes:
    return _fill((ebms_core / "soap" / name).read_bytes())


def _with_attachment(soap: bytes) -> tuple[str, bytes]:
    body = (
        b"--MIME_boundary\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-ID: <soap@localhost>\r\n\r\n"
        + soap
        + b"\r\n--MIME_boundary\r\nContent-Type: application/xml\r\nContent-ID: <"
        + CID.encode()
        + b">\r\n\r\n<afleverBericht/>\r\n--MIME_boundary--\r\n"
    )
    return (
        'multipart/related; type="text/xml"; boundary=MIME_boundary; start="<soap@localhost>"',
        body,
    )


def test_template_message_with_attachments(ebms_core: Path, oasis_schema: etree.XMLSchema) -> None:
    soap = _template(ebms_core, "EbMSMessageWithAttachments.xml")
    assert oasis_schema.validate(etree.fromstring(soap)), oasis_schema.error_log
    msg = parse_http(*_with_attachment(soap), max_bytes=MAX)
    h = msg.header
    assert h.cpa_id == "cpaStubEBF.rm.http.unsigned.sync"
    assert h.conversation_id == UUID
    assert h.message_id == f"{UUID}@localhost"
    assert h.from_party == Party("00000000000000000000", "DIGIPOORT", "urn:osb:oin")
    assert h.to_party == Party("00000000000000000001", "OVERHEID", "urn:osb:oin")
    assert (h.service, h.service_type, h.action) == (
        "osb:afleveren:1.1$1.0",
        "urn:osb:services",
        "afleveren",
    )
    assert h.timestamp == datetime(2025, 3, 9, 10, 11, 12, 345000, tzinfo=UTC)
    assert h.time_to_live == datetime(2025, 3, 10, 9, 11, 12, 345000, tzinfo=UTC)
    assert h.duplicate_elimination and msg.ack_requested and msg.sync_reply
    assert h.ref_to_message_id is None
    assert msg.payloads == (Payload(CID, "application/xml", b"<afleverBericht/>"),)
    assert not msg.is_signal
    # and what we answer validates too
    ack = env.acknowledgment_for(msg)
    assert oasis_schema.validate(etree.fromstring(env.build_envelope(ack)))
    assert ack.header.to_party == h.from_party and ack.header.ref_to_message_id == h.message_id


def test_template_ping_and_our_pong(ebms_core: Path, oasis_schema: etree.XMLSchema) -> None:
    soap = _template(ebms_core, "EbMSPing.xml")
    msg = parse_http("text/xml; charset=UTF-8", soap, max_bytes=MAX)
    assert msg.is_ping and msg.sync_reply and not msg.ack_requested
    assert msg.header.from_party == Party("00000000000000000000", None)
    assert msg.raw_envelope == soap
    pong = env.pong_for(msg)
    assert oasis_schema.validate(etree.fromstring(env.build_envelope(pong)))
    content_type, body = package(pong)
    assert parse_http(content_type, body, max_bytes=MAX).is_pong


def test_template_status_request(ebms_core: Path) -> None:
    msg = parse_http("text/xml", _template(ebms_core, "EbMSMessageStatus.xml"), max_bytes=MAX)
    assert msg.is_status_request
    assert msg.status_request_ref == f"{REF}@localhost"
    resp = env.status_response_for(msg, "NotRecognized")
    assert resp.status_response is not None
    assert resp.status_response.ref_to_message_id == f"{REF}@localhost"


@pytest.mark.parametrize(
    "name",
    [
        "EbMSMessage.xml",
        "EbMSMessageMissingManifest.xml",
        "EbMSMessageMissingAckRequested.xml",
        "EbMSMessageMissingDuplicateElimination.xml",
        "EbMSMessageMissingSyncReply.xml",
        "EbMSMessageInvalidRefToMessageId.xml",
    ],
)
def test_templates_that_only_a_cpa_or_store_can_refuse_are_read(ebms_core: Path, name: str) -> None:
    assert parse_http("text/xml", _template(ebms_core, name), max_bytes=MAX).header.cpa_id


@pytest.mark.parametrize(
    ("name", "code", "location"),
    [
        (
            "EbMSMessageInvalidMessageHeaderVersion.xml",
            "Inconsistent",
            "//Header/MessageHeader/@version",
        ),
        (
            "EbMSMessageInvalidAckRequestedVersion.xml",
            "Inconsistent",
            "//Header/AckRequested/@version",
        ),
        ("EbMSMessageInvalidAckRequestedActor.xml", "Inconsistent", "//Header/AckRequested/@actor"),
        ("EbMSMessageNextMshAckRequested.xml", "NotSupported", "//Header/AckRequested/@actor"),
        (
            "EbMSMessageInvalidAckRequestedSigned.xml",
            "NotSupported",
            "//Header/AckRequested/@signed",
        ),
        ("EbMSMessageInvalidSyncReplyVersion.xml", "Inconsistent", "//Header/SyncReply/@version"),
        ("EbMSMessageInvalidSyncReplyActor.xml", "Inconsistent", "//Header/SyncReply/@actor"),
        ("EbMSMessageMessageOrder.xml", "NotSupported", "//Header/MessageOrder"),
        ("EbMSMessageMissingFromRole.xml", "Inconsistent", "//Header/MessageHeader/From/Role"),
        (
            "EbMSMessageMissingFromPartyId.xml",
            "Inconsistent",
            "//Header/MessageHeader/From/PartyId",
        ),
        ("EbMSMessageInvalidManifestVersion.xml", "Inconsistent", "//Body/Manifest/@version"),
        ("EbMSMessageMissingReference.xml", "Inconsistent", "//Body/Manifest/Reference"),
    ],
)
def test_negative_templates_are_refused(
    ebms_core: Path, name: str, code: str, location: str
) -> None:
    content_type, body = _with_attachment(_template(ebms_core, name))
    with pytest.raises(EbmsReceiveError) as info:
        parse_http(content_type, body, max_bytes=MAX)
    assert [(e.code, e.location) for e in info.value.errors] == [(code, location)]
    if "PartyId" in name:
        assert info.value.header is None
    else:
        assert info.value.header is not None
        assert info.value.header.message_id == f"{UUID}@localhost"


def test_template_xxe_is_other_xml_without_resolving(ebms_core: Path) -> None:
    soap = _template(ebms_core, "EbMSPingXXE.xml")
    with pytest.raises(EbmsReceiveError) as info:
        parse_http("text/xml", soap, max_bytes=MAX)
    assert info.value.codes == ("OtherXml",)
    assert "root:" not in str(info.value)
