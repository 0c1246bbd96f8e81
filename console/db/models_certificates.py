"""Certificates, trust stores and renewal requests (issue 7).

The database keeps certificates, their chains and what they say (metadata), never a
private key: a certificate row only names its key in the secret store (``key_ref``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from console.db.models import Base, _str_enum, utc_now
from console.domain.environment import Environment


class CertificateSource(StrEnum):
    IMPORT = "import"  # a certificate file with its key
    RENEWAL = "renewal"  # an issued certificate on a key made here for a CSR
    LOCAL_TEST_PKI = "local_test_pki"  # the simulator's test PKI (demo)


class Certificate(Base):
    """A client certificate of one of the user's organisations."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(1000))
    issuer: Mapped[str] = mapped_column(String(1000))
    serial_number: Mapped[str] = mapped_column(String(100))
    oin: Mapped[str | None] = mapped_column(String(64), index=True)  # subject serialNumber
    not_before: Mapped[datetime]
    not_after: Mapped[datetime] = mapped_column(index=True)
    key_type: Mapped[str] = mapped_column(String(16))
    key_size: Mapped[int] = mapped_column(Integer)
    fingerprint_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint_sha1: Mapped[str] = mapped_column(String(40))
    public_key_sha256: Mapped[str] = mapped_column(String(64), index=True)
    cert_pem: Mapped[str] = mapped_column(Text)
    chain_pem: Mapped[str] = mapped_column(Text, default="")  # issuer first, towards the root
    key_ref: Mapped[str | None] = mapped_column(String(255))  # name in the secret store
    source: Mapped[CertificateSource] = mapped_column(
        _str_enum(CertificateSource), default=CertificateSource.IMPORT
    )
    imported_at: Mapped[datetime] = mapped_column(default=utc_now)
    imported_by: Mapped[str] = mapped_column(String(100), default="")

    def __repr__(self) -> str:
        return f"Certificate(id={self.id!r}, oin={self.oin!r}, not_after={self.not_after!r})"


class TrustAnchor(Base):
    """A certificate trusted for the server side of one environment (Logius' endpoints)."""

    __tablename__ = "trust_anchors"
    __table_args__ = (UniqueConstraint("environment", "fingerprint_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    environment: Mapped[Environment] = mapped_column(_str_enum(Environment, 16), index=True)
    label: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(1000))
    issuer: Mapped[str] = mapped_column(String(1000))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    fingerprint_sha256: Mapped[str] = mapped_column(String(64))
    cert_pem: Mapped[str] = mapped_column(Text)
    source: Mapped[CertificateSource] = mapped_column(
        _str_enum(CertificateSource), default=CertificateSource.IMPORT
    )
    imported_at: Mapped[datetime] = mapped_column(default=utc_now)


class CertificateRequest(Base):
    """A renewal in progress: a new key (in the secret store) and its CSR."""

    __tablename__ = "certificate_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_ref: Mapped[str] = mapped_column(String(255), unique=True)
    public_key_sha256: Mapped[str] = mapped_column(String(64), index=True)
    key_type: Mapped[str] = mapped_column(String(16))
    key_size: Mapped[int] = mapped_column(Integer)
    oin: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(1000))
    csr_pem: Mapped[str] = mapped_column(Text)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL"), index=True
    )  # set once the issued certificate was imported
    completed_at: Mapped[datetime | None]
