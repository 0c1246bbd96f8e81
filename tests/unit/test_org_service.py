"""Organisations: validation per field in Dutch, audit in the same unit of work, no lost history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from console.db import models as m
from console.db.models_flows import AuditEntry, OrganisationContact
from console.services.demo import DEMO_OIN
from console.services.errors import ConfigRefused, DeleteRefused, NotFound
from console.services.organisations import (
    ContactInput,
    OrganisationInput,
    OrganisationService,
    ProfileInput,
)

from .flow_support import add_letter, audit_rows, demo_db

NEW_OIN = "00000001001234567000"


@pytest.fixture
def service(tmp_path: Path) -> OrganisationService:
    return OrganisationService(demo_db(tmp_path))


def _new(**kw: object) -> OrganisationInput:
    base = {"name": "Gemeente Nieuwdorp", "oin": NEW_OIN, "kind": "gemeente"}
    return OrganisationInput(**{**base, **kw})  # type: ignore[arg-type]


def test_create_stores_profile_contacts_and_an_audit_entry(service: OrganisationService) -> None:
    data = _new(
        profile=ProfileInput("Nieuwdorp", "Post van de gemeente", "https://www.nieuwdorp.nl/"),
        contacts=(
            ContactInput("technisch", "Applicatiebeheer", "ab@nieuwdorp.nl", "+31 20 1234567"),
            ContactInput("algemeen"),
        ),
    )
    detail = service.create(data, actor="fb-medewerker")
    assert (detail.name, detail.oin, detail.kind_label, detail.active) == (
        "Gemeente Nieuwdorp",
        NEW_OIN,
        "Gemeente",
        True,
    )
    assert not detail.is_test_oin
    assert detail.profile.website_url == "https://www.nieuwdorp.nl/"
    by_role = {c.role: c for c in detail.contacts}
    assert by_role["technisch"].email == "ab@nieuwdorp.nl"
    assert by_role["algemeen"].empty  # an empty contact is not stored
    with service._db.session() as s:
        assert s.scalar(
            select(OrganisationContact.role).where(OrganisationContact.name == "Applicatiebeheer")
        )
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.actor, entry.action, entry.entity, entry.entity_key) == (
            "fb-medewerker",
            "aangemaakt",
            "organisatie",
            NEW_OIN,
        )
        assert entry.before is None
        assert json.loads(entry.after or "{}")["profiel"]["website"] == "https://www.nieuwdorp.nl/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_new(oin="123"), "OIN", "Een OIN heeft 20 cijfers; dit zijn er 3."),
        (_new(oin="0000009912345678900A"), "OIN", "Een OIN bestaat alleen uit cijfers."),
        (_new(oin="12345678901234567890"), "OIN", "geen bekend OIN-prefix"),
        (_new(oin=DEMO_OIN), "OIN", f"OIN {DEMO_OIN} is al in gebruik door Gemeente Voorbeeld."),
        (_new(name=" "), "Naam", "Vul de naam van de organisatie in."),
        (_new(kind="vereniging"), "Soort", "Soort 'vereniging' bestaat niet"),
        (
            _new(profile=ProfileInput(website_url="http://www.x.nl/")),
            "Website",
            "moet beginnen met https://",
        ),
        (
            _new(contacts=(ContactInput("technisch", "Jan", "jan-at-x.nl"),)),
            "technisch e-mail",
            "'jan-at-x.nl' is geen e-mailadres",
        ),
        (
            _new(contacts=(ContactInput("communicatie", "", "c@x.nl"),)),
            "communicatie naam",
            "Vul de naam in van de contactpersoon",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    service: OrganisationService, data: OrganisationInput, field: str, message: str
) -> None:
    issues = service.validate(data)
    assert any(i.field == field and message in i.message for i in issues), issues
    before = audit_rows(service._db)
    with pytest.raises(ConfigRefused, match="De organisatie is niet opgeslagen") as refused:
        service.create(data)
    assert any(message in i.message for i in refused.value.issues)
    assert audit_rows(service._db) == before  # nothing stored, not even an audit entry
    with service._db.session() as s:
        assert s.scalar(select(m.Organisation).where(m.Organisation.name == data.name)) is None


def test_update_records_before_and_after(service: OrganisationService) -> None:
    org = service.get("Gemeente Voorbeeld")
    changed = org.input()
    changed = OrganisationInput(
        changed.name, changed.oin, "waterschap", changed.profile, changed.contacts
    )
    updated = service.update(org.id, changed, actor="beheer")
    assert updated.kind == "waterschap"
    with service._db.session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.action == "gewijzigd" and entry.actor == "beheer"
        assert json.loads(entry.before or "{}")["soort"] == "gemeente"
        assert json.loads(entry.after or "{}")["soort"] == "waterschap"
        assert "soort" in entry.summary
    # Saving without a change adds no audit entry.
    count = len(audit_rows(service._db))
    service.update(org.id, updated.input())
    assert len(audit_rows(service._db)) == count


def test_the_oin_cannot_change_once_letters_carry_it(service: OrganisationService) -> None:
    org = service.get(DEMO_OIN)
    add_letter(service._db, DEMO_OIN)
    data = org.input()
    with pytest.raises(ConfigRefused) as refused:
        service.update(org.id, OrganisationInput(data.name, NEW_OIN, data.kind))
    assert "als BerichtLeverancierID" in str(refused.value)
    assert service.get(org.id).oin == DEMO_OIN


def test_an_organisation_with_letters_is_deactivated_not_deleted(
    service: OrganisationService,
) -> None:
    org = service.get("Gemeente Buurdorp")
    add_letter(service._db, org.oin, berichttype="AANSLAG", connection="Grensdorp-simulator")
    with pytest.raises(DeleteRefused, match="Deactiveer de organisatie"):
        service.delete(org.id)
    deactivated = service.set_active(org.id, False, actor="beheer")
    assert not deactivated.active and deactivated.letter_count == 1
    assert ("organisatie", "gedeactiveerd", "Gemeente Buurdorp") in audit_rows(service._db)
    assert service.set_active(org.id, True).active


def test_an_owner_of_a_connection_is_not_deleted(service: OrganisationService) -> None:
    with pytest.raises(DeleteRefused, match="eigenaar van koppeling Demo-simulator"):
        service.delete(service.get(DEMO_OIN).id)


def test_an_unused_organisation_is_deleted_and_the_audit_log_keeps_it(
    service: OrganisationService,
) -> None:
    detail = service.create(_new(), actor="beheer")
    service.delete(detail.id, actor="beheer")
    with pytest.raises(NotFound):
        service.get(NEW_OIN)
    with service._db.session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.action == "verwijderd"
        assert json.loads(entry.before or "{}")["oin"] == NEW_OIN


def test_find_by_id_oin_or_name(service: OrganisationService) -> None:
    org = service.get(DEMO_OIN)
    assert service.get(org.id).oin == DEMO_OIN
    assert service.get(str(org.id)).oin == DEMO_OIN
    assert service.get("gemeente voorbeeld").oin == DEMO_OIN
    with pytest.raises(NotFound, match="'Gemeente Nergens' bestaat niet"):
        service.get("Gemeente Nergens")


def test_the_demo_shows_the_intermediary_set_ups(service: OrganisationService) -> None:
    orgs = {o.name: o for o in service.list_all()}
    assert all(o.is_test_oin for o in orgs.values())  # every demo OIN is a test OIN
    assert orgs["Gemeente Oostdam"].sent_for_by == ("Belastingsamenwerking-simulator",)
    assert orgs["Waterschap Lage Weiden"].kind == "waterschap"
    assert orgs["Gemeente Buurdorp"].sent_for_by == ("Grensdorp-simulator",)
    assert orgs["Gemeente Heidedorp"].sent_for_by == ("Zaakwijs-SaaS-simulator",)
    assert orgs["Pensioenfonds Zorgzaam"].sent_for_by == ("Pensioenuitvoering-simulator",)
    assert orgs["Gemeente Tweestromen"].owns_connections == (
        "Tweestromen-belastingen",
        "Tweestromen-burgerzaken",
    )
    assert orgs["Gemeente Voorbeeld"].flow_count == 4
