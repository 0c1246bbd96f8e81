"""Export the configuration to one file and import it on another workstation, with a preview."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from console.db import models as m
from console.db.models_certificates import Certificate
from console.domain.flow import BerichtTypeStatus
from console.services.berichttypes import BerichtTypeService
from console.services.config_transfer import ConfigFileError, ConfigTransferService
from console.services.connections import ConnectionInput, ConnectionService
from console.services.demo import DEMO_OIN, demo_cpa_document
from console.services.organisations import OrganisationInput, OrganisationService

from .flow_support import audit_rows, demo_db, empty_db

REAL_OIN = "00000001001234567000"
SECRET_KEY_NAME = "geheime-sleutelnaam-in-de-sleutelbos"


def _content(data: bytes) -> dict[str, Any]:
    doc = json.loads(data)
    for key in ("exported_at", "exported_by"):
        doc.pop(key)
    return doc


def _with_cpa_and_certificate(db: Any) -> None:
    """A preprod connection with a CPA and a certificate (whose key name must not leak)."""
    orgs = OrganisationService(db)
    real = orgs.create(OrganisationInput("Gemeente Echt", REAL_OIN))
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    with db.session() as s:
        cert = Certificate(
            label="PKIoverheid Gemeente Echt",
            subject=f"serialNumber={REAL_OIN}",
            issuer="CN=CA",
            serial_number="7",
            oin=REAL_OIN,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=200),
            key_type="rsa",
            key_size=3072,
            fingerprint_sha256="ab" * 32,
            fingerprint_sha1="cd" * 20,
            public_key_sha256="ef" * 32,
            cert_pem="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            key_ref=SECRET_KEY_NAME,
        )
        s.add(cert)
        s.commit()
        cert_id = cert.id
    cpa = demo_cpa_document(
        client_cert_pem=None,
        inbound_cert_pem=None,
        simulator_cert_pem=None,
        organisation_name="Gemeente Echt",
        organisation_oin=REAL_OIN,
        cpa_id="CPA-ECHT",
        inbound_url="https://echt.example.nl/ebms",
        simulator_url="https://preprod.logius.example/ebms",
    )
    ConnectionService(db).create(
        ConnectionInput(
            name="Echt-preprod",
            owner_organisation_id=real.id,
            environment="preprod",
            certificate_id=cert_id,
            wus_url="https://preprod.logius.example/wus",
            cpa_document=cpa,
            cpa_filename="echt.xml",
        )
    )
    with db.session() as s:
        conn = s.scalar(select(m.Connection).where(m.Connection.name == "Echt-preprod"))
        assert conn is not None
        conn.client_key_ref = SECRET_KEY_NAME
        s.commit()


@pytest.fixture
def source(tmp_path: Path) -> ConfigTransferService:
    db = demo_db(tmp_path / "a")
    _with_cpa_and_certificate(db)
    return ConfigTransferService(db)


def test_round_trip_to_an_empty_workstation(source: ConfigTransferService, tmp_path: Path) -> None:
    exported = source.export(actor="beheer")
    target = ConfigTransferService(empty_db(tmp_path / "b"))

    preview = target.preview(exported)
    assert not preview.applied and preview.count("gewijzigd") == 0
    assert preview.count("nieuw") == len(preview.changes) > 40
    assert preview.exported_by == "beheer"
    with target._db.session() as s:  # a preview stores nothing
        assert s.scalar(select(m.Organisation.id)) is None

    result = target.apply(exported, actor="beheer-b")
    assert result.applied and result.count("nieuw") == preview.count("nieuw")
    # The certificate (and its key) stay behind: that connection waits, inactive.
    assert any("Echt-preprod" in w and "niet actief" in w for w in result.warnings)
    again = target.export()
    a, b = _content(exported), _content(again)
    echt_a = next(c for c in a["connections"] if c["name"] == "Echt-preprod")
    echt_b = next(c for c in b["connections"] if c["name"] == "Echt-preprod")
    assert echt_b["certificate"] is None and echt_a["certificate"] is not None
    assert echt_b["active"] is False and echt_a["active"] is True
    assert echt_b["cpa"]["sha256"] == echt_a["cpa"]["sha256"]  # the CPA came along byte for byte
    assert echt_b["wus_url"] == "https://preprod.logius.example/wus"
    for doc in (a, b):
        for c in doc["connections"]:
            c.pop("certificate"), c.pop("active")
            if c["cpa"]:
                c["cpa"].pop("filename")
    assert a == b
    assert ConnectionService(target._db).get("Echt-preprod").cpa_id == "CPA-ECHT"
    # Importing the same file again changes nothing.
    assert not target.preview(exported).has_changes
    entities = {row[0] for row in audit_rows(target._db)}
    assert {"organisatie", "koppeling", "berichttype", "berichtstroom", "configuratie"} <= entities


def test_the_export_holds_no_secrets(source: ConfigTransferService) -> None:
    data = source.export()
    assert SECRET_KEY_NAME.encode() not in data
    assert b"PRIVATE KEY" not in data and b"client_key_ref" not in data
    assert b"BEGIN CERTIFICATE" not in data.replace(b"\\n", b"\n").split(b"document_base64")[0]
    echt = next(c for c in json.loads(data)["connections"] if c["name"] == "Echt-preprod")
    assert echt["certificate"] == {
        "fingerprint_sha256": "ab" * 32,
        "label": "PKIoverheid Gemeente Echt",
        "oin": REAL_OIN,
    }


def test_the_preview_names_each_change_and_import_never_deletes(
    source: ConfigTransferService, tmp_path: Path
) -> None:
    exported = source.export()
    target = ConfigTransferService(demo_db(tmp_path / "b"))
    extra = OrganisationService(target._db).create(
        OrganisationInput("Gemeente Alleen Hier", "00000099888888888888")
    )
    voorbeeld = OrganisationService(target._db).get(DEMO_OIN)
    OrganisationService(target._db).update(
        voorbeeld.id, replace(voorbeeld.input(), kind="waterschap")
    )
    preview = target.preview(exported)
    changed = [c for c in preview.changes if c.kind == "gewijzigd"]
    assert [(c.entity, c.key) for c in changed] == [
        ("organisatie", f"Gemeente Voorbeeld ({DEMO_OIN})")
    ]
    assert [(f.field, f.old, f.new) for f in changed[0].fields] == [
        ("kind", "waterschap", "gemeente")
    ]
    assert all("Alleen Hier" not in c.key for c in preview.changes)
    target.apply(exported)
    assert OrganisationService(target._db).get(extra.id).name == "Gemeente Alleen Hier"
    assert OrganisationService(target._db).get(DEMO_OIN).kind == "gemeente"


def test_a_status_that_would_go_back_is_kept_with_a_warning(
    source: ConfigTransferService, tmp_path: Path
) -> None:
    exported = source.export()
    target = ConfigTransferService(demo_db(tmp_path / "b"))
    bts = BerichtTypeService(target._db)
    woz = bts.find(DEMO_OIN, "WOZ")
    bts.set_status(woz.id, "preprod", "actief")
    result = target.apply(exported)
    assert any("WOZ" in w and "blijft actief" in w for w in result.warnings)
    assert bts.find(DEMO_OIN, "WOZ").status_preprod is BerichtTypeStatus.ACTIEF


def _doc(**sections: Any) -> bytes:
    return json.dumps(
        {"format": "berichtenbox-console-configuratie", "version": 1, **sections}
    ).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{niet json", "geen geldige JSON (regel 1"),
        (b"\xff\xfe\x00", "geen UTF-8-tekst"),
        (json.dumps({"format": "iets"}).encode(), "geen configuratie-export"),
        (
            json.dumps({"format": "berichtenbox-console-configuratie", "version": 9}).encode(),
            "versie 9; deze console leest versie 1",
        ),
        (
            _doc(organisations=[{"oin": "123", "name": "X"}]),
            "organisations[1] (X): Een OIN heeft 20 cijfers; dit zijn er 3.",
        ),
        (
            _doc(
                organisations=[{"oin": DEMO_OIN, "name": "Gemeente Voorbeeld"}],
                connections=[{"name": "P", "owner_oin": DEMO_OIN, "environment": "productie"}],
            ),
            "connections[1] (P): Koppeling P is een productiekoppeling",
        ),
        (
            _doc(berichttypes=[{"organisation_oin": DEMO_OIN, "code": "X", "name": "x"}]),
            "berichttypes[1] (X): organisatie met OIN",
        ),
    ],
)
def test_bad_files_are_refused_naming_the_place(tmp_path: Path, data: bytes, message: str) -> None:
    target = ConfigTransferService(empty_db(tmp_path))
    with pytest.raises(ConfigFileError) as refused:
        target.preview(data)
    assert message in str(refused.value)
    with pytest.raises(ConfigFileError):
        target.apply(data)
    with target._db.session() as s:
        assert s.scalar(select(m.Organisation.id)) is None
