"""Helpers for the tests of the configuration services (issue 5): a real SQLite database."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from console.db import models as m
from console.db.database import (
    SQLITE_FILENAME,
    Database,
    database_url_for,
    open_database,
    upgrade,
)
from console.domain.ids import new_guid
from console.domain.lifecycle import LetterStatus
from console.services.demo import create_demo_workspace

_TEMPLATES: dict[str, Path] = {}


def _from_template(kind: str, path: Path) -> Database:
    """A copy of a database made once per test run (migrations take a second each time)."""
    template = _TEMPLATES.get(kind)
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix=f"flows-{kind}-"))
        db = open_database(database_url_for(folder))
        upgrade(db, backup_dir=None)
        if kind == "demo":
            create_demo_workspace(db)
        db.dispose()  # the last connection closes: the WAL is checkpointed into the file
        template = folder / SQLITE_FILENAME
        _TEMPLATES[kind] = template
    path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path / SQLITE_FILENAME)
    db = open_database(database_url_for(path))
    upgrade(db, backup_dir=None)  # a no-op at head; proves the copy is whole
    return db


def empty_db(path: Path) -> Database:
    return _from_template("empty", path)


def demo_db(path: Path) -> Database:
    """The demo workspace (created at the time of the first test; timestamps are that old)."""
    return _from_template("demo", path)


def add_letter(
    db: Database,
    organisation_oin: str,
    *,
    berichttype: str = "BELAST",
    connection: str = "Demo-simulator",
    status: LetterStatus = LetterStatus.DELIVERED,
) -> int:
    """A letter as the engine leaves it (the history that must never be lost)."""
    now = datetime.now(UTC)
    with db.session() as s:
        org = s.scalar(select(m.Organisation).where(m.Organisation.oin == organisation_oin))
        conn = s.scalar(select(m.Connection).where(m.Connection.name == connection))
        assert org is not None and conn is not None
        letter = m.Letter(
            organisation_id=org.id,
            connection_id=conn.id,
            berichttype=berichttype,
            bsn="999990019",
            onderwerp="Uw aanslag",
            berichttekst="",
            bericht_id=new_guid(),
            status=status,
            created_at=now,
            updated_at=now,
        )
        s.add(letter)
        s.commit()
        return letter.id


def audit_rows(db: Database) -> list[tuple[str, str, str]]:
    from console.db.models_flows import AuditEntry

    with db.session() as s:
        return [
            (e.entity, e.action, e.entity_label)
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
