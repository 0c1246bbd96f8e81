"""Opening the database and bringing its schema up to date.

SQLite (the default, one file in the data dir) runs in WAL mode with a busy timeout and
foreign keys on. A ``postgresql://`` URL works too. The schema is managed only by the Alembic
migrations shipped in ``migrations/``, run in-process by :func:`upgrade`: a SQLite file that
is behind is first copied with SQLite's online backup API, and a database that is newer than
this code is refused.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from console.db.models import Base

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_FILENAME = "console.sqlite3"
BUSY_TIMEOUT_MS = 10_000
WRITE_GATE_TIMEOUT_S = 30.0  # a writer of this process waits this long for another one
_IMMEDIATE = "sqlite_begin_immediate"
# PostgreSQL advisory locks: held while migrating, and by the units of work that SQLite
# would start with BEGIN IMMEDIATE (see _begin_immediate).
_MIGRATION_LOCK = 0x62622D636F6E73  # "bb-cons"
_WRITE_LOCK = 0x62622D77726974  # "bb-writ"


class DatabaseError(Exception):
    """A problem with the database that the user can act on (message in Dutch)."""


class DatabaseTooNewError(DatabaseError):
    """The database has a schema revision this version of the console does not know."""


class DatabaseNotRecognisedError(DatabaseError):
    """The database holds console tables but no schema revision: it cannot be upgraded safely."""


class MigrationFailedError(DatabaseError):
    """A migration left the database inconsistent and was rolled back."""


class UnitOfWork(Session):
    """A Session that commits when its ``with`` block ends normally and rolls back otherwise.

    ``with db.session() as session: ...`` is one unit of work. Used without ``with`` it is an
    ordinary Session (call ``commit()`` and ``close()`` yourself).
    """

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()


@event.listens_for(UnitOfWork, "after_begin")
def _begin_immediate(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    # On SQLite, take the write lock at the start (waiting up to the busy timeout) for units of
    # work that read and then write; otherwise a concurrent writer could slip in between.
    # PostgreSQL lets writers run side by side, so there these units of work take one
    # transaction-level advisory lock (released at commit or rollback) and exclude each other
    # as they do on SQLite. Rows another writer changes meanwhile need SELECT ... FOR UPDATE.
    if not session.info.get(_IMMEDIATE):
        return
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK})")


class Database:
    """An Engine plus a session factory. One per process; share it between threads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(bind=engine, class_=UnitOfWork, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        return self._engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None for an in-memory or non-SQLite database."""
        if not self.is_sqlite:
            return None
        database = self._engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database)

    def session(self, *, immediate: bool = False) -> UnitOfWork:
        """A new session; use it as ``with db.session() as session:`` (commits on success).

        ``immediate=True`` makes each transaction of the session start with
        ``BEGIN IMMEDIATE`` on SQLite (on PostgreSQL: with an advisory lock that such sessions
        share), so a read-then-write (claiming work, read-modify-write of a counter) cannot
        interleave with another such writer. Keep such sessions short, and never open one
        inside another.
        """
        session = self._sessions()
        if immediate:
            session.info[_IMMEDIATE] = True
        return session

    def describe(self) -> str:
        """The database location for messages, without a password."""
        path = self.sqlite_path
        if path is not None:
            return str(path)
        return self._engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self._engine.dispose()


def database_url_for(data_dir: Path) -> str:
    """The SQLite URL for the console database in *data_dir*."""
    return "sqlite:///" + (Path(data_dir) / SQLITE_FILENAME).resolve().as_posix()


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


# --- one writer at a time, without SQLite's sleeping busy handler ----------------------------

_WRITE_VERBS: tuple[str, ...] = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP")
_WRITE_VERBS += ("ALTER", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


def _is_write(sql: str) -> bool:
    return sql.lstrip()[:16].upper().startswith(_WRITE_VERBS)


class _GatedCursor(sqlite3.Cursor):
    """Takes the connection's write gate before the first write of a transaction."""

    def execute(self, sql: str, parameters: Any = (), /) -> _GatedCursor:
        if _is_write(sql):
            self.connection._enter_write()  # type: ignore[attr-defined]
        super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _GatedCursor:
        if _is_write(sql):
            self.connection._enter_write()  # type: ignore[attr-defined]
        super().executemany(sql, seq_of_parameters)
        return self


class _GatedConnection(sqlite3.Connection):
    """A SQLite connection that waits for the process's write gate instead of SQLITE_BUSY.

    SQLite allows one writer per file. When two threads of this process write at once (the
    engine sends while the inbound endpoint records an acknowledgment, the GUI saves a form),
    the loser normally sleeps in SQLite's busy handler: 1, 2, 5, 10, ... up to 100 ms at a
    time, long after the writer finished. Here the writers of one process queue on a lock
    instead and go the moment the other commits. Other processes (a CLI next to the GUI)
    still meet the busy timeout as before.
    """

    gate: threading.Lock  # one per database file; set on the subclass made per Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_gate = False

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or _GatedCursor)

    def _enter_write(self) -> None:
        if not self._holds_gate:
            # After the timeout go on without the gate: SQLite's busy timeout then decides.
            self._holds_gate = self.gate.acquire(timeout=WRITE_GATE_TIMEOUT_S)

    def _leave_write(self) -> None:
        if self._holds_gate:
            self._holds_gate = False
            self.gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_write()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_write()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave_write()


def _gated_connection_class() -> type[_GatedConnection]:
    return type("GatedConnection", (_GatedConnection,), {"gate": threading.Lock()})


