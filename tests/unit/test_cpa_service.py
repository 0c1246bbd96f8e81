"""The CPA service over a real SQLite file: import with history, apply, override, refuse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from console.db import models as m
from console.db.database import Database, database_url_for, open_database, upgrade
from console.db.models_ebms import CpaRecord
from console.domain.environment import Environment
from console.engine.cpas import send_options
from console.services.cpa import CpaRefused, CpaService
from console.services.demo import (
    DEMO_CONNECTION,
    DEMO_CPA_ID,
    LOGIUS_OIN,
    create_demo_workspace,
    demo_cpa_document,
)
from console.services.errors import NotFound

REFERENCE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "reference").resolve()
CPAS = REFERENCE / "ebms-core" / "cpas"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(database_url_for(tmp_path / "data"))
    upgrade(database, backup_dir=None)
    yield database
    database.dispose()


@pytest.fixture
def demo(db: Database) -> int:
    return create_demo_workspace(db)


def _doc(**kw: object) -> bytes:
    values: dict[str, object] = {
        "client_cert_pem": None,
        "inbound_cert_pem": None,
        "simulator_cert_pem": None,
    }
    values.update(kw)
    return demo_cpa_document(**values)  # type: ignore[arg-type]


def test_import_applies_the_cpa_to_its_connection(db: Database, demo: int) -> None:
    applied: list[int] = []
    service = CpaService(db, on_applied=applied.append)
    result = service.import_bytes(
        _doc(simulator_url="https://logius.example:443/ebms"), "demo.xml", actor="tester"
    )
    assert result.connection_name == DEMO_CONNECTION and not result.already_known
    assert "gebruikt deze CPA nu" in result.message
    assert applied == [demo]
    with db.session() as s:
        conn = s.get(m.Connection, demo)
        assert conn is not None and conn.cpa_record_id == result.details.id
        # Copied from the CPA: endpoint, parties, roles, service, action, schedule.
        assert conn.endpoint_url == "https://logius.example:443/ebms"
        assert (conn.from_party_id, conn.from_role) == ("00000099123456789000", "SR")
        assert (conn.to_party_id, conn.to_role) == (LOGIUS_OIN, "SP")
        assert conn.action == "GLOBE-R-BV-Request"
        assert (conn.retries, conn.retry_interval_seconds) == (5, 10)
        assert conn.persist_duration_seconds == 86400 and conn.sync_reply is False
        record = s.get(CpaRecord, result.details.id)
        assert record is not None and record.imported_by == "tester"
        assert record.filename == "demo.xml" and record.document.startswith(b"<?xml")


def test_every_import_is_kept_and_the_old_one_marked_replaced(db: Database, demo: int) -> None:
    service = CpaService(db)
    first = service.import_bytes(_doc(), "v1.xml")
    # One document, imported twice: the demo CPA's validity starts at "now", so building it
    # again a second later would give other bytes (this test failed once in CI that way).
    v2 = _doc(sync_reply_mode="mshSignalsOnly")
    second = service.import_bytes(v2, "v2.xml")
    assert first.details.id != second.details.id
    again = service.import_bytes(v2, "v2-kopie.xml")
    assert again.already_known and again.details.id == second.details.id
    rows = service.summaries()
    assert [r.id for r in rows] == [second.details.id, first.details.id]  # newest first
    assert rows[0].connection_name == DEMO_CONNECTION and not rows[0].replaced
    assert rows[1].connection_name is None and rows[1].replaced
    assert [h.id for h in service.history(demo)] == [second.details.id, first.details.id]
    with db.session() as s:
        conn = s.get(m.Connection, demo)
        assert conn is not None and conn.sync_reply is True  # from the new CPA
    # An older CPA can be made current again.
    service.apply(first.details.id or 0, demo)
    with db.session() as s:
        conn = s.get(m.Connection, demo)
        assert conn is not None and conn.cpa_record_id == first.details.id
        assert conn.sync_reply is False
        assert s.get(CpaRecord, second.details.id).replaced_at is not None  # type: ignore[union-attr]


def test_show_gives_everything_the_screen_needs(db: Database, demo: int) -> None:
    service = CpaService(db)
    result = service.import_bytes(_doc(), "demo.xml")
    d = service.show(result.details.id or 0)
    assert d.cpa_id == DEMO_CPA_ID and d.status == "agreed" and d.profile == "osb-rm"
    assert d.sending_supported and d.connection_name == DEMO_CONNECTION
    ours, logius = d.parties
    assert (ours.party_id, ours.party_type, ours.roles) == (
        "00000099123456789000",
        "urn:osb:oin",
        ("SR",),
    )
    assert [a.action for a in ours.sends] == ["GLOBE-R-BV-Request", "GLOBE-R-A-Request"]
    assert [a.action for a in logius.sends] == ["GLOBE-R-BV-Result", "GLOBE-R-A-Result"]
    (channel,) = ours.channels
    assert (channel.retries, channel.retry_interval, channel.retry_interval_text) == (
        5,
        "PT10S",
        "10 seconden",
    )
    assert (channel.persist_duration, channel.persist_duration_text) == ("P1D", "1 dag")
    assert (channel.sync_reply_mode, channel.ack_requested, channel.duplicate_elimination) == (
        "none",
        "always",
        "always",
    )
    assert service.document(d.id or 0).startswith(b"<?xml")
    assert service.for_connection(demo) == d
    with pytest.raises(NotFound):
        service.show(999)


def test_a_cpa_for_other_parties_is_only_stored(db: Database, demo: int) -> None:
    service = CpaService(db)
    data = (CPAS / "cpaStubEBF.rm.https.signed.xml").read_bytes()
    result = service.import_bytes(data, "stub.xml")
    assert result.connection_name is None and "alleen bewaard" in result.message
    assert result.details.profile == "osb-rm-s" and not result.details.sending_supported
    with pytest.raises(CpaRefused, match="past niet bij koppeling"):
        service.import_bytes(data, "stub.xml", connection_id=demo)


def test_broken_cpa_is_refused_and_nothing_is_stored(db: Database, demo: int) -> None:
    service = CpaService(db)
    with pytest.raises(CpaRefused, match="niet in orde"):
        service.import_bytes(b"<geen-cpa/>", "fout.xml")
    assert service.summaries() == []


def test_signed_profile_refuses_sending_with_a_clear_reason(db: Database) -> None:
    """A CPA that asks for osb-rm-s imports and is shown; sending on it is refused."""
    with db.session() as s:
        org = m.Organisation(name="Overheid", oin="00000000000000000001")
        conn = m.Connection(
            name="stub",
            owner=org,
            environment=Environment.PREPROD,
            cpa_id="x",
            from_party_id="00000000000000000001",
            from_role="OVERHEID",
            to_party_id="00000000000000000000",
            to_role="DIGIPOORT",
            service="osb:aanleveren:1.1$1.0",
            service_type="urn:osb:services",
            action="aanleveren",
            endpoint_url="https://x.example/ebms",
        )
        s.add(conn)
        s.commit()
        conn_id = conn.id
    service = CpaService(db)
    result = service.import_bytes(
        (CPAS / "cpaStubEBF.rm.https.signed.xml").read_bytes(), "stub.xml"
    )
    assert result.connection_name == "stub"
    (issue,) = service.send_issues(conn_id, 0)
    assert issue.blocking and "osb-rm-s" in issue.message and "ondertekent" in issue.message
    with db.session() as s:
        conn2 = s.get(m.Connection, conn_id)
        assert conn2 is not None
        assert conn2.endpoint_url == "https://localhost:8888/ebms"  # DIGIPOORT's endpoint
        assert (conn2.retries, conn2.retry_interval_seconds) == (5, 300)
        assert conn2.persist_duration_seconds == 1800
        assert send_options(s, conn2).refusal == issue.message
    unsigned = service.import_bytes(
        (CPAS / "cpaStubEBF.rm.http.unsigned.xml").read_bytes(),
        "unsigned.xml",
        connection_id=conn_id,
    )
    assert unsigned.connection_name == "stub"
    assert service.send_issues(conn_id, 0) == []


def test_endpoint_override(db: Database, demo: int) -> None:
    service = CpaService(db)
    service.import_bytes(_doc(), "demo.xml")
    with pytest.raises(CpaRefused, match="https://"):
        service.set_endpoint_override(demo, "http://proxy.example/ebms")
    service.set_endpoint_override(demo, "https://proxy.example/ebms")
    assert service.connection_endpoint(demo) == (
        "https://127.0.0.1:8444/ebms",
        "https://proxy.example/ebms",
    )
    # A new CPA does not undo the user's override.
    service.import_bytes(_doc(simulator_url="https://nieuw.example/ebms"), "v2.xml")
    assert service.connection_endpoint(demo) == (
        "https://nieuw.example/ebms",
        "https://proxy.example/ebms",
    )
    service.set_endpoint_override(demo, "")
    assert service.connection_endpoint(demo)[1] is None


def test_summary_warns_when_the_cpa_expires_soon(db: Database, demo: int) -> None:
    service = CpaService(db)
    soon = datetime.now(UTC) - timedelta(days=320)  # valid 365 days from a day before this
    service.import_bytes(_doc(now=soon), "demo.xml")
    (row,) = service.summaries()
    assert any("verloopt op" in w for w in row.warnings)
    with db.session() as s:
        assert s.scalar(select(CpaRecord.end_at)) is not None


def test_cpa_import_and_apply_are_in_the_audit_log(tmp_path: Path) -> None:
    """Every configuration change is audited, CPA imports and endpoint overrides included."""
    from console.services.audit import AuditService

    services = _workspace_for_audit(tmp_path)
    try:
        conn_id = services.workspace.status().connection_id
        assert conn_id is not None
        assert services.cpa is not None
        services.cpa.set_endpoint_override(conn_id, "https://proxy.voorbeeld.nl/ebms")
        entries = AuditService(services.db).entries()
        actions = {e.action for e in entries}
        assert {"cpa_import", "cpa_apply", "endpoint_override"} <= actions
        override = next(e for e in entries if e.action == "endpoint_override")
        assert override.after == {"endpoint_override": "https://proxy.voorbeeld.nl/ebms"}
    finally:
        services.close()


def _workspace_for_audit(tmp_path: Path):  # type: ignore[no-untyped-def]
    from console.secrets.store import MemoryStore
    from console.services.bootstrap import open_workspace
    from console.settings import resolve_paths

    return open_workspace(
        resolve_paths(tmp_path / "data"), start_engine=False, secrets=MemoryStore()
    )
