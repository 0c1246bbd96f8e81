"""Helpers for the PostgreSQL tests: fresh databases, and workspaces on them."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from console.db.database import Database, upgrade
from console.secrets.store import MemoryStore
from console.services.bootstrap import ConsoleServices, open_workspace
from console.settings import resolve_paths
from tests import letter_factory
from tests.integration.conftest import FAST
from tests.letter_factory import Workspace

POSTGRES_URL_ENV = "BERICHTENBOX_TEST_POSTGRES_URL"
DATABASE_PREFIX = "bbtest_"


def admin_url() -> URL | None:
    """The server to test against (from the environment), or None."""
    raw = os.environ.get(POSTGRES_URL_ENV, "").strip()
    return make_url(raw) if raw else None


def require_server() -> None:
    """Skip the calling test module when no server is configured (one line in the summary)."""
    if admin_url() is None:
        pytest.skip(
            f"PostgreSQL-tests overgeslagen: {POSTGRES_URL_ENV} is niet gezet (bijvoorbeeld "
            "postgresql+psycopg://console:console@127.0.0.1/berichtenbox, een rol met CREATEDB)",
            allow_module_level=True,
        )


@contextmanager
def fresh_database(admin: URL, *, locale_options: str = "") -> Iterator[str]:
    """A new, empty UTF-8 database on the server of *admin*; yields its URL; dropped afterwards.

    From template0 (nothing added to template1 comes along, and no other session can hold it);
    *locale_options* e.g. ``LOCALE_PROVIDER icu ICU_LOCALE 'nl-NL'``, else the server's locale.
    """
    name = f"{DATABASE_PREFIX}{secrets.token_hex(8)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' {locale_options}"
            )
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                # FORCE: a connection the test left open (a killed engine's) must not block it.
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def open_pg_workspace(data_dir: Path, url: str) -> ConsoleServices:
    """The console as ``send-test --database-url URL`` opens it, with the tests' fast engine."""
    return open_workspace(
        resolve_paths(data_dir, database_url=url),
        secrets=MemoryStore(),
        engine_settings=FAST,
        simulator_result_delay=0.0,
    )


def letters_workspace(db: Database) -> Workspace:
    """What ``tests.letter_factory.workspace_db`` builds on SQLite, on *db* (for ``add_letter``)."""
    upgrade(db, backup_dir=None)
    return letter_factory.letters_workspace(db)