def open_database(url: str) -> Database:
    """Create the Engine for *url*. Does not create or upgrade the schema (see :func:`upgrade`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "factory": _gated_connection_class()},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(parsed, pool_pre_ping=True)
    return Database(engine)


# --- schema revisions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpgradeReport:
    from_revision: str | None  # None: the database was empty (or had no revision yet)
    to_revision: str
    created: bool  # a fresh, empty database was created from scratch
    backup_path: Path | None

    @property
    def changed(self) -> bool:
        return self.from_revision != self.to_revision


def _alembic_config(script_location: Path, connection: Connection | None = None) -> Config:
    config = Config()
    # ConfigParser interpolation: a literal % in the path must be doubled.
    config.set_main_option("script_location", str(script_location).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _script_directory(script_location: Path) -> ScriptDirectory:
    return ScriptDirectory.from_config(_alembic_config(script_location))


def head_revision(script_location: Path = MIGRATIONS_DIR) -> str:
    head = _script_directory(script_location).get_current_head()
    if head is None:
        raise RuntimeError(f"No migrations found in {script_location}")
    return head


def _revision_on(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(db: Database) -> str | None:
    """The schema revision stored in the database, or None for an empty database."""
    with db.engine.connect() as connection:
        return _revision_on(connection)


def _known_revisions(script: ScriptDirectory) -> set[str]:
    return {revision.revision for revision in script.walk_revisions()}


def backup_sqlite(
    source: Path, backup_dir: Path, *, revision: str | None, now: datetime | None = None
) -> Path:
    """Copy the SQLite file *source* consistently (online backup API) into *backup_dir*.

    The copy is written under a temporary name and renamed when complete, so a backup file
    with the final name is always whole. Returns the path of the copy.
    """
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    stem = f"{Path(source).stem}-{stamp}-rev-{revision or 'base'}"
    target = backup_dir / f"{stem}.sqlite3"
    counter = 1
    while target.exists():
        counter += 1
        target = backup_dir / f"{stem}-{counter}.sqlite3"
    partial = target.with_name(target.name + ".partial")
    try:
        with (
            closing(sqlite3.connect(str(source), timeout=BUSY_TIMEOUT_MS / 1000)) as src,
            closing(sqlite3.connect(str(partial))) as dst,
        ):
            src.backup(dst)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    log.info("Databasebackup gemaakt: %s", target)
    return target


def _run_migrations(db: Database, script_location: Path) -> None:
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations recreate tables (copy, DROP, rename). With foreign keys on, the
            # DROP would cascade into child rows, so they are off during the migration (this
            # pragma only works outside a transaction) and checked before the commit.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # One real transaction for the whole upgrade, holding the write lock throughout.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif connection.dialect.name == "postgresql":
            # Several workstations may start on the same server at once: one migrates, the
            # others wait here until it commits, and Alembic then finds the schema at head.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        try:
            command.upgrade(_alembic_config(script_location, connection), "head")
            if sqlite:
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise MigrationFailedError(
                        "Het bijwerken van de database is teruggedraaid: daarna zouden "
                        f"{len(problems)} verwijzingen tussen tabellen niet meer kloppen "
                        f"(eerste in tabel '{problems[0][0]}'). Neem contact op met de "
                        "leverancier van de console."
                    )
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _own_tables() -> set[str]:
    return set(Base.metadata.tables)


def upgrade(
    db: Database,
    *,
    backup_dir: Path | None,
    script_location: Path = MIGRATIONS_DIR,
) -> UpgradeReport:
    """Bring the schema to the newest revision, in-process.

    - An empty database is created from the migrations (no backup).
    - A SQLite file that is behind is first backed up into *backup_dir* (skipped when None).
    - A database at a revision this code does not know raises :class:`DatabaseTooNewError`.
    - A database with console tables but no revision raises :class:`DatabaseNotRecognisedError`.

    *script_location* exists for tests that need a second revision; the app uses the default.
    """
    script = _script_directory(script_location)
    head = script.get_current_head()
    if head is None:
        raise RuntimeError(f"No migrations found in {script_location}")
    with db.engine.connect() as connection:
        current = _revision_on(connection)
        tables = set(inspect(connection).get_table_names())

    if current is not None and current not in _known_revisions(script):
        raise DatabaseTooNewError(
            f"De database {db.describe()} heeft schemaversie '{current}'. Die versie kent "
            "deze console niet: de database is waarschijnlijk bijgewerkt door een nieuwere "
            "versie van de console. Start die nieuwere versie, of kies een andere gegevensmap. "
            "De database is niet gewijzigd."
        )
    if current == head:
        return UpgradeReport(current, head, created=False, backup_path=None)
    if current is None and tables & _own_tables():
        found = ", ".join(sorted(tables & _own_tables())[:3])
        raise DatabaseNotRecognisedError(
            f"De database {db.describe()} bevat al tabellen van de console ({found}, ...) "
            "maar geen schemaversie, dus de console kan haar niet veilig bijwerken. Kies een "
            "andere gegevensmap of zet een backup terug. De database is niet gewijzigd."
        )

    fresh = current is None and not (tables - {"alembic_version"})
    backup_path: Path | None = None
    source = db.sqlite_path
    if not fresh and backup_dir is not None and source is not None:
        backup_path = backup_sqlite(source, backup_dir, revision=current)

    log.info("Database bijwerken van %s naar %s", current or "leeg", head)
    _run_migrations(db, script_location)
    return UpgradeReport(current, head, created=fresh, backup_path=backup_path)


def table_names(db: Database) -> Iterable[str]:
    """The tables present in the database (for diagnostics and tests)."""
    with db.engine.connect() as connection:
        return sorted(inspect(connection).get_table_names())
