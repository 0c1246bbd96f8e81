"""Berichtenlog, BSN-inzagelog en dashboard (issue 6).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

Write the schema out in full: do not import console.db.models (they change later).
Use sa.DateTime(timezone=True) for timestamps and sa.String(length) for enum columns, as
in 0001_initial.py. Use op.batch_alter_table for changes to existing tables (SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
