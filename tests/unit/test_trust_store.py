"""Trust stores per environment: import, list, remove; what is refused and what is warned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from console.db import models as m
from console.db.database import Database, open_database, upgrade
from console.domain.environment import Environment
from console.secrets.store import MemoryStore
from console.services.certificates import CertificateRefused, CertificateService
from console.services.demo import create_demo_workspace
from console.services.errors import NotFound
from tests.certificate_factory import NOW, Made, make_ca, make_leaf, p7b


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    upgrade(database, backup_dir=None)
    create_demo_workspace(database)  # one SIMULATOR connection
    yield database
    database.dispose()


@pytest.fixture
def forgotten() -> list[int]:
    return []


@pytest.fixture
def service(db: Database, forgotten: list[int]) -> CertificateService:
    return CertificateService(db, MemoryStore(), on_connection_changed=forgotten.append)


@pytest.fixture(scope="module")
def root() -> Made:
    return make_ca("Staat der Nederlanden Test Root")


@pytest.fixture(scope="module")
def intermediate(root: Made) -> Made:
    return make_ca("Test Domein Server CA", issuer=root)


def test_import_list_and_remove_per_environment(
    service: CertificateService, root: Made, intermediate: Made
) -> None:
    result = service.trust_import(Environment.PREPROD, root.cert_pem + intermediate.cert_pem)
    assert [a.label for a in result.added] == [
        "Staat der Nederlanden Test Root",
        "Test Domein Server CA",
    ]
    assert result.warnings == ()
    service.trust_import("productie", p7b([root]))

    again = service.trust_import(Environment.PREPROD, root.cert_pem)
    assert again.added == () and [a.label for a in again.already_present] == [
        "Staat der Nederlanden Test Root"
    ]
    assert len(service.trust_list(Environment.PREPROD)) == 2
    assert len(service.trust_list(Environment.PRODUCTIE)) == 1
    assert service.trust_list(Environment.SIMULATOR) == []
    assert len(service.trust_list()) == 3

    preprod_root = next(a for a in service.trust_list("preprod") if a.is_ca and "Root" in a.label)
    removed = service.trust_remove(preprod_root.id)
    assert removed.environment is Environment.PREPROD
    assert [a.label for a in service.trust_list("preprod")] == ["Test Domein Server CA"]
    assert len(service.trust_list("productie")) == 1  # the other environment keeps its copy


def test_remove_by_fingerprint_needs_an_unambiguous_prefix(
    service: CertificateService, root: Made
) -> None:
    service.trust_import("preprod", root.cert_pem)
    service.trust_import("productie", root.cert_pem)
    fingerprint = service.trust_list("preprod")[0].fingerprint_sha256
    with pytest.raises(CertificateRefused, match="meerdere omgevingen"):
        service.trust_remove(fingerprint)
    with pytest.raises(NotFound):
        service.trust_remove(999)


def test_changes_drop_cached_clients_of_that_environment(
    service: CertificateService, db: Database, root: Made, forgotten: list[int]
) -> None:
    with db.session() as s:
        rows = s.execute(select(m.Connection.id, m.Connection.environment)).all()
    simulator = sorted(cid for cid, env in rows if env is Environment.SIMULATOR)
    preprod = sorted(cid for cid, env in rows if env is Environment.PREPROD)
    assert simulator  # the demo workspace sends to the simulator

    service.trust_import("preprod", root.cert_pem)
    assert sorted(forgotten) == preprod
    forgotten.clear()
    service.trust_import("simulator", root.cert_pem)
    assert sorted(forgotten) == simulator
    forgotten.clear()
    service.trust_remove(service.trust_list("simulator")[0].id)
    assert sorted(forgotten) == simulator


def test_expired_certificate_is_not_trusted(service: CertificateService) -> None:
    old = make_leaf(
        make_ca(),
        not_before=NOW - dt.timedelta(days=800),
        not_after=NOW - dt.timedelta(days=3),
        server=True,
    )
    with pytest.raises(CertificateRefused, match="verlopen"):
        service.trust_import("preprod", old.cert_pem)
    assert service.trust_list() == []


def test_server_leaf_is_accepted_with_advice_to_trust_its_issuer(
    service: CertificateService, intermediate: Made
) -> None:
    server = make_leaf(intermediate, oin=None, hosts=["bb.preprod.example"], server=True)
    result = service.trust_import("preprod", server.cert_pem)
    assert len(result.added) == 1 and result.added[0].is_ca is False
    assert "geen CA-certificaat" in result.warnings[0]


def test_a_private_key_never_enters_a_trust_store(
    service: CertificateService, intermediate: Made
) -> None:
    leaf = make_leaf(intermediate)
    with pytest.raises(CertificateRefused, match="privésleutel"):
        service.trust_import("preprod", leaf.cert_pem + leaf.key_pem)
    assert service.trust_list() == []
