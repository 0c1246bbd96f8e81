"""SQLAlchemy models: the console's stored state.

Every datetime is timezone-aware UTC in Python. :class:`UtcDateTime` stores it naive (UTC) on
SQLite and as ``timestamp with time zone`` on PostgreSQL, and always hands back an aware UTC
value. Status columns store the values of the enums below (or of the domain enums) as plain
strings, so the schema stays readable with any SQLite tool.

The schema is created and changed only by the Alembic migrations in ``migrations/``; a test
checks that those migrations and these models describe the same tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from console.domain.environment import Environment
from console.domain.flow import BerichtTypeStatus as BerichtTypeStatus  # re-export (issue 5)
from console.domain.lifecycle import LetterStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEFAULT_ACTION = "GLOBE-R-BV-Request"


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default for every timestamp column)."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A datetime that is aware UTC in Python, whatever the database stores.

    Naive datetimes are refused on the way in: their meaning is ambiguous, and a silent
    guess is how timestamps drift by an hour.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UtcDateTime expects a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("UtcDateTime refuses a naive datetime; pass an aware (UTC) value")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _str_enum(enum_class: type[StrEnum], length: int = 32) -> Enum:
    """Store a StrEnum as its value in a VARCHAR (no native enum, no CHECK constraint).

    Unknown strings are refused on the way in; loading gives enum members back.
    """
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class OrganisationKind(StrEnum):
    GEMEENTE = "gemeente"
    WATERSCHAP = "waterschap"
    BELASTINGSAMENWERKING = "belastingsamenwerking"
    PENSIOENFONDS = "pensioenfonds"
    PENSIOENUITVOERDER = "pensioenuitvoerder"
    LEVERANCIER = "leverancier"
    OVERIG = "overig"


class BatchStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    RESULT = "result"
    FAILED = "failed"
    EXPIRED = "expired"


class EbmsDirection(StrEnum):
    OUT = "out"
    IN = "in"


class EbmsKind(StrEnum):
    USER = "user"
    ACK = "ack"
    ERROR = "error"
    PING = "ping"
    PONG = "pong"
    STATUS_REQUEST = "status_request"
    STATUS_RESPONSE = "status_response"


class EbmsStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"
    RECEIVED = "received"
    DUPLICATE = "duplicate"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UtcDateTime()}  # noqa: RUF012


connection_organisations = Table(
    "connection_organisations",
    Base.metadata,
    Column(
        "connection_id",
        ForeignKey("connections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    oin: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        _str_enum(OrganisationKind), default=OrganisationKind.GEMEENTE
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"Organisation(id={self.id!r}, oin={self.oin!r}, name={self.name!r})"


class Connection(Base):
    """Een koppeling: one CPA with one endpoint, owned by one organisation."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    owner_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    environment: Mapped[Environment] = mapped_column(_str_enum(Environment, 16))
    cpa_id: Mapped[str] = mapped_column(String(255))
    from_party_id: Mapped[str] = mapped_column(String(255))
    from_role: Mapped[str] = mapped_column(String(255))
    to_party_id: Mapped[str] = mapped_column(String(255))
    to_role: Mapped[str] = mapped_column(String(255))
    service: Mapped[str] = mapped_column(String(255))
    service_type: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(255), default=DEFAULT_ACTION)
    endpoint_url: Mapped[str] = mapped_column(String(1000))
    inbound_url: Mapped[str | None] = mapped_column(String(1000))
    # Digikoppeling best-practice CPA template: 8 retries, 3 hours apart, persist 1 day.
    retries: Mapped[int] = mapped_column(Integer, default=8)
    retry_interval_seconds: Mapped[int] = mapped_column(Integer, default=3 * 3600)
    persist_duration_seconds: Mapped[int] = mapped_column(Integer, default=24 * 3600)
    sync_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    # The current CPA (issue 3): the fields above are copied from it when it is applied.
    cpa_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("cpas.id", ondelete="SET NULL"), index=True
    )
    endpoint_override: Mapped[str | None] = mapped_column(String(1000))  # e.g. via a proxy
    # The certificate only. The private key lives in the secret store under client_key_ref.
    client_cert_pem: Mapped[str | None] = mapped_column(Text)
    client_key_ref: Mapped[str | None] = mapped_column(String(255))
    trust_pem: Mapped[str | None] = mapped_column(Text)
    # The client certificate (issue 7); its key is named in the certificate row.
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL"), index=True
    )
    # Internet or Diginetwerk (informational, issue 5).
    transport: Mapped[str] = mapped_column(String(16), default="internet")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    owner: Mapped[Organisation] = relationship(foreign_keys=[owner_organisation_id])
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=connection_organisations, order_by=Organisation.name
    )

    def __repr__(self) -> str:
        return f"Connection(id={self.id!r}, name={self.name!r}, environment={self.environment!r})"


