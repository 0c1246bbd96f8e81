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


def _entries(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(
            select(ms.SubscriptionSnapshot.verzoek_id, ms.SubscriptionSnapshot.id)
        ).tuples()
        return {
            verzoek: len(
                list(
                    s.scalars(
                        select(ms.SubscriptionEntry.bsn).where(
                            ms.SubscriptionEntry.snapshot_id == snapshot_id
                        )
                    )
                )
            )
            for verzoek, snapshot_id in rows
        }


def test_replaced_snapshots_lose_their_bsns_after_the_keep_days_and_hints_stay_the_same(
    db: Database,
) -> None:
    from console.db.repositories import SettingsRepository
    from console.engine.subscriptions import prune_snapshots
    from console.services.subscriptions import SubscriptionService
    from console.services.workspace import WorkspaceService

    a, b, c = "999990019", "999990044", "999990068"
    answers = [
        (AanvraagSoort.VOLLEDIG, [AbonnementRegel(a, S), AbonnementRegel(b, S)], 200),
        (AanvraagSoort.BSN_LIJST, [AbonnementRegel(b, N)], 150),
        (AanvraagSoort.VOLLEDIG, [AbonnementRegel(a, S)], 10),
        (AanvraagSoort.MUTATIE, [AbonnementRegel(c, S)], 5),
    ]
    with db.session() as s:  # nothing is thinned out while the answers come in
        SettingsRepository(s).set("abs.bewaar_dagen", 3650)
    for soort, regels, days_ago in answers:
        _store(db, _answer(soort, regels, days_ago=days_ago))
    SubscriptionImporter(db).import_pending()
    with db.session() as s:
        before = subscription_hints(s, 1, [a, b, c, "999990093"])
    assert _entries(db) == {
        "v-volledig-200": 2,
        "v-lijst-150": 1,
        "v-volledig-10": 1,
        "v-mutatie-5": 1,
    }

    # Kept 3650 days: nothing goes. Kept 90 days: the two replaced by the Volledig of 10 days ago.
    now = datetime.now(UTC)
    assert prune_snapshots(db, 1, now=now).entries == 0
    with db.session() as s:
        SettingsRepository(s).set("abs.bewaar_dagen", 90)
    outcome = prune_snapshots(db, 1, now=now)
    assert (outcome.snapshots, outcome.entries) == (2, 3)
    assert _entries(db) == {
        "v-volledig-200": 0,
        "v-lijst-150": 0,
        "v-volledig-10": 1,
        "v-mutatie-5": 1,
    }
    with db.session() as s:
        assert subscription_hints(s, 1, [a, b, c, "999990093"]) == before
    workspace = WorkspaceService(db)
    infos = {
        i.verzoek_id: i
        for i in SubscriptionService(db, workspace, http_client_for=lambda _c: None).snapshots(1)  # type: ignore[arg-type, return-value]
    }
    assert not infos["v-volledig-200"].details_kept and infos["v-volledig-200"].entry_count == 2
    assert infos["v-volledig-10"].details_kept and infos["v-mutatie-5"].details_kept


def test_an_old_snapshot_that_nothing_replaced_keeps_its_bsns(db: Database) -> None:
    from console.engine.subscriptions import prune_snapshots

    _store(db, _answer(AanvraagSoort.BSN_LIJST, [AbonnementRegel("999990019", S)], days_ago=400))
    _store(db, _answer(AanvraagSoort.VOLLEDIG, [AbonnementRegel("999990019", S)], days_ago=300))
    SubscriptionImporter(db).import_pending()  # prunes after each import (default 90 days)
    # The list of 400 days ago was replaced by the Volledig of 300 days ago; that Volledig is
    # the newest and stays whole, however old.
    assert _entries(db) == {"v-lijst-400": 0, "v-volledig-300": 1}
    assert prune_snapshots(db, 1, now=datetime.now(UTC), days=7).entries == 0
