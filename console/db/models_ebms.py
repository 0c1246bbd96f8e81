"""CPAs with their history (issue 3).

Every imported CPA is kept as a row with the document byte for byte, never overwritten; a
connection points to its current CPA with ``connections.cpa_record_id``. When a newer CPA is
applied to a connection, the older row gets ``replaced_at`` and stays readable.

The connection keeps copies of what the engine reads on every send (CPAId, parties, roles,
service, action, endpoint, retry schedule, sync reply); the CPA service writes them from the
CPA whenever a CPA is applied, so they never drift from it. ``endpoint_override`` on the
connection is the one value the user sets (e.g. a proxy in front of Logius).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.db.models import Base, utc_now


class CpaRecord(Base):
    """One imported CPA document."""

    __tablename__ = "cpas"

    id: Mapped[int] = mapped_column(primary_key=True)
    cpa_id: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime] = mapped_column(index=True)
    profile: Mapped[str] = mapped_column(String(16))  # the most demanding profile in it
    parties: Mapped[str] = mapped_column(Text)  # "Naam (PartyId) / Naam (PartyId)", for lists
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    document: Mapped[bytes] = mapped_column(LargeBinary)
    imported_at: Mapped[datetime] = mapped_column(default=utc_now)
    imported_by: Mapped[str] = mapped_column(String(100), default="")
    # The connection it was applied to when imported (None: stored only). No foreign key:
    # connections.cpa_record_id already points here, and a cycle of foreign keys makes
    # table creation order ambiguous; the history of a deleted connection stays readable.
    connection_id: Mapped[int | None] = mapped_column(Integer, index=True)
    replaced_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"CpaRecord(id={self.id!r}, cpa_id={self.cpa_id!r}, status={self.status!r})"
