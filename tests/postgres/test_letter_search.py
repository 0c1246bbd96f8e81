"""The message log's search gives the same letters on PostgreSQL as on SQLite, for the same data.

The same letters go into a SQLite workspace and a PostgreSQL one; every query of the log then
has to find the same letters in the same order (the default sort, newest first), with the
same count and the same first page. PostgreSQL runs twice: with the server's default collation
and with a Dutch ICU collation, as a cooperation's database server may well have.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from console.db import models as m
from console.db.database import open_database
from console.domain.ids import new_guid
from console.domain.lifecycle import LetterStatus
from console.services.dto import FlowKey, LetterQuery
from console.services.letters import LetterService
from console.services.workspace import WorkspaceService
from tests.letter_factory import Workspace, add_letter, workspace_db
from tests.postgres.support import fresh_database, letters_workspace, require_server

require_server()

NOW = datetime.now(UTC).replace(microsecond=0)
DUTCH_ICU = "LOCALE_PROVIDER icu ICU_LOCALE 'nl-NL'"
IMPORT_TAG = "import:0123456789ab:aanslagen.csv"
FILLER = 1100  # delivered letters: a filter with more than 1000 matches takes the other path


@dataclass(frozen=True, slots=True)
class Spec:
    referentie: str
    onderwerp: str
    bsn: str = "999990019"
    status: LetterStatus = LetterStatus.DELIVERED
    code: str | None = "Verwerkt"
    berichttype: str = "BELAST"
    second_organisation: bool = False
    hours_ago: float = 1
    acknowledged_hours_ago: float | None = None


LETTERS = [
    Spec("ZK-2025-0042", "Uw aanslag 2026", hours_ago=240),
    Spec("zk-2025-0043", "uw Aanslag 2026", bsn="999990020", hours_ago=239),
    Spec("ZK2025", "Aanslag", bsn="999990032", hours_ago=200),
    Spec("Zk-2026-1", "WOZ-beschikking 2026", berichttype="WOZ", hours_ago=48,
         status=LetterStatus.REJECTED, code="BerichtTypeNietOndersteund"),
    Spec("zk 2026 2", "woz beschikking", berichttype="WOZ", hours_ago=48),  # same moment
    Spec("REF-1", "Aanmaning", bsn="999990044", status=LetterStatus.NOT_SUBSCRIBED,
         code="NietActiefOfGeabonneerd", hours_ago=30),
    Spec("ref_2", "aanmaning!", bsn="999990068", status=LetterStatus.NOT_SUBSCRIBED,
         code="NietActiefOfGeabonneerd", hours_ago=29),
    Spec("REF%3", "Herinnering", hours_ago=28),
    Spec("Één-1", "Één aanslag", bsn="999990020", hours_ago=27),
    Spec("één-2", "één aanslag", hours_ago=26),
    Spec("een-3", "een aanslag", hours_ago=25),
    Spec("wöz-4", "Wöz-beschikking", berichttype="WOZ", hours_ago=24),
    Spec("IJ-1", "IJzeren regel", hours_ago=23),
    Spec("ij-2", "ijs en weder", hours_ago=22),
    Spec("", "Zonder referentie", hours_ago=21),
    Spec("WACHT-1", "Wacht op resultaat", status=LetterStatus.ACKNOWLEDGED, code=None,
         hours_ago=40, acknowledged_hours_ago=30),
    Spec("WACHT-2", "Wacht op resultaat", status=LetterStatus.ACKNOWLEDGED, code=None,
         hours_ago=3, acknowledged_hours_ago=2),
    Spec("Q-1", "In de wachtrij", status=LetterStatus.QUEUED, code=None, hours_ago=0.5),
    Spec("TP-1", "Uw aanslag 2026", bsn="999990093", status=LetterStatus.REJECTED,
         code="TechnischProbleem", hours_ago=10),
    Spec("WS-1", "Waterschapsbelasting", berichttype="WSBEL", second_organisation=True,
         status=LetterStatus.FAILED, code=None, hours_ago=5),
    Spec("WS-2", "waterschapsbelasting 2026", berichttype="WSBEL", second_organisation=True,
         hours_ago=4),
]  # fmt: skip


def fill(ws: Workspace) -> dict[int, str]:
    """The letters of LETTERS plus FILLER delivered ones; returns id -> referentie."""
    names: dict[int, str] = {}
    for spec in LETTERS:
        created = NOW - timedelta(hours=spec.hours_ago)
        ack = spec.acknowledged_hours_ago
        letter_id = add_letter(
            ws,
            status=spec.status,
            code=spec.code,
            organisation_id=ws.second_organisation_id if spec.second_organisation else None,
            berichttype=spec.berichttype,
            bsn=spec.bsn,
            onderwerp=spec.onderwerp,
            referentie=spec.referentie,
            created_at=created,
            acknowledged_at=NOW - timedelta(hours=ack) if ack is not None else None,
        )
        names[letter_id] = spec.referentie
    with ws.db.session() as s:
        tagged = [i for i, ref in names.items() if ref.startswith("ZK")]
        s.execute(update(m.Letter).where(m.Letter.id.in_(tagged)).values(created_by=IMPORT_TAG))
        start = NOW - timedelta(days=30)
        rows = [
            {
                "organisation_id": ws.organisation_id,
                "connection_id": ws.connection_id,
                "berichttype": "BELAST",
                "bsn": "999990032",
                "onderwerp": f"Vulbrief {n:04d}",
                "referentie": f"VUL-{n:04d}",
                "bericht_id": new_guid(),
                "batch_id": new_guid(),
                "status": LetterStatus.DELIVERED,
                "verwerkings_code": "Verwerkt",
                "created_at": start + timedelta(minutes=n),
                "created_by": "test",
                "updated_at": start + timedelta(minutes=n),
            }
            for n in range(FILLER)
        ]
        returned = s.execute(insert(m.Letter).returning(m.Letter.id, m.Letter.referentie), rows)
        names.update(dict(returned.tuples().all()))
    return names


QUERIES: dict[str, LetterQuery] = {
    "alles": LetterQuery(),
    "bsn": LetterQuery(search="999990019"),
    "bsn-2": LetterQuery(search="999990020"),
    "referentie exact": LetterQuery(referentie="zk-2025-0042"),
    "referentie exact hoofdletters": LetterQuery(referentie="REF_2"),
    "zoek zk-2025": LetterQuery(search="zk-2025"),
    "zoek ZK": LetterQuery(search="ZK"),
    "zoek zk 2": LetterQuery(search="zk 2"),
    "zoek woz": LetterQuery(search="woz"),
    "zoek uw a": LetterQuery(search="uw a"),
    "zoek een": LetterQuery(search="een"),
    "zoek één": LetterQuery(search="één"),
    "zoek ÉÉN": LetterQuery(search="ÉÉN"),
    "zoek ij": LetterQuery(search="ij"),
    "zoek ref%": LetterQuery(search="ref%"),
    "zoek ref_": LetterQuery(search="ref_"),
    "zoek aanm": LetterQuery(search="aanm"),
    "zoek vul-000": LetterQuery(search="vul-000"),
    "zoek vulbrief 1": LetterQuery(search="Vulbrief 1"),
    "zoek import": LetterQuery(search=IMPORT_TAG),
    "status afgewezen": LetterQuery(status=LetterStatus.REJECTED),
    "status afgeleverd": LetterQuery(status=LetterStatus.DELIVERED),
    "statusgroep": LetterQuery(statuses=(LetterStatus.NOT_SUBSCRIBED, LetterStatus.FAILED)),
    "code": LetterQuery(verwerkings_code="NietActiefOfGeabonneerd"),
    "berichttype": LetterQuery(berichttype="WOZ"),
    "stroom": LetterQuery(flow=FlowKey(-1, "WSBEL")),  # organisation filled in per database
    "vanaf": LetterQuery(created_from=NOW - timedelta(hours=48)),
    "periode": LetterQuery(
        created_from=NOW - timedelta(hours=240), created_to=NOW - timedelta(hours=29)
    ),
    "periode en status": LetterQuery(
        created_from=NOW - timedelta(days=31),
        created_to=NOW - timedelta(hours=100),
        status=LetterStatus.DELIVERED,
    ),
    "geen resultaat na 24 uur": LetterQuery(no_result_hours=24),
    "bsn en periode": LetterQuery(search="999990019", created_from=NOW - timedelta(hours=30)),
    "zoek en status": LetterQuery(search="uw", status=LetterStatus.DELIVERED),
}


class Log:
    """One database's message log, answering in referenties (the ids differ per database)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.names = fill(ws)
        self.service = LetterService(ws.db, WorkspaceService(ws.db))

    def _localise(self, query: LetterQuery) -> LetterQuery:
        if query.flow is not None:
            return replace(query, flow=FlowKey(self.ws.second_organisation_id, "WSBEL"))
        return query

    def answer(self, query: LetterQuery) -> tuple[list[str], int, int, list[str]]:
        query = self._localise(query)
        ids = [self.names[i] for i in self.service.ids(query)]
        total, first = self.service.first_ids(query, 7)
        return ids, self.service.count(query), total, [self.names[i] for i in first]