class BerichtType(Base):
    __tablename__ = "berichttypes"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status_simulator: Mapped[BerichtTypeStatus] = mapped_column(
        _str_enum(BerichtTypeStatus, 16), default=BerichtTypeStatus.CONCEPT
    )
    status_preprod: Mapped[BerichtTypeStatus] = mapped_column(
        _str_enum(BerichtTypeStatus, 16), default=BerichtTypeStatus.CONCEPT
    )
    status_productie: Mapped[BerichtTypeStatus] = mapped_column(
        _str_enum(BerichtTypeStatus, 16), default=BerichtTypeStatus.CONCEPT
    )
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    updated_by: Mapped[str] = mapped_column(String(100), default="")

    def status_for(self, environment: Environment) -> BerichtTypeStatus:
        return {
            Environment.SIMULATOR: self.status_simulator,
            Environment.PREPROD: self.status_preprod,
            Environment.PRODUCTIE: self.status_productie,
        }[environment]

    def set_status_for(self, environment: Environment, status: BerichtTypeStatus) -> None:
        column = f"status_{Environment(environment).value}"
        setattr(self, column, status)


class Letter(Base):
    __tablename__ = "letters"
    __table_args__ = (
        Index(None, "bsn"),
        Index(None, "referentie"),
        Index(None, "status", "created_at"),  # issue 6: status per date range
        Index(None, "verwerkings_code", "created_at"),
        Index(None, "created_at"),
        Index(None, "batch_id"),
        Index(None, "organisation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="RESTRICT"), index=True
    )
    berichttype: Mapped[str] = mapped_column(String(8))
    bsn: Mapped[str] = mapped_column(String(9))
    onderwerp: Mapped[str] = mapped_column(String(255))
    referentie: Mapped[str] = mapped_column(String(100), default="")
    publicatie_datum: Mapped[datetime | None]
    bericht_id: Mapped[str] = mapped_column(String(36), unique=True)
    batch_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[LetterStatus] = mapped_column(
        _str_enum(LetterStatus), default=LetterStatus.QUEUED
    )
    verwerkings_code: Mapped[str | None] = mapped_column(String(64))  # raw, as received
    stadium: Mapped[str | None] = mapped_column(String(255))
    status_detail: Mapped[str | None] = mapped_column(Text)  # last error, in Dutch
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    result_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    connection: Mapped[Connection] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="letter",
        cascade="all, delete-orphan",
        order_by="Attachment.volgorde",
    )
    events: Mapped[list[LetterEventRecord]] = relationship(
        back_populates="letter",
        cascade="all, delete-orphan",
        order_by="(LetterEventRecord.at, LetterEventRecord.id)",
    )
    # The text lives in a table of its own, so that the row the engine updates on every status
    # change (a batch moves 1000 letters at once) stays small. Loaded with the letter; the
    # message log's row blocks, which never show the text, opt out with lazyload().
    content: Mapped[LetterText | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="joined"
    )

    @property
    def berichttekst(self) -> str:
        """The BerichtTekst, already encoded (\\r\\n literal, URLs spaced)."""
        return self.content.berichttekst if self.content is not None else ""

    @berichttekst.setter
    def berichttekst(self, value: str) -> None:
        if self.content is None:
            if value:  # no row for an empty text (a letter with only a PDF)
                self.content = LetterText(berichttekst=value)
        else:
            self.content.berichttekst = value

    def __repr__(self) -> str:
        # No BSN here: reprs end up in logs and tracebacks.
        return f"Letter(id={self.id!r}, bericht_id={self.bericht_id!r}, status={self.status!r})"


class LetterText(Base):
    """A letter's BerichtTekst (up to 4000 characters), apart from its often-updated row."""

    __tablename__ = "letter_texts"

    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True
    )
    berichttekst: Mapped[str] = mapped_column(Text)


