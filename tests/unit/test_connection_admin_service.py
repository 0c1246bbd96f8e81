"""Connections: owner, environment, CPA, certificate, the organisations they send for."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from console.db import models as m
from console.db.models_certificates import Certificate
from console.db.repositories import SettingsRepository
from console.domain.environment import Environment
from console.services.connections import ConnectionInput, ConnectionService, intermediary_lines
from console.services.demo import DEMO_OIN, demo_cpa_document
from console.services.errors import ConfigRefused, DeleteRefused, ServiceError
from console.services.organisations import OrganisationInput, OrganisationService
from console.services.workspace import ACTIVE_CONNECTION

from .flow_support import add_letter, audit_rows, demo_db

REAL_OIN = "00000001001234567000"
GRENSDORP_OIN = "00000099400000000001"
BUURDORP_OIN = "00000099400000000002"


@pytest.fixture
def service(tmp_path: Path) -> ConnectionService:
    return ConnectionService(demo_db(tmp_path))


def _org_id(service: ConnectionService, oin: str) -> int:
    return OrganisationService(service._db).get(oin).id


def _cpa(oin: str, name: str, cpa_id: str = "CPA-TEST-1") -> bytes:
    return demo_cpa_document(
        client_cert_pem=None,
        inbound_cert_pem=None,
        simulator_cert_pem=None,
        organisation_name=name,
        organisation_oin=oin,
        cpa_id=cpa_id,
        inbound_url="https://gemeente.example.nl/ebms",
        simulator_url="https://logius.example.nl/ebms",
    )


def _certificate(service: ConnectionService, oin: str) -> int:
    now = datetime.now(UTC)
    with service._db.session() as s:
        cert = Certificate(
            label=f"PKIoverheid {oin}",
            subject=f"CN=x,serialNumber={oin}",
            issuer="CN=Test CA",
            serial_number="01",
            oin=oin,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=300),
            key_type="rsa",
            key_size=3072,
            fingerprint_sha256=f"{oin:0>64}"[-64:],
            fingerprint_sha1="0" * 40,
            public_key_sha256="1" * 64,
            cert_pem="-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            key_ref="key-ref-name",
        )
        s.add(cert)
        s.commit()
        return cert.id


def test_an_intermediary_connection_with_its_organisations(service: ConnectionService) -> None:
    grensdorp = _org_id(service, GRENSDORP_OIN)
    detail = service.create(
        ConnectionInput(
            name="Grensdorp-preprod",
            owner_organisation_id=grensdorp,
            environment="simulator",
            transport="diginetwerk",
            wus_url="https://wus.example.nl/validatie",
            organisation_ids=(_org_id(service, BUURDORP_OIN), grensdorp),  # owner is implied
        ),
        actor="beheer",
    )
    assert detail.owner.oin == GRENSDORP_OIN and detail.party_oin == GRENSDORP_OIN
    assert [o.oin for o in detail.organisations] == [BUURDORP_OIN]
    assert detail.is_intermediary and detail.transport_label == "Diginetwerk"
    assert detail.wus_url == "https://wus.example.nl/validatie"
    assert detail.endpoint_url == "https://127.0.0.1:8444/ebms"  # the simulator by default
    text = " ".join(intermediary_lines(detail))
    assert f"From PartyId) altijd het OIN van Gemeente Grensdorp: {GRENSDORP_OIN}" in text
    assert f"Gemeente Buurdorp ({BUURDORP_OIN})" in text and "BerichtLeverancierID" in text
    assert ("koppeling", "aangemaakt", "Grensdorp-preprod") in audit_rows(service._db)


def test_an_active_logius_connection_needs_a_certificate_and_a_cpa(
    service: ConnectionService,
) -> None:
    data = ConnectionInput(
        name="Preprod",
        owner_organisation_id=_org_id(service, DEMO_OIN),
        environment="preprod",
        endpoint_url="https://preprod.logius.example/ebms",
    )
    with pytest.raises(ConfigRefused) as refused:
        service.create(data)
    fields = {i.field: i.message for i in refused.value.issues if i.blocking}
    assert "heeft een clientcertificaat nodig" in fields["Certificaat"]
    assert "heeft de CPA van Logius nodig" in fields["CPA"]
    # Saved as not active, it waits for both without complaint.
    inactive = service.create(replace(data, active=False))
    assert not inactive.active and inactive.certificate_id is None
    with pytest.raises(ConfigRefused, match="clientcertificaat"):
        service.set_active(inactive.id, True)


def test_a_cpa_whose_parties_lack_the_owner_is_refused_naming_the_oins(
    service: ConnectionService,
) -> None:
    grensdorp = _org_id(service, GRENSDORP_OIN)
    wrong = _cpa(DEMO_OIN, "Gemeente Voorbeeld")
    preview = service.check_cpa(wrong, grensdorp)
    assert preview.cpa_id == "CPA-TEST-1"
    assert (
        "Gemeente Voorbeeld",
        DEMO_OIN,
    ) in preview.parties
    (issue,) = preview.issues
    assert f"het OIN van eigenaar Gemeente Grensdorp ({GRENSDORP_OIN}) staat er niet in" in (
        issue.message
    )
    data = ConnectionInput(
        name="Grensdorp-preprod",
        owner_organisation_id=grensdorp,
        environment="preprod",
        certificate_id=_certificate(service, GRENSDORP_OIN),
        cpa_document=wrong,
        cpa_filename="cpa.xml",
    )
    with pytest.raises(ConfigRefused, match="staat er niet in"):
        service.create(data)
    with service._db.session() as s:
        assert (
            s.scalar(select(m.Connection).where(m.Connection.name == "Grensdorp-preprod")) is None
        )


def test_a_matching_cpa_is_applied_and_the_connection_can_be_active(
    service: ConnectionService,
) -> None:
    grensdorp = _org_id(service, GRENSDORP_OIN)
    detail = service.create(
        ConnectionInput(
            name="Grensdorp-preprod",
            owner_organisation_id=grensdorp,
            environment="preprod",
            certificate_id=_certificate(service, GRENSDORP_OIN),
            cpa_document=_cpa(GRENSDORP_OIN, "Gemeente Grensdorp", "CPA-GRENSDORP"),
            cpa_filename="grensdorp.xml",
        )
    )
    assert detail.active and detail.cpa_record_id is not None
    assert detail.cpa_id == "CPA-GRENSDORP"
    assert detail.endpoint_url == "https://logius.example.nl/ebms"  # taken from the CPA
    summaries = [row[2] for row in audit_rows(service._db) if row[0] == "koppeling"]
    assert summaries.count("Grensdorp-preprod") == 2  # created, then its CPA applied


def test_a_certificate_of_another_oin_is_refused(service: ConnectionService) -> None:
    issues = service.validate(
        ConnectionInput(
            name="X",
            owner_organisation_id=_org_id(service, GRENSDORP_OIN),
            environment="preprod",
            certificate_id=_certificate(service, DEMO_OIN),
            active=False,
        )
    )
    (issue,) = [i for i in issues if i.field == "Certificaat"]
    assert f"hoort bij OIN {DEMO_OIN}" in issue.message and "Gemeente Grensdorp" in issue.message


def test_production_refuses_test_oins(service: ConnectionService) -> None:
    issues = service.validate(
        ConnectionInput(
            name="Productie",
            owner_organisation_id=_org_id(service, GRENSDORP_OIN),
            environment="productie",
            organisation_ids=(_org_id(service, BUURDORP_OIN),),
            active=False,
        )
    )
    by_field = {i.field: i.message for i in issues if i.blocking}
    assert "test-OIN 00000099400000000001" in by_field["Eigenaar"]
    assert "Gemeente Buurdorp heeft test-OIN" in by_field["Organisaties"]
    # A real owner with a test-OIN member: only the member is refused.
    real = OrganisationService(service._db).create(OrganisationInput("Gemeente Echt", REAL_OIN))
    issues = service.validate(
        ConnectionInput(
            name="Productie",
            owner_organisation_id=real.id,
            environment="productie",
            organisation_ids=(_org_id(service, BUURDORP_OIN),),
            active=False,
        )
    )
    assert [i.field for i in issues if i.blocking] == ["Organisaties"]


def test_duplicate_names_and_bad_urls_are_refused(service: ConnectionService) -> None:
    issues = service.validate(
        ConnectionInput(
            name="Demo-simulator",
            owner_organisation_id=_org_id(service, DEMO_OIN),
            environment="simulator",
            endpoint_url="http://127.0.0.1/ebms",
            wus_url="https://x",
        )
    )
    by_field = {i.field: i.message for i in issues}
    assert by_field["Naam"] == "Er is al een koppeling met de naam Demo-simulator."
    assert "moet beginnen met https://" in by_field["ebMS-adres"]
    assert "geen geldige servernaam" in by_field["WUS-adres"]


def test_history_stays_deleting_becomes_deactivating(service: ConnectionService) -> None:
    conn = service.get("Grensdorp-simulator")
    add_letter(service._db, BUURDORP_OIN, berichttype="AANSLAG", connection=conn.name)
    with pytest.raises(DeleteRefused, match="Deactiveer de koppeling"):
        service.delete(conn.id)
    data = conn.input()
    with pytest.raises(ConfigRefused, match="De omgeving kan daarom niet meer veranderen"):
        service.update(conn.id, replace(data, environment="preprod", active=False))
    assert not service.set_active(conn.id, False).active
    assert service.get(conn.id).letter_count == 1


def test_an_unused_connection_is_deleted(service: ConnectionService) -> None:
    conn = service.get("Tweestromen-burgerzaken")
    service.delete(conn.id)
    assert all(c.name != "Tweestromen-burgerzaken" for c in service.list_all())
    assert ("koppeling", "verwijderd", "Tweestromen-burgerzaken") in audit_rows(service._db)


def test_making_a_connection_current(service: ConnectionService) -> None:
    changed: list[int] = []
    service.on_changed = changed.append
    conn = service.get("Belastingsamenwerking-simulator")
    assert not conn.is_current and service.get("Demo-simulator").is_current
    result = service.make_current(conn.id)
    assert result.restart_needed and "Start de console opnieuw" in result.message
    assert service.get(conn.id).is_current and not service.get("Demo-simulator").is_current
    with service._db.session() as s:
        assert SettingsRepository(s).get(ACTIVE_CONNECTION) == conn.id
    assert changed == [conn.id]
    service.set_active(service.get("Grensdorp-simulator").id, False)
    with pytest.raises(ServiceError, match="is niet actief"):
        service.make_current(service.get("Grensdorp-simulator").id)


def test_changing_members_updates_what_the_workspace_may_send_for(
    service: ConnectionService,
) -> None:
    from console.services.workspace import WorkspaceService

    demo = service.get("Demo-simulator")
    buurdorp = _org_id(service, BUURDORP_OIN)
    service.update(demo.id, replace(demo.input(), organisation_ids=(buurdorp,)))
    status = WorkspaceService(service._db).status()
    assert [o.oin for o in status.organisations] == [DEMO_OIN, BUURDORP_OIN]
    assert WorkspaceService(service._db).connection_id_for(buurdorp) == demo.id
    assert service.get(demo.id).environment is Environment.SIMULATOR
