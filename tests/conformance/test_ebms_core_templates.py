"""ebms-core's own test messages against the console's inbound endpoint, under an imported CPA.

The templates in ../shared/reference/ebms-core/soap/ are filled in at test time with the
values of a CPA imported through the CPA service (``cpaStubEBF.rm.http.unsigned.sync``:
osb-rm, syncReplyMode signalsAndResponse, ackRequested and duplicateElimination always).
The console plays the Overheid party; the messages come from DIGIPOORT. Each file goes
through the inbound endpoint itself (:meth:`console.engine.inbox.Inbox.handle`), and what the
endpoint answers (Acknowledgment, Pong, StatusResponse or MessageError) must validate
against the OASIS schemas in ../shared/reference/ebms-core/xsd/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from console.db import models as m
from console.db.database import Database, database_url_for, open_database, upgrade
from console.digikoppeling.ebms.mime import parse_http
from console.domain.environment import Environment
from console.engine.inbox import Inbox
from console.engine.signals import SignalProcessor
from console.services.cpa import CpaDetails, CpaService
from console.services.ebms import EbmsService
from console.xml.parser import parse_xml

REFERENCE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "reference").resolve()
CORE = REFERENCE / "ebms-core"
CPA_FILE = "cpaStubEBF.rm.http.unsigned.sync.xml"
DIGIPOORT_OIN = "00000000000000000000"
CID = "afleverbericht@localhost"
UUID = "6b5bd2a4-8f3a-4c1e-9b7a-1d2c3e4f5a6b"


@dataclass(frozen=True, slots=True)
class Expected:
    code: str | None  # None: accepted
    location: str | None
    reason: str


# Per file: what the standard prescribes, and why.
EXPECTED: dict[str, Expected] = {
    "EbMSMessage.xml": Expected(None, None, "every element present and as the CPA says"),
    "EbMSMessageWithAttachments.xml": Expected(
        None, None, "as EbMSMessage, with a Manifest whose cid: resolves to a MIME part"
    ),
    "EbMSMessageMissingManifest.xml": Expected(
        None,
        None,
        "byte for byte the same as EbMSMessage.xml once filled in: a message without a payload "
        "has no Manifest, which ebMS 2.0 §3.2 allows (ebms-core accepts it as well); there is "
        "no error the standard prescribes for it",
    ),
    "EbMSPing.xml": Expected(None, None, "a Ping from a party of the CPA gets a Pong (§8)"),
    "EbMSMessageStatus.xml": Expected(
        None, None, "a StatusRequest gets a StatusResponse, NotRecognized for an unknown id (§7)"
    ),
    "EbMSMessageInvalidMessageHeaderVersion.xml": Expected(
        "Inconsistent",
        "//Header/MessageHeader/@version",
        "eb:version must be 2.0 (ebMS 2.0 §2.3.8)",
    ),
    "EbMSMessageInvalidAckRequestedVersion.xml": Expected(
        "Inconsistent", "//Header/AckRequested/@version", "eb:version must be 2.0 (§2.3.8)"
    ),
    "EbMSMessageInvalidAckRequestedActor.xml": Expected(
        "Inconsistent",
        "//Header/AckRequested/@actor",
        "soap:actor must be toPartyMSH or nextMSH (§6.3.1.1); 'actor' is neither",
    ),
    "EbMSMessageNextMshAckRequested.xml": Expected(
        "NotSupported",
        "//Header/AckRequested/@actor",
        "Digikoppeling never uses nextMSH acknowledgments (ebMS2 profile, Reliable Messaging)",
    ),
    "EbMSMessageInvalidAckRequestedSigned.xml": Expected(
        "NotSupported",
        "//Header/AckRequested/@signed",
        "a signed acknowledgment cannot be given: osb-rm, ackSignatureRequested never (§6.3.1.2)",
    ),
    "EbMSMessageInvalidSyncReplyVersion.xml": Expected(
        "Inconsistent", "//Header/SyncReply/@version", "eb:version must be 2.0 (§2.3.8)"
    ),
    "EbMSMessageInvalidSyncReplyActor.xml": Expected(
        "Inconsistent",
        "//Header/SyncReply/@actor",
        "SyncReply goes to the next SOAP node: soap:actor .../soap/actor/next (§4.3)",
    ),
    "EbMSMessageMessageOrder.xml": Expected(
        "NotSupported",
        "//Header/MessageOrder",
        "message order is not supported (Digikoppeling strongly discourages it; §9)",
    ),
    "EbMSMessageMissingFromRole.xml": Expected(
        "Inconsistent",
        "//Header/MessageHeader/From/Role",
        "a business message under a CPA names the sender's role (§3.1.1.2; every DK CPA has one)",
    ),
    "EbMSMessageMissingFromPartyId.xml": Expected(
        "Inconsistent",
        "//Header/MessageHeader/From/PartyId",
        "From needs at least one PartyId (§3.1.1); the header is unreadable, so no MessageError",
    ),
    "EbMSMessageInvalidManifestVersion.xml": Expected(
        "Inconsistent", "//Body/Manifest/@version", "eb:version must be 2.0 (§2.3.8)"
    ),
    "EbMSMessageMissingReference.xml": Expected(
        "Inconsistent",
        "//Body/Manifest/Reference",
        "a Manifest holds at least one Reference (§3.2, msg-header-2_0.xsd)",
    ),
    "EbMSMessageInvalidToPartyType.xml": Expected(
        "Inconsistent",
        "//Header/MessageHeader/To/PartyId",
        "PartyId 00000000000000000001 of type 'type' is not a party of the CPA (§3.1.1.1)",
    ),
    "EbMSMessageInvalidRefToMessageId.xml": Expected(
        "ValueNotRecognized",
        "//Header/MessageHeader/MessageData/RefToMessageId",
        "RefToMessageId '@localhost' refers to no message this MSH knows (§3.1.6.3)",
    ),
    "EbMSMessageMissingAckRequested.xml": Expected(
        "Inconsistent",
        "//Header/AckRequested",
        "the CPA's delivery channel says ackRequested=always (§6.3, CPPA MessagingCharacteristics)",
    ),
    "EbMSMessageMissingDuplicateElimination.xml": Expected(
        "Inconsistent",
        "//Header/MessageHeader/DuplicateElimination",
        "the CPA says duplicateElimination=always (§6.4.1)",
    ),
    "EbMSMessageMissingSyncReply.xml": Expected(
        "Inconsistent",
        "//Header/SyncReply",
        "the CPA says syncReplyMode=signalsAndResponse, so SyncReply must be there (§4.3)",
    ),
    "EbMSPingXXE.xml": Expected(
        "OtherXml",
        None,
        "a DOCTYPE with an external entity: refused before anything is resolved",
    ),
}


@pytest.fixture(scope="module")
def core() -> Path:
    if not CORE.is_dir():
        pytest.skip(f"referentiebestanden ontbreken: {CORE}")
    return CORE


class _LocalOnly(etree.Resolver):
    """Schema imports resolve to the files beside msg-header-2_0.xsd, never the network."""

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
def oasis_schema(core: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_LocalOnly(core / "xsd"))
    return etree.XMLSchema(etree.parse(str(core / "xsd" / "msg-header-2_0.xsd"), parser))


@pytest.fixture
def setup(core: Path, tmp_path: Path) -> Iterator[tuple[Database, CpaDetails]]:
    """A console for the Overheid party, with the CPA imported through the CPA service."""
    db = open_database(database_url_for(tmp_path / "data"))
    upgrade(db, backup_dir=None)
    with db.session() as s:
        org = m.Organisation(name="Overheid", oin="00000000000000000001")
        s.add(
            m.Connection(
                name="afleveren",
                owner=org,
                environment=Environment.PREPROD,
                cpa_id="nog-geen-cpa",
                from_party_id="00000000000000000001",
                from_role="OVERHEID",
                to_party_id=DIGIPOORT_OIN,
                to_role="DIGIPOORT",
                service="osb:aanleveren:1.1$1.0",
                service_type="urn:osb:services",
                action="aanleveren",
                endpoint_url="https://localhost:8888/ebms",
            )
        )
        s.commit()
    result = CpaService(db).import_bytes((core / "cpas" / CPA_FILE).read_bytes(), CPA_FILE)
    assert result.connection_name == "afleveren"
    yield db, result.details
    db.dispose()


def _values(d: CpaDetails) -> dict[str, str]:
    """Template values taken from the imported CPA (DIGIPOORT sends afleveren to Overheid)."""
    digipoort, overheid = d.parties
    afleveren = next(a for a in digipoort.sends if a.action == "afleveren")
    now = datetime.now(UTC)
    return {
        "cpaId": d.cpa_id,
        "partyType": digipoort.party_type or "",
        "fromPartyId": digipoort.party_id,
        "fromRole": digipoort.roles[0],
        "toPartyId": overheid.party_id,
        "toRole": overheid.roles[0],
        "serviceType": afleveren.service_type or "",
        "service": afleveren.service,
        "action": afleveren.action,
        "uuid": UUID,
        "refToMessageId": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "timeToLive": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000+00:00"),
    }


def fill(template: bytes, values: dict[str, str]) -> bytes:
    """Fill the Thymeleaf placeholders as ebms-core's test harness does (in memory)."""
    text = template.decode("utf-8")
    text = re.sub(r"\[\[\$\{(\w+)\}\]\]", lambda x: values[x[1]], text)
    text = text.replace(' th:each="cid: ${cids}"', "")
    text = text.replace("th:xlink:href=\"${'cid:' + cid}\"", f'xlink:href="cid:{CID}"')
    text = re.sub(r'th:([\w:]+)="\$\{(\w+)\}"', lambda x: f'{x[1]}="{values[x[2]]}"', text)
    text = re.sub(r'th:([\w:]+)="(\w+)"', r'\1="\2"', text)  # a Thymeleaf literal token
    assert "th:" not in text and "${" not in text, text
    return text.encode("utf-8")


