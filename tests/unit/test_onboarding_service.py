"""The Aansluiten service over a real SQLite file: answers and ticks as settings rows, the
evidence per step from certificates, CPAs, berichttypes, letters and subscriptions, the
recorded connection test, and the report as text and PDF."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from console.db import models as m
from console.db.database import Database
from console.db.models_flows import AuditEntry
from console.db.models_subscriptions import SubscriptionCheck, SubscriptionSnapshot
from console.db.repositories import SettingsRepository
from console.domain.environment import Environment
from console.domain.ids import new_guid
from console.domain.lifecycle import LetterStatus
from console.domain.onboarding import (
    Answers,
    ConnectionVariant,
    LetterKind,
    OrganisationType,
    Sender,
    StepState,
)
from console.secrets.store import MemoryStore
from console.services.certificates import CertificateService
from console.services.connection_test import (
    ConnectionStep,
    ConnectionTestResult,
    ConnectionTestService,
    StepStatus,
)
from console.services.connections import ConnectionInput, ConnectionService
from console.services.cpa import CpaService
from console.services.demo import DEMO_OIN, demo_cpa_document
from console.services.errors import ConfigRefused, ServiceError
from console.services.onboarding import OnboardingService, overview_json
from tests.certificate_factory import NOW, make_ca, make_leaf, p12

from .flow_support import demo_db

D = Decimal
ANSWERS = Answers(
    organisation_type=OrganisationType.GEMEENTE,
    letter_kinds=(LetterKind("Aanslag", 40_000), LetterKind("WOZ", 12_345)),
    cost_per_letter=D("0.85"),
    one_off_costs=(("aanvraag", D("1500")),),
)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return demo_db(tmp_path / "data")


@pytest.fixture
def certificates(db: Database) -> CertificateService:
    return CertificateService(db, MemoryStore())


@pytest.fixture
def service(db: Database, certificates: CertificateService) -> OnboardingService:
    return OnboardingService(db, certificates=certificates)


@pytest.fixture
def org(service: OnboardingService) -> int:
    return service.find_organisation(DEMO_OIN).id


def _preprod_connection(
    db: Database,
    certificates: CertificateService,
    org: int,
    *,
    not_before: datetime | None = None,
    name: str = "Logius preprod",
    environment: str = "preprod",
) -> int:
    """A Logius connection with a certificate (OIN of the demo municipality) and a CPA."""
    ca = make_ca("Preprod-CA")
    leaf = make_leaf(ca, oin=DEMO_OIN, not_before=not_before)
    cert = certificates.import_file(p12(leaf, [ca], None), label=f"{name} certificaat")
    document = demo_cpa_document(
        client_cert_pem=None,
        inbound_cert_pem=None,
        simulator_cert_pem=None,
        cpa_id=f"BB_{environment.upper()}_1",
        simulator_url="https://preprod.logius.example/ebms",
    )
    detail = ConnectionService(db, CpaService(db)).create(
        ConnectionInput(
            name=name,
            owner_organisation_id=org,
            environment=environment,
            certificate_id=cert.certificate.id,
            cpa_document=document,
            cpa_filename=f"{environment}.xml",
        ),
        actor="tester",
    )
    return detail.id


def _letter(db: Database, org: int, connection: int, code: str | None) -> str:
    bericht_id = new_guid()
    now = datetime.now(UTC)
    with db.session() as s:
        s.add(
            m.Letter(
                organisation_id=org,
                connection_id=connection,
                berichttype="BELAST",
                bsn="999990019",
                onderwerp="Testbericht",
                berichttekst="Tekst",
                bericht_id=bericht_id,
                status=LetterStatus.DELIVERED if code else LetterStatus.SENT,
                verwerkings_code=code,
                created_at=now,
                updated_at=now,
                result_at=now if code else None,
            )
        )
        s.commit()
    return bericht_id


# --- answers ------------------------------------------------------------------------------


def test_first_answers_come_from_the_kind_of_organisation(
    service: OnboardingService, org: int
) -> None:
    saved = service.answers(org)
    assert not saved.saved and saved.saved_at is None
    assert saved.answers.organisation_type is OrganisationType.GEMEENTE
    assert saved.answers.letter_kinds[0] == LetterKind("Aanslag gemeentelijke belastingen", 0)


def test_answers_are_stored_per_organisation_and_read_back(
    db: Database, service: OnboardingService, org: int
) -> None:
    clock = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    service = OnboardingService(db, clock=lambda: clock)
    saved = service.save_answers(org, ANSWERS, actor="j.jansen")
    assert (saved.saved, saved.saved_by, saved.saved_at) == (True, "j.jansen", clock)

    again = OnboardingService(db).answers(org)  # a new service: it comes from the database
    assert again.answers == ANSWERS and again.saved_by == "j.jansen"
    with db.session() as s:
        row = SettingsRepository(s).get(f"onboarding.answers.{org}")
        audit = s.scalars(select(AuditEntry).where(AuditEntry.entity == "aansluiten")).one()
    assert row["answers"]["cost_per_letter"] == "0.85" and row["by"] == "j.jansen"
    assert audit.action == "aangemaakt" and "Gemeente Voorbeeld" in audit.summary
    other = service.find_organisation("Gemeente Oostdam")
    assert not service.answers(other.id).saved  # the other organisation has its own answers


def test_bad_answers_are_refused_per_field_and_nothing_is_stored(
    db: Database, service: OnboardingService, org: int
) -> None:
    bad = replace(ANSWERS, digital_share_percent=D("120"), cost_per_letter=D("0.855"))
    with pytest.raises(ConfigRefused) as refused:
        service.save_answers(org, bad)
    assert [i.field for i in refused.value.issues if i.blocking] == [
        "Aandeel digitaal",
        "Kosten per brief",
    ]
    assert str(refused.value).startswith("De impactanalyse is niet opgeslagen:")
    assert not service.answers(org).saved


def test_preview_computes_without_storing(service: OnboardingService, org: int) -> None:
    preview = service.preview(ANSWERS)
    assert preview.estimate.digital_per_year == 13_086
    assert preview.estimate.gross_saving_per_year == D("11123.10")
    assert not service.answers(org).saved


# --- ticking off --------------------------------------------------------------------------


def test_a_manual_step_is_ticked_with_who_and_when_and_can_be_undone(
    db: Database, org: int
) -> None:
    clock = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    service = OnboardingService(db, clock=lambda: clock)
    service.save_answers(org, ANSWERS, actor="j.jansen")
    checklist = service.set_manual(org, "intentieverklaring", actor="p.pietersen", note="brief 12")
    step = checklist.step("intentieverklaring")
    assert step.state is StepState.DONE
    assert step.mark is not None and (step.mark.by, step.mark.at) == ("p.pietersen", clock)
    assert step.mark.note == "brief 12"
    assert OnboardingService(db).checklist(org).step("aanvraag").state is StepState.OPEN

    undone = service.set_manual(org, "intentieverklaring", False, actor="p.pietersen")
    assert undone.step("intentieverklaring").state is StepState.OPEN
    assert undone.step("aanvraag").state is StepState.BLOCKED


def test_a_step_the_console_proves_cannot_be_ticked(service: OnboardingService, org: int) -> None:
    service.save_answers(org, ANSWERS)
    with pytest.raises(ServiceError, match="leidt hem af uit zijn eigen gegevens"):
        service.set_manual(org, "testbericht_simulator")
    with pytest.raises(ServiceError, match="hoort niet bij de gekozen aansluitvariant"):
        service.set_manual(org, "intermediair")


def test_when_a_supplier_sends_the_test_steps_are_ticked_by_hand(
    service: OnboardingService, org: int
) -> None:
    service.save_answers(org, replace(ANSWERS, sender=Sender.LEVERANCIER))
    checklist = service.set_manual(org, "testbericht_preprod")
    assert checklist.step("testbericht_preprod").state is StepState.DONE
    assert "leverancier" in checklist.step("testbericht_simulator").next_step


# --- evidence -----------------------------------------------------------------------------


def test_demo_evidence_oin_and_berichttypes(service: OnboardingService, org: int) -> None:
    checklist = service.checklist(org)
    oin = checklist.step("oin")
    assert oin.state is StepState.OPEN  # a test OIN is not the real one yet
    assert oin.evidence == (
        f"OIN {DEMO_OIN} is een test-OIN (begint met 00000099): alleen voor testen.",
    )
    preprod = checklist.step("berichttypes_preprod")
    assert preprod.state is StepState.DONE
    assert preprod.evidence[0].startswith(
        "BELAST (Aanslag gemeentelijke belastingen): actief in preprod sinds "
    )
    assert preprod.evidence[0].endswith("(door demo).")
    production = checklist.step("berichttypes_productie")
    assert production.state is StepState.BLOCKED and "nog niet actief in productie" in (
        production.next_step
    )
    certificate = checklist.step("certificaat_preprod")
    assert "Er is nog geen koppeling voor preprod" in certificate.next_step


def test_a_preprod_connection_with_certificate_and_cpa_is_evidence(
    db: Database, service: OnboardingService, certificates: CertificateService, org: int
) -> None:
    _preprod_connection(db, certificates, org)
    checklist = service.checklist(org)
    certificate = checklist.step("certificaat_preprod")
    assert certificate.state is StepState.DONE
    assert certificate.evidence[0].startswith(
        f"Certificaat Logius preprod certificaat: OIN {DEMO_OIN}, nog "
    )
    assert certificate.evidence[0].endswith("dagen geldig (koppeling Logius preprod).")
    cpa = checklist.step("cpa_preprod")
    assert cpa.state is StepState.DONE
    assert cpa.evidence[0].startswith("CPA BB_PREPROD_1 (koppeling Logius preprod): status agreed")
    assert "door tester" in cpa.evidence[0]
    # Production is still missing, and says so.
    assert checklist.step("cpa_productie").state is StepState.BLOCKED

    later = OnboardingService(
        db, certificates=certificates, clock=lambda: datetime.now(UTC) + timedelta(days=800)
    )
    expired = later.checklist(org).step("cpa_preprod")
    assert expired.state is StepState.BLOCKED and expired.tone == "red"
    assert expired.problem is not None and "De CPA BB_PREPROD_1 is verlopen op" in expired.problem


def test_a_certificate_that_is_not_valid_yet_blocks_with_the_reason(
    db: Database, service: OnboardingService, certificates: CertificateService, org: int
) -> None:
    _preprod_connection(db, certificates, org, not_before=NOW + timedelta(days=10))
    step = service.checklist(org).step("certificaat_preprod")
    assert step.state is StepState.BLOCKED
    assert step.problem is not None and "is pas geldig vanaf" in step.problem


def test_letters_with_a_result_are_the_evidence_of_the_test_steps(
    db: Database, service: OnboardingService, certificates: CertificateService, org: int
) -> None:
    conn = _preprod_connection(db, certificates, org)
    pending = _letter(db, org, conn, None)
    step = service.checklist(org).step("testbericht_preprod")
    assert step.state is not StepState.DONE
    assert step.evidence == (step.evidence[0],) and pending in step.evidence[0]
    assert "wacht nog op het resultaat" in step.evidence[0]

    wrong = _letter(db, org, conn, "BerichtTypeNietOndersteund")
    step = service.checklist(org).step("testbericht_preprod")
    assert step.state is StepState.BLOCKED and wrong in step.evidence[0]
    assert step.problem is not None
    assert step.problem.startswith("Het laatste bericht kreeg BerichtTypeNietOndersteund.")

    verwerkt = _letter(db, org, conn, "Verwerkt")
    niet = _letter(db, org, conn, "NietActiefOfGeabonneerd")
    checklist = service.checklist(org)
    done = checklist.step("testbericht_preprod")
    assert done.state is StepState.DONE
    assert done.evidence[0].startswith(f"BerichtID {verwerkt}: verstuurd op ")
    assert "resultaat Verwerkt ontvangen op" in done.evidence[0]
    assert done.evidence[0].endswith("(PREPROD, koppeling Logius preprod).")
    assert checklist.step("niet_geabonneerd_preprod").evidence[0].startswith(f"BerichtID {niet}:")
    # Letters on preprod are no evidence for the simulator step, nor for production.
    assert checklist.step("testbericht_simulator").state is StepState.OPEN
    assert checklist.step("eerste_productiebericht").state is StepState.BLOCKED


def test_subscriptions_need_both_the_overview_and_a_direct_check(
    db: Database, service: OnboardingService, org: int
) -> None:
    now = datetime.now(UTC)
    with db.session() as s:
        s.add(
            SubscriptionSnapshot(
                organisation_id=org,
                verzoek_id="V-1",
                soort="volledig",
                peil_datum=now,
                received_at=now,
                entry_count=3,
                subscribed_count=3,
            )
        )
        s.commit()
    step = service.checklist(org).step("abonnementen")
    assert step.state is StepState.OPEN
    assert step.evidence[0].startswith("Abonnementsoverzicht (ABS, volledig) van ")
    assert "3 burgers met abonnement" in step.evidence[0]
    assert "directe controle (WUS)" in step.next_step
    assert service.overview(org).share_hint is not None

    with db.session() as s:
        for outcome in ("ApplicationFault", "ok"):
            s.add(
                SubscriptionCheck(
                    at=now,
                    actor="k.klant",
                    organisation_id=org,
                    berichttype="BELAST",
                    bsns="999990019,999990044",
                    outcome=outcome,
                )
            )
        s.commit()
    step = service.checklist(org).step("abonnementen")
    assert step.state is StepState.DONE
    assert "Directe controle (WUS)" in step.evidence[1] and "door k.klant" in step.evidence[1]
    assert "2 BSN('s)" in step.evidence[1]
    assert "999990019" not in " ".join(step.evidence)  # no BSN in the evidence


class _Tester(ConnectionTestService):
    """The real service with its steps (which need the network) replaced by a fixed outcome;
    what it keeps of the outcome is the real service's doing."""

    def __init__(self, db: Database, ok: bool) -> None:
        self._db = db
        self.ok = ok
        self.ran: list[int] = []

    def _run(self, connection: int | str, on_step: Any) -> ConnectionTestResult:
        assert isinstance(connection, int)
        self.ran.append(connection)
        steps = (
            ConnectionStep("certificate", "Clientcertificaat", StepStatus.OK, "in orde"),
            ConnectionStep(
                "tcp",
                "TCP-verbinding",
                StepStatus.OK if self.ok else StepStatus.FAILED,
                "verbonden" if self.ok else "Geen antwoord van preprod.logius.example:443.",
            ),
        )
        return ConnectionTestResult(
            connection, "Logius preprod", Environment.PREPROD, "https://x/ebms", steps
        )


