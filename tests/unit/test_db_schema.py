"""Schema management: in-process Alembic upgrade, backups, refusal of newer databases."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from console.db.database import (
    MIGRATIONS_DIR,
    SQLITE_FILENAME,
    Database,
    DatabaseNotRecognisedError,
    DatabaseTooNewError,
    current_revision,
    database_url_for,
    head_revision,
    open_database,
    table_names,
    upgrade,
)
from console.db.models import (
    Attachment,
    Base,
    Connection,
    EbmsDirection,
    EbmsKind,
    EbmsStatus,
    Letter,
    LetterEventRecord,
    Organisation,
    OrganisationKind,
    Setting,
)
from console.domain.environment import Environment
from console.domain.lifecycle import LetterStatus

ALL_TABLES = {
    "alembic_version",
    "organisations",
    "connections",
    "connection_organisations",
    "berichttypes",
    "letters",
    "letter_imports",
    "attachments",
    "batches",
    "ebms_messages",
    "delivery_attempts",
    "letter_events",
    "unmatched_results",
    "inbound_message_ids",
    "settings",
    "certificates",  # issue 7
    "trust_anchors",  # issue 7
    "certificate_requests",  # issue 7
    "cpas",  # issue 3
    "subscription_requests",  # issue 4
    "subscription_answers",  # issue 4
    "subscription_snapshots",  # issue 4
    "subscription_entries",  # issue 4
    "subscription_checks",  # issue 4
    "organisation_profiles",  # issue 5
    "organisation_contacts",  # issue 5
    "berichttype_status_changes",  # issue 5
    "flows",  # issue 5
    "flow_templates",  # issue 5
    "flow_peaks",  # issue 5
    "audit_log",  # issue 5
    "bsn_lookups",  # issue 6
    "ebms_message_bodies",  # issue 3 (throughput): bodies out of ebms_messages
    "letter_texts",  # issue 3 (throughput): BerichtTekst out of letters
}

# A test-only second revision: it recreates the letters table (SQLite batch mode), the kind
# of migration that silently cascades into child tables when foreign keys stay on.
SECOND_REVISION_TEMPLATE = """
from alembic import op
import sqlalchemy as sa

revision = "t9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("letters", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("test_note", sa.String(20), nullable=True))


def downgrade():
    with op.batch_alter_table("letters", recreate="always") as batch_op:
        batch_op.drop_column("test_note")
