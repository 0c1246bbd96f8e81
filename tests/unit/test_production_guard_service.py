"""The production guard on real letters: refused before anything is stored, warned in preprod."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.db import models as m
from console.db.models_certificates import Certificate
from console.domain.environment import Environment
from console.domain.letter import LetterDraft
from console.services.berichttypes import BerichtTypeInput, BerichtTypeService
from console.services.connections import ConnectionInput, ConnectionService
from console.services.demo import DEMO_OIN, demo_cpa_document
from console.services.errors import LetterRefused
from console.services.letters import LetterService
from console.services.organisations import OrganisationInput, OrganisationService
from console.services.production_guard import ConfirmationRefused, ProductionGuardService
from console.services.workspace import WorkspaceService

from .flow_support import demo_db

REAL_OIN = "00000001001234567000"
REAL_LOOKING_BSN = "111222333"


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.db = demo_db(tmp_path)
        self.workspace = WorkspaceService(self.db)
        self.guard = ProductionGuardService(self.db, self.workspace)
        self.letters = LetterService(self.db, self.workspace, guard=self.guard.send_check)
        self.connections = ConnectionService(self.db)

    def logius_connection(self, environment: str) -> tuple[int, int]:
        """A real organisation with an active connection in *environment*, made current."""
        org = OrganisationService(self.db).create(OrganisationInput("Gemeente Echt", REAL_OIN))
        now = datetime.now(UTC)
        with self.db.session() as s:
            cert = Certificate(
                label="PKIoverheid",
                subject="x",
                issuer="y",
                serial_number="1",
                oin=REAL_OIN,
                not_before=now - timedelta(days=1),
                not_after=now + timedelta(days=100),
                key_type="rsa",
                key_size=3072,
                fingerprint_sha256="aa" * 32,
                fingerprint_sha1="bb" * 20,
                public_key_sha256="cc" * 32,
                cert_pem="",
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
            cpa_id=f"CPA-{environment}",
            simulator_url="https://logius.example.nl/ebms",
        )
        conn = self.connections.create(
            ConnectionInput(
                name=f"Echt-{environment}",
                owner_organisation_id=org.id,
                environment=environment,
                certificate_id=cert_id,
                cpa_document=cpa,
            )
        )
        self.connections.make_current(conn.id)
        bts = BerichtTypeService(self.db)
        bt = bts.create(BerichtTypeInput(org.id, "BELAST", "Aanslag"))
        bts.set_status(bt.id, Environment.PREPROD, "actief")
        if environment == "productie":
            bts.set_status(bt.id, Environment.PRODUCTIE, "actief")
        return conn.id, org.id

    def letter_count(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count(m.Letter.id))) or 0)


def _draft(bsn: str) -> LetterDraft:
    return LetterDraft(bsn=bsn, berichttype="BELAST", onderwerp="Uw aanslag")


def test_the_simulator_accepts_its_test_citizens(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    org = OrganisationService(setup.db).get(DEMO_OIN)
    assert setup.guard.issues(["999990019"], None, org.id) == []
    assert setup.letters.submit(_draft("999990019"), org.id).letter_id


def test_production_refuses_a_test_citizen_before_anything_is_stored(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    _conn, org = setup.logius_connection("productie")
    issues = setup.letters.validate(_draft("999990019"), org)
    assert [i.field for i in issues if i.blocking] == ["BSN"]
    with pytest.raises(LetterRefused, match="testburger van de simulator"):
        setup.letters.submit(_draft("999990019"), org)
    assert setup.letter_count() == 0
    assert setup.letters.submit(_draft(REAL_LOOKING_BSN), org).letter_id
    assert setup.letter_count() == 1


def test_production_refuses_a_test_oin_organisation_on_the_connection(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    conn, _org = setup.logius_connection("productie")
    buurdorp = OrganisationService(setup.db).get("Gemeente Buurdorp")
    # The configuration refuses it (see the connection tests); here it slipped in directly.
    with setup.db.session() as s:
        c = s.get_one(m.Connection, conn)
        c.organisations = [s.get_one(m.Organisation, buurdorp.id)]
        s.commit()
    issues = setup.guard.issues([REAL_LOOKING_BSN], None, buurdorp.id)
    assert [i.field for i in issues if i.blocking] == ["OIN"]
    assert "Gemeente Buurdorp heeft test-OIN" in issues[0].message


def test_preprod_warns_about_a_real_looking_bsn_but_lets_it_go(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    _conn, org = setup.logius_connection("preprod")
    issues = setup.letters.validate(_draft(REAL_LOOKING_BSN), org)
    (warning,) = [i for i in issues if i.field == "BSN"]
    assert not warning.blocking and "lijkt een echt BSN" in warning.message
    letter_id = setup.letters.submit(_draft(REAL_LOOKING_BSN), org).letter_id
    created = setup.letters.detail(letter_id).timeline[0]
    assert "lijkt een echt BSN" in created.detail  # the warning stays with the letter
    assert [i for i in setup.letters.validate(_draft("999990019"), org) if i.field == "BSN"] == []


def test_inactive_set_ups_and_a_logius_connection_without_cpa_are_refused(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path)
    orgs = OrganisationService(setup.db)
    voorbeeld = orgs.get(DEMO_OIN)
    orgs.set_active(voorbeeld.id, False)
    with pytest.raises(LetterRefused, match="Gemeente Voorbeeld is gedeactiveerd"):
        setup.letters.submit(_draft("999990019"), voorbeeld.id)
    orgs.set_active(voorbeeld.id, True)
    conn_id, org = setup.logius_connection("preprod")
    with setup.db.session() as s:
        s.get_one(m.Connection, conn_id).cpa_record_id = None
        s.commit()
    with pytest.raises(LetterRefused, match="heeft nog geen CPA"):
        setup.letters.submit(_draft(REAL_LOOKING_BSN), org)


def test_the_typed_confirmation_is_asked_once_per_session(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    demo_target = setup.guard.target()
    assert demo_target is not None and not demo_target.needs_confirmation  # the simulator
    conn, org = setup.logius_connection("productie")
    target = setup.guard.target(org)
    assert target is not None and target.needs_confirmation
    assert (target.connection_id, target.organisation_name) == (conn, "Gemeente Echt")
    with pytest.raises(ConfirmationRefused, match="precies over: Gemeente Echt"):
        setup.guard.confirm(org, "Gemeente Ech")
    assert setup.guard.needs_confirmation(org)
    confirmed = setup.guard.confirm(org, " gemeente  echt ")
    assert confirmed.confirmed and not setup.guard.needs_confirmation(org)
    assert setup.guard.is_confirmed(conn, org)
    setup.guard.forget()  # as after a restart
    assert setup.guard.needs_confirmation(org)
    setup.guard.remember(conn, org)
    assert not setup.guard.needs_confirmation(org)
    assert replace(target, confirmed=True).needs_confirmation is False
