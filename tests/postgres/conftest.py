"""The console on a real PostgreSQL server: a fresh database per test, the real migrations.

The tests run when ``BERICHTENBOX_TEST_POSTGRES_URL`` holds the SQLAlchemy URL of a role that
may create databases, for example
``postgresql+psycopg://console:console@127.0.0.1/berichtenbox``; otherwise every module skips
itself (``require_server()``, one line in the summary). The database in the URL is only used to connect: every test
gets its own new database (random name ``bbtest_…``, made with CREATE DATABASE and dropped
afterwards).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from console.db.database import Database, open_database
from console.services.bootstrap import ConsoleServices
from tests.postgres.support import POSTGRES_URL_ENV, admin_url, fresh_database, open_pg_workspace


@pytest.fixture(scope="session")
def postgres_admin() -> URL:
    """The URL from the environment; the server must answer (a set variable is a promise)."""
    url = admin_url()
    if url is None:
        pytest.skip(f"{POSTGRES_URL_ENV} is niet gezet")
    if url.get_backend_name() != "postgresql":
        pytest.fail(f"{POSTGRES_URL_ENV} is geen PostgreSQL-URL: {url.render_as_string()}")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        pytest.fail(f"PostgreSQL uit {POSTGRES_URL_ENV} is niet bereikbaar: {exc}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_url(postgres_admin: URL) -> Iterator[str]:
    """A new, empty database for this test (dropped afterwards)."""
    with fresh_database(postgres_admin) as url:
        yield url


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    """The test's database, without tables yet: the migrations are the test's to run."""
    database = open_database(pg_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def pg_workspace(tmp_path: Path, pg_url: str) -> Iterator[ConsoleServices]:
    """A whole console on the test's database: demo workspace, engine and simulator."""
    services = open_pg_workspace(tmp_path / "data", pg_url)
    try:
        yield services
    finally:
        services.close()
