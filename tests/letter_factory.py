"""A real SQLite workspace with letters in any state, for tests of the log, dashboard and privacy.

``workspace_db(tmp_path)`` gives a migrated database with the demo organisation, connection
and berichttypes (plus a second organisation on the same connection); ``add_letter`` stores a
letter as the engine would have left it (status, code, batch, timestamps, timeline entries).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select

from console.db import models as m
from console.db.database import Database, database_url_for, open_database, upgrade
from console.domain.ids import new_guid
from console.domain.lifecycle import LetterStatus
from console.services.demo import create_demo_workspace
from tests.gui.fake_services import valid_bsns

BSNS = valid_bsns(40)
_serial = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Workspace:
    db: Database
    organisation_id: int
    second_organisation_id: int
    connection_id: int


def workspace_db(tmp_path: Path) -> Workspace:
    db = open_database(database_url_for(tmp_path / "data"))
    upgrade(db, backup_dir=tmp_path / "backups")
    return letters_workspace(db)


def letters_workspace(db: Database) -> Workspace:
    """The demo workspace on *db* (migrated) plus a second organisation with its berichttype."""
    connection_id = create_demo_workspace(db)
    with db.session() as s:
        conn = s.get(m.Connection, connection_id)
        assert conn is not None
        second = m.Organisation(name="Waterschap Proef", oin="00000099876543210000")
        s.add(second)
        s.flush()
        conn.organisations.append(second)
        s.add(
            m.BerichtType(
                organisation_id=second.id,
                code="WSBEL",
                name="Waterschapsbelasting",
                status_simulator=m.BerichtTypeStatus.ACTIEF,
            )
        )
        s.commit()
        return Workspace(db, conn.owner_organisation_id, second.id, connection_id)


def add_letter(
    ws: Workspace,
    *,
    status: LetterStatus = LetterStatus.QUEUED,
    code: str | None = None,
    organisation_id: int | None = None,
    berichttype: str = "BELAST",
    bsn: str | None = None,
    onderwerp: str = "Uw aanslag",
    referentie: str | None = None,
    created_at: datetime | None = None,
    batch_id: str | None = None,
    acknowledged_at: datetime | None = None,
) -> int:
    n = next(_serial)
    created = created_at or datetime.now(UTC)
    with ws.db.session() as s:
        letter = m.Letter(
            organisation_id=organisation_id or ws.organisation_id,
            connection_id=ws.connection_id,
            berichttype=berichttype,
            bsn=bsn or BSNS[n % len(BSNS)],
            onderwerp=onderwerp,
            berichttekst="Tekst",
            referentie=referentie if referentie is not None else f"REF-{n:05d}",
            bericht_id=new_guid(),
            batch_id=batch_id or (None if status in (LetterStatus.QUEUED,) else new_guid()),
            status=status,
            verwerkings_code=code,
            stadium="NA" if code else None,
            created_at=created,
            created_by="test",
            updated_at=created,
            acknowledged_at=acknowledged_at,
            result_at=created + timedelta(minutes=5) if code else None,
        )
        s.add(letter)
        s.flush()
        s.add(m.LetterEventRecord(letter_id=letter.id, at=created, kind="created", actor="test"))
        s.commit()
        return letter.id


class StatementCounter:
    """Counts the SQL statements the database runs (SQLAlchemy event listener)."""

    def __init__(self, db: Database) -> None:
        self.statements: list[str] = []
        self._db = db
        event.listen(db.engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)

    def close(self) -> None:
        event.remove(self._db.engine, "before_cursor_execute", self._on_execute)


def letter_events(db: Database, letter_id: int) -> list[m.LetterEventRecord]:
    with db.session() as s:
        return list(
            s.scalars(
                select(m.LetterEventRecord)
                .where(m.LetterEventRecord.letter_id == letter_id)
                .order_by(m.LetterEventRecord.id)
            )
        )
