"""The CPAs the engine works with: each stored document parsed once, found by CPAId.

A connection's current CPA (``connections.cpa_record_id``) decides how the engine sends
(acknowledgments, duplicate elimination, sync replies, TimeToLive, whether the profile can
be sent at all) and what the inbound endpoint accepts. Stored CPA documents never change,
so a parse is cached by record id.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_ebms import CpaRecord
from console.digikoppeling.ebms.cpa import NEVER, Cpa, SendRoute, parse_cpa
from console.domain.oin import strip_party_prefix

_cache: dict[str, Cpa] = {}  # by the document's SHA-256 (record ids repeat across databases)
_cache_lock = threading.Lock()


def cpa_of_record(s: Session, record_id: int | None) -> Cpa | None:
    """The parsed CPA of a stored record (cached; documents are never changed)."""
    if record_id is None:
        return None
    sha = s.scalar(select(CpaRecord.sha256).where(CpaRecord.id == record_id))
    if sha is None:
        return None
    with _cache_lock:
        found = _cache.get(sha)
    if found is not None:
        return found
    document = s.scalar(select(CpaRecord.document).where(CpaRecord.id == record_id))
    if document is None:
        return None
    cpa = parse_cpa(document)
    with _cache_lock:
        _cache[sha] = cpa
    return cpa


def route_of(cpa: Cpa, conn: m.Connection) -> SendRoute | None:
    """How the connection's own party sends its action under *cpa*."""
    party = cpa.party_by_oin(strip_party_prefix(conn.from_party_id))
    if party is None:
        return None
    return cpa.send_route(party, conn.service, conn.service_type, conn.action, conn.from_role)


@dataclass(frozen=True, slots=True)
class SendOptions:
    """What the CPA says about sending a user message on a connection."""

    ack_requested: bool = True
    duplicate_elimination: bool = True
    sync_reply: bool = False
    time_to_live: timedelta | None = None
    refusal: str | None = None  # Dutch: why nothing may be sent on this connection


def send_options(s: Session, conn: m.Connection) -> SendOptions:
    """Sending options for *conn* from its CPA; osb-rm defaults when it has none yet."""
    cpa = cpa_of_record(s, conn.cpa_record_id)
    if cpa is None:
        return SendOptions(
            sync_reply=conn.sync_reply,
            time_to_live=timedelta(seconds=conn.persist_duration_seconds),
        )
    route = route_of(cpa, conn)
    if route is None:
        return SendOptions(
            refusal=(
                f"De CPA {cpa.cpa_id} van koppeling {conn.name} staat niet toe dat "
                f"{conn.from_party_id} actie {conn.action} van dienst {conn.service} verstuurt. "
                "Importeer de juiste CPA bij Organisaties."
            )
        )
    if not route.profile.supported:
        return SendOptions(
            refusal=(
                f"De CPA {cpa.cpa_id} van koppeling {conn.name} vraagt profiel "
                f"{route.profile.value} ({route.profile.label}). De Berichtenbox gebruikt "
                "osb-rm zonder ondertekening; deze console ondertekent en versleutelt geen "
                "berichten en verstuurt daarom niets op deze koppeling. Vraag Logius om een CPA "
                "met profiel osb-rm."
            )
        )
    mc = route.channel.characteristics
    rm = route.reliable_messaging
    return SendOptions(
        ack_requested=mc.ack_requested != NEVER,
        duplicate_elimination=mc.duplicate_elimination != NEVER,
        sync_reply=mc.sync,
        time_to_live=rm.persist_duration if rm is not None else None,
    )


class CpaDirectory:
    """Finds the CPA (and its connection) for an inbound CPAId: the current CPA of a
    connection. A CPA that is stored but belongs to no connection is not accepted inbound."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def cpa(self, cpa_id: str) -> Cpa | None:
        with self._db.session() as s:
            for record_id in s.scalars(
                select(m.Connection.cpa_record_id).where(
                    m.Connection.cpa_id == cpa_id, m.Connection.cpa_record_id.is_not(None)
                )
            ):
                cpa = cpa_of_record(s, record_id)
                if cpa is not None and cpa.cpa_id == cpa_id:
                    return cpa
        return None

    def connection_id(self, cpa_id: str, sender_party_id: str) -> int | None:
        """The connection whose CPA this is and whose other party sent the message."""
        sender = strip_party_prefix(sender_party_id)
        with self._db.session() as s:
            rows = s.execute(
                select(m.Connection.id, m.Connection.to_party_id).where(
                    m.Connection.cpa_id == cpa_id
                )
            ).all()
        for conn_id, to_party in rows:
            if strip_party_prefix(to_party) == sender:
                return int(conn_id)
        return None
