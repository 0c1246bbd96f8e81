"""Letter texts in a table of their own (issue 3, throughput).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Write the schema out in full: do not import console.db.models (they change later).

The engine moves all letters of a batch at once on every step (sent, acknowledged, result).
SQLite rewrites whole rows; with the BerichtTekst (up to 4000 characters) in ``letters``
each step rewrote about 2 MB per batch of 1000. The text moves to ``letter_texts``; the
letter row the engine updates stays small (and the message log reads fewer pages).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "letter_texts",
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("berichttekst", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name="fk_letter_texts_letter_id_letters",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("letter_id", name="pk_letter_texts"),
    )
    op.execute(
        "INSERT INTO letter_texts (letter_id, berichttekst) "
        "SELECT id, berichttekst FROM letters WHERE berichttekst <> ''"
    )
    op.drop_column("letters", "berichttekst")


def downgrade() -> None:
    op.add_column(
        "letters",
        sa.Column("berichttekst", sa.Text(), nullable=False, server_default=sa.text("''")),
    )
    op.execute(
        "UPDATE letters SET berichttekst = (SELECT t.berichttekst FROM letter_texts t "
        "WHERE t.letter_id = letters.id) "
        "WHERE id IN (SELECT letter_id FROM letter_texts)"
    )
    op.drop_table("letter_texts")