"""


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(database_url_for(tmp_path / "data"))
    yield database
    database.dispose()


@pytest.fixture
def two_revisions(tmp_path: Path) -> Path:
    """A copy of the shipped migrations plus a test-only revision after the shipped head."""
    location = tmp_path / "migrations-v2"
    shutil.copytree(MIGRATIONS_DIR, location, ignore=shutil.ignore_patterns("__pycache__"))
    text = SECOND_REVISION_TEMPLATE.replace("{head}", head_revision())
    (location / "versions" / "t9999_test_only.py").write_text(text, encoding="utf-8")
    return location


def _sqlite_scalar(path: Path, sql: str) -> object:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchone()[0]


def _add_letter_with_children(database: Database) -> int:
    with database.session() as session:
        org = Organisation(name="Gemeente Test", oin="00000001234567890000")
        conn = Connection(
            name="preprod",
            owner=org,
            environment=Environment.PREPROD,
            cpa_id="cpa-1",
            from_party_id="urn:osb:oin:00000001234567890000",
            from_role="Berichtenbox-leverancier",
            to_party_id="urn:osb:oin:00000001821002193000",
            to_role="Berichtenbox",
            service="osb:berichtenbox",
            endpoint_url="https://127.0.0.1:8443/ebms",
        )
        session.add_all([org, conn])
        session.flush()
        letter = Letter(
            organisation_id=org.id,
            connection_id=conn.id,
            berichttype="BELAST",
            bsn="999993653",
            onderwerp="Aanslag",
            berichttekst="Tekst",
            referentie="REF-1",
            bericht_id="11111111-1111-1111-1111-111111111111",
        )
        letter.attachments.append(
            Attachment(
                volgorde=1,
                filename="a.pdf",
                content=b"%PDF-1.4 test",
                size_bytes=13,
                sha256="0" * 64,
            )
        )
        letter.events.append(LetterEventRecord(kind="created", detail="", actor="test"))
        session.add(letter)
        session.flush()
        return letter.id


def test_database_url_points_at_the_file_in_the_data_dir(tmp_path: Path) -> None:
    url = database_url_for(tmp_path / "data")
    assert url.startswith("sqlite:///")
    assert url.endswith(f"/data/{SQLITE_FILENAME}")
    database = open_database(url)
    try:
        assert database.sqlite_path == (tmp_path / "data" / SQLITE_FILENAME).resolve()
        assert (tmp_path / "data").is_dir()  # created so SQLite can create the file
    finally:
        database.dispose()


def test_fresh_database_gets_all_tables_in_wal_mode(db: Database, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    report = upgrade(db, backup_dir=backups)

    assert report.created is True
    assert report.from_revision is None
    assert report.to_revision == head_revision() == current_revision(db)
    assert report.backup_path is None
    assert not backups.exists() or not any(backups.iterdir())
    assert set(table_names(db)) == ALL_TABLES
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert db.sqlite_path is not None
    assert _sqlite_scalar(db.sqlite_path, "PRAGMA journal_mode") == "wal"


def test_upgrade_is_idempotent(db: Database, tmp_path: Path) -> None:
    upgrade(db, backup_dir=tmp_path / "backups")
    letter_id = _add_letter_with_children(db)

    again = upgrade(db, backup_dir=tmp_path / "backups")

    assert again.changed is False
    assert again.created is False
    assert again.backup_path is None
    assert not (tmp_path / "backups").exists()
    with db.session() as session:
        assert session.get(Letter, letter_id) is not None


def test_migrations_describe_the_same_schema_as_the_models(db: Database) -> None:
    upgrade(db, backup_dir=None)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_model_drift_is_detected_by_the_schema_comparison(db: Database) -> None:
    # Guards the test above: the comparison does notice a column that the migrations lack.
    upgrade(db, backup_dir=None)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE settings ADD COLUMN extra VARCHAR(5)")
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert any(diff[0] == "remove_column" and diff[3].name == "extra" for diff in diffs)


def test_upgrade_from_older_revision_backs_up_first_and_keeps_child_rows(
    db: Database, tmp_path: Path, two_revisions: Path
) -> None:
    upgrade(db, backup_dir=None)
    letter_id = _add_letter_with_children(db)
    backups = tmp_path / "backups"

    report = upgrade(db, backup_dir=backups, script_location=two_revisions)

    assert (report.from_revision, report.to_revision) == (head_revision(), "t9999")
    assert report.created is False
    assert report.backup_path is not None and report.backup_path.parent == backups
    assert f"rev-{head_revision()}" in report.backup_path.name
    assert [p.name for p in backups.iterdir()] == [report.backup_path.name]  # no .partial left
    # The backup is the database as it was: old revision, old columns, the data.
    assert (
        _sqlite_scalar(report.backup_path, "SELECT version_num FROM alembic_version")
        == head_revision()
    )
    assert _sqlite_scalar(report.backup_path, "SELECT count(*) FROM letters") == 1
    assert _sqlite_scalar(report.backup_path, "SELECT count(*) FROM letter_events") == 1
    with closing(sqlite3.connect(report.backup_path)) as backup:
        columns = {row[1] for row in backup.execute("PRAGMA table_info(letters)")}
    assert "test_note" not in columns

    assert current_revision(db) == "t9999"
    with db.engine.connect() as connection:
        columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(letters)")}
        assert "test_note" in columns
        # Recreating 'letters' must not have cascaded into its children.
        events = connection.exec_driver_sql(
            "SELECT count(*) FROM letter_events WHERE letter_id = ?", (letter_id,)
        ).scalar()
        attachments = connection.exec_driver_sql(
            "SELECT count(*) FROM attachments WHERE letter_id = ?", (letter_id,)
        ).scalar()
        assert (events, attachments) == (1, 1)
        # Foreign keys are back on for connections handed out afterwards.
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_database_newer_than_the_code_is_refused_and_left_alone(
    db: Database, tmp_path: Path, two_revisions: Path
) -> None:
    upgrade(db, backup_dir=None, script_location=two_revisions)  # a "newer console" ran here
    before = db.sqlite_path.read_bytes() if db.sqlite_path else b""

    with pytest.raises(DatabaseTooNewError) as caught:
        upgrade(db, backup_dir=tmp_path / "backups")

    message = str(caught.value)
    assert "'t9999'" in message and "nieuwere versie" in message
    assert current_revision(db) == "t9999"
    assert not (tmp_path / "backups").exists()
    assert db.sqlite_path is not None and db.sqlite_path.read_bytes() == before


def test_unknown_revision_in_alembic_version_is_refused(db: Database) -> None:
    upgrade(db, backup_dir=None)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dcafe'")

    with pytest.raises(DatabaseTooNewError, match="f00dcafe"):
        upgrade(db, backup_dir=None)


def test_database_with_console_tables_but_no_revision_is_refused(db: Database) -> None:
    Base.metadata.create_all(db.engine)

    with pytest.raises(DatabaseNotRecognisedError, match="geen schemaversie"):
        upgrade(db, backup_dir=None)
    assert current_revision(db) is None


def test_non_empty_file_at_base_revision_is_backed_up_before_creating_tables(
    db: Database, tmp_path: Path
) -> None:
    assert db.sqlite_path is not None
    with closing(sqlite3.connect(db.sqlite_path)) as raw:
        raw.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        raw.execute("CREATE TABLE operator_notes (note TEXT)")
        raw.execute("INSERT INTO operator_notes VALUES ('bewaren')")
        raw.commit()
    backups = tmp_path / "backups"

    report = upgrade(db, backup_dir=backups)

    assert report.from_revision is None and report.created is False
    assert report.backup_path is not None and "rev-base" in report.backup_path.name
    assert _sqlite_scalar(report.backup_path, "SELECT note FROM operator_notes") == "bewaren"
    assert set(table_names(db)) == ALL_TABLES | {"operator_notes"}


def test_foreign_keys_are_enforced(db: Database) -> None:
    upgrade(db, backup_dir=None)
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(
            Letter(
                organisation_id=4242,
                connection_id=4242,
                berichttype="X",
                bsn="999993653",
                onderwerp="o",
                berichttekst="t",
                bericht_id="22222222-2222-2222-2222-222222222222",
            )
        )


def test_session_commits_on_success_and_rolls_back_on_error(db: Database) -> None:
    upgrade(db, backup_dir=None)
    with db.session() as session:
        session.add(Setting(key="a", value="1"))
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(Setting(key="b", value="2"))
        session.flush()
        raise RuntimeError("afgebroken")
    with db.session() as session:
        assert sorted(session.scalars(select(Setting.key))) == ["a"]


def test_immediate_session_holds_the_write_lock_from_its_first_read(db: Database) -> None:
    upgrade(db, backup_dir=None)
    assert db.sqlite_path is not None

    def other_writer_can_start() -> bool:
        with closing(sqlite3.connect(db.sqlite_path, timeout=0)) as other:  # type: ignore[arg-type]
            try:
                other.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc)
                return False
            other.rollback()
            return True

    with db.session() as session:
        session.scalars(select(Setting)).all()
        assert other_writer_can_start() is True
    with db.session(immediate=True) as session:
        session.scalars(select(Setting)).all()
        assert other_writer_can_start() is False
    assert other_writer_can_start() is True


def test_utc_datetime_round_trips_as_aware_utc(db: Database) -> None:
    upgrade(db, backup_dir=None)
    amsterdam_summer = timezone(timedelta(hours=2))
    created = datetime(2024, 6, 1, 14, 30, 15, 123456, tzinfo=amsterdam_summer)
    with db.session() as session:
        session.add(Organisation(name="Org", oin="00000001000000000001", created_at=created))

    with db.session() as session:
        org = session.scalars(select(Organisation)).one()
        assert org.created_at == created
        assert org.created_at.tzinfo is UTC
        assert org.created_at.hour == 12
        assert org.kind is OrganisationKind.GEMEENTE
    with db.engine.connect() as connection:
        stored = connection.execute(text("SELECT created_at FROM organisations")).scalar()
    assert stored == "2024-06-01 12:30:15.123456"  # naive UTC in the file


def test_naive_datetime_is_refused(db: Database) -> None:
    upgrade(db, backup_dir=None)
    with pytest.raises(StatementError, match="naive"), db.session() as session:
        session.add(
            Organisation(name="Org", oin="00000001000000000002", created_at=datetime(2024, 1, 1))
        )
        session.flush()


def test_status_columns_store_plain_strings_and_refuse_unknown_values(db: Database) -> None:
    upgrade(db, backup_dir=None)
    letter_id = _add_letter_with_children(db)
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM letters")).scalar() == "queued"
    with db.session() as session:
        letter = session.get(Letter, letter_id)
        assert letter is not None and letter.status is LetterStatus.QUEUED
    with pytest.raises(StatementError), db.session() as session:
        letter = session.get(Letter, letter_id)
        assert letter is not None
        letter.status = "verzonnen"  # type: ignore[assignment]
        session.flush()


def test_migrations_0007_0008_move_bodies_and_texts_both_ways(db: Database) -> None:
    """0007/0008 take ebMS bodies and letter texts out of their rows, byte for byte, and a
    downgrade puts them back."""
    from alembic import command

    from console.db.database import MIGRATIONS_DIR, _alembic_config
    from console.db.models import EbmsMessage

    upgrade(db, backup_dir=None)
    letter_id = _add_letter_with_children(db)
    body = bytes(range(256)) * 1000
    with db.session() as s:
        s.add(
            EbmsMessage(
                message_id="m1@x",
                conversation_id="c",
                cpa_id="cpa-1",
                direction=EbmsDirection.OUT,
                kind=EbmsKind.USER,
                status=EbmsStatus.PENDING,
                raw=body,
            )
        )

    with db.engine.begin() as connection:
        command.downgrade(_alembic_config(MIGRATIONS_DIR, connection), "0006")
    with closing(sqlite3.connect(db.sqlite_path)) as raw:  # type: ignore[arg-type]
        assert raw.execute("SELECT berichttekst FROM letters").fetchall() == [("Tekst",)]
        assert raw.execute("SELECT raw FROM ebms_messages").fetchall() == [(body,)]

    upgrade(db, backup_dir=None)
    with db.engine.connect() as connection:
        letter_columns = {r[1] for r in connection.exec_driver_sql("PRAGMA table_info(letters)")}
        ebms_columns = {
            r[1] for r in connection.exec_driver_sql("PRAGMA table_info(ebms_messages)")
        }
    assert "berichttekst" not in letter_columns and "raw" not in ebms_columns
    with db.session() as s:
        letter = s.get(Letter, letter_id)
        msg = s.scalar(select(EbmsMessage).where(EbmsMessage.message_id == "m1@x"))
        assert letter is not None and letter.berichttekst == "Tekst"
        assert msg is not None and msg.raw == body
        letter.berichttekst = "Nieuw"
        msg.raw = b"nieuw"
    with db.session() as s:
        letter = s.get(Letter, letter_id)
        msg = s.scalar(select(EbmsMessage).where(EbmsMessage.message_id == "m1@x"))
        assert letter is not None and letter.berichttekst == "Nieuw"
        assert msg is not None and msg.raw == b"nieuw"
        s.delete(msg)
    with db.engine.connect() as connection:
        left = connection.exec_driver_sql("SELECT count(*) FROM ebms_message_bodies").scalar()
    assert left == 0


def test_migration_0009_finds_earlier_imports_in_the_letters_tags(db: Database) -> None:
    """0009 copies every earlier batch import (the tag in ``created_by``) into
    ``letter_imports``: a file imported before the upgrade is still recognised after it."""
    from alembic import command

    from console.db.database import MIGRATIONS_DIR, _alembic_config
    from console.db.models import LetterImport

    upgrade(db, backup_dir=None)
    letter_id = _add_letter_with_children(db)
    with db.engine.begin() as connection:
        command.downgrade(_alembic_config(MIGRATIONS_DIR, connection), "0008")
    tags = [
        ("import:0123456789ab:aanslagen.csv", "2026-03-01 09:00:00", 3),
        ("import:0123456789ab-2:aanslagen: maart.csv", "2026-03-02 10:00:00", 1),
        ("import:ba9876543210:andere.csv", "2026-03-05 08:00:00", 2),
        ("j.jansen", "2026-03-06 08:00:00", 1),  # typed in the window: no import
    ]
    with closing(sqlite3.connect(db.sqlite_path)) as raw:  # type: ignore[arg-type]
        template = raw.execute("SELECT * FROM letters WHERE id = ?", (letter_id,)).fetchone()
        columns = [r[1] for r in raw.execute("PRAGMA table_info(letters)")]
        n = 0
        for tag, at, count in tags:
            for _ in range(count):
                n += 1
                row = dict(zip(columns, template, strict=True))
                row.update(id=None, bericht_id=f"{n:08d}-0000-0000-0000-000000000000")
                row.update(created_by=tag, created_at=at)
                marks = ", ".join("?" for _ in row)
                raw.execute(
                    f"INSERT INTO letters ({', '.join(row)}) VALUES ({marks})", list(row.values())
                )
        raw.commit()

    upgrade(db, backup_dir=None)
    with db.session() as s:
        rows = [
            (i.fingerprint, i.tag, i.file_name, i.imported_at.isoformat(), i.imported_by, i.letters)
            for i in s.scalars(select(LetterImport).order_by(LetterImport.id))
        ]
    assert rows == [
        ("0123456789ab", tags[0][0], "aanslagen.csv", "2026-03-01T09:00:00+00:00", "", 3),
        ("0123456789ab", tags[1][0], "aanslagen: maart.csv", "2026-03-02T10:00:00+00:00", "", 1),
        ("ba9876543210", tags[2][0], "andere.csv", "2026-03-05T08:00:00+00:00", "", 2),
    ]
    with db.engine.begin() as connection:
        command.downgrade(_alembic_config(MIGRATIONS_DIR, connection), "0008")
        tables = {r[0] for r in connection.exec_driver_sql("SELECT name FROM sqlite_master")}
    assert "letter_imports" not in tables
