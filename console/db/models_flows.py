"""Organisatiegegevens, berichtstromen met sjablonen, berichttypegeschiedenis en auditlog (issue 5).

- ``organisation_profiles``: what citizens see of an organisation in MijnOverheid (1:1).
- ``organisation_contacts``: one general, technical and communication contact each.
- ``berichttype_status_changes``: who changed a berichttype's status in which environment, when.
- ``flows`` with ``flow_templates`` and ``flow_peaks``: the berichtstromen.
- ``audit_log``: every configuration change, with who, when, what, and the values before and
  after (JSON). Written by the services in the same unit of work as the change itself.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.db.models import Base, _str_enum, utc_now
from console.domain.environment import Environment
from console.domain.flow import BerichtTypeStatus, Cadence, DeliveryPolicy


class ContactRole(StrEnum):
    ALGEMEEN = "algemeen"
    TECHNISCH = "technisch"
    COMMUNICATIE = "communicatie"

    @property
    def label(self) -> str:
        return {
            "algemeen": "Algemeen contact",
            "technisch": "Technisch contact",
            "communicatie": "Communicatie",
        }[self.value]


class OrganisationProfile(Base):
    """Het organisatieprofiel: how the organisation appears to citizens."""

    __tablename__ = "organisation_profiles"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    display_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    website_url: Mapped[str] = mapped_column(String(1000), default="")
    contact_url: Mapped[str] = mapped_column(String(1000), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    updated_by: Mapped[str] = mapped_column(String(100), default="")


class OrganisationContact(Base):
    __tablename__ = "organisation_contacts"
    __table_args__ = (UniqueConstraint("organisation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[ContactRole] = mapped_column(_str_enum(ContactRole, 16))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")


class BerichtTypeStatusChange(Base):
    """One status change of a berichttype in one environment."""

    __tablename__ = "berichttype_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    berichttype_id: Mapped[int] = mapped_column(
        ForeignKey("berichttypes.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[Environment] = mapped_column(_str_enum(Environment, 16))
    old_status: Mapped[BerichtTypeStatus | None] = mapped_column(_str_enum(BerichtTypeStatus, 16))
    new_status: Mapped[BerichtTypeStatus] = mapped_column(_str_enum(BerichtTypeStatus, 16))
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(100), default="")


class Flow(Base):
    """Een berichtstroom: one kind of letter an organisation sends, from one source system."""

    __tablename__ = "flows"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    source_system: Mapped[str] = mapped_column(String(200), default="")
    default_berichttype: Mapped[str | None] = mapped_column(String(8))
    cadence: Mapped[Cadence] = mapped_column(_str_enum(Cadence, 16), default=Cadence.CONTINU)
    volume_per_month: Mapped[int | None] = mapped_column(Integer)
    delivery_policy: Mapped[DeliveryPolicy] = mapped_column(
        _str_enum(DeliveryPolicy), default=DeliveryPolicy.DIGITAAL_ANDERS_PAPIER
    )
    portal_url: Mapped[str] = mapped_column(String(1000), default="")
    payment_url: Mapped[str] = mapped_column(String(1000), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    updated_by: Mapped[str] = mapped_column(String(100), default="")

    templates: Mapped[list[FlowTemplate]] = relationship(
        back_populates="flow", cascade="all, delete-orphan", order_by="FlowTemplate.name"
    )
    peaks: Mapped[list[FlowPeak]] = relationship(
        back_populates="flow", cascade="all, delete-orphan", order_by="FlowPeak.day"
    )

    def __repr__(self) -> str:
        return f"Flow(id={self.id!r}, name={self.name!r})"


class FlowTemplate(Base):
    """Een briefsjabloon van een berichtstroom, met velden ``{{naam}}``."""

    __tablename__ = "flow_templates"
    __table_args__ = (UniqueConstraint("flow_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    berichttype: Mapped[str | None] = mapped_column(String(8))  # None: the flow's default
    onderwerp: Mapped[str] = mapped_column(String(255))
    berichttekst: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    updated_by: Mapped[str] = mapped_column(String(100), default="")

    flow: Mapped[Flow] = relationship(back_populates="templates")


class FlowPeak(Base):
    """A known peak of a batch flow: a day with its expected number of letters."""

    __tablename__ = "flow_peaks"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    expected_letters: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")

    flow: Mapped[Flow] = relationship(back_populates="peaks")


class AuditEntry(Base):
    """One configuration change: who, when, what, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity", "entity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))  # aangemaakt, gewijzigd, gedeactiveerd, ...
    entity: Mapped[str] = mapped_column(String(32))  # organisatie, koppeling, berichttype, ...
    entity_key: Mapped[str] = mapped_column(String(100))  # id or natural key
    entity_label: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)  # JSON

    def __repr__(self) -> str:
        return f"AuditEntry(id={self.id!r}, entity={self.entity!r}, action={self.action!r})"
