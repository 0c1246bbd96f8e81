"""The migrations on PostgreSQL: empty to head, the same schema as the models, down and up again."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import StatementError

from console.db import models as m
from console.db.database import (
    MIGRATIONS_DIR,
    Database,
    DatabaseTooNewError,
    _alembic_config,
    current_revision,
    head_revision,
    open_database,
    table_names,
    upgrade,
)
from console.db.models import Base
from console.db.models_monitoring import nocase_prefix
from tests.postgres.support import require_server
from tests.unit.test_db_schema import ALL_TABLES, _add_letter_with_children

require_server()

EXPRESSION_INDEXES = {
    "ix_letters_referentie_nocase": "referentie",
    "ix_letters_onderwerp_nocase": "onderwerp",
}


def _schema_differences(db: Database) -> list[object]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _index_definitions(db: Database) -> dict[str, str]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'letters'")
        )
        return {name: definition for name, definition in rows}


def _downgrade(db: Database, revision: str) -> None:
    with db.engine.begin() as connection:
        command.downgrade(_alembic_config(MIGRATIONS_DIR, connection), revision)


def test_an_empty_database_is_migrated_to_head(pg_db: Database, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    report = upgrade(pg_db, backup_dir=backups)

    assert report.created is True and report.from_revision is None
    assert report.to_revision == head_revision() == current_revision(pg_db)
    assert report.backup_path is None and not backups.exists()  # no file to copy
    assert pg_db.engine.dialect.name == "postgresql"
    assert set(table_names(pg_db)) == ALL_TABLES

    again = upgrade(pg_db, backup_dir=backups)
    assert again.changed is False and again.created is False


def test_the_migrated_schema_matches_the_models(pg_db: Database) -> None:
    upgrade(pg_db, backup_dir=None)

    assert _schema_differences(pg_db) == []
    # Alembic does not compare expression indexes: check the message log's own ones here.
    definitions = _index_definitions(pg_db)
    for name, column in EXPRESSION_INDEXES.items():
        assert f"lower((({column})::text COLLATE C))" in definitions[name].replace('"', "")
        # ... and the message log's search is the expression they index.
        column_attr = getattr(m.Letter, column)
        query = select(m.Letter.id).where(nocase_prefix(column_attr, "Zk-2025"))
        with pg_db.engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = connection.execute(
                text(
                    f"EXPLAIN {query.compile(pg_db.engine, compile_kwargs={'literal_binds': True})}"
                )
            ).scalars()
            assert name in "\n".join(plan)
    with pg_db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT table_name || '.' || column_name, data_type "
                "FROM information_schema.columns WHERE table_schema = 'public'"
            )
        )
        kinds = {column: kind for column, kind in rows}
    # Every timestamp keeps its time zone (UtcDateTime), also in the newest tables.
    stamps = {column: kind for column, kind in kinds.items() if "timestamp" in kind}
    assert stamps and set(stamps.values()) == {"timestamp with time zone"}, stamps
    assert kinds["letter_imports.imported_at"] == "timestamp with time zone"


def test_model_drift_is_detected_on_postgresql_too(pg_db: Database) -> None:
    # Guards the test above: the comparison does notice a column the migrations lack.
    upgrade(pg_db, backup_dir=None)
    with pg_db.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE settings ADD COLUMN extra VARCHAR(5)")
    diffs = _schema_differences(pg_db)
    assert any(d[0] == "remove_column" and d[3].name == "extra" for d in diffs)  # type: ignore[index]


def test_downgrade_to_base_and_up_again(pg_db: Database) -> None:
    upgrade(pg_db, backup_dir=None)
    _add_letter_with_children(pg_db)

    _downgrade(pg_db, "base")

    assert current_revision(pg_db) is None
    assert set(table_names(pg_db)) <= {"alembic_version"}
    report = upgrade(pg_db, backup_dir=None)
    assert report.created is True and report.to_revision == head_revision()
    assert set(table_names(pg_db)) == ALL_TABLES
    assert _schema_differences(pg_db) == []
    with pg_db.session() as s:
        assert s.scalar(select(m.Letter.id)) is None  # a fresh start


def test_migrations_0007_0008_move_bodies_and_texts_both_ways(pg_db: Database) -> None:
    """Bodies (bytea) and letter texts move out of their rows and back, byte for byte."""
    upgrade(pg_db, backup_dir=None)
    letter_id = _add_letter_with_children(pg_db)
    body = bytes(range(256)) * 1000
    with pg_db.session() as s:
        s.add(
            m.EbmsMessage(
                message_id="m1@x",
                conversation_id="c",
                cpa_id="cpa-1",
                direction=m.EbmsDirection.OUT,
                kind=m.EbmsKind.USER,
                status=m.EbmsStatus.PENDING,
                raw=body,
            )
        )

    _downgrade(pg_db, "0006")
    with pg_db.engine.connect() as connection:
        assert connection.execute(text("SELECT berichttekst FROM letters")).all() == [("Tekst",)]
        assert connection.execute(text("SELECT raw FROM ebms_messages")).all() == [(body,)]

    upgrade(pg_db, backup_dir=None)
    columns = {c["name"] for c in inspect(pg_db.engine).get_columns("letters")}
    assert "berichttekst" not in columns
    with pg_db.session() as s:
        letter = s.get(m.Letter, letter_id)
        msg = s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.message_id == "m1@x"))
        assert letter is not None and letter.berichttekst == "Tekst"
        assert msg is not None and msg.raw == body
    assert _schema_differences(pg_db) == []


def test_migration_0009_finds_earlier_imports_in_the_letters_tags(pg_db: Database) -> None:
    """0009 copies earlier batch imports from the letters' tags (strpos, not SQLite's instr)."""
    upgrade(pg_db, backup_dir=None)
    letter_id = _add_letter_with_children(pg_db)
    _downgrade(pg_db, "0008")
    tags = [
        ("import:0123456789ab:aanslagen.csv", "2026-03-01 09:00:00+00", 3),
        ("import:0123456789ab-2:aanslagen: maart.csv", "2026-03-02 10:00:00+00", 1),
        ("import:ba9876543210:andere.csv", "2026-03-05 08:00:00+00", 2),
        ("j.jansen", "2026-03-06 08:00:00+00", 1),  # typed in the window: no import
    ]
    columns = [c["name"] for c in inspect(pg_db.engine).get_columns("letters") if c["name"] != "id"]
    copied = ", ".join(c for c in columns if c not in ("bericht_id", "created_by", "created_at"))
    with pg_db.engine.begin() as connection:
        n = 0
        for tag, at, count in tags:
            for _ in range(count):
                n += 1
                connection.execute(
                    text(
                        f"INSERT INTO letters ({copied}, bericht_id, created_by, created_at) "
                        f"SELECT {copied}, :bericht_id, :tag, CAST(:at AS timestamptz) "
                        "FROM letters WHERE id = :id"
                    ),
                    {
                        "bericht_id": f"{n:08d}-0000-0000-0000-000000000000",
                        "tag": tag,
                        "at": at,
                        "id": letter_id,
                    },
                )

    upgrade(pg_db, backup_dir=None)
    with pg_db.session() as s:
        rows = [
            (i.fingerprint, i.tag, i.file_name, i.imported_at.isoformat(), i.imported_by, i.letters)
            for i in s.scalars(select(m.LetterImport).order_by(m.LetterImport.id))
        ]
    assert rows == [
        ("0123456789ab", tags[0][0], "aanslagen.csv", "2026-03-01T09:00:00+00:00", "", 3),
        ("0123456789ab", tags[1][0], "aanslagen: maart.csv", "2026-03-02T10:00:00+00:00", "", 1),
        ("ba9876543210", tags[2][0], "andere.csv", "2026-03-05T08:00:00+00:00", "", 2),
    ]


# Each process imports the console, then waits for the same moment to upgrade.
UPGRADE_AT_ONCE = """
import sys, time
from console.db.database import open_database, upgrade
go = float(sys.argv[2])
while time.time() < go:
    time.sleep(0.005)
