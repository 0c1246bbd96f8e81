"""De eerste schemaversie: alle tabellen van de console.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Written out in full (no imports from console.db.models): a migration describes the schema as
it was at this revision, whatever the models look like later. Timestamps are
``DateTime(timezone=True)`` (the models wrap them in ``UtcDateTime``); enum-valued columns
are plain VARCHARs without CHECK constraints.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
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


def _bool(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _blob(name: str) -> sa.Column:
    return sa.Column(name, sa.LargeBinary(), nullable=False)


def _pk() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "organisations",
        _pk(),
        _str("name", 200),
        _str("oin", 20),
        _str("kind", 32),
        _ts("created_at"),
        _bool("active"),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.UniqueConstraint("oin", name="uq_organisations_oin"),
    )

    op.create_table(
        "connections",
        _pk(),
        _str("name", 100),
        _int("owner_organisation_id"),
        _str("environment", 16),
        _str("cpa_id", 255),
        _str("from_party_id", 255),
        _str("from_role", 255),
        _str("to_party_id", 255),
        _str("to_role", 255),
        _str("service", 255),
        _str("service_type", 255, nullable=True),
        _str("action", 255),
        _str("endpoint_url", 1000),
        _str("inbound_url", 1000, nullable=True),
        _int("retries"),
        _int("retry_interval_seconds"),
        _int("persist_duration_seconds"),
        _bool("sync_reply"),
        _text("client_cert_pem", nullable=True),
        _str("client_key_ref", 255, nullable=True),
        _text("trust_pem", nullable=True),
        _bool("active"),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisations.id"],
            name="fk_connections_owner_organisation_id_organisations",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_connections"),
        sa.UniqueConstraint("name", name="uq_connections_name"),
    )
    op.create_index(
        "ix_connections_owner_organisation_id", "connections", ["owner_organisation_id"]
    )

    op.create_table(
        "connection_organisations",
        _int("connection_id"),
        _int("organisation_id"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_connection_organisations_connection_id_connections",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_connection_organisations_organisation_id_organisations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "organisation_id", name="pk_connection_organisations"
        ),
    )
    op.create_index(
        "ix_connection_organisations_organisation_id",
        "connection_organisations",
        ["organisation_id"],
    )

    op.create_table(
        "berichttypes",
        _pk(),
        _int("organisation_id"),
        _str("code", 8),
        _str("name", 200),
        _text("description"),
        _str("status_simulator", 16),
        _str("status_preprod", 16),
        _str("status_productie", 16),
        _ts("updated_at"),
        _str("updated_by", 100),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_berichttypes_organisation_id_organisations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_berichttypes"),
        sa.UniqueConstraint("organisation_id", "code", name="uq_berichttypes_organisation_id_code"),
    )

    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _int("organisation_id"),
        _int("connection_id"),
        _str("berichttype", 8),
        _str("bsn", 9),
        _str("onderwerp", 255),
        _text("berichttekst"),
        _str("referentie", 100),
        _ts("publicatie_datum", nullable=True),
        _str("bericht_id", 36),
        _str("batch_id", 36, nullable=True),
        _str("status", 32),
        _str("verwerkings_code", 64, nullable=True),
        _str("stadium", 255, nullable=True),
        _text("status_detail", nullable=True),
        _ts("created_at"),
        _str("created_by", 100),
        _ts("updated_at"),
        _ts("result_at", nullable=True),
        _ts("acknowledged_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_letters_connection_id_connections",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_letters_organisation_id_organisations",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_letters"),
        sa.UniqueConstraint("bericht_id", name="uq_letters_bericht_id"),
    )
    op.create_index("ix_letters_bsn", "letters", ["bsn"])
    op.create_index("ix_letters_referentie", "letters", ["referentie"])
    op.create_index("ix_letters_status", "letters", ["status"])
    op.create_index(
        "ix_letters_verwerkings_code_created_at", "letters", ["verwerkings_code", "created_at"]
    )
    op.create_index("ix_letters_created_at", "letters", ["created_at"])
    op.create_index("ix_letters_batch_id", "letters", ["batch_id"])
    op.create_index("ix_letters_connection_id", "letters", ["connection_id"])
    op.create_index(
        "ix_letters_organisation_id_created_at", "letters", ["organisation_id", "created_at"]
    )

    op.create_table(
        "attachments",
        _pk(),
        _int("letter_id"),
        _int("volgorde"),
        _str("filename", 255),
        _str("omschrijving", 255),
        _blob("content"),
        _int("size_bytes"),
        _str("sha256", 64),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name="fk_attachments_letter_id_letters",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
        sa.UniqueConstraint("letter_id", "volgorde", name="uq_attachments_letter_id_volgorde"),
    )

    op.create_table(
        "letter_events",
        _pk(),
        _int("letter_id"),
        _ts("at"),
        _str("kind", 32),
        _text("detail"),
        _str("actor", 100),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name="fk_letter_events_letter_id_letters",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_letter_events"),
    )
    op.create_index("ix_letter_events_letter_id", "letter_events", ["letter_id"])

    op.create_table(
        "batches",
        _pk(),
        _str("batch_id", 36),
        _int("connection_id"),
        _str("bericht_leverancier_id", 25),
        _ts("aanmaak_datum"),
        _str("status", 32),
        _int("letter_count"),
        _int("payload_bytes"),
        _ts("created_at"),
        _ts("result_at", nullable=True),
        _int("totaal_ontvangen", nullable=True),
        _int("aantal_verwerkt", nullable=True),
        _int("aantal_niet_geabonneerd", nullable=True),
        _int("aantal_technisch_probleem", nullable=True),
        _int("aantal_berichttype_niet_correct", nullable=True),
        _int("aantal_publicatiedatum_niet_correct", nullable=True),
        _int("aantal_aanmaakdatum_niet_correct", nullable=True),
        _ts("datum_verwerkt", nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_batches_connection_id_connections",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_batches"),
        sa.UniqueConstraint("batch_id", name="uq_batches_batch_id"),
    )
    op.create_index("ix_batches_connection_id", "batches", ["connection_id"])
    op.create_index("ix_batches_status", "batches", ["status"])

    op.create_table(
        "ebms_messages",
        _pk(),
        _str("message_id", 255),
        _str("conversation_id", 255),
        _str("cpa_id", 255),
        _int("connection_id", nullable=True),
        _str("direction", 8),
        _str("kind", 32),
        _str("service", 255),
        _str("action", 255),
        _str("ref_to_message_id", 255, nullable=True),
        _str("batch_id", 36, nullable=True),
        _str("status", 32),
        _str("content_type", 255),
        _blob("raw"),
        _int("attempts"),
        _ts("next_attempt_at", nullable=True),
        _ts("expires_at", nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _str("error_code", 64, nullable=True),
        _text("error_detail", nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_ebms_messages_connection_id_connections",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ebms_messages"),
        sa.UniqueConstraint("message_id", name="uq_ebms_messages_message_id"),
    )
    op.create_index("ix_ebms_messages_batch_id", "ebms_messages", ["batch_id"])
    op.create_index("ix_ebms_messages_connection_id", "ebms_messages", ["connection_id"])
    op.create_index("ix_ebms_messages_next_attempt_at", "ebms_messages", ["next_attempt_at"])
    op.create_index("ix_ebms_messages_ref_to_message_id", "ebms_messages", ["ref_to_message_id"])
    op.create_index(
        "ix_ebms_messages_status_next_attempt_at", "ebms_messages", ["status", "next_attempt_at"]
    )

    op.create_table(
        "delivery_attempts",
        _pk(),
        _int("ebms_message_id"),
        _ts("started_at"),
        _str("url", 1000),
        _int("http_status", nullable=True),
        _text("error", nullable=True),
        _int("duration_ms"),
        _str("outcome", 32),
        sa.ForeignKeyConstraint(
            ["ebms_message_id"],
            ["ebms_messages.id"],
            name="fk_delivery_attempts_ebms_message_id_ebms_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
    )
    op.create_index(
        "ix_delivery_attempts_ebms_message_id", "delivery_attempts", ["ebms_message_id"]
    )

    op.create_table(
        "unmatched_results",
        _pk(),
        _ts("received_at"),
        _str("batch_id", 64, nullable=True),
        _blob("raw"),
        _text("reason"),
        sa.PrimaryKeyConstraint("id", name="pk_unmatched_results"),
    )
    op.create_index("ix_unmatched_results_batch_id", "unmatched_results", ["batch_id"])
    op.create_index("ix_unmatched_results_received_at", "unmatched_results", ["received_at"])

    op.create_table(
        "inbound_message_ids",
        _str("message_id", 255),
        _ts("received_at"),
        _ts("keep_until"),
        sa.PrimaryKeyConstraint("message_id", name="pk_inbound_message_ids"),
    )
    op.create_index("ix_inbound_message_ids_keep_until", "inbound_message_ids", ["keep_until"])

    op.create_table(
        "settings",
        _str("key", 100),
        _text("value"),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )


def downgrade() -> None:
    for table in (
        "settings",
        "inbound_message_ids",
        "unmatched_results",
        "delivery_attempts",
        "ebms_messages",
        "batches",
        "letter_events",
        "attachments",
        "letters",
        "berichttypes",
        "connection_organisations",
        "connections",
        "organisations",
    ):
        op.drop_table(table)
