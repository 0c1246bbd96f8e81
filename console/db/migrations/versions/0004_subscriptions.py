"""Abonnementen, preflight en resultaten (issue 4).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Write the schema out in full: do not import console.db.models (they change later).
Use sa.DateTime(timezone=True) for timestamps and sa.String(length) for enum columns, as
in 0001_initial.py. Use op.batch_alter_table for changes to existing tables (SQLite).

AbonnementService requests, received answers, subscription snapshots with one row per BSN,
and the audit trail of WUS checks. Preflight and result settings live in ``settings``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _int(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "subscription_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        _int("organisation_id"),
        _int("connection_id"),
        _str("verzoek_id", 100),
        _str("soort", 16),
        _int("bsn_count"),
        _ts("mutatie_datum", nullable=True),
        _str("message_id", 255),
        _str("status", 16),
        _ts("created_at"),
        _str("created_by", 100),
        _ts("answered_at", nullable=True),
        _text("detail", nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_subscription_requests_organisation_id_organisations",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_subscription_requests_connection_id_connections",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_requests"),
        sa.UniqueConstraint("verzoek_id", name="uq_subscription_requests_verzoek_id"),
    )
    op.create_index(
        "ix_subscription_requests_organisation_id", "subscription_requests", ["organisation_id"]
    )

    op.create_table(
        "subscription_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        _ts("received_at"),
        _str("message_id", 255),
        _int("connection_id", nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        _int("payload_bytes"),
        _str("status", 16),
        _str("verzoek_id", 100, nullable=True),
        _int("snapshot_id", nullable=True),
        _text("detail", nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_subscription_answers_connection_id_connections",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_answers"),
    )
    op.create_index("ix_subscription_answers_status", "subscription_answers", ["status"])

    op.create_table(
        "subscription_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        _int("organisation_id"),
        _int("request_id", nullable=True),
        _str("verzoek_id", 100),
        _str("soort", 16),
        _ts("peil_datum"),
        _ts("mutatie_datum", nullable=True),
        _ts("received_at"),
        _int("entry_count"),
        _int("subscribed_count"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_subscription_snapshots_organisation_id_organisations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subscription_requests.id"],
            name="fk_subscription_snapshots_request_id_subscription_requests",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_snapshots"),
    )
    op.create_index(
        "ix_subscription_snapshots_organisation_id_peil_datum",
        "subscription_snapshots",
        ["organisation_id", "peil_datum"],
    )

    op.create_table(
        "subscription_entries",
        _int("snapshot_id"),
        _str("bsn", 9),
        _str("status", 16),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["subscription_snapshots.id"],
            name="fk_subscription_entries_snapshot_id_subscription_snapshots",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "bsn", name="pk_subscription_entries"),
    )

    op.create_table(
        "subscription_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        _ts("at"),
        _str("actor", 100),
        _int("organisation_id"),
        _str("berichttype", 8),
        _text("bsns"),
        _str("outcome", 32),
        _text("detail"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_subscription_checks_organisation_id_organisations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_checks"),
    )
    op.create_index("ix_subscription_checks_at", "subscription_checks", ["at"])


def downgrade() -> None:
    op.drop_index("ix_subscription_checks_at", table_name="subscription_checks")
    op.drop_table("subscription_checks")
    op.drop_table("subscription_entries")
    op.drop_index(
        "ix_subscription_snapshots_organisation_id_peil_datum", table_name="subscription_snapshots"
    )
    op.drop_table("subscription_snapshots")
    op.drop_index("ix_subscription_answers_status", table_name="subscription_answers")
    op.drop_table("subscription_answers")
    op.drop_index("ix_subscription_requests_organisation_id", table_name="subscription_requests")
    op.drop_table("subscription_requests")
