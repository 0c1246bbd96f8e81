"""Berichttypes: codes unique per organisation, the lifecycle with who and when, the drift check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from console.db.models_flows import AuditEntry
from console.domain.environment import Environment
from console.domain.flow import BerichtTypeStage, BerichtTypeStatus
from console.domain.lifecycle import LetterStatus
from console.services.berichttypes import BerichtTypeInput, BerichtTypeService
from console.services.demo import DEMO_OIN
from console.services.errors import ConfigRefused, DeleteRefused
from console.services.flows import FlowService
from console.services.organisations import OrganisationInput, OrganisationService

from .flow_support import add_letter, demo_db

A, G = BerichtTypeStatus.ACTIEF, BerichtTypeStatus.GEDEACTIVEERD


@pytest.fixture
def service(tmp_path: Path) -> BerichtTypeService:
    return BerichtTypeService(demo_db(tmp_path))


def _org(service: BerichtTypeService, ref: str = DEMO_OIN) -> int:
    return OrganisationService(service._db).get(ref).id


def test_a_new_berichttype_is_concept_everywhere(service: BerichtTypeService) -> None:
    bt = service.create(BerichtTypeInput(_org(service), "PARKEER", "Parkeervergunning"), actor="fb")
    assert (bt.status_simulator, bt.status_preprod, bt.status_productie) == (
        BerichtTypeStatus.CONCEPT,
    ) * 3
    assert bt.stage is BerichtTypeStage.CONCEPT and bt.updated_by == "fb"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("BELAST", "Berichttype BELAST bestaat al van Gemeente Voorbeeld."),
        (
            "belast",
            "BELAST bestaat al van Gemeente Voorbeeld; belast verschilt alleen in hoofdletters",
        ),
        ("PARKEERVG", "De code is 9 tekens; maximaal 8."),
        ("PARK EER", "een spatie mag niet"),
    ],
)
def test_bad_codes_are_refused_with_a_dutch_message(
    service: BerichtTypeService, code: str, message: str
) -> None:
    with pytest.raises(ConfigRefused) as refused:
        service.create(BerichtTypeInput(_org(service), code, "Iets"))
    assert [i.field for i in refused.value.issues] == ["Code"]
    assert message in str(refused.value)


def test_the_same_code_at_another_organisation_is_fine(service: BerichtTypeService) -> None:
    bt = service.create(BerichtTypeInput(_org(service, "Gemeente Buurdorp"), "BELAST", "Aanslag"))
    assert bt.organisation_name == "Gemeente Buurdorp"


def test_lifecycle_records_who_and_when_per_environment(service: BerichtTypeService) -> None:
    pushed: list[tuple[str, list[str]]] = []
    service.on_simulator_change = lambda oin, codes: pushed.append((oin, sorted(codes)))
    real = OrganisationService(service._db).create(
        OrganisationInput("Gemeente Echt", "00000001001234567000")
    )
    woz = service.create(BerichtTypeInput(real.id, "WOZ", "WOZ-beschikking"))
    with pytest.raises(ConfigRefused, match="nog niet actief geweest in preprod"):
        service.set_status(woz.id, Environment.PRODUCTIE, A, actor="fb")
    service.set_status(woz.id, "preprod", "actief", actor="fb")
    live = service.set_status(woz.id, Environment.PRODUCTIE, A, actor="teamleider")
    assert live.stage is BerichtTypeStage.ACTIEF_PRODUCTIE
    change = live.last_change(Environment.PRODUCTIE)
    assert (
        change is not None
        and change.actor == "teamleider"
        and change.old is BerichtTypeStatus.CONCEPT
    )
    assert [(h.environment, h.new) for h in live.history[-2:]] == [
        (Environment.PREPROD, A),
        (Environment.PRODUCTIE, A),
    ]
    with pytest.raises(ConfigRefused, match="niet terug naar concept"):
        service.set_status(woz.id, Environment.PRODUCTIE, BerichtTypeStatus.CONCEPT)
    assert pushed == []  # only simulator changes reach the simulator
    service.set_status(woz.id, Environment.SIMULATOR, A, actor="fb")
    assert pushed == [("00000001001234567000", ["WOZ"])]
    service.set_status(woz.id, Environment.SIMULATOR, G, actor="fb")
    assert pushed[-1] == ("00000001001234567000", [])
    with service._db.session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.action == "status gewijzigd"
        assert json.loads(entry.before or "{}")["status"]["simulator"] == "actief"
        assert json.loads(entry.after or "{}")["status"]["simulator"] == "gedeactiveerd"
        assert "SIMULATOR actief → gedeactiveerd" in entry.summary


def test_a_test_oin_organisation_cannot_be_active_in_production(
    service: BerichtTypeService,
) -> None:
    belast = service.find(DEMO_OIN, "BELAST")  # the demo has it active in preprod
    with pytest.raises(ConfigRefused, match="test-OIN"):
        service.set_status(belast.id, Environment.PRODUCTIE, A)
    real = OrganisationService(service._db).create(
        OrganisationInput("Gemeente Echt", "00000001001234567000")
    )
    bt = service.create(BerichtTypeInput(real.id, "BELAST", "Aanslag"))
    service.set_status(bt.id, Environment.PREPROD, A)
    assert service.set_status(bt.id, Environment.PRODUCTIE, A).status_productie is A


def test_what_letters_or_flows_use_is_deactivated_not_deleted(service: BerichtTypeService) -> None:
    reisdoc = service.find(DEMO_OIN, "REISDOC")
    with pytest.raises(DeleteRefused, match="berichtstroom Reisdocument verloopt"):
        service.delete(reisdoc.id)
    fresh = service.create(BerichtTypeInput(_org(service), "OUD", "Oud"))
    add_letter(service._db, DEMO_OIN, berichttype="OUD")
    with pytest.raises(DeleteRefused, match="1 bericht\\(en\\) verstuurd"):
        service.delete(fresh.id)
    with pytest.raises(ConfigRefused, match="kan daarom niet meer veranderen"):
        service.update(fresh.id, BerichtTypeInput(_org(service), "NIEUWER", "Oud"))
    once_active = service.create(BerichtTypeInput(_org(service), "KORT", "Kort"))
    service.set_status(once_active.id, Environment.SIMULATOR, A)
    with pytest.raises(DeleteRefused, match="al actief geweest"):
        service.delete(once_active.id)
    unused = service.create(BerichtTypeInput(_org(service), "WEG", "Weg"))
    service.delete(unused.id)
    assert all(b.code != "WEG" for b in service.list_all(_org(service)))


def test_renaming_an_unused_code_carries_the_flows_along(service: BerichtTypeService) -> None:
    nieuw = service.find(DEMO_OIN, "NIEUW")
    renamed = service.update(
        nieuw.id, BerichtTypeInput(nieuw.organisation_id, "PARKEER", "Parkeren")
    )
    assert renamed.code == "PARKEER"
    flow = FlowService(service._db).find("Parkeervergunning", DEMO_OIN)
    assert flow.default_berichttype == "PARKEER"


def test_drift_shows_what_is_used_but_not_active_before_anything_is_sent(
    service: BerichtTypeService,
) -> None:
    (item,) = service.drift()
    assert (item.organisation_name, item.code, item.environment, item.status) == (
        "Gemeente Voorbeeld",
        "NIEUW",
        Environment.SIMULATOR,
        BerichtTypeStatus.CONCEPT,
    )
    assert item.used_by == ("berichtstroom Parkeervergunning",)
    assert "BerichtTypeNietOndersteund" in item.message and "de simulator" in item.message
    service.set_status(item_id := service.find(DEMO_OIN, "NIEUW").id, "simulator", "actief")
    assert service.drift() == []
    # A waiting letter with a berichttype that was deactivated meanwhile shows up too.
    add_letter(service._db, DEMO_OIN, berichttype="WOZ", status=LetterStatus.QUEUED)
    add_letter(service._db, DEMO_OIN, berichttype="WOZ", status=LetterStatus.DELIVERED)
    woz = service.find(DEMO_OIN, "WOZ")
    service.set_status(woz.id, "simulator", "gedeactiveerd")
    drift = service.drift(Environment.SIMULATOR)
    assert [(d.code, d.status) for d in drift] == [("WOZ", G)]
    assert "1 bericht(en) die nog niet verstuurd of afgehandeld zijn" in drift[0].used_by
    assert "berichtstroom WOZ-beschikking" in drift[0].used_by
    assert service.drift(Environment.PRODUCTIE) == []
    assert item_id