@pytest.fixture(scope="module")
def sqlite_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    ws = workspace_db(tmp_path_factory.mktemp("sqlite"))
    try:
        yield Log(ws)
    finally:
        ws.db.dispose()


@pytest.fixture(scope="module", params=["standaard", "nl-NL (ICU)"])
def postgres_log(request: pytest.FixtureRequest, postgres_admin: URL) -> Iterator[Log]:
    options = DUTCH_ICU if request.param != "standaard" else ""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(fresh_database(postgres_admin, locale_options=options))
        except DBAPIError as exc:
            pytest.skip(f"deze PostgreSQL-server maakt geen database met {options}: {exc}")
        db = open_database(url)
        stack.callback(db.dispose)
        yield Log(letters_workspace(db))


@pytest.mark.parametrize("name", list(QUERIES))
def test_the_same_letters_as_on_sqlite(name: str, sqlite_log: Log, postgres_log: Log) -> None:
    expected = sqlite_log.answer(QUERIES[name])
    assert expected[1] > 0, "every query should find something in the data"
    assert postgres_log.answer(QUERIES[name]) == expected


@pytest.mark.parametrize("descending", [True, False])
def test_sorted_by_subject_in_the_same_order(
    descending: bool, sqlite_log: Log, postgres_log: Log
) -> None:
    """Sorting by subject ignores case as on SQLite (byte order after ASCII case folding),
    whatever the collation of the database."""
    query = LetterQuery(sort_key="onderwerp", descending=descending)
    assert postgres_log.answer(query) == sqlite_log.answer(query)


def test_the_data_is_the_same_on_both(sqlite_log: Log, postgres_log: Log) -> None:
    assert sorted(sqlite_log.names.values()) == sorted(postgres_log.names.values())
    assert len(sqlite_log.names) == len(LETTERS) + FILLER
