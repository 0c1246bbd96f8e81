"""The 16 reference CPAs import and show correctly; the CPAs we write are valid CPPA 2.0.

Oracle: ``cpp-cpa-2_0.xsd`` in ../shared/reference/ebms-core/xsd/ (never shipped).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from console.commands.cpa import details_text
from console.db.database import Database, database_url_for, open_database, upgrade
from console.services.cpa import CpaService
from console.services.demo import demo_cpa_document
from console.xml.parser import parse_xml

REFERENCE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "reference").resolve()
CORE = REFERENCE / "ebms-core"
CPA_FILES = sorted(p.name for p in (CORE / "cpas").glob("*.xml")) if CORE.is_dir() else []


@pytest.fixture(scope="module")
def core() -> Path:
    if not CORE.is_dir():
        pytest.skip(f"referentiebestanden ontbreken: {CORE}")
    return CORE


class _LocalOnly(etree.Resolver):
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
def cppa_schema(core: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_LocalOnly(core / "xsd"))
    return etree.XMLSchema(etree.parse(str(core / "xsd" / "cpp-cpa-2_0.xsd"), parser))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CpaService]:
    db: Database = open_database(database_url_for(tmp_path / "data"))
    upgrade(db, backup_dir=None)
    yield CpaService(db)
    db.dispose()


@pytest.mark.parametrize("name", CPA_FILES)
def test_reference_cpa_imports_and_shows(
    name: str, core: Path, cppa_schema: etree.XMLSchema, service: CpaService
) -> None:
    data = (core / "cpas" / name).read_bytes()
    assert cppa_schema.validate(parse_xml(data))  # the oracle agrees it is a CPA
    result = service.import_bytes(data, name, actor="test")
    d = service.show(result.details.id or 0)
    root = parse_xml(data)
    ns = {"tns": "http://www.oasis-open.org/committees/ebxml-cppa/schema/cpp-cpa-2_0.xsd"}
    assert d.cpa_id == root.get(f"{{{ns['tns']}}}cpaid")
    assert d.filename == name and d.imported_by == "test"
    party_names = root.xpath("tns:PartyInfo/@tns:partyName", namespaces=ns)
    assert [p.name for p in d.parties] == party_names
    for party, info in zip(d.parties, root.xpath("tns:PartyInfo", namespaces=ns), strict=True):
        assert isinstance(info, etree._Element)
        assert party.roles == tuple(
            dict.fromkeys(info.xpath("tns:CollaborationRole/tns:Role/@tns:name", namespaces=ns))
        )
        assert len(party.sends) == len(info.xpath(".//tns:CanSend", namespaces=ns))
        assert len(party.receives) == len(info.xpath(".//tns:CanReceive", namespaces=ns))
        assert [c.channel_id for c in party.channels] == info.xpath(
            "tns:DeliveryChannel/@tns:channelId", namespaces=ns
        )
        assert [c.cert_id for c in party.certificates] == info.xpath(
            "tns:Certificate/@tns:certId", namespaces=ns
        )
        syncs = info.xpath(
            "tns:DeliveryChannel/tns:MessagingCharacteristics/@tns:syncReplyMode", namespaces=ns
        )
        assert [c.sync_reply_mode for c in party.channels] == syncs
    text = details_text(d)
    assert d.cpa_id in text and "Partijen:" in text and "RetryInterval" in text
    # Shown in the list too, with its warnings (all of these run past 10 years).
    (row,) = service.summaries()
    assert row.id == d.id and any("10 jaar" in w for w in row.warnings)


@pytest.mark.parametrize("sync", ["none", "mshSignalsOnly"])
def test_the_demo_cpa_we_write_is_valid_cppa(
    sync: str, cppa_schema: etree.XMLSchema, tmp_path: Path
) -> None:
    from console.secrets.local_pki import create_ca, issue_client_cert, issue_server_cert

    ca = create_ca("Test CA")
    client = issue_client_cert(ca, oin="00000099123456789000", organisation="G", common_name="g")
    server = issue_server_cert(ca, ["127.0.0.1"], oin=None)
    data = demo_cpa_document(
        client_cert_pem=client.cert_pem,
        inbound_cert_pem=server.cert_pem,
        simulator_cert_pem=server.cert_pem,
        sync_reply_mode=sync,
        now=datetime.now(UTC) - timedelta(days=2),
    )
    assert cppa_schema.validate(parse_xml(data)), cppa_schema.error_log
