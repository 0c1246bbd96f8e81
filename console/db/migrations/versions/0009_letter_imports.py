"""Batch imports in a table of their own.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

Write the schema out in full: do not import console.db.models (they change later).

The batch import refuses a file that was imported before (same bytes, by SHA-256). It
looked for earlier imports among the letters (``created_by`` holds the import's tag), a
scan of the whole letters table: seconds with millions of letters, on every import. Each
import is now one row here, found by its fingerprint. Existing imports are copied from the
letters' tags (who imported them is not in the tag: left empty).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "letter_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=12), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("letters", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_letter_imports"),
        sa.UniqueConstraint("tag", name="uq_letter_imports_tag"),
    )
    op.create_index("ix_letter_imports_fingerprint", "letter_imports", ["fingerprint"])
    # Tags: import:<12 hex>[-<n>]:<file name>
    find = "instr" if op.get_bind().dialect.name == "sqlite" else "strpos"
    op.execute(
        "INSERT INTO letter_imports "
        "(fingerprint, tag, file_name, imported_at, imported_by, letters) "
        "SELECT substr(created_by, 8, 12), created_by, "
        f"substr(created_by, 8 + {find}(substr(created_by, 8), ':')), "
        "min(created_at), '', count(*) "
        "FROM letters WHERE substr(created_by, 1, 7) = 'import:' "
        "GROUP BY created_by ORDER BY min(created_at)"
    )


def downgrade() -> None:
    op.drop_index("ix_letter_imports_fingerprint", table_name="letter_imports")
    op.drop_table("letter_imports")
