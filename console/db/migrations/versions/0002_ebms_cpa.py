"""CPA-beheer en ebMS-berichtafhandeling (issue 3).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Write the schema out in full: do not import console.db.models (they change later).
Use sa.DateTime(timezone=True) for timestamps and sa.String(length) for enum columns, as
in 0001_initial.py. Use op.batch_alter_table for changes to existing tables (SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
