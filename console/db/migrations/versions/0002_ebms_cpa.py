"""CPA-beheer en ebMS-berichtafhandeling (issue 3).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Write the schema out in full: do not import console.db.models (they change later).
Use sa.DateTime(timezone=True) for timestamps and sa.String(length) for enum columns, as
in 0001_initial.py. Use op.batch_alter_table for changes to existing tables (SQLite).

Every imported CPA is kept (table ``cpas``, the document byte for byte); a connection points
to its current CPA and may override the endpoint URL from it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cpas",
        sa.Column("id", sa.Integer(), nullable=False),
        _str("cpa_id", 255),
        _str("version", 64),
        _str("status", 32),
        _ts("start_at"),
        _ts("end_at"),
        _str("profile", 16),
        sa.Column("parties", sa.Text(), nullable=False),
        _str("sha256", 64),
        _str("filename", 255),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        _ts("imported_at"),
        _str("imported_by", 100),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        _ts("replaced_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cpas"),
    )
    op.create_index("ix_cpas_cpa_id", "cpas", ["cpa_id"])
    op.create_index("ix_cpas_end_at", "cpas", ["end_at"])
    op.create_index("ix_cpas_sha256", "cpas", ["sha256"])
    op.create_index("ix_cpas_connection_id", "cpas", ["connection_id"])

    with op.batch_alter_table("connections") as batch_op:
        batch_op.add_column(sa.Column("cpa_record_id", sa.Integer(), nullable=True))
        batch_op.add_column(_str("endpoint_override", 1000, nullable=True))
        batch_op.create_foreign_key(
            "fk_connections_cpa_record_id_cpas",
            "cpas",
            ["cpa_record_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_connections_cpa_record_id", ["cpa_record_id"])


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch_op:
        batch_op.drop_index("ix_connections_cpa_record_id")
        batch_op.drop_constraint("fk_connections_cpa_record_id_cpas", type_="foreignkey")
        batch_op.drop_column("endpoint_override")
        batch_op.drop_column("cpa_record_id")
    op.drop_index("ix_cpas_connection_id", table_name="cpas")
    op.drop_index("ix_cpas_sha256", table_name="cpas")
    op.drop_index("ix_cpas_end_at", table_name="cpas")
    op.drop_index("ix_cpas_cpa_id", table_name="cpas")
    op.drop_table("cpas")
