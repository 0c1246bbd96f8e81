"""Certificaten en trust stores (issue 7).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Write the schema out in full: do not import console.db.models (they change later).
Use sa.DateTime(timezone=True) for timestamps and sa.String(length) for enum columns, as
in 0001_initial.py. Use op.batch_alter_table for changes to existing tables (SQLite).

Certificates, their chains and metadata; trust stores per environment; renewal requests;
and the connection's reference to its certificate. Private keys are never in the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _int(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        _str("label", 200),
        _str("subject", 1000),
        _str("issuer", 1000),
        _str("serial_number", 100),
        _str("oin", 64, nullable=True),
        _ts("not_before"),
        _ts("not_after"),
        _str("key_type", 16),
        _int("key_size"),
        _str("fingerprint_sha256", 64),
        _str("fingerprint_sha1", 40),
        _str("public_key_sha256", 64),
        _text("cert_pem"),
        _text("chain_pem"),
        _str("key_ref", 255, nullable=True),
        _str("source", 32),
        _ts("imported_at"),
        _str("imported_by", 100),
        sa.PrimaryKeyConstraint("id", name="pk_certificates"),
        sa.UniqueConstraint("fingerprint_sha256", name="uq_certificates_fingerprint_sha256"),
    )
    op.create_index("ix_certificates_oin", "certificates", ["oin"])
    op.create_index("ix_certificates_not_after", "certificates", ["not_after"])
    op.create_index("ix_certificates_public_key_sha256", "certificates", ["public_key_sha256"])

    op.create_table(
        "trust_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        _str("environment", 16),
        _str("label", 200),
        _str("subject", 1000),
        _str("issuer", 1000),
        _ts("not_before"),
        _ts("not_after"),
        _str("fingerprint_sha256", 64),
        _text("cert_pem"),
        _str("source", 32),
        _ts("imported_at"),
        sa.PrimaryKeyConstraint("id", name="pk_trust_anchors"),
        sa.UniqueConstraint(
            "environment",
            "fingerprint_sha256",
            name="uq_trust_anchors_environment_fingerprint_sha256",
        ),
    )
    op.create_index("ix_trust_anchors_environment", "trust_anchors", ["environment"])

    op.create_table(
        "certificate_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        _str("key_ref", 255),
        _str("public_key_sha256", 64),
        _str("key_type", 16),
        _int("key_size"),
        _str("oin", 20),
        _str("subject", 1000),
        _text("csr_pem"),
        _int("connection_id", nullable=True),
        _ts("created_at"),
        _str("created_by", 100),
        _int("certificate_id", nullable=True),
        _ts("completed_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_certificate_requests_connection_id_connections",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name="fk_certificate_requests_certificate_id_certificates",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certificate_requests"),
        sa.UniqueConstraint("key_ref", name="uq_certificate_requests_key_ref"),
    )
    op.create_index(
        "ix_certificate_requests_public_key_sha256", "certificate_requests", ["public_key_sha256"]
    )
    op.create_index(
        "ix_certificate_requests_connection_id", "certificate_requests", ["connection_id"]
    )
    op.create_index(
        "ix_certificate_requests_certificate_id", "certificate_requests", ["certificate_id"]
    )

    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("certificate_id", sa.Integer(), nullable=True))
        batch.create_index("ix_connections_certificate_id", ["certificate_id"])
        batch.create_foreign_key(
            "fk_connections_certificate_id_certificates",
            "certificates",
            ["certificate_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_constraint("fk_connections_certificate_id_certificates", type_="foreignkey")
        batch.drop_index("ix_connections_certificate_id")
        batch.drop_column("certificate_id")
    op.drop_index("ix_certificate_requests_certificate_id", table_name="certificate_requests")
    op.drop_index("ix_certificate_requests_connection_id", table_name="certificate_requests")
    op.drop_index("ix_certificate_requests_public_key_sha256", table_name="certificate_requests")
    op.drop_table("certificate_requests")
    op.drop_index("ix_trust_anchors_environment", table_name="trust_anchors")
    op.drop_table("trust_anchors")
    op.drop_index("ix_certificates_public_key_sha256", table_name="certificates")
    op.drop_index("ix_certificates_not_after", table_name="certificates")
    op.drop_index("ix_certificates_oin", table_name="certificates")
    op.drop_table("certificates")
