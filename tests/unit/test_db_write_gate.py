"""Writers of one process queue on the write gate instead of meeting SQLITE_BUSY.

With SQLite's busy timeout set to zero, a second writer would fail at once with "database is
locked"; through the gate it waits for the first writer's commit and then succeeds.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console.db import database
from console.db.database import Database, open_database, upgrade
from console.db.models import Setting


@pytest.fixture
def impatient_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 0)  # SQLite itself would not wait at all
    db = open_database(database.database_url_for(tmp_path))
    upgrade(db, backup_dir=None)
    yield db
    db.dispose()


def _keys(db: Database) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(select(Setting.key)))


def test_second_writer_waits_for_the_first_commit_instead_of_failing(
    impatient_db: Database,
) -> None:
    first_wrote = threading.Event()
    release_first = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with impatient_db.session() as s:
            s.add(Setting(key="eerste", value="1"))
            s.flush()  # the write lock is taken here
            first_wrote.set()
            release_first.wait(10)

    def second() -> None:
        try:
            with impatient_db.session() as s:
                s.add(Setting(key="tweede", value="2"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    a = threading.Thread(target=first)
    a.start()
    assert first_wrote.wait(10)
    b = threading.Thread(target=second)
    b.start()
    b.join(0.3)
    assert b.is_alive(), "the second writer should wait while the first holds the write lock"
    release_first.set()
    a.join(10)
    b.join(10)
    assert errors == []
    assert _keys(impatient_db) == ["eerste", "tweede"]


def test_gate_is_released_after_a_failed_write_and_rollback(impatient_db: Database) -> None:
    with impatient_db.session() as s:
        s.add(Setting(key="a", value="1"))
    with pytest.raises(IntegrityError), impatient_db.session() as s:
        s.add(Setting(key="a", value="2"))  # duplicate key: IntegrityError, then rollback
    done = threading.Event()

    def writer() -> None:
        with impatient_db.session() as s:
            s.add(Setting(key="b", value="1"))
        done.set()

    t = threading.Thread(target=writer)
    t.start()
    t.join(10)
    assert done.is_set()
    assert _keys(impatient_db) == ["a", "b"]


def test_another_process_still_meets_the_busy_timeout(impatient_db: Database) -> None:
    path = impatient_db.sqlite_path
    assert path is not None
    with impatient_db.session() as s:
        s.add(Setting(key="a", value="1"))
        s.flush()
        with (
            closing(sqlite3.connect(path, timeout=0)) as other,
            pytest.raises(sqlite3.OperationalError, match="locked"),
        ):
            other.execute("INSERT INTO settings (key, value) VALUES ('x', '1')")
