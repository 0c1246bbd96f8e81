"""Berichtenlog, BSN-inzagelog en dashboard (issue 6).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

Write the schema out in full: do not import console.db.models (they change later).
Use sa.DateTime(timezone=True) for timestamps and sa.String(length) for enum columns, as
in 0001_initial.py. Use op.batch_alter_table for changes to existing tables (SQLite).

The BSN lookup log (``bsn_lookups``) and the indexes the message log needs to filter and sort
millions of letters in SQL (see console/db/models_monitoring.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bsn_lookups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=True),
        sa.Column("letter_id", sa.Integer(), nullable=True),
        sa.Column("letter_count", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name="fk_bsn_lookups_letter_id_letters",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bsn_lookups"),
    )
    op.create_index("ix_bsn_lookups_at", "bsn_lookups", ["at"])
    op.create_index("ix_bsn_lookups_bsn", "bsn_lookups", ["bsn"])
    op.create_index("ix_bsn_lookups_letter_id", "bsn_lookups", ["letter_id"])

    # The message log's indexes. The status index gains created_at (status per date range).
    op.drop_index("ix_letters_status", table_name="letters")
    op.create_index("ix_letters_status_created_at", "letters", ["status", "created_at"])
    op.create_index(
        "ix_letters_berichttype_organisation_id_created_at",
        "letters",
        ["berichttype", "organisation_id", "created_at"],
    )
    # Case-insensitive search on text: SQLite collates, other databases index lower().
    # PostgreSQL lower-cases and compares in byte order ("C"), as SQLite's NOCASE does, so a
    # prefix search finds the same letters whatever the database's collation.
    dialect = op.get_bind().dialect.name
    for column in ("referentie", "onderwerp"):
        expression = {
            "sqlite": f'{column} COLLATE "NOCASE"',
            "postgresql": f'lower({column} COLLATE "C")',
        }.get(dialect, f"lower({column})")
        op.create_index(f"ix_letters_{column}_nocase", "letters", [sa.text(expression)])


def downgrade() -> None:
    op.drop_index("ix_letters_onderwerp_nocase", table_name="letters")
    op.drop_index("ix_letters_referentie_nocase", table_name="letters")
    op.drop_index("ix_letters_berichttype_organisation_id_created_at", table_name="letters")
    op.drop_index("ix_letters_status_created_at", table_name="letters")
    op.create_index("ix_letters_status", "letters", ["status"])
    op.drop_index("ix_bsn_lookups_letter_id", table_name="bsn_lookups")
    op.drop_index("ix_bsn_lookups_bsn", table_name="bsn_lookups")
    op.drop_index("ix_bsn_lookups_at", table_name="bsn_lookups")
    op.drop_table("bsn_lookups")
