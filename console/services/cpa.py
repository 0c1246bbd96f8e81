"""CPA management: import (file, drag and drop, CLI), history, details, apply to a connection.

Every import is kept. A CPA is applied to a connection when it belongs to it (same CPAId,
or the connection's two OINs are its two parties); the connection's endpoint, parties,
roles, service, action and retry schedule then come from the CPA, and the older CPA of that
connection is marked replaced. The endpoint URL can be overridden per connection (e.g. a
proxy in front of Logius).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_ebms import CpaRecord
from console.digikoppeling.ebms.cpa import (
    ActionBinding,
    Cpa,
    CpaError,
    CpaParty,
    DeliveryChannel,
    ReliableMessaging,
    format_duration,
    iso_duration,
    parse_cpa,
)
from console.domain.letter import FieldIssue
from console.domain.oin import strip_party_prefix
from console.engine.cpas import cpa_of_record, route_of, send_options
from console.services import audit
from console.services.errors import NotFound, ServiceError

DEFAULT_LETTER_ACTION = m.DEFAULT_ACTION
# Digikoppeling defaults when a CPA names no schedule (interface reference §4.5).
DEFAULT_PERSIST = timedelta(days=5)


class CpaRefused(ServiceError):
    """The CPA cannot be imported or applied; the message says why, in Dutch."""


# --- what the UI and CLI get ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CpaSummary:
    """One line of ``cpa list``."""

    id: int
    cpa_id: str
    status: str
    start: datetime
    end: datetime
    profile: str
    parties: str
    imported_at: datetime
    imported_by: str
    filename: str
    connection_name: str | None  # the connection it is the current CPA of
    replaced: bool
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CertificateView:
    cert_id: str
    subject: str
    issuer: str
    not_before: datetime | None
    not_after: datetime | None
    fingerprint_sha256: str | None
    oin: str | None


@dataclass(frozen=True, slots=True)
class ActionView:
    service: str
    service_type: str | None
    action: str
    role: str
    channel_id: str
    profile: str


@dataclass(frozen=True, slots=True)
class ChannelView:
    channel_id: str
    profile: str
    profile_label: str
    endpoint: str | None
    sync_reply_mode: str
    ack_requested: str
    ack_signature_requested: str
    duplicate_elimination: str
    actor: str | None
    retries: int | None
    retry_interval: str | None  # xs:duration, e.g. PT3H
    retry_interval_text: str | None  # Dutch, e.g. "3 uur"
    persist_duration: str | None
    persist_duration_text: str | None
    client_certificate_id: str | None
    server_certificate_id: str | None


@dataclass(frozen=True, slots=True)
class PartyView:
    name: str
    party_id: str
    party_type: str | None
    party_ids: tuple[str, ...]
    roles: tuple[str, ...]
    sends: tuple[ActionView, ...]
    receives: tuple[ActionView, ...]
    channels: tuple[ChannelView, ...]
    endpoints: tuple[str, ...]
    certificates: tuple[CertificateView, ...]


@dataclass(frozen=True, slots=True)
class CpaDetails:
    """Everything ``cpa show`` and the CPA widget show."""

    id: int | None  # None: checked, not stored
    cpa_id: str
    version: str
    status: str
    start: datetime
    end: datetime
    profile: str
    profiles: tuple[str, ...]
    sending_supported: bool
    parties: tuple[PartyView, PartyView]
    warnings: tuple[str, ...]
    sha256: str
    filename: str = ""
    imported_at: datetime | None = None
    imported_by: str = ""
    connection_name: str | None = None
    replaced: bool = False


@dataclass(frozen=True, slots=True)
class CpaImportResult:
    details: CpaDetails
    connection_name: str | None  # the connection it was applied to, if any
    already_known: bool  # the same document was imported before
    message: str  # Dutch, for the user


# --- converting the parsed CPA --------------------------------------------------------------


def _duration(value: timedelta | None) -> tuple[str | None, str | None]:
    return (iso_duration(value), format_duration(value)) if value is not None else (None, None)


def _channel_view(c: DeliveryChannel) -> ChannelView:
    rm: ReliableMessaging | None = c.reliable_messaging
    interval, interval_text = _duration(rm.retry_interval if rm else None)
    persist, persist_text = _duration(rm.persist_duration if rm else None)
    mc = c.characteristics
    return ChannelView(
        channel_id=c.channel_id,
        profile=c.profile.value,
        profile_label=c.profile.label,
        endpoint=c.endpoint,
        sync_reply_mode=mc.sync_reply_mode,
        ack_requested=mc.ack_requested,
        ack_signature_requested=mc.ack_signature_requested,
        duplicate_elimination=mc.duplicate_elimination,
        actor=mc.actor,
        retries=rm.retries if rm else None,
        retry_interval=interval,
        retry_interval_text=interval_text,
        persist_duration=persist,
        persist_duration_text=persist_text,
        client_certificate_id=c.client_certificate_id,
        server_certificate_id=c.server_certificate_id,
    )


def _action_view(party: CpaParty, b: ActionBinding) -> ActionView:
    channel = party.channel_for(b)
    return ActionView(
        service=b.service,
        service_type=b.service_type,
        action=b.action,
        role=b.role,
        channel_id=channel.channel_id if channel else ", ".join(b.channel_ids),
        profile=channel.profile.value if channel else "",
    )


def _party_view(p: CpaParty) -> PartyView:
    return PartyView(
        name=p.name,
        party_id=p.party_id.value,
        party_type=p.party_id.type,
        party_ids=tuple(str(pid) for pid in p.party_ids),
        roles=p.roles,
        sends=tuple(_action_view(p, b) for b in p.can_send),
        receives=tuple(_action_view(p, b) for b in p.can_receive),
        channels=tuple(_channel_view(c) for c in p.channels),
        endpoints=p.endpoints,
        certificates=tuple(
            CertificateView(
                cert_id=c.cert_id,
                subject=c.subject,
                issuer=c.issuer,
                not_before=c.not_before,
                not_after=c.not_after,
                fingerprint_sha256=c.sha256_fingerprint,
                oin=c.oin,
            )
            for c in p.certificates
        ),
    )


def details_of(
    cpa: Cpa, record: CpaRecord | None = None, connection_name: str | None = None
) -> CpaDetails:
    a, b = cpa.parties
    return CpaDetails(
        id=record.id if record else None,
        cpa_id=cpa.cpa_id,
        version=cpa.version,
        status=cpa.status,
        start=cpa.start,
        end=cpa.end,
        profile=cpa.profile.value,
        profiles=tuple(p.value for p in cpa.profiles),
        sending_supported=all(p.supported for p in cpa.profiles),
        parties=(_party_view(a), _party_view(b)),
        warnings=cpa.warnings(),
        sha256=cpa.sha256,
        filename=record.filename if record else "",
        imported_at=record.imported_at if record else None,
        imported_by=record.imported_by if record else "",
        connection_name=connection_name,
        replaced=record.replaced_at is not None if record else False,
    )


def _parties_text(cpa: Cpa) -> str:
    return " / ".join(f"{p.name} ({p.party_id.value})" for p in cpa.parties)


# --- the service ----------------------------------------------------------------------------


class CpaService:
    def __init__(self, db: Database, *, on_applied: Callable[[int], None] | None = None) -> None:
        self._db = db
        # Called with the connection id after a CPA was applied (drop cached TLS clients,
        # tell the simulator).
        self.on_applied = on_applied

    # -- import --
    def check(self, data: bytes) -> CpaDetails:
        """Parse and check without storing (the import dialog's preview)."""
        try:
            return details_of(parse_cpa(data))
        except CpaError as exc:
            raise CpaRefused(str(exc)) from exc

    def import_file(
        self, path: Path, *, connection_id: int | None = None, actor: str = "gebruiker"
    ) -> CpaImportResult:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CpaRefused(
                f"Het bestand {path} kan niet worden gelezen: {exc.strerror}."
            ) from exc
        return self.import_bytes(data, path.name, connection_id=connection_id, actor=actor)

    def import_bytes(
        self,
        data: bytes,
        filename: str = "",
        *,
        connection_id: int | None = None,
        actor: str = "gebruiker",
        now: datetime | None = None,
    ) -> CpaImportResult:
        """Store the CPA (every import is kept) and apply it to its connection, if any."""
        try:
            cpa = parse_cpa(data)
        except CpaError as exc:
            raise CpaRefused(str(exc)) from exc
        now = now or datetime.now(UTC)
        sha = hashlib.sha256(data).hexdigest()
        with self._db.session() as s:
            conn = self._target_connection(s, cpa, connection_id)
            record = s.scalar(
                select(CpaRecord).where(CpaRecord.sha256 == sha).order_by(CpaRecord.id.desc())
            )
            already = record is not None
            if record is None:
                record = CpaRecord(
                    cpa_id=cpa.cpa_id,
                    version=cpa.version,
                    status=cpa.status,
                    start_at=cpa.start,
                    end_at=cpa.end,
                    profile=cpa.profile.value,
                    parties=_parties_text(cpa),
                    sha256=sha,
                    filename=filename[:255],
                    document=bytes(data),
                    imported_at=now,
                    imported_by=actor,
                    connection_id=conn.id if conn is not None else None,
                )
                s.add(record)
                s.flush()
            applied_to: str | None = None
            if not already:
                audit.record(
                    s,
                    actor=actor,
                    action="cpa_import",
                    entity="cpa",
                    key=record.id,
                    label=cpa.cpa_id,
                    summary=f"CPA {cpa.cpa_id} geïmporteerd ({filename or 'zonder bestandsnaam'}).",
                    after={"cpa_id": cpa.cpa_id, "status": cpa.status, "sha256": sha},
                    at=now,
                )
            if conn is not None and conn.cpa_record_id != record.id:
                self._audit_apply(s, conn, record, cpa.cpa_id, actor, now)
                self._apply(s, cpa, record, conn, now)
                applied_to = conn.name
            elif conn is not None:
                applied_to = conn.name
            s.commit()
            details = details_of(cpa, record, applied_to)
            conn_id = conn.id if conn is not None else None
        if conn_id is not None and self.on_applied is not None:
            self.on_applied(conn_id)
        if already:
            message = f"Deze CPA was al geïmporteerd (nummer {record.id})."
        else:
            message = f"CPA {cpa.cpa_id} is opgeslagen (nummer {record.id})."
        if applied_to:
            message += f" Koppeling {applied_to} gebruikt deze CPA nu."
        else:
            message += " Geen koppeling past bij deze CPA (CPAId of OIN's); ze is alleen bewaard."
        return CpaImportResult(details, applied_to, already, message)

    @staticmethod
    def _audit_apply(
        s: Session, conn: m.Connection, record: CpaRecord, cpa_id: str, actor: str, now: datetime
    ) -> None:
        """A connection that changes CPA is a configuration change: who, when, before, after."""
        audit.record(
            s,
            actor=actor,
            action="cpa_apply",
            entity="connection",
            key=conn.id,
            label=conn.name,
            summary=f"Koppeling {conn.name} gebruikt nu CPA {cpa_id} (nummer {record.id}).",
            before={
                "cpa_record_id": conn.cpa_record_id,
                "cpa_id": conn.cpa_id,
                "endpoint_url": conn.endpoint_url,
            },
            after={"cpa_record_id": record.id, "cpa_id": cpa_id},
            at=now,
        )

    def apply(self, record_id: int, connection_id: int) -> CpaDetails:
        """Make a stored CPA the current CPA of a connection."""
        now = datetime.now(UTC)
        with self._db.session() as s:
            record = s.get(CpaRecord, record_id)
            conn = s.get(m.Connection, connection_id)
            if record is None:
                raise NotFound(f"CPA {record_id} bestaat niet.")
            if conn is None:
                raise NotFound(f"Koppeling {connection_id} bestaat niet.")
            cpa = parse_cpa(record.document)
            self._check_fits(cpa, conn)
            self._audit_apply(s, conn, record, cpa.cpa_id, "gebruiker", now)
            self._apply(s, cpa, record, conn, now)
            s.commit()
            details = details_of(cpa, record, conn.name)
        if self.on_applied is not None:
            self.on_applied(connection_id)
        return details

    # -- reading --
    def summaries(self) -> list[CpaSummary]:
        with self._db.session() as s:
            current = {
                cid: name
                for cid, name in s.execute(
                    select(m.Connection.cpa_record_id, m.Connection.name).where(
                        m.Connection.cpa_record_id.is_not(None)
                    )
                ).tuples()
            }
            out: list[CpaSummary] = []
            for r in s.scalars(
                select(CpaRecord).order_by(CpaRecord.imported_at.desc(), CpaRecord.id.desc())
            ):
                cpa = cpa_of_record(s, r.id)
                out.append(
                    CpaSummary(
                        id=r.id,
                        cpa_id=r.cpa_id,
                        status=r.status,
                        start=r.start_at,
                        end=r.end_at,
                        profile=r.profile,
                        parties=r.parties,
                        imported_at=r.imported_at,
                        imported_by=r.imported_by,
                        filename=r.filename,
                        connection_name=current.get(r.id),
                        replaced=r.replaced_at is not None,
                        warnings=cpa.warnings() if cpa is not None else (),
                    )
                )
            return out

    def show(self, record_id: int) -> CpaDetails:
        with self._db.session() as s:
            record = s.get(CpaRecord, record_id)
            if record is None:
                raise NotFound(f"CPA {record_id} bestaat niet. Zie 'cpa list' voor de nummers.")
            cpa = cpa_of_record(s, record.id)
            assert cpa is not None
            name = s.scalar(
                select(m.Connection.name).where(m.Connection.cpa_record_id == record.id)
            )
            return details_of(cpa, record, name)

    def document(self, record_id: int) -> bytes:
        with self._db.session() as s:
            record = s.get(CpaRecord, record_id)
            if record is None:
                raise NotFound(f"CPA {record_id} bestaat niet.")
            return bytes(record.document)

    def for_connection(self, connection_id: int) -> CpaDetails | None:
        with self._db.session() as s:
            conn = s.get(m.Connection, connection_id)
            if conn is None:
                raise NotFound(f"Koppeling {connection_id} bestaat niet.")
            record_id = conn.cpa_record_id
        return self.show(record_id) if record_id is not None else None

    def history(self, connection_id: int) -> list[CpaSummary]:
        """Every CPA ever applied to this connection, newest first."""
        return [c for c in self.summaries() if c.id in self._history_ids(connection_id)]

    def _history_ids(self, connection_id: int) -> set[int]:
        with self._db.session() as s:
            ids = set(
                s.scalars(select(CpaRecord.id).where(CpaRecord.connection_id == connection_id))
            )
            current = s.scalar(
                select(m.Connection.cpa_record_id).where(m.Connection.id == connection_id)
            )
        return ids | ({current} if current is not None else set())

    def connection_endpoint(self, connection_id: int) -> tuple[str, str | None]:
        """``(endpoint from the CPA, override)`` of a connection."""
        with self._db.session() as s:
            conn = s.get(m.Connection, connection_id)
            if conn is None:
                raise NotFound(f"Koppeling {connection_id} bestaat niet.")
            return conn.endpoint_url, conn.endpoint_override

    def set_endpoint_override(self, connection_id: int, url: str | None) -> None:
        """Send to *url* instead of the CPA's endpoint (None or empty: use the CPA's)."""
        value = (url or "").strip() or None
        if value is not None and not value.lower().startswith("https://"):
            raise CpaRefused(
                f"Het adres {value} begint niet met https://. Digikoppeling vereist HTTPS met "
                "tweezijdig TLS."
            )
        with self._db.session() as s:
            conn = s.get(m.Connection, connection_id)
            if conn is None:
                raise NotFound(f"Koppeling {connection_id} bestaat niet.")
            audit.record(
                s,
                actor="gebruiker",
                action="endpoint_override",
                entity="connection",
                key=conn.id,
                label=conn.name,
                summary=f"Eigen adres voor koppeling {conn.name}: {value or 'uit (adres uit de CPA)'}.",
                before={"endpoint_override": conn.endpoint_override},
                after={"endpoint_override": value},
            )
            conn.endpoint_override = value
            s.commit()
        if self.on_applied is not None:
            self.on_applied(connection_id)

    def send_issues(self, connection_id: int, organisation_id: int) -> list[FieldIssue]:
        """Blocking problems for sending on this connection, from its CPA (e.g. a profile
        the console cannot send: signed or encrypted)."""
        del organisation_id
        with self._db.session() as s:
            conn = s.get(m.Connection, connection_id)
            if conn is None:
                return []
            refusal = send_options(s, conn).refusal
        return [FieldIssue("CPA", refusal, blocking=True)] if refusal else []

    # -- internals --
    @staticmethod
    def _target_connection(s: Session, cpa: Cpa, connection_id: int | None) -> m.Connection | None:
        if connection_id is not None:
            conn = s.get(m.Connection, connection_id)
            if conn is None:
                raise NotFound(f"Koppeling {connection_id} bestaat niet.")
            CpaService._check_fits(cpa, conn)
            return conn
        conns = list(s.scalars(select(m.Connection).order_by(m.Connection.id)))
        same_id = [c for c in conns if c.cpa_id == cpa.cpa_id]
        if len(same_id) == 1 and _our_party(cpa, same_id[0]) is not None:
            return same_id[0]
        by_party = [c for c in conns if _both_parties(cpa, c)]
        return by_party[0] if len(by_party) == 1 else None

    @staticmethod
    def _check_fits(cpa: Cpa, conn: m.Connection) -> None:
        if _our_party(cpa, conn) is None:
            oins = ", ".join(p.party_id.value for p in cpa.parties)
            raise CpaRefused(
                f"CPA {cpa.cpa_id} past niet bij koppeling {conn.name}: het OIN van de koppeling "
                f"({strip_party_prefix(conn.from_party_id)}) is geen partij van de CPA ({oins})."
            )
        party = _our_party(cpa, conn)
        assert party is not None
        if not party.can_send:
            raise CpaRefused(
                f"Volgens CPA {cpa.cpa_id} mag {party.name} niets versturen; de koppeling "
                f"{conn.name} kan er geen berichten mee versturen."
            )

    @staticmethod
    def _apply(s: Session, cpa: Cpa, record: CpaRecord, conn: m.Connection, now: datetime) -> None:
        """Copy what the engine reads on every send from the CPA to the connection."""
        ours = _our_party(cpa, conn)
        assert ours is not None
        theirs = cpa.other(ours)
        actions = [b.action for b in ours.can_send]
        action = (
            conn.action
            if conn.action in actions
            else DEFAULT_LETTER_ACTION
            if DEFAULT_LETTER_ACTION in actions
            else actions[0]
        )
        binding = next(b for b in ours.can_send if b.action == action)
        conn.cpa_id = cpa.cpa_id
        conn.from_party_id = ours.party_id.value
        conn.from_role = binding.role
        conn.to_party_id = theirs.party_id.value
        conn.to_role = theirs.role
        conn.service = binding.service
        conn.service_type = binding.service_type
        conn.action = action
        route = route_of(cpa, conn)
        if route is not None:
            if route.endpoint:
                conn.endpoint_url = route.endpoint
            rm = route.reliable_messaging
            reliable = route.profile.reliable
            conn.retries = (rm.retries if rm and rm.retries is not None else 0) if reliable else 0
            interval = rm.retry_interval if rm and rm.retry_interval is not None else None
            conn.retry_interval_seconds = int(interval.total_seconds()) if interval else 0
            persist = rm.persist_duration if rm and rm.persist_duration else DEFAULT_PERSIST
            conn.persist_duration_seconds = int(persist.total_seconds())
            conn.sync_reply = route.channel.characteristics.sync
        previous = s.get(CpaRecord, conn.cpa_record_id) if conn.cpa_record_id else None
        if previous is not None and previous.id != record.id:
            previous.replaced_at = now
        record.replaced_at = None
        record.connection_id = conn.id
        conn.cpa_record_id = record.id


def _our_party(cpa: Cpa, conn: m.Connection) -> CpaParty | None:
    party = cpa.party_by_oin(strip_party_prefix(conn.from_party_id))
    if party is None and conn.owner is not None:
        party = cpa.party_by_oin(conn.owner.oin)
    return party


def _both_parties(cpa: Cpa, conn: m.Connection) -> bool:
    """The connection's own OIN and its other party's OIN are the CPA's two parties."""
    ours = _our_party(cpa, conn)
    theirs = cpa.party_by_oin(strip_party_prefix(conn.to_party_id))
    return ours is not None and theirs is not None and ours is not theirs