def wire(soap: bytes) -> tuple[str, bytes]:
    """HTTP Content-Type and body: multipart/related when the Manifest points at a part."""
    if b"cid:" not in soap:
        return "text/xml; charset=UTF-8", soap
    body = (
        b"--MIME_boundary\r\nContent-Type: text/xml; charset=UTF-8\r\n"
        b"Content-ID: <soap@localhost>\r\n\r\n" + soap + b"\r\n--MIME_boundary\r\n"
        b"Content-Type: application/xml\r\nContent-ID: <" + CID.encode() + b">\r\n\r\n"
        b"<afleverBericht/>\r\n--MIME_boundary--\r\n"
    )
    return (
        'multipart/related; type="text/xml"; boundary=MIME_boundary; start="<soap@localhost>"',
        body,
    )


def test_every_ebms_template_has_an_expectation(core: Path) -> None:
    names = {p.name for p in (core / "soap").glob("EbMS*.xml")}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_through_the_inbound_endpoint(
    name: str,
    core: Path,
    setup: tuple[Database, CpaDetails],
    oasis_schema: etree.XMLSchema,
) -> None:
    db, details = setup
    expected = EXPECTED[name]
    soap = fill((core / "soap" / name).read_bytes(), _values(details))
    content_type, body = wire(soap)
    inbox = Inbox(db, SignalProcessor(db), max_bytes=10_000_000)

    verdict = inbox.check(content_type, body, DIGIPOORT_OIN)
    found = [(e.code, e.location) for e in verdict.errors]
    if expected.code is None:
        assert found == [], expected.reason
    else:
        assert found == [(expected.code, expected.location)], expected.reason
    # The support tool says exactly the same.
    report = EbmsService(db, None).inspect(content_type, body, client_oin=DIGIPOORT_OIN)
    assert [(e.code, e.location) for e in report.errors] == found
    assert report.as_json()["valid"] is (expected.code is None)

    status, reply_type, reply = inbox.handle(content_type, body, DIGIPOORT_OIN)
    if verdict.header is None:  # nothing to refer to: no MessageError, only an HTTP error
        assert status == 400 and reply_type.startswith("text/plain")
        assert b"root:" not in reply  # nothing from /etc/passwd
        return
    assert status == 200
    answer = parse_http(reply_type, reply, max_bytes=1_000_000)
    assert oasis_schema.validate(parse_xml(reply)), oasis_schema.error_log
    assert answer.header.ref_to_message_id == verdict.header.message_id
    assert answer.header.to_party.party_id == DIGIPOORT_OIN
    if expected.code is not None:
        assert answer.is_message_error
        assert [(e.code, e.location) for e in answer.errors] == found
        assert all(e.description for e in answer.errors)
    elif verdict.message is not None and verdict.message.is_ping:
        assert answer.is_pong
    elif verdict.message is not None and verdict.message.is_status_request:
        assert answer.is_status_response and answer.status_response is not None
        assert answer.status_response.message_status == "NotRecognized"
    else:  # syncReplyMode signalsAndResponse: the Acknowledgment is in the HTTP response
        assert answer.is_acknowledgment and answer.acknowledgment is not None
        # Sent again: a duplicate, acknowledged again but not stored twice.
        again = inbox.handle(content_type, body, DIGIPOORT_OIN)
        assert parse_http(again[1], again[2], max_bytes=1_000_000).is_acknowledgment
        with db.session() as s:
            from sqlalchemy import func, select

            count = s.scalar(
                select(func.count())
                .select_from(m.EbmsMessage)
                .where(m.EbmsMessage.message_id == verdict.header.message_id)
            )
        assert count == 1


def test_billion_laughs_is_refused_without_expanding(
    core: Path, setup: tuple[Database, CpaDetails]
) -> None:
    db, details = setup
    soap = fill((core / "soap" / "EbMSPing.xml").read_bytes(), _values(details)).decode()
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)
    )
    start = soap.index("<soap:Envelope")
    bomb = soap[:start] + f"<!DOCTYPE lolz [{entities}]>" + soap[start:]
    bomb = bomb.replace("<eb:MessageId>", "<eb:MessageId>&lol9;", 1)
    inbox = Inbox(db, SignalProcessor(db), max_bytes=10_000_000)
    verdict = inbox.check("text/xml", bomb.encode(), DIGIPOORT_OIN)
    assert [e.code for e in verdict.errors] == ["OtherXml"]
    assert "DOCTYPE" in (verdict.errors[0].description or "")
    status, _ct, reply = inbox.handle("text/xml", bomb.encode(), DIGIPOORT_OIN)
    assert status == 400 and b"lollol" not in reply
