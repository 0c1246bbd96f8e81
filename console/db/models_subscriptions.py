"""Subscriptions (AbonnementService and WUS checks): requests, answers and snapshots.

A snapshot is what one ABS answer said, per organisation, with the moment it describes
(``peil_datum``). Its entries hold one row per BSN; a Volledig snapshot lists the
subscribed citizens only, so a BSN absent from it was not subscribed on that date. Answers
are kept as received (gzip) until they are imported, and kept with a reason when they
cannot be: nothing is dropped.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.db.models import Base, _str_enum, utc_now


class SubscriptionRequestStatus(StrEnum):
    QUEUED = "queued"  # stored; the engine sends it
    ANSWERED = "answered"  # the answer was imported
    FAILED = "failed"  # the answer could not be imported (see detail)


class SubscriptionAnswerStatus(StrEnum):
    PENDING = "pending"  # received and acknowledged; import follows
    IMPORTED = "imported"
    FAILED = "failed"


class SubscriptionRequest(Base):
    """An AbonnementService request (GLOBE-R-A-Request) the console sent."""

    __tablename__ = "subscription_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="RESTRICT"))
    verzoek_id: Mapped[str] = mapped_column(String(100), unique=True)
    soort: Mapped[str] = mapped_column(String(16))
    bsn_count: Mapped[int] = mapped_column(Integer, default=0)
    mutatie_datum: Mapped[datetime | None]
    message_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[SubscriptionRequestStatus] = mapped_column(
        _str_enum(SubscriptionRequestStatus, 16), default=SubscriptionRequestStatus.QUEUED
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    answered_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)


class SubscriptionAnswer(Base):
    """An ABS answer as received over ebMS, before and after its import."""

    __tablename__ = "subscription_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
    message_id: Mapped[str] = mapped_column(String(255))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL")
    )
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # cleared after the import
    payload_bytes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[SubscriptionAnswerStatus] = mapped_column(
        _str_enum(SubscriptionAnswerStatus, 16),
        default=SubscriptionAnswerStatus.PENDING,
        index=True,
    )
    verzoek_id: Mapped[str | None] = mapped_column(String(100))
    snapshot_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


class SubscriptionSnapshot(Base):
    """What one ABS answer said about one organisation's citizens, on ``peil_datum``."""

    __tablename__ = "subscription_snapshots"
    __table_args__ = (Index(None, "organisation_id", "peil_datum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscription_requests.id", ondelete="SET NULL")
    )
    verzoek_id: Mapped[str] = mapped_column(String(100))
    soort: Mapped[str] = mapped_column(String(16))
    peil_datum: Mapped[datetime]
    mutatie_datum: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    subscribed_count: Mapped[int] = mapped_column(Integer, default=0)


class SubscriptionEntry(Base):
    """One BSN in a snapshot; the primary key is also the lookup index."""

    __tablename__ = "subscription_entries"

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("subscription_snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    bsn: Mapped[str] = mapped_column(String(9), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))


class SubscriptionCheck(Base):
    """A WUS check (ValidateAbonnementen): who looked up which BSNs, and the answer."""

    __tablename__ = "subscription_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(100), default="")
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    berichttype: Mapped[str] = mapped_column(String(8))
    bsns: Mapped[str] = mapped_column(Text)  # comma-separated, as asked
    outcome: Mapped[str] = mapped_column(String(32))  # ok, or the error class
    detail: Mapped[str] = mapped_column(Text, default="")
