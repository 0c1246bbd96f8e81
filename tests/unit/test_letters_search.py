"""The message log's search in SQL: every filter, the id list in order, paging with few queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.db.repositories import LetterFilter, LetterRepository
from console.domain.lifecycle import LetterStatus
from console.services.dto import FlowKey, LetterQuery
from console.services.letters import LetterService, filter_for
from console.services.workspace import WorkspaceService
from tests.letter_factory import StatementCounter, Workspace, add_letter, workspace_db

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = workspace_db(tmp_path)
    yield workspace
    workspace.db.dispose()


@pytest.fixture
def letters(ws: Workspace) -> dict[str, int]:
    old = NOW - timedelta(days=10)
    return {
        "delivered": add_letter(
            ws, status=LetterStatus.DELIVERED, code="Verwerkt", created_at=old, bsn="999990019"
        ),
        "not_subscribed": add_letter(
            ws,
            status=LetterStatus.NOT_SUBSCRIBED,
            code="NietActiefOfGeabonneerd",
            created_at=old + timedelta(hours=1),
            referentie="ZK-2025-0042",
        ),
        "rejected": add_letter(
            ws,
            status=LetterStatus.REJECTED,
            code="BerichtTypeNietOndersteund",
            berichttype="WOZ",
            created_at=NOW - timedelta(days=2),
            onderwerp="WOZ-beschikking 2026",
        ),
        "waiting": add_letter(
            ws,
            status=LetterStatus.ACKNOWLEDGED,
            created_at=NOW - timedelta(days=3),
            acknowledged_at=NOW - timedelta(hours=30),
            bsn="999990019",
        ),
        "fresh": add_letter(
            ws,
            status=LetterStatus.ACKNOWLEDGED,
            created_at=NOW - timedelta(hours=2),
            acknowledged_at=NOW - timedelta(hours=1),
        ),
        "water": add_letter(
            ws,
            organisation_id=ws.second_organisation_id,
            berichttype="WSBEL",
            status=LetterStatus.FAILED,
            created_at=NOW - timedelta(hours=1),
        ),
    }


def _service(ws: Workspace) -> LetterService:
    return LetterService(ws.db, WorkspaceService(ws.db))


def _names(ids: object, letters: dict[str, int]) -> set[str]:
    by_id = {v: k for k, v in letters.items()}
    return {by_id[i] for i in ids}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (LetterQuery(), {"delivered", "not_subscribed", "rejected", "waiting", "fresh", "water"}),
        (LetterQuery(search="999990019"), {"delivered", "waiting"}),
        (LetterQuery(referentie="zk-2025-0042"), {"not_subscribed"}),  # case does not matter
        (LetterQuery(search="zk-2025"), {"not_subscribed"}),  # search box: start of it
        (LetterQuery(search="woz-besch"), {"rejected"}),  # or of the subject
        (LetterQuery(berichttype="WOZ"), {"rejected"}),
        (LetterQuery(verwerkings_code="Verwerkt"), {"delivered"}),
        (
            LetterQuery(statuses=(LetterStatus.REJECTED, LetterStatus.FAILED)),
            {"rejected", "water"},
        ),
        # a status and a group: both must hold
        (
            LetterQuery(status=LetterStatus.FAILED, statuses=(LetterStatus.REJECTED,)),
            set(),
        ),
        (
            LetterQuery(created_from=NOW - timedelta(days=3, hours=1)),
            {"rejected", "waiting", "fresh", "water"},
        ),
        (
            LetterQuery(created_from=NOW - timedelta(days=11), created_to=NOW - timedelta(days=5)),
            {"delivered", "not_subscribed"},
        ),
        # acknowledged more than 24 hours ago and no result yet
        (LetterQuery(no_result_hours=24), {"waiting"}),
        (LetterQuery(no_result_hours=1), {"waiting", "fresh"}),
    ],
)
def test_every_filter_of_the_log(
    ws: Workspace, letters: dict[str, int], query: LetterQuery, expected: set[str]
) -> None:
    service = _service(ws)
    ids = service.ids(query)
    assert _names(ids, letters) == expected
    assert service.count(query) == len(expected)
    total, first = service.first_ids(query, 2)
    assert total == len(expected)
    assert list(first) == list(ids)[:2]


def test_flow_and_organisation_and_batch_filters(ws: Workspace, letters: dict[str, int]) -> None:
    service = _service(ws)
    water = FlowKey(ws.second_organisation_id, "WSBEL")
    assert _names(service.ids(LetterQuery(flow=water)), letters) == {"water"}
    assert (
        _names(service.ids(LetterQuery(flow=FlowKey(ws.organisation_id, "WSBEL"))), letters)
        == set()
    )
    by_org = service.ids(LetterQuery(organisation_id=ws.second_organisation_id))
    assert _names(by_org, letters) == {"water"}
    row = service.rows([letters["rejected"]])[0]
    assert row.batch_id is not None
    for value in (row.batch_id, row.bericht_id.upper()):
        assert _names(service.ids(LetterQuery(batch_or_bericht_id=value)), letters) == {"rejected"}
        assert _names(service.ids(LetterQuery(search=value)), letters) == {"rejected"}


def test_filter_for_maps_every_field() -> None:
    flow = FlowKey(3, "WOZ")
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    f = filter_for(
        LetterQuery(
            search="999990019",
            flow=flow,
            statuses=(LetterStatus.FAILED,),
            referentie="R-1",
            no_result_hours=24,
        ),
        now=now,
    )
    assert f.bsn == "999990019"
    assert (f.organisation_id, f.berichttype) == (3, "WOZ")
    assert f.status == frozenset({LetterStatus.FAILED})
    assert f.referentie == "R-1"
    assert f.acknowledged_before == now - timedelta(hours=24)


@pytest.mark.parametrize(
    "sort_key",
    [
        "created_at",
        "organisation",
        "berichttype",
        "onderwerp",
        "referentie",
        "status",
        "verwerkings_code",
    ],
)
@pytest.mark.parametrize("descending", [True, False])
def test_the_fast_id_list_has_the_same_order_as_the_orm(
    ws: Workspace, letters: dict[str, int], sort_key: str, descending: bool
) -> None:
    """id_array (SQLite group_concat, optionally with the filter made unindexable) must give
    exactly the order of the plain ORM query."""
    from console.services.letters import SORT_COLUMNS

    for n in range(30):  # ties on every sort column
        add_letter(
            ws,
            status=LetterStatus.DELIVERED,
            code="Verwerkt",
            created_at=NOW - timedelta(days=n % 3),
        )
    column = SORT_COLUMNS[sort_key]
    for letter_filter in (
        None,
        LetterFilter(status=LetterStatus.DELIVERED),
        LetterFilter(text="uw"),
    ):
        with ws.db.session() as s:
            repo = LetterRepository(s)
            plain = repo.ids(letter_filter, order_by=column, descending=descending)
            fast = repo.id_array(letter_filter, order_by=column, descending=descending)
            total, first = repo.first_ids(
                letter_filter, order_by=column, descending=descending, limit=7
            )
            query = repo._ids_query(
                letter_filter, column, descending, None, use_index=False, walk=True
            )
            walked = list(s.scalars(query))
        assert list(fast) == plain
        assert list(first) == plain[:7] and total == len(plain)
        assert walked == plain


def test_unindexed_conditions_select_the_same_letters(
    ws: Workspace, letters: dict[str, int]
) -> None:
    filters = [
        LetterFilter(bsn="999990019"),
        LetterFilter(referentie="ZK-2025-0042"),
        LetterFilter(text="woz"),
        LetterFilter(status=frozenset({LetterStatus.FAILED, LetterStatus.REJECTED})),
        LetterFilter(
            created_from=NOW - timedelta(days=3), verwerkings_code="BerichtTypeNietOndersteund"
        ),
        LetterFilter(acknowledged_before=NOW - timedelta(hours=24)),
    ]
    with ws.db.session() as s:
        from sqlalchemy import select

        from console.db.models import Letter

        for f in filters:
            indexed = set(s.scalars(select(Letter.id).where(*f.conditions())))
            walked = set(s.scalars(select(Letter.id).where(*f.conditions(indexed=False))))
            assert indexed == walked and indexed


def test_text_count_is_the_union_of_referentie_and_onderwerp(ws: Workspace) -> None:
    add_letter(ws, referentie="AB-1", onderwerp="Iets anders")
    add_letter(ws, referentie="XY-2", onderwerp="Ab en cd")
    add_letter(ws, referentie="ab-3", onderwerp="ABC")  # matches both: counted once
    add_letter(ws, referentie="QQ", onderwerp="Geen")
    with ws.db.session() as s:
        repo = LetterRepository(s)
        assert repo.count(LetterFilter(text="ab")) == 3 == len(repo.ids(LetterFilter(text="ab")))
        assert repo.count(LetterFilter(text="ab", referentie="ab-3")) == 1


def test_paging_runs_a_fixed_number_of_queries_whatever_the_size(ws: Workspace) -> None:
    """The log never loads all rows: a count, a first page, then one query per block of rows."""
    for n in range(1200):
        add_letter(
            ws,
            status=LetterStatus.DELIVERED,
            code="Verwerkt",
            created_at=NOW - timedelta(minutes=n),
        )
    service = _service(ws)
    counter = StatementCounter(ws.db)
    try:
        total, first = service.first_ids(LetterQuery(), 100)
        assert (total, len(first)) == (1200, 100)
        assert counter.count <= 3  # count(*) and the first page (plus the connection's pragma)
        counter.reset()
        rows = service.rows(list(first[:50]))
        assert [r.id for r in rows] == list(first[:50])
        assert counter.count <= 2  # one block: the letters, and the organisation names
        counter.reset()
        everything = service.ids(LetterQuery())
        assert len(everything) == 1200
        assert counter.count <= 1  # the whole id list in one statement, no rows
        assert all("berichttekst" not in sql for sql in counter.statements)
    finally:
        counter.close()
