"""Berichtstromen: validation, templates with portal and payment links, letters from templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from console.domain.environment import Environment
from console.domain.flow import BerichtTypeStatus, Cadence, DeliveryPolicy
from console.domain.letter import validate_letter
from console.services.connections import ConnectionService
from console.services.demo import DEMO_OIN
from console.services.errors import ConfigRefused, NotFound
from console.services.flows import FlowInput, FlowService, PeakInput, TemplateInput
from console.services.organisations import OrganisationService

from .flow_support import audit_rows, demo_db

PAY = "https://betalen.voorbeeld.nl/aanslag"


@pytest.fixture
def service(tmp_path: Path) -> FlowService:
    return FlowService(demo_db(tmp_path))


def _org(service: FlowService, ref: str = DEMO_OIN) -> int:
    return OrganisationService(service._db).get(ref).id


def _flow(service: FlowService, **kw: object) -> FlowInput:
    base: dict[str, object] = {
        "organisation_id": _org(service),
        "name": "Hondenbelasting",
        "source_system": "Belastingapplicatie",
        "default_berichttype": "BELAST",
        "cadence": "batches",
        "volume_per_month": 250,
        "payment_url": PAY,
        "peaks": (PeakInput(date(2027, 2, 28), 12_000, "Aanslagen"),),
    }
    return FlowInput(**{**base, **kw})  # type: ignore[arg-type]


def test_a_flow_with_its_cadence_policy_links_and_peaks(service: FlowService) -> None:
    flow = service.create(_flow(service), actor="fb")
    assert flow.cadence is Cadence.BATCHES and flow.volume_per_month == 250
    assert flow.delivery_policy is DeliveryPolicy.DIGITAAL_ANDERS_PAPIER
    assert flow.peaks == (PeakInput(date(2027, 2, 28), 12_000, "Aanslagen"),)
    # Without its own connection it goes wherever the organisation's active connections go.
    assert flow.environments == (Environment.SIMULATOR,)
    assert flow.berichttype_status == ((Environment.SIMULATOR, BerichtTypeStatus.ACTIEF),)
    assert ("berichtstroom", "aangemaakt", "Hondenbelasting (Gemeente Voorbeeld)") in audit_rows(
        service._db
    )
    changed = service.update(
        flow.id, replace(flow.input(), peaks=(), cadence="continu", volume_per_month=None)
    )
    assert changed.peaks == () and changed.cadence is Cadence.CONTINU
    assert not service.set_active(flow.id, False).active


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "WOZ-beschikking"}, "Naam", "heeft al een berichtstroom 'WOZ-beschikking'"),
        ({"name": ""}, "Naam", "Vul een naam in"),
        ({"default_berichttype": "ONBEKEND"}, "Berichttype", "heeft geen berichttype ONBEKEND"),
        ({"portal_url": "http://mijn.voorbeeld.nl/"}, "Portaaladres", "moet beginnen met https://"),
        ({"volume_per_month": -1}, "Volume", "kan niet negatief zijn"),
        ({"cadence": "wekelijks"}, "Cadans", "Cadans 'wekelijks' bestaat niet"),
        (
            {"peaks": (PeakInput(date(2027, 1, 1)), PeakInput(date(2027, 1, 1)))},
            "Piekdagen",
            "Piekdag 01-01-2027 staat er twee keer in.",
        ),
    ],
)
def test_bad_flows_are_refused_per_field(
    service: FlowService, changes: dict[str, object], field: str, message: str
) -> None:
    data = replace(_flow(service), **changes)
    with pytest.raises(ConfigRefused) as refused:
        service.create(data)
    assert any(i.field == field and message in i.message for i in refused.value.issues), (
        refused.value.issues
    )


def test_a_flow_may_only_use_a_connection_that_sends_for_its_organisation(
    service: FlowService,
) -> None:
    foreign = ConnectionService(service._db).get("Zaakwijs-SaaS-simulator")
    issues = service.validate(_flow(service, connection_id=foreign.id))
    (issue,) = [i for i in issues if i.field == "Koppeling"]
    assert "Koppeling Zaakwijs-SaaS-simulator mag niet versturen voor Gemeente Voorbeeld" in (
        issue.message
    )
    heidedorp = service.create(
        _flow(
            service,
            organisation_id=_org(service, "Gemeente Heidedorp"),
            default_berichttype="VERGUN",
            connection_id=foreign.id,
        )
    )
    assert heidedorp.connection_name == "Zaakwijs-SaaS-simulator"


def test_two_connections_of_one_municipality_carry_different_flows(service: FlowService) -> None:
    flows = {f.name: f for f in service.list_all(_org(service, "Gemeente Tweestromen"))}
    assert flows["Aanslag gemeentelijke belastingen"].connection_name == "Tweestromen-belastingen"
    assert flows["Reisdocument verloopt"].connection_name == "Tweestromen-burgerzaken"


def test_templates_with_a_payment_link_need_the_payment_address(service: FlowService) -> None:
    flow = service.create(_flow(service, payment_url=""))
    text = "Beste {{naam}},\nBetaal {{bedrag}} euro via {{betaallink}}\nGroet"
    with pytest.raises(ConfigRefused, match="geen adres van de betaalomgeving"):
        service.save_template(flow.id, TemplateInput("Aanslag", "Uw aanslag {{jaar}}", text))
    flow = service.update(flow.id, replace(flow.input(), payment_url=PAY))
    t = service.save_template(flow.id, TemplateInput("Aanslag", "Uw aanslag {{jaar}}", text))
    assert t.effective_berichttype == "BELAST" and t.issues == ()
    # The address can no longer be emptied while a template uses it.
    with pytest.raises(ConfigRefused, match="Sjabloon Aanslag gebruikt \\{\\{betaallink\\}\\}"):
        service.update(flow.id, replace(flow.input(), payment_url=""))
    with pytest.raises(ConfigRefused, match="al een sjabloon 'aanslag'"):
        service.save_template(flow.id, TemplateInput("aanslag", "Ander onderwerp", ""))


def test_a_letter_from_a_template_has_the_payment_link_spaced(service: FlowService) -> None:
    flow = service.find("Aanslag gemeentelijke belastingen", DEMO_OIN)
    values = {
        "naam": "J. de Vries",
        "jaar": "2027",
        "bedrag": "312,40",
        "vervaldatum": "31 maart 2027",
        "referentie": "AS-2027-001",
    }
    rendered = service.render(flow.id, "aanslagbiljet", values)
    assert rendered.ok and rendered.berichttype == "BELAST"
    link = "https://betalen.voorbeeld.nl/aanslag?referentie=AS-2027-001&bedrag=312.40"
    assert f"via {link} \n" in rendered.letter.berichttekst
    assert "https://mijn.voorbeeld.nl/belastingen \n" in rendered.letter.berichttekst
    draft = service.draft(flow.id, "Aanslagbiljet", "999990019", values)
    assert draft.referentie == "AS-2027-001" and draft.berichttype == "BELAST"
    assert validate_letter(draft) == []
    with pytest.raises(ConfigRefused, match="De betaallink heeft een bedrag nodig"):
        service.draft(flow.id, "Aanslagbiljet", "999990019", {**values, "bedrag": ""})
    with pytest.raises(NotFound, match="geen sjabloon 'Herinnering' \\(wel: Aanslagbiljet\\)"):
        service.render(flow.id, "Herinnering", values)


def test_templates_are_removed_with_an_audit_entry(service: FlowService) -> None:
    flow = service.find("Reisdocument verloopt", DEMO_OIN)
    (template,) = flow.templates
    assert [i.blocking for i in template.issues] == [False]  # {{document}}: a custom field
    service.delete_template(template.id, actor="fb")
    assert service.get(flow.id).templates == ()
    assert ("sjabloon", "verwijderd", "Herinnering (Reisdocument verloopt)") in audit_rows(
        service._db
    )
