"""Repositories against a real, migrated SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from console.db.database import Database, database_url_for, open_database, upgrade
from console.db.models import (
    BerichtType,
    BerichtTypeStatus,
    Connection,
    EbmsDirection,
    EbmsKind,
    EbmsMessage,
    EbmsStatus,
    Letter,
    LetterEventRecord,
    Organisation,
)
from console.db.repositories import (
    BerichtTypeRepository,
    ConnectionRepository,
    EbmsMessageRepository,
    InboundMessageIdRepository,
    LetterFilter,
    LetterRepository,
    OrganisationRepository,
    SettingsRepository,
    UnmatchedResultRepository,
)
from console.domain.environment import Environment
from console.domain.lifecycle import LetterEvent, LetterStatus

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(database_url_for(tmp_path))
    upgrade(database, backup_dir=None)
    yield database
    database.dispose()


def _organisation(oin: str = "00000001234567890000", name: str = "Gemeente A") -> Organisation:
    return Organisation(name=name, oin=oin)


def _connection(owner: Organisation, name: str = "preprod") -> Connection:
    return Connection(
        name=name,
        owner=owner,
        environment=Environment.PREPROD,
        cpa_id=f"cpa-{name}",
        from_party_id=f"urn:osb:oin:{owner.oin}",
        from_role="Berichtenbox-leverancier",
        to_party_id="urn:osb:oin:00000001821002193000",
        to_role="Berichtenbox",
        service="osb:berichtenbox",
        endpoint_url="https://127.0.0.1:8443/ebms",
    )


@pytest.fixture
def setup_ids(db: Database) -> tuple[int, int, int]:
    """(organisation A, organisation B, connection of A)."""
    with db.session() as session:
        org_a = OrganisationRepository(session).add(_organisation())
        org_b = OrganisationRepository(session).add(
            _organisation("00000001000000000099", "Waterschap B")
        )
        conn = ConnectionRepository(session).add(_connection(org_a))
        return org_a.id, org_b.id, conn.id


def _letter(
    org_id: int,
    conn_id: int,
    n: int,
    *,
    bsn: str = "999993653",
    referentie: str = "",
    onderwerp: str = "Aanslag",
    status: LetterStatus = LetterStatus.QUEUED,
    created_at: datetime = T0,
    batch_id: str | None = None,
    berichttype: str = "BELAST",
    verwerkings_code: str | None = None,
) -> Letter:
    return Letter(
        organisation_id=org_id,
        connection_id=conn_id,
        berichttype=berichttype,
        bsn=bsn,
        onderwerp=onderwerp,
        berichttekst="Tekst",
        referentie=referentie or f"REF-{n}",
        bericht_id=f"00000000-0000-0000-0000-{n:012d}",
        batch_id=batch_id,
        status=status,
        created_at=created_at,
        verwerkings_code=verwerkings_code,
    )


def test_set_status_records_the_status_and_appends_timeline_events(
    db: Database, setup_ids: tuple[int, int, int]
) -> None:
    org_id, _, conn_id = setup_ids
    with db.session() as session:
        letter_id = LetterRepository(session).add(_letter(org_id, conn_id, 1)).id

    with db.session() as session:
        repo = LetterRepository(session)
        letter = repo.get(letter_id)
        assert letter is not None
        repo.set_status(
            letter, LetterStatus.SENDING, event_kind=LetterEvent.CLAIM, actor="engine", at=T0
        )
        repo.set_status(
            letter,
            LetterStatus.QUEUED,
            event_kind=LetterEvent.TRANSPORT_ERROR,
            detail="Geen verbinding met Logius.",
            actor="engine",
            at=T0 + timedelta(minutes=1),
        )
        repo.set_status(
            letter,
            LetterStatus.SENDING,
            event_kind=LetterEvent.CLAIM,
            actor="engine",
            at=T0 + timedelta(minutes=5),
        )

    with db.session() as session:
        repo = LetterRepository(session)
        letter = repo.get(letter_id)
        assert letter is not None
        assert letter.status is LetterStatus.SENDING
        assert letter.updated_at == T0 + timedelta(minutes=5)
        events = repo.events(letter_id)
        assert [(e.kind, e.actor) for e in events] == [
            ("claim", "engine"),
            ("transport_error", "engine"),
            ("claim", "engine"),
        ]
        assert events[1].detail == "Geen verbinding met Logius."
        assert [e.id for e in letter.events] == [e.id for e in events]


def test_add_event_leaves_the_status_alone(db: Database, setup_ids: tuple[int, int, int]) -> None:
    org_id, _, conn_id = setup_ids
    with db.session() as session:
        repo = LetterRepository(session)
        letter = repo.add(_letter(org_id, conn_id, 1))
        repo.add_event(letter, kind="bsn_viewed", detail="BSN ingezien", actor="piet")
        assert letter.status is LetterStatus.QUEUED
        assert [e.kind for e in repo.events(letter.id)] == ["bsn_viewed"]


def test_letter_lookups_by_bericht_id_and_batch(
    db: Database, setup_ids: tuple[int, int, int]
) -> None:
    org_id, _, conn_id = setup_ids
    with db.session() as session:
        repo = LetterRepository(session)
        for n in (3, 1, 2):
            repo.add(_letter(org_id, conn_id, n, batch_id="batch-x" if n != 2 else "batch-y"))
    with db.session() as session:
        repo = LetterRepository(session)
        found = repo.get_by_bericht_id("00000000-0000-0000-0000-000000000002")
        assert found is not None and found.batch_id == "batch-y"
        assert repo.get_by_bericht_id("nope") is None
        assert [letter.referentie for letter in repo.list_by_batch("batch-x")] == [
            "REF-3",
            "REF-1",
        ]


def test_bericht_id_is_unique(db: Database, setup_ids: tuple[int, int, int]) -> None:
    org_id, _, conn_id = setup_ids
    with pytest.raises(IntegrityError), db.session() as session:
        repo = LetterRepository(session)
        repo.add(_letter(org_id, conn_id, 1))
        repo.add(_letter(org_id, conn_id, 1, referentie="ander"))


@pytest.fixture
def log(db: Database, setup_ids: tuple[int, int, int]) -> dict[str, int]:
    """A small message log; returns letter ids by a short name."""
    org_a, org_b, conn_id = setup_ids
    letters = {
        "a": _letter(org_a, conn_id, 1, referentie="AANSLAG-2025-1", created_at=T0),
        "b": _letter(
            org_a,
            conn_id,
            2,
            referentie="aanslag-2025-2",
            created_at=T0 + timedelta(hours=1),
            status=LetterStatus.DELIVERED,
            verwerkings_code="Verwerkt",
            batch_id="batch-1",
        ),
        "c": _letter(
            org_a,
            conn_id,
            3,
            referentie="WOZ-7",
            onderwerp="Aanslag gemeentelijke belastingen",
            created_at=T0 + timedelta(hours=2),
            status=LetterStatus.REJECTED,
            verwerkings_code="BijlageTeGroot",
            batch_id="batch-1",
        ),
        "d": _letter(
            org_b,
            conn_id,
            4,
            bsn="111222333",
            referentie="50%-KORTING",
            onderwerp="Kwijtschelding",
            created_at=T0 + timedelta(hours=3),
            status=LetterStatus.FAILED,
            berichttype="KWIJT",
        ),
        "e": _letter(
            org_b,
            conn_id,
            5,
            bsn="111222333",
            referentie="500-X",
            onderwerp="Herinnering",
            created_at=T0 + timedelta(hours=2),  # same time as c: tie broken by id
            status=LetterStatus.NOT_SUBSCRIBED,
            verwerkings_code="NietActiefOfGeabonneerd",
        ),
    }
    with db.session() as session:
        repo = LetterRepository(session)
        for letter in letters.values():
            repo.add(letter)
        return {name: letter.id for name, letter in letters.items()}


def _names(ids: list[int], log: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in log.items()}
    return [by_id[i] for i in ids]


def test_ids_are_sorted_in_sql_with_id_as_tie_breaker(db: Database, log: dict[str, int]) -> None:
    with db.session() as session:
        repo = LetterRepository(session)
        assert _names(repo.ids(), log) == ["d", "e", "c", "b", "a"]
        assert _names(repo.ids(descending=False), log) == ["a", "b", "c", "e", "d"]
        assert _names(repo.ids(order_by="bsn", descending=False), log) == [
            "d",
            "e",
            "a",
            "b",
            "c",
        ]
        assert _names(repo.ids(order_by="status", descending=False, limit=2), log) == ["b", "d"]
        with pytest.raises(ValueError, match="sort"):
            repo.ids(order_by="berichttekst; DROP TABLE letters")


@pytest.mark.parametrize(
    ("letter_filter", "expected"),
    [
        (LetterFilter(), {"a", "b", "c", "d", "e"}),
        (LetterFilter(bsn="111222333"), {"d", "e"}),
        (LetterFilter(referentie="WOZ-7"), {"c"}),
        (LetterFilter(berichttype="KWIJT"), {"d"}),
        (LetterFilter(status=LetterStatus.REJECTED), {"c"}),
        (LetterFilter(status=frozenset({LetterStatus.FAILED, LetterStatus.REJECTED})), {"c", "d"}),
        (LetterFilter(verwerkings_code="Verwerkt"), {"b"}),
        (LetterFilter(batch_or_bericht_id="batch-1"), {"b", "c"}),
        (LetterFilter(batch_or_bericht_id="00000000-0000-0000-0000-000000000004"), {"d"}),
        (LetterFilter(created_from=T0 + timedelta(hours=1)), {"b", "c", "d", "e"}),
        (LetterFilter(created_to=T0 + timedelta(hours=2)), {"a", "b"}),
        (
            LetterFilter(created_from=T0 + timedelta(hours=1), created_to=T0 + timedelta(hours=3)),
            {"b", "c", "e"},
        ),
        # prefix of referentie or onderwerp, case-insensitive
        (LetterFilter(text="aanslag"), {"a", "b", "c"}),
        (LetterFilter(text="WOZ"), {"c"}),
        (LetterFilter(text="herinn"), {"e"}),
        (LetterFilter(text="2025"), set()),  # not a prefix
        # LIKE wildcards in the text are literal characters
        (LetterFilter(text="50%"), {"d"}),
        (LetterFilter(text="_00"), set()),
        (LetterFilter(bsn="111222333", status=LetterStatus.FAILED), {"d"}),
    ],
)
def test_filters_for_count_and_ids(
    db: Database,
    log: dict[str, int],
    setup_ids: tuple[int, int, int],
    letter_filter: LetterFilter,
    expected: set[str],
) -> None:
    with db.session() as session:
        repo = LetterRepository(session)
        ids = repo.ids(letter_filter)
        assert set(_names(ids, log)) == expected
        assert repo.count(letter_filter) == len(expected)


def test_filter_by_organisation(
    db: Database, log: dict[str, int], setup_ids: tuple[int, int, int]
) -> None:
    _, org_b, _ = setup_ids
    with db.session() as session:
        repo = LetterRepository(session)
        assert set(_names(repo.ids(LetterFilter(organisation_id=org_b)), log)) == {"d", "e"}


def test_rows_for_ids_keeps_the_order_and_skips_missing_ids(
    db: Database, setup_ids: tuple[int, int, int]
) -> None:
    org_id, _, conn_id = setup_ids
    with db.session() as session:
        session.execute(
            insert(Letter),
            [
                {
                    "organisation_id": org_id,
                    "connection_id": conn_id,
                    "berichttype": "BELAST",
                    "bsn": "999993653",
                    "onderwerp": "o",
                    "berichttekst": "t",
                    "referentie": f"R{n}",
                    "bericht_id": f"00000000-0000-0000-0000-{n:012d}",
                }
                for n in range(1200)  # more than one IN (...) chunk
            ],
        )
    with db.session() as session:
        repo = LetterRepository(session)
        ids = repo.ids(order_by="referentie", descending=True)
        wanted = [ids[1100], 999_999, *ids[:700], ids[-1]]
        rows = repo.rows_for_ids(wanted)
        assert [row.id for row in rows] == [i for i in wanted if i != 999_999]


def _message(
    n: int,
    *,
    status: EbmsStatus = EbmsStatus.PENDING,
    direction: EbmsDirection = EbmsDirection.OUT,
    next_attempt_at: datetime | None = T0,
) -> EbmsMessage:
    return EbmsMessage(
        message_id=f"m{n}@test",
        conversation_id=f"c{n}",
        cpa_id="cpa",
        direction=direction,
        kind=EbmsKind.USER,
        status=status,
        next_attempt_at=next_attempt_at,
    )


def test_due_outbound_returns_pending_outbound_messages_in_due_order(db: Database) -> None:
    now = T0 + timedelta(hours=1)
    with db.session() as session:
        repo = EbmsMessageRepository(session)
        repo.add(_message(1, next_attempt_at=now - timedelta(minutes=5)))
        repo.add(_message(2, next_attempt_at=now - timedelta(minutes=30)))
        repo.add(_message(3, next_attempt_at=now))  # due exactly now
        repo.add(_message(4, next_attempt_at=now + timedelta(seconds=1)))  # not yet
        repo.add(_message(5, status=EbmsStatus.SENT, next_attempt_at=now - timedelta(hours=1)))
        repo.add(
            _message(
                6,
                direction=EbmsDirection.IN,
                status=EbmsStatus.PENDING,
                next_attempt_at=now - timedelta(hours=1),
            )
        )
        repo.add(_message(7, next_attempt_at=None))
        repo.add(_message(8, next_attempt_at=now - timedelta(hours=2)))

    with db.session() as session:
        repo = EbmsMessageRepository(session)
        due = repo.due_outbound(now, limit=10)
        assert [m.message_id for m in due] == ["m8@test", "m2@test", "m1@test", "m3@test"]
        assert [m.message_id for m in repo.due_outbound(now, limit=2)] == ["m8@test", "m2@test"]


def test_delivery_attempts_are_kept_per_message(db: Database) -> None:
    with db.session() as session:
        repo = EbmsMessageRepository(session)
        message = repo.add(_message(1))
        repo.add_attempt(
            message,
            url="https://127.0.0.1/ebms",
            outcome="transport_error",
            started_at=T0,
            error="Verbinding geweigerd.",
            duration_ms=12,
        )
        repo.add_attempt(
            message,
            url="https://127.0.0.1/ebms",
            outcome="accepted",
            started_at=T0 + timedelta(minutes=3),
            http_status=200,
        )
        message_pk = message.id
    with db.session() as session:
        repo = EbmsMessageRepository(session)
        attempts = repo.attempts(message_pk)
        assert [(a.outcome, a.http_status) for a in attempts] == [
            ("transport_error", None),
            ("accepted", 200),
        ]
        found = repo.get_by_message_id("m1@test")
        assert found is not None and len(found.delivery_attempts) == 2


def test_inbound_message_ids_are_remembered_until_they_expire(db: Database) -> None:
    with db.session() as session:
        repo = InboundMessageIdRepository(session)
        assert repo.seen("a@x") is False
        repo.remember("a@x", keep_until=T0 + timedelta(days=1), received_at=T0)
        repo.remember("b@x", keep_until=T0 + timedelta(days=5), received_at=T0)
        # remembering again extends the window but never shortens it
        repo.remember("a@x", keep_until=T0 + timedelta(days=3))
        repo.remember("b@x", keep_until=T0 + timedelta(days=2))

    with db.session() as session:
        repo = InboundMessageIdRepository(session)
        assert repo.seen("a@x") and repo.seen("b@x")
        assert repo.purge_expired(T0 + timedelta(days=2)) == 0
        assert repo.purge_expired(T0 + timedelta(days=4)) == 1
        assert repo.seen("a@x") is False
        assert repo.seen("b@x") is True

    with db.session() as session:
        repo = InboundMessageIdRepository(session)
        assert repo.seen("a@x") is False and repo.seen("b@x") is True


def test_settings_round_trip_json(db: Database) -> None:
    with db.session() as session:
        repo = SettingsRepository(session)
        assert repo.get("ui", {"default": True}) == {"default": True}
        repo.set("ui", {"taal": "nl", "kolommen": ["bsn", "status"], "€": 1.5})
        repo.set("count", 1)
        repo.set("count", 2)
    with db.session() as session:
        repo = SettingsRepository(session)
        assert repo.get("ui") == {"taal": "nl", "kolommen": ["bsn", "status"], "€": 1.5}
        assert repo.all() == {"count": 2, "ui": repo.get("ui")}
        repo.delete("count")
        assert repo.get("count") is None


def test_connections_for_an_organisation_include_associated_ones(db: Database) -> None:
    with db.session() as session:
        orgs = OrganisationRepository(session)
        a = orgs.add(_organisation("00000001000000000001", "A"))
        b = orgs.add(_organisation("00000001000000000002", "B"))
        c = orgs.add(_organisation("00000001000000000003", "C"))
        conns = ConnectionRepository(session)
        own = conns.add(_connection(a, "van-a"))
        shared = _connection(b, "van-b-voor-a")
        shared.organisations.append(a)
        conns.add(shared)
        conns.add(_connection(c, "van-c"))
        inactive = _connection(b, "oud")
        inactive.organisations.append(a)
        inactive.active = False
        conns.add(inactive)
        ids = (a.id, own.id)

    with db.session() as session:
        conns = ConnectionRepository(session)
        names = [c.name for c in conns.list_for_organisation(ids[0])]
        assert names == ["oud", "van-a", "van-b-voor-a"]
        assert [c.name for c in conns.list_for_organisation(ids[0], active_only=True)] == [
            "van-a",
            "van-b-voor-a",
        ]
        own_conn = conns.get(ids[1])
        assert own_conn is not None and own_conn.retries == 8 and own_conn.sync_reply is False
        assert own_conn.action == "GLOBE-R-BV-Request"


def test_organisation_oin_is_unique(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as session:
        repo = OrganisationRepository(session)
        repo.add(_organisation())
        repo.add(_organisation(name="Dubbel"))


def test_berichttypes_per_organisation_and_environment(
    db: Database, setup_ids: tuple[int, int, int]
) -> None:
    org_a, org_b, _ = setup_ids
    with db.session() as session:
        repo = BerichtTypeRepository(session)
        bt = repo.add(BerichtType(organisation_id=org_a, code="BELAST", name="Belastingen"))
        bt.set_status_for(Environment.PREPROD, BerichtTypeStatus.ACTIEF)
        repo.add(BerichtType(organisation_id=org_b, code="BELAST", name="Ook belastingen"))
    with db.session() as session:
        repo = BerichtTypeRepository(session)
        found = repo.get(org_a, "BELAST")
        assert found is not None
        assert found.status_for(Environment.PREPROD) is BerichtTypeStatus.ACTIEF
        assert found.status_for(Environment.PRODUCTIE) is BerichtTypeStatus.CONCEPT
        assert [b.name for b in repo.list_for_organisation(org_b)] == ["Ook belastingen"]
    with pytest.raises(IntegrityError), db.session() as session:
        BerichtTypeRepository(session).add(
            BerichtType(organisation_id=org_a, code="BELAST", name="Dubbel")
        )


def test_unmatched_results_are_kept(db: Database) -> None:
    with db.session() as session:
        UnmatchedResultRepository(session).add(
            raw=b"<BerichtVerwerkResponse/>", reason="Onbekende BatchID", batch_id="x"
        )
    with db.session() as session:
        rows = UnmatchedResultRepository(session).list_all()
        assert [(r.batch_id, r.raw, r.reason) for r in rows] == [
            ("x", b"<BerichtVerwerkResponse/>", "Onbekende BatchID")
        ]


def test_deleting_a_letter_removes_its_timeline(
    db: Database, setup_ids: tuple[int, int, int]
) -> None:
    org_id, _, conn_id = setup_ids
    with db.session() as session:
        repo = LetterRepository(session)
        letter = repo.add(_letter(org_id, conn_id, 1))
        repo.add_event(letter, kind="created")
        letter_id = letter.id
    with db.engine.begin() as connection:  # plain SQL: the database's own ON DELETE CASCADE
        connection.exec_driver_sql("DELETE FROM letters WHERE id = ?", (letter_id,))
    with db.session() as session:
        assert session.scalars(select(LetterEventRecord)).all() == []