db = open_database(sys.argv[1])
print(upgrade(db, backup_dir=None).from_revision or "leeg")
db.dispose()
"""


def test_three_workstations_upgrading_an_empty_database_at_once(pg_url: str) -> None:
    """Workstations of a cooperation start at the same moment on a new database: one runs
    the migrations, the others wait for it and find the schema up to date (none fails)."""
    go = time.time() + 3  # after the imports of all three
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADE_AT_ONCE, pg_url, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [proc.communicate() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], [err for _out, err in results]
    check = open_database(pg_url)
    try:
        assert current_revision(check) == head_revision()
        assert set(table_names(check)) == ALL_TABLES
        assert _schema_differences(check) == []
    finally:
        check.dispose()


def test_a_database_newer_than_the_code_is_refused(pg_db: Database) -> None:
    upgrade(pg_db, backup_dir=None)
    with pg_db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dcafe'")

    with pytest.raises(DatabaseTooNewError, match="f00dcafe") as caught:
        upgrade(pg_db, backup_dir=None)
    assert ":***@" in str(caught.value)  # the URL is named without its password


def test_timestamps_are_aware_utc_whatever_the_session_time_zone(pg_url: str) -> None:
    """timestamptz keeps the moment; the server's or session's time zone does not shift it."""
    setup = open_database(pg_url)
    upgrade(setup, backup_dir=None)
    setup.dispose()
    amsterdam = open_database(pg_url + "?options=-c%20TimeZone%3DEurope%2FAmsterdam")
    try:
        summer = datetime(2024, 6, 1, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
        with amsterdam.session() as s:
            s.add(m.Organisation(name="Org", oin="00000001000000000001", created_at=summer))
        with amsterdam.session() as s:
            org = s.scalars(select(m.Organisation)).one()
            assert org.created_at == summer
            assert org.created_at.tzinfo is UTC and org.created_at.hour == 12
        with amsterdam.engine.connect() as connection:
            shown = connection.execute(text("SELECT created_at::text FROM organisations")).scalar()
        assert shown == "2024-06-01 14:30:15.123456+02"
        with pytest.raises(StatementError, match="naive"), amsterdam.session() as s:
            s.add(
                m.Organisation(
                    name="O", oin="00000001000000000002", created_at=datetime(2024, 1, 1)
                )
            )
            s.flush()
    finally:
        amsterdam.dispose()
