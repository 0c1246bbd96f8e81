"""The ABS answer importer: streaming into a snapshot, failures kept with their reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from console.berichtenbox.abonnement import (
    AanvraagSoort,
    AbonnementRegel,
    AbonnementStatus,
    AntwoordKop,
    build_antwoord,
)
from console.db import models_subscriptions as ms
from console.db.database import Database, open_database, upgrade
from console.engine.subscriptions import SubscriptionImporter, answer_action, subscription_hints
from console.services.demo import DEMO_OIN, create_demo_workspace

S, N, X = AbonnementStatus.SUBSCRIBED, AbonnementStatus.NOT_SUBSCRIBED, AbonnementStatus.NO_BOX


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = open_database(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    upgrade(database, backup_dir=None)
    create_demo_workspace(database)
    return database


def _store(db: Database, payload: bytes | None) -> int:
    with db.session() as s:
        row = ms.SubscriptionAnswer(
            message_id="m@x",
            payload=payload,
            payload_bytes=len(payload or b""),
            status=ms.SubscriptionAnswerStatus.PENDING,
        )
        s.add(row)
        s.commit()
        return row.id


def _answer(
    soort: AanvraagSoort, regels: list[AbonnementRegel], *, oin: str = DEMO_OIN, days_ago: int = 0
) -> bytes:
    kop = AntwoordKop(
        oin, f"v-{soort.value}-{days_ago}", soort, datetime.now(UTC) - timedelta(days=days_ago)
    )
    return build_antwoord(kop, regels)


def test_an_answer_becomes_a_snapshot_and_the_payload_is_released(db: Database) -> None:
    answer_id = _store(
        db,
        _answer(
            AanvraagSoort.BSN_LIJST,
            [AbonnementRegel("999990019", S), AbonnementRegel("999990068", X)],
        ),
    )
    (outcome,) = SubscriptionImporter(db).import_pending()
    assert outcome.imported and outcome.entries == 2
    with db.session() as s:
        answer = s.get(ms.SubscriptionAnswer, answer_id)
        snapshot = s.scalar(select(ms.SubscriptionSnapshot))
        assert answer is not None and snapshot is not None
        assert answer.status is ms.SubscriptionAnswerStatus.IMPORTED and answer.payload is None
        assert (snapshot.entry_count, snapshot.subscribed_count) == (2, 1)
        assert "Geen eigen aanvraag met VerzoekId" in (answer.detail or "")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\x1f\x8b\x08\x00kapot", "beschadigd"),
        (
            _answer(AanvraagSoort.BSN_LIJST, [], oin="00000099999999999000"),
            "die organisatie is niet bekend",
        ),
        (
            _answer(
                AanvraagSoort.BSN_LIJST,
                [AbonnementRegel("999990019", S), AbonnementRegel("999990019", N)],
            ),
            "meer dan eens",
        ),
    ],
)
def test_an_answer_that_cannot_be_imported_is_kept_with_the_reason(
    db: Database, payload: bytes, reason: str
) -> None:
    answer_id = _store(db, payload)
    (outcome,) = SubscriptionImporter(db).import_pending()
    assert not outcome.imported and reason in outcome.detail
    with db.session() as s:
        answer = s.get(ms.SubscriptionAnswer, answer_id)
        assert answer is not None and answer.status is ms.SubscriptionAnswerStatus.FAILED
        assert answer.payload == payload  # kept, never dropped
        assert s.scalar(select(ms.SubscriptionSnapshot)) is None  # nothing half-imported


def test_hints_use_the_newest_snapshot_covering_each_bsn(db: Database) -> None:
    _store(
        db,
        _answer(
            AanvraagSoort.VOLLEDIG,
            [AbonnementRegel("999990019", S), AbonnementRegel("999990044", S)],
            days_ago=10,
        ),
    )
    _store(db, _answer(AanvraagSoort.BSN_LIJST, [AbonnementRegel("999990044", N)], days_ago=1))
    SubscriptionImporter(db).import_pending()
    with db.session() as s:
        org_id = 1
        hints = subscription_hints(s, org_id, ["999990019", "999990044", "999990068"])
    assert hints["999990044"].status == "not_subscribed"  # the newer list wins
    assert hints["999990019"].status == "subscribed"  # from the full set, 10 days ago
    assert hints["999990068"].status == "not_subscribed"  # absent from the full set
    assert (datetime.now(UTC) - hints["999990019"].snapshot_date).days == 10


def test_answer_action_is_a_setting_with_the_unconfirmed_default() -> None:
    assert answer_action({}) == "GLOBE-R-A-Result"
    assert answer_action({"abs.antwoord_actie": "GLOBE-R-A-Response"}) == "GLOBE-R-A-Response"
