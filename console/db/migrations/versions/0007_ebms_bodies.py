"""ebMS message bodies in a table of their own (issue 3, throughput).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Write the schema out in full: do not import console.db.models (they change later).

SQLite rewrites a whole row when any column of it changes. With the HTTP body (up to 100 MB)
in ``ebms_messages`` every status change of a message (claimed, sent, acknowledged) rewrote the
body too. The body moves to ``ebms_message_bodies``, written once, read when it is sent or shown.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ebms_message_bodies",
        sa.Column("ebms_message_id", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ebms_message_id"],
            ["ebms_messages.id"],
            name="fk_ebms_message_bodies_ebms_message_id_ebms_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ebms_message_id", name="pk_ebms_message_bodies"),
    )
    op.execute(
        "INSERT INTO ebms_message_bodies (ebms_message_id, raw) SELECT id, raw FROM ebms_messages"
    )
    op.drop_column("ebms_messages", "raw")


def downgrade() -> None:
    # An empty blob: SQLite's x'' is a bit string on PostgreSQL.
    empty = "x''" if op.get_bind().dialect.name == "sqlite" else "''::bytea"
    op.add_column(
        "ebms_messages",
        sa.Column("raw", sa.LargeBinary(), nullable=False, server_default=sa.text(empty)),
    )
    op.execute(
        "UPDATE ebms_messages SET raw = (SELECT b.raw FROM ebms_message_bodies b "
        "WHERE b.ebms_message_id = ebms_messages.id) "
        "WHERE id IN (SELECT ebms_message_id FROM ebms_message_bodies)"
    )
    op.drop_table("ebms_message_bodies")
