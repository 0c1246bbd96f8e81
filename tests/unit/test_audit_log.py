"""The audit log: written in the unit of work of the change, readable, filterable, exportable."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.services import audit
from console.services.audit import AuditExportError, AuditQuery, AuditService
from console.services.errors import ConfigRefused
from console.services.organisations import OrganisationInput, OrganisationService

from .flow_support import empty_db


@pytest.fixture
def service(tmp_path: Path) -> AuditService:
    return AuditService(empty_db(tmp_path))


def test_entries_newest_first_with_filters(service: AuditService) -> None:
    t0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    with service._db.session() as s:
        audit.record(
            s, actor="anne", action="aangemaakt", entity="organisatie", key="1", label="A", at=t0
        )
        audit.record(
            s,
            actor="bram",
            action="gewijzigd",
            entity="koppeling",
            key="2",
            label="Productie",
            before={"actief": True, "naam": "Productie"},
            after={"actief": False, "naam": "Productie"},
            at=t0 + timedelta(hours=1),
        )
        s.commit()
    rows = service.entries()
    assert [r.actor for r in rows] == ["bram", "anne"]
    assert rows[0].changed == ["actief"]
    assert rows[0].summary == "Koppeling Productie gewijzigd: actief"
    assert [r.actor for r in service.entries(AuditQuery(text="BRAM"))] == ["bram"]
    assert [r.entity for r in service.entries(AuditQuery(entity="organisatie"))] == ["organisatie"]
    assert service.count(AuditQuery(since=t0 + timedelta(minutes=30))) == 1
    assert [r.actor for r in service.entries(limit=1, offset=1)] == ["anne"]


def test_a_refused_change_leaves_no_audit_entry(service: AuditService) -> None:
    orgs = OrganisationService(service._db)
    with pytest.raises(ConfigRefused):
        orgs.create(OrganisationInput("Gemeente X", "123"))
    assert service.count() == 0


def test_the_entry_and_the_change_commit_together(service: AuditService) -> None:
    # A failure after the entry was added rolls both back: no entry without its change.
    with pytest.raises(RuntimeError), service._db.session() as s:
        audit.record(s, actor="x", action="aangemaakt", entity="organisatie", key="9", label="Z")
        s.flush()
        raise RuntimeError("stroomstoring")
    assert service.count() == 0
    OrganisationService(service._db).create(
        OrganisationInput("Gemeente Y", "00000001001234567000"), actor="y"
    )
    (entry,) = service.entries()
    assert (entry.actor, entry.entity_key) == ("y", "00000001001234567000")


def test_export_as_csv_for_excel_and_as_json(service: AuditService) -> None:
    with service._db.session() as s:
        audit.record(
            s,
            actor="anne",
            action="gewijzigd",
            entity="berichttype",
            key="x/BELAST",
            label='BELAST; Gemeente "X"',
            before={"naam": "oud"},
            after={"naam": "nieuw"},
        )
        s.commit()
    data = service.export(fmt="csv")
    assert data.startswith("\ufeff".encode())  # Excel opens UTF-8 with a BOM correctly
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "tijd",
        "wie",
        "actie",
        "onderdeel",
        "sleutel",
        "naam",
        "omschrijving",
        "voor",
        "na",
    ]
    assert rows[1][5] == 'BELAST; Gemeente "X"'
    assert json.loads(rows[1][7]) == {"naam": "oud"} and json.loads(rows[1][8]) == {"naam": "nieuw"}
    (entry,) = json.loads(service.export(fmt="json"))
    assert entry["voor"] == {"naam": "oud"} and entry["wie"] == "anne"
    with pytest.raises(AuditExportError, match="kies csv of json"):
        service.export(fmt="xlsx")


def test_the_actor_is_the_configured_name_or_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(audit.ACTOR_ENV, "Functioneel beheer")
    assert audit.current_actor() == "Functioneel beheer"
    monkeypatch.delenv(audit.ACTOR_ENV)
    monkeypatch.setattr(audit.getpass, "getuser", lambda: "jdevries")
    assert audit.current_actor() == "jdevries"