def test_the_connection_test_is_recorded_as_evidence(
    db: Database, certificates: CertificateService, org: int
) -> None:
    tester = _Tester(db, ok=False)
    service = OnboardingService(db, certificates=certificates, connection_test=tester)
    with pytest.raises(ServiceError, match="nog geen koppeling voor preprod"):
        service.run_connection_test(org)
    conn = _preprod_connection(db, certificates, org)
    assert service.connection_test_target(org) is not None
    result = service.run_connection_test(org, actor="j.jansen")
    assert not result.ok and tester.ran == [conn]
    step = service.checklist(org).step("verbindingstest_preprod")
    assert step.state is StepState.BLOCKED
    assert step.problem == "TCP-verbinding: Geen antwoord van preprod.logius.example:443."
    assert "door j.jansen (koppeling Logius preprod)" in step.evidence[0]

    tester.ok = True
    service.run_connection_test(org, actor="j.jansen")
    step = service.checklist(org).step("verbindingstest_preprod")
    assert step.state is StepState.DONE and "alle stappen zijn geslaagd" in step.evidence[0]


# --- overview, JSON and the report --------------------------------------------------------


def test_overview_json_has_exact_numbers_and_is_plain_json(
    service: OnboardingService, org: int
) -> None:
    service.save_answers(org, replace(ANSWERS, variant=ConnectionVariant.INTERMEDIAIR))
    data = json.loads(json.dumps(overview_json(service.overview(org))))
    assert data["organisation"]["oin"] == DEMO_OIN
    assert data["answers"]["saved"] is True and data["answers"]["variant"] == "intermediair"
    assert data["estimate"]["digital_per_year"] == 13_086
    assert data["estimate"]["gross_saving_per_year"] == "11123.10"
    assert data["variant"]["title"] == "Via een intermediair"
    keys = [s["key"] for s in data["checklist"]["steps"]]
    assert "intermediair" in keys and "netwerk" not in keys
    assert data["checklist"]["total"] == len(keys)


