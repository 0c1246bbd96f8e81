"""Storage: SQLAlchemy models, repositories and in-process Alembic migrations."""

from __future__ import annotations

from console.db.database import (
    Database,
    DatabaseError,
    DatabaseNotRecognisedError,
    DatabaseTooNewError,
    MigrationFailedError,
    UpgradeReport,
    current_revision,
    database_url_for,
    head_revision,
    open_database,
    upgrade,
)

__all__ = [
    "Database",
    "DatabaseError",
    "DatabaseNotRecognisedError",
    "DatabaseTooNewError",
    "MigrationFailedError",
    "UpgradeReport",
    "current_revision",
    "database_url_for",
    "head_revision",
    "open_database",
    "upgrade",
]