class LetterImport(Base):
    """One batch import of a file: found again by the file's fingerprint, so the same file
    is not sent twice by accident. Its letters carry ``tag`` in ``created_by``."""

    __tablename__ = "letter_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(12), index=True)  # of the SHA-256, hex
    tag: Mapped[str] = mapped_column(String(100), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(default=utc_now)
    imported_by: Mapped[str] = mapped_column(String(100), default="")  # "" before 0009
    letters: Mapped[int] = mapped_column(Integer)


class Attachment(Base):
    """Een bijlage (PDF) bij een bericht."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("letter_id", "volgorde"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    volgorde: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    omschrijving: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    letter: Mapped[Letter] = relationship(back_populates="attachments")


class LetterEventRecord(Base):
    """One line of a letter's timeline (the stored form of a lifecycle event)."""

    __tablename__ = "letter_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100), default="")

    letter: Mapped[Letter] = relationship(back_populates="events")


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(36), unique=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="RESTRICT"), index=True
    )
    bericht_leverancier_id: Mapped[str] = mapped_column(String(25))
    aanmaak_datum: Mapped[datetime]
    status: Mapped[BatchStatus] = mapped_column(
        _str_enum(BatchStatus), default=BatchStatus.QUEUED, index=True
    )
    letter_count: Mapped[int] = mapped_column(Integer, default=0)
    payload_bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    result_at: Mapped[datetime | None]
    # Counters from BerichtVerwerkResponse, as Logius reported them.
    totaal_ontvangen: Mapped[int | None] = mapped_column(Integer)
    aantal_verwerkt: Mapped[int | None] = mapped_column(Integer)
    aantal_niet_geabonneerd: Mapped[int | None] = mapped_column(Integer)
    aantal_technisch_probleem: Mapped[int | None] = mapped_column(Integer)
    aantal_berichttype_niet_correct: Mapped[int | None] = mapped_column(Integer)
    aantal_publicatiedatum_niet_correct: Mapped[int | None] = mapped_column(Integer)
    aantal_aanmaakdatum_niet_correct: Mapped[int | None] = mapped_column(Integer)
    datum_verwerkt: Mapped[datetime | None]

    connection: Mapped[Connection] = relationship()


class EbmsMessage(Base):
    """An ebMS message as sent or received, with the raw HTTP body kept as evidence."""

    __tablename__ = "ebms_messages"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(255))
    cpa_id: Mapped[str] = mapped_column(String(255))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), index=True
    )
    direction: Mapped[EbmsDirection] = mapped_column(_str_enum(EbmsDirection, 8))
    kind: Mapped[EbmsKind] = mapped_column(_str_enum(EbmsKind))
    service: Mapped[str] = mapped_column(String(255), default="")
    action: Mapped[str] = mapped_column(String(255), default="")
    ref_to_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[EbmsStatus] = mapped_column(_str_enum(EbmsStatus))
    content_type: Mapped[str] = mapped_column(String(255), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_detail: Mapped[str | None] = mapped_column(Text)

    delivery_attempts: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="ebms_message",
        cascade="all, delete-orphan",
        order_by="(DeliveryAttempt.started_at, DeliveryAttempt.id)",
    )
    # The HTTP body lives in a table of its own: a status change of the message then rewrites
    # a small row, not a body of up to 100 MB. Loaded with the message (as a column would be);
    # the engine's hot paths opt out with ``lazyload(EbmsMessage.body)``.
    body: Mapped[EbmsMessageBody | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="joined"
    )

    @property
    def raw(self) -> bytes:
        """The HTTP body exactly as sent or received (loads it on first use)."""
        return self.body.raw if self.body is not None else b""

    @raw.setter
    def raw(self, value: bytes) -> None:
        if self.body is None:
            self.body = EbmsMessageBody(raw=value)
        else:
            self.body.raw = value

    def __repr__(self) -> str:
        return (
            f"EbmsMessage(id={self.id!r}, message_id={self.message_id!r}, "
            f"kind={self.kind!r}, status={self.status!r})"
        )


class EbmsMessageBody(Base):
    """The raw HTTP body of one ebMS message, byte for byte (evidence, and what is resent)."""

    __tablename__ = "ebms_message_bodies"

    ebms_message_id: Mapped[int] = mapped_column(
        ForeignKey("ebms_messages.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ebms_message_id: Mapped[int] = mapped_column(
        ForeignKey("ebms_messages.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    url: Mapped[str] = mapped_column(String(1000))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)  # in Dutch
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(32))

    ebms_message: Mapped[EbmsMessage] = relationship(back_populates="delivery_attempts")


class UnmatchedResult(Base):
    """A result for a batch the console does not know: kept, never dropped."""

    __tablename__ = "unmatched_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    batch_id: Mapped[str | None] = mapped_column(String(64), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)


class InboundMessageId(Base):
    """An inbound ebMS MessageId remembered for duplicate elimination."""

    __tablename__ = "inbound_message_ids"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
    keep_until: Mapped[datetime] = mapped_column(index=True)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON


from console.db import (  # noqa: E402  (the models of each area, after Base)
    models_certificates,  # noqa: F401
    models_ebms,  # noqa: F401
    models_flows,  # noqa: F401
    models_monitoring,  # noqa: F401
    models_subscriptions,  # noqa: F401
)