def test_report_as_text_and_pdf(
    tmp_path: Path, db: Database, service: OnboardingService, org: int
) -> None:
    service.save_answers(org, ANSWERS, actor="j.jansen")
    service.set_manual(org, "intentieverklaring", actor="j.jansen")
    text_path = service.export_report(org, tmp_path / "verslag.txt")
    text = text_path.read_text(encoding="utf-8")
    assert text.startswith("Verslag: aansluiten op de MijnOverheid Berichtenbox\n")
    assert f"Gemeente Voorbeeld (OIN {DEMO_OIN})" in text
    assert "  Naar de Berichtenbox per jaar: 13.086" in text
    assert "  Besparing per jaar: € 11.123,10" in text
    assert "  [Gedaan] Intentieverklaring naar Logius gestuurd" in text
    assert "      Afgevinkt door j.jansen op " in text
    assert "Volgende stap: " in text

    pdf_path = service.export_report(org, tmp_path / "verslag.pdf")
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    pdf_text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert "Verslag: aansluiten op de MijnOverheid Berichtenbox" in pdf_text
    assert "13.086" in pdf_text and "Intentieverklaring naar Logius gestuurd" in pdf_text
    assert reader.metadata is not None and reader.metadata.title is not None

    with pytest.raises(ServiceError, match="bestaat niet"):
        service.export_report(org, tmp_path / "nergens" / "verslag.pdf")


def test_unknown_organisations_are_named_in_the_message(service: OnboardingService) -> None:
    with pytest.raises(ServiceError, match="Organisatie 'Nergenshuizen' bestaat niet"):
        service.find_organisation("Nergenshuizen")
    assert service.find_organisation(None).name == service.organisations()[0].name
    with pytest.raises(ServiceError, match="bestaat niet"):
        service.overview(9999)
