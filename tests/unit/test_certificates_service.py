"""CertificateService on a real SQLite file: import, consistency, expiry, renewal, send refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select

from console.db import models as m
from console.db.database import Database, open_database, upgrade
from console.db.models_certificates import Certificate, CertificateRequest
from console.domain.environment import Environment
from console.domain.letter import LetterDraft
from console.engine.transport import TransportFactory, TransportUnavailable
from console.secrets.store import KeyringStore
from console.services.certificates import (
    OIN_MISMATCH_CODE,
    CertificateRefused,
    CertificateService,
    IncorrectPassword,
    PasswordNeeded,
    threshold_for,
)
from console.services.demo import DEMO_CONNECTION, create_demo_workspace
from console.services.errors import LetterRefused, NotFound
from console.services.letters import LetterService
from console.services.workspace import WorkspaceService
from tests.certificate_factory import (
    NOW,
    OIN,
    OTHER_OIN,
    Made,
    MemoryKeyring,
    make_ca,
    make_leaf,
    p12,
    sign_csr,
)

PASSWORD = "Winter-2026?geheim"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def forward(self, days: float) -> None:
        self.now += dt.timedelta(days=days)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    upgrade(database, backup_dir=None)
    create_demo_workspace(database)
    yield database
    database.dispose()


@pytest.fixture
def backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def forgotten() -> list[int]:
    return []


@pytest.fixture
def service(
    db: Database, backend: MemoryKeyring, clock: Clock, forgotten: list[int]
) -> CertificateService:
    return CertificateService(
        db, KeyringStore(backend=backend), on_connection_changed=forgotten.append, clock=clock
    )


@pytest.fixture(scope="module")
def ca() -> Made:
    return make_ca("Unit-CA")


def _demo_connection_id(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(m.Connection.id).where(m.Connection.name == DEMO_CONNECTION)) or 0


def test_import_keeps_the_key_in_the_keyring_only(
    service: CertificateService,
    backend: MemoryKeyring,
    db: Database,
    ca: Made,
    forgotten: list[int],
) -> None:
    leaf = make_leaf(ca)
    result = service.import_file(
        p12(leaf, [ca], PASSWORD.encode()), password=PASSWORD, connection=DEMO_CONNECTION
    )

    assert result.created and result.attached_to == (DEMO_CONNECTION,)
    assert result.certificate.oin == OIN and result.certificate.key_available
    assert forgotten == [_demo_connection_id(db)]  # the engine drops its cached TLS client
    (secret,) = backend.entries.values()
    assert "PRIVATE KEY" in secret
    with db.session() as s:
        rec = s.scalars(select(Certificate)).one()
        assert "PRIVATE" not in rec.cert_pem + rec.chain_pem
        assert rec.key_ref is not None and ("berichtenbox-console", rec.key_ref) in backend.entries
        assert rec.chain_pem == ca.cert_pem.decode()
    report = service.check_connection(DEMO_CONNECTION)
    assert report.ok and report.issues == ()
    assert report.oin_certificate == report.oin_owner == report.oin_cpa == OIN


def test_password_is_asked_and_checked(service: CertificateService, ca: Made) -> None:
    data = p12(make_leaf(ca), [ca], PASSWORD.encode())
    with pytest.raises(PasswordNeeded):
        service.import_file(data)
    with pytest.raises(IncorrectPassword) as caught:
        service.import_file(data, password="fout-wachtwoord")
    assert "fout-wachtwoord" not in str(caught.value)
    assert service.certificates() == []


def test_reimport_restores_a_lost_key_without_a_duplicate(
    service: CertificateService, backend: MemoryKeyring, ca: Made
) -> None:
    data = p12(make_leaf(ca), [ca], None)
    first = service.import_file(data, connection=DEMO_CONNECTION)
    backend.entries.clear()  # e.g. a session-only store after a restart

    assert service.certificates()[0].key_available is False
    codes = [i.code for i in service.check_connection(DEMO_CONNECTION).blocking]
    assert codes == ["key_missing"]

    again = service.import_file(data)
    assert again.created is False and again.certificate.id == first.certificate.id
    assert len(service.certificates()) == 1 and service.check_connection(DEMO_CONNECTION).ok


def test_expired_certificate_is_refused_at_import(service: CertificateService, ca: Made) -> None:
    expired = make_leaf(
        ca, not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=1)
    )
    with pytest.raises(CertificateRefused, match="verlopen"):
        service.import_file(p12(expired, [ca], None))
    assert service.certificates() == []


def test_not_yet_valid_certificate_is_imported_with_a_warning_and_blocks_sending(
    service: CertificateService, ca: Made
) -> None:
    future = make_leaf(
        ca, not_before=NOW + dt.timedelta(days=5), not_after=NOW + dt.timedelta(days=400)
    )
    result = service.import_file(p12(future, [ca], None), connection=DEMO_CONNECTION)
    assert any("gaat pas in" in w for w in result.warnings)
    assert result.certificate.status == "Nog niet geldig"
    report = service.check_connection(DEMO_CONNECTION)
    assert [i.code for i in report.blocking] == ["not_yet_valid"]


def test_wrong_oin_is_shown_with_the_logius_code(service: CertificateService, ca: Made) -> None:
    result = service.import_file(
        p12(make_leaf(ca, oin=OTHER_OIN), [ca], None), connection=DEMO_CONNECTION
    )
    assert any(OIN_MISMATCH_CODE in w for w in result.warnings)

    report = service.check_connection(DEMO_CONNECTION)

    codes = {i.code: i for i in report.blocking}
    assert set(codes) == {"oin_owner", "oin_cpa"}
    assert all(i.logius_code == OIN_MISMATCH_CODE for i in codes.values())
    assert OTHER_OIN in codes["oin_cpa"].message and OIN in codes["oin_cpa"].message


def test_own_connection_also_checks_the_bericht_leverancier_id(
    service: CertificateService, db: Database, ca: Made
) -> None:
    service.import_file(p12(make_leaf(ca, oin=OTHER_OIN), [ca], None), connection=DEMO_CONNECTION)
    with db.session() as s:
        conn = s.get_one(m.Connection, _demo_connection_id(db))
        owner_id = conn.owner_organisation_id
        client = m.Organisation(name="Gemeente Klant", oin="00000099000000003000")
        s.add(client)
        s.flush()
        conn.organisations.append(client)
        s.commit()
        client_id = client.id

    own = service.check_connection(DEMO_CONNECTION, owner_id)
    assert own.oin_leverancier == OIN
    assert "oin_leverancier" in {i.code for i in own.blocking}

    for_client = service.check_connection(DEMO_CONNECTION, client_id)
    assert for_client.oin_leverancier is None  # an intermediary sends the client's OIN
    assert "oin_leverancier" not in {i.code for i in for_client.issues}


def test_test_oin_is_refused_for_production(
    service: CertificateService, db: Database, ca: Made
) -> None:
    service.import_file(p12(make_leaf(ca), [ca], None), connection=DEMO_CONNECTION)
    with db.session() as s:
        s.get_one(m.Connection, _demo_connection_id(db)).environment = Environment.PRODUCTIE
        s.commit()
    codes = {i.code for i in service.check_connection(DEMO_CONNECTION).blocking}
    assert "test_oin_in_production" in codes


def test_connection_without_certificate_cannot_send(service: CertificateService) -> None:
    report = service.check_connection(DEMO_CONNECTION)
    assert [i.code for i in report.blocking] == ["no_certificate"]
    with pytest.raises(NotFound, match="Demo-simulator"):
        service.check_connection("bestaat-niet")


@pytest.mark.parametrize(
    ("days", "level"),
    [
        (400, None),
        (91, None),
        (90, 90),
        (61, 90),
        (60, 60),
        (31, 60),
        (30, 30),
        (8, 30),
        (7, 7),
        (0, 7),
        (-1, 0),
    ],
)
def test_warning_levels(days: int, level: int | None) -> None:
    assert threshold_for(days) == level


def test_expiry_warnings_are_notified_once_per_level(
    service: CertificateService, clock: Clock, ca: Made
) -> None:
    leaf = make_leaf(ca, not_after=NOW + dt.timedelta(days=100, hours=12))
    service.import_file(p12(leaf, [ca], None), connection=DEMO_CONNECTION)
    assert service.expiry_warnings() == []
    assert service.days_left_active() == 100

    clock.forward(15)  # 85 days left
    (warning,) = service.due_notifications()
    assert (warning.threshold, warning.days_left) == (90, 85)
    assert DEMO_CONNECTION in warning.message and "85 dagen" in warning.message
    service.mark_notified([warning])
    assert service.due_notifications() == []
    assert [w.threshold for w in service.expiry_warnings()] == [90]  # still shown on start

    clock.forward(45)  # 40 days left
    assert [w.threshold for w in service.due_notifications()] == [60]
    clock.forward(35)  # 5 days left
    (urgent,) = service.due_notifications()
    assert urgent.threshold == 7
    service.mark_notified([urgent])
    report = service.check_connection(DEMO_CONNECTION)
    assert report.ok and [i.code for i in report.issues] == ["expiring_7"]

    clock.forward(6)  # expired
    (gone,) = service.due_notifications()
    assert gone.threshold == 0 and "verlopen" in gone.message
    assert [i.code for i in service.check_connection(DEMO_CONNECTION).blocking] == ["expired"]


def test_expired_certificate_refuses_a_letter_before_it_is_stored(
    service: CertificateService, db: Database, clock: Clock, ca: Made
) -> None:
    service.import_file(p12(make_leaf(ca), [ca], None), connection=DEMO_CONNECTION)
    workspace = WorkspaceService(db)
    letters = LetterService(db, workspace, send_checks=service.send_issues)
    org_id = workspace.status().organisation_id
    assert org_id is not None
    draft = LetterDraft(bsn="123456782", berichttype="BELAST", onderwerp="Uw aanslag")
    letters.submit(draft, org_id)  # valid today

    clock.forward(400)
    service.forget_cached()  # the send check caches for a few seconds
    with pytest.raises(LetterRefused) as caught:
        letters.submit(draft, org_id)
    assert "verlopen" in str(caught.value) and "Certificaten" in str(caught.value)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(m.Letter)) == 1


def test_oin_mismatch_refuses_a_letter_with_the_logius_code(
    service: CertificateService, db: Database, ca: Made
) -> None:
    service.import_file(p12(make_leaf(ca, oin=OTHER_OIN), [ca], None), connection=DEMO_CONNECTION)
    workspace = WorkspaceService(db)
    letters = LetterService(db, workspace, send_checks=service.send_issues)
    org_id = workspace.status().organisation_id
    assert org_id is not None
    with pytest.raises(LetterRefused) as caught:
        letters.submit(LetterDraft(bsn="123456782", berichttype="BELAST", onderwerp="x"), org_id)
    assert OIN_MISMATCH_CODE in str(caught.value)
    assert {i.field for i in caught.value.issues} == {"OIN"}


def test_renewal_new_key_csr_and_issued_certificate(
    service: CertificateService, backend: MemoryKeyring, db: Database, ca: Made
) -> None:
    old = service.import_file(p12(make_leaf(ca), [ca], None), connection=DEMO_CONNECTION)
    keys_before = set(backend.entries)

    csr = service.create_request(connection=DEMO_CONNECTION, key_spec="ec256")

    assert f"serialNumber={OIN}" in csr.subject and "Gemeente Voorbeeld" in csr.subject
    assert "BEGIN CERTIFICATE REQUEST" in csr.csr_pem
    (new_key,) = set(backend.entries) - keys_before
    with db.session() as s:
        request = s.scalars(select(CertificateRequest)).one()
        assert ("berichtenbox-console", request.key_ref) == new_key
        assert "PRIVATE" not in request.csr_pem
    assert [r.id for r in service.requests()] == [csr.request_id]

    issued = sign_csr(ca, csr.csr_pem, days=730)
    result = service.import_file(issued.public_bytes(serialization.Encoding.DER))

    assert result.completed_request == csr.request_id
    assert result.attached_to == (DEMO_CONNECTION,)
    assert result.certificate.id != old.certificate.id and result.certificate.key_available
    assert service.requests() == []
    report = service.check_connection(DEMO_CONNECTION)
    assert report.ok and report.certificate_id == result.certificate.id
    # The engine can really use the new certificate with the key made for the CSR.
    service.trust_import(Environment.SIMULATOR, ca.cert_pem)
    ctx = TransportFactory(db, KeyringStore(backend=backend)).context_for(_demo_connection_id(db))
    assert ctx.check_hostname


def test_certificate_without_a_known_key_is_refused(service: CertificateService, ca: Made) -> None:
    with pytest.raises(CertificateRefused, match="sleutel"):
        service.import_file(make_leaf(ca).cert_pem)


def test_csr_input_is_checked(service: CertificateService, backend: MemoryKeyring) -> None:
    with pytest.raises(CertificateRefused, match="OIN"):
        service.create_request(oin="123", organisation="Gemeente", common_name="x")
    assert backend.entries == {}


def test_cancel_request_deletes_its_key(
    service: CertificateService, backend: MemoryKeyring
) -> None:
    csr = service.create_request(
        oin=OIN, organisation="Gemeente Voorbeeld", common_name="bb", key_spec="ec256"
    )
    assert len(backend.entries) == 1
    service.cancel_request(csr.request_id)
    assert backend.entries == {} and service.requests() == []


def test_remove_refuses_a_certificate_in_use_and_deletes_the_key_otherwise(
    service: CertificateService, backend: MemoryKeyring, ca: Made
) -> None:
    used = service.import_file(p12(make_leaf(ca), [ca], None), connection=DEMO_CONNECTION)
    spare = service.import_file(p12(make_leaf(ca, common_name="reserve"), [ca], None))
    assert len(backend.entries) == 2
    with pytest.raises(CertificateRefused, match=DEMO_CONNECTION):
        service.remove(used.certificate.id)
    service.remove(spare.certificate.fingerprint_sha256[:11])  # by fingerprint prefix
    assert len(backend.entries) == 1 and [c.id for c in service.certificates()] == [
        used.certificate.id
    ]


def test_show_gives_chain_usage_and_notes(service: CertificateService, ca: Made) -> None:
    intermediate = make_ca("Tussen-CA", issuer=ca)
    leaf = make_leaf(intermediate)
    result = service.import_file(p12(leaf, [ca, intermediate], None), label="Productie 2026")
    detail = service.show("Productie 2026")
    assert detail.summary.id == result.certificate.id
    assert [e.is_root for e in detail.chain] == [False, True]
    assert "clientAuth" in detail.extended_key_usage
    assert detail.oin_kind == "test-OIN"
    assert "PRIVATE" not in detail.cert_pem


def test_transport_refuses_an_expired_or_foreign_certificate(
    db: Database, backend: MemoryKeyring, ca: Made
) -> None:
    past = Clock()
    past.now = NOW - dt.timedelta(days=400)
    then = CertificateService(db, KeyringStore(backend=backend), clock=past)
    expired = make_leaf(
        ca, not_before=NOW - dt.timedelta(days=401), not_after=NOW - dt.timedelta(days=1)
    )
    then.import_file(p12(expired, [ca], None), connection=DEMO_CONNECTION)
    then.trust_import(Environment.SIMULATOR, ca.cert_pem)
    transport = TransportFactory(db, KeyringStore(backend=backend))
    conn_id = _demo_connection_id(db)

    with pytest.raises(TransportUnavailable, match="verlopen"):
        transport.client_for(conn_id)

    now = CertificateService(db, KeyringStore(backend=backend))
    now.import_file(p12(make_leaf(ca, oin=OTHER_OIN), [ca], None), connection=DEMO_CONNECTION)
    with pytest.raises(TransportUnavailable, match=OIN_MISMATCH_CODE):
        transport.client_for(conn_id)


def test_local_test_pki_is_registered_once_and_trusted_for_the_simulator(
    service: CertificateService, db: Database, ca: Made
) -> None:
    conn_id = _demo_connection_id(db)
    with db.session() as s:
        s.get_one(m.Connection, conn_id).client_key_ref = "connection-1-client-key"
        s.commit()
    first = make_leaf(ca)
    chain = first.cert_pem + ca.cert_pem
    a = service.register_local_test_pki(conn_id, chain, ca.cert_pem)
    b = service.register_local_test_pki(conn_id, chain, ca.cert_pem)
    assert a == b
    renewed = make_leaf(ca)
    c = service.register_local_test_pki(conn_id, renewed.cert_pem + ca.cert_pem, ca.cert_pem)
    assert c != a
    (only,) = service.certificates()
    assert (
        only.id == c and only.source == "local_test_pki" and only.connections == (DEMO_CONNECTION,)
    )
    assert [t.environment for t in service.trust_list()] == [Environment.SIMULATOR]


def test_local_test_pki_does_not_replace_a_certificate_the_user_chose(
    service: CertificateService, db: Database, ca: Made
) -> None:
    chosen = service.import_file(p12(make_leaf(ca), [ca], None), connection=DEMO_CONNECTION)
    demo = make_leaf(ca)
    service.register_local_test_pki(
        _demo_connection_id(db), demo.cert_pem + ca.cert_pem, ca.cert_pem
    )
    assert service.check_connection(DEMO_CONNECTION).certificate_id == chosen.certificate.id
