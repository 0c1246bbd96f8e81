"""Berichtstromen, organisatiegegevens en auditlog (issue 5).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Write the schema out in full: do not import console.db.models (they change later).
Use sa.DateTime(timezone=True) for timestamps and sa.String(length) for enum columns, as
in 0001_initial.py. Use op.batch_alter_table for changes to existing tables (SQLite).

Organisation profiles and contacts, the history of berichttype statuses, berichtstromen with
their templates and peak days, the audit log of configuration changes, and the transport of a
connection (internet or Diginetwerk).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
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


def _pk() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "organisation_profiles",
        _int("organisation_id"),
        _str("display_name", 200),
        _text("description"),
        _str("website_url", 1000),
        _str("contact_url", 1000),
        _str("contact_phone", 50),
        _ts("updated_at"),
        _str("updated_by", 100),
        _fk("organisation_profiles", "organisation_id", "organisations", "CASCADE"),
        sa.PrimaryKeyConstraint("organisation_id", name="pk_organisation_profiles"),
    )

    op.create_table(
        "organisation_contacts",
        _pk(),
        _int("organisation_id"),
        _str("role", 16),
        _str("name", 200),
        _str("email", 254),
        _str("phone", 50),
        _fk("organisation_contacts", "organisation_id", "organisations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_organisation_contacts"),
        sa.UniqueConstraint(
            "organisation_id", "role", name="uq_organisation_contacts_organisation_id_role"
        ),
    )
    op.create_index(
        "ix_organisation_contacts_organisation_id", "organisation_contacts", ["organisation_id"]
    )

    op.create_table(
        "berichttype_status_changes",
        _pk(),
        _int("berichttype_id"),
        _str("environment", 16),
        _str("old_status", 16, nullable=True),
        _str("new_status", 16),
        _ts("at"),
        _str("actor", 100),
        _fk("berichttype_status_changes", "berichttype_id", "berichttypes", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_berichttype_status_changes"),
    )
    op.create_index(
        "ix_berichttype_status_changes_berichttype_id",
        "berichttype_status_changes",
        ["berichttype_id"],
    )

    op.create_table(
        "flows",
        _pk(),
        _int("organisation_id"),
        _int("connection_id", nullable=True),
        _str("name", 200),
        _str("source_system", 200),
        _str("default_berichttype", 8, nullable=True),
        _str("cadence", 16),
        _int("volume_per_month", nullable=True),
        _str("delivery_policy", 32),
        _str("portal_url", 1000),
        _str("payment_url", 1000),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _str("updated_by", 100),
        _fk("flows", "organisation_id", "organisations", "RESTRICT"),
        _fk("flows", "connection_id", "connections", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_flows"),
        sa.UniqueConstraint("organisation_id", "name", name="uq_flows_organisation_id_name"),
    )
    op.create_index("ix_flows_organisation_id", "flows", ["organisation_id"])
    op.create_index("ix_flows_connection_id", "flows", ["connection_id"])

    op.create_table(
        "flow_templates",
        _pk(),
        _int("flow_id"),
        _str("name", 100),
        _str("berichttype", 8, nullable=True),
        _str("onderwerp", 255),
        _text("berichttekst"),
        _ts("updated_at"),
        _str("updated_by", 100),
        _fk("flow_templates", "flow_id", "flows", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_flow_templates"),
        sa.UniqueConstraint("flow_id", "name", name="uq_flow_templates_flow_id_name"),
    )
    op.create_index("ix_flow_templates_flow_id", "flow_templates", ["flow_id"])

    op.create_table(
        "flow_peaks",
        _pk(),
        _int("flow_id"),
        sa.Column("day", sa.Date(), nullable=False),
        _int("expected_letters", nullable=True),
        _str("note", 200),
        _fk("flow_peaks", "flow_id", "flows", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_flow_peaks"),
    )
    op.create_index("ix_flow_peaks_flow_id", "flow_peaks", ["flow_id"])

    op.create_table(
        "audit_log",
        _pk(),
        _ts("at"),
        _str("actor", 100),
        _str("action", 32),
        _str("entity", 32),
        _str("entity_key", 100),
        _str("entity_label", 255),
        _text("summary"),
        _text("before", nullable=True),
        _text("after", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_entity_entity_key", "audit_log", ["entity", "entity_key"])

    with op.batch_alter_table("connections") as batch:
        batch.add_column(
            sa.Column("transport", sa.String(length=16), nullable=False, server_default="internet")
        )
    # The server default only fills the existing rows; the model sets the value from now on.
    with op.batch_alter_table("connections") as batch:
        batch.alter_column("transport", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("transport")
    op.drop_index("ix_audit_log_entity_entity_key", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_flow_peaks_flow_id", table_name="flow_peaks")
    op.drop_table("flow_peaks")
    op.drop_index("ix_flow_templates_flow_id", table_name="flow_templates")
    op.drop_table("flow_templates")
    op.drop_index("ix_flows_connection_id", table_name="flows")
    op.drop_index("ix_flows_organisation_id", table_name="flows")
    op.drop_table("flows")
    op.drop_index(
        "ix_berichttype_status_changes_berichttype_id", table_name="berichttype_status_changes"
    )
    op.drop_table("berichttype_status_changes")
    op.drop_index("ix_organisation_contacts_organisation_id", table_name="organisation_contacts")
    op.drop_table("organisation_contacts")
    op.drop_table("organisation_profiles")
