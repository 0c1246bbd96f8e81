"""Small repositories over a caller-owned Session.

They add, find and list rows; they never commit (the caller owns the unit of work, see
``Database.session()``) and hold no business rules: which status may follow which is decided
in ``console.domain.lifecycle`` and by the engine before a repository records it.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import InstrumentedAttribute

from console.db.models import (
    Batch,
    BatchStatus,
    BerichtType,
    Connection,
    DeliveryAttempt,
    EbmsDirection,
    EbmsMessage,
    EbmsStatus,
    InboundMessageId,
    Letter,
    LetterEventRecord,
    Organisation,
    Setting,
    UnmatchedResult,
    connection_organisations,
    utc_now,
)
from console.db.models_monitoring import nocase, nocase_prefix, unindexed
from console.domain.lifecycle import LetterStatus

# SQLite allows at least 999 bound parameters per statement; stay well below.
_IN_CHUNK = 500


def _chunks(values: Sequence[int], size: int = _IN_CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class OrganisationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, organisation: Organisation) -> Organisation:
        self._session.add(organisation)
        self._session.flush()
        return organisation

    def get(self, organisation_id: int) -> Organisation | None:
        return self._session.get(Organisation, organisation_id)

    def get_by_oin(self, oin: str) -> Organisation | None:
        return self._session.scalars(select(Organisation).where(Organisation.oin == oin)).first()

    def list_all(self, *, active_only: bool = False) -> list[Organisation]:
        query = select(Organisation).order_by(Organisation.name, Organisation.id)
        if active_only:
            query = query.where(Organisation.active.is_(True))
        return list(self._session.scalars(query))


class ConnectionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, connection: Connection) -> Connection:
        self._session.add(connection)
        self._session.flush()
        return connection

    def get(self, connection_id: int) -> Connection | None:
        return self._session.get(Connection, connection_id)

    def get_by_name(self, name: str) -> Connection | None:
        return self._session.scalars(select(Connection).where(Connection.name == name)).first()

    def list_all(self, *, active_only: bool = False) -> list[Connection]:
        query = select(Connection).order_by(Connection.name)
        if active_only:
            query = query.where(Connection.active.is_(True))
        return list(self._session.scalars(query))

    def list_for_organisation(
        self, organisation_id: int, *, active_only: bool = False
    ) -> list[Connection]:
        """Connections owned by the organisation or allowed to send for it."""
        allowed = select(connection_organisations.c.connection_id).where(
            connection_organisations.c.organisation_id == organisation_id
        )
        query = (
            select(Connection)
            .where(
                or_(
                    Connection.owner_organisation_id == organisation_id,
                    Connection.id.in_(allowed),
                )
            )
            .order_by(Connection.name)
        )
        if active_only:
            query = query.where(Connection.active.is_(True))
        return list(self._session.scalars(query))


class BerichtTypeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, berichttype: BerichtType) -> BerichtType:
        self._session.add(berichttype)
        self._session.flush()
        return berichttype

    def get(self, organisation_id: int, code: str) -> BerichtType | None:
        return self._session.scalars(
            select(BerichtType).where(
                BerichtType.organisation_id == organisation_id, BerichtType.code == code
            )
        ).first()

    def list_for_organisation(self, organisation_id: int) -> list[BerichtType]:
        return list(
            self._session.scalars(
                select(BerichtType)
                .where(BerichtType.organisation_id == organisation_id)
                .order_by(BerichtType.code)
            )
        )


@dataclass(frozen=True, slots=True)
class LetterFilter:
    """What the message log filters on. Unset (None) fields do not filter.

    ``status`` is one status or a set of them. ``created_from`` is inclusive, ``created_to``
    exclusive. ``text`` matches the start of referentie or onderwerp (case-insensitive).
    ``batch_or_bericht_id`` matches either the BatchID or the BerichtID. ``referentie`` is an
    exact match that ignores case. ``acknowledged_before``: acknowledged by Logius before that
    moment and still without a result (the "no result after N hours" filter).
    Every condition is one an index serves (see ``console.db.models_monitoring``).
    """

    bsn: str | None = None
    referentie: str | None = None
    berichttype: str | None = None
    organisation_id: int | None = None
    batch_or_bericht_id: str | None = None
    status: LetterStatus | frozenset[LetterStatus] | None = None
    verwerkings_code: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None
    acknowledged_before: datetime | None = None

    def conditions(self, *, indexed: bool = True) -> list[ColumnElement[bool]]:
        """The WHERE terms. ``indexed=False``: the same terms, but SQLite may not use an index
        for them (to make it walk the sort index instead, for a first page)."""
        c: Any = (lambda column: column) if indexed else unindexed
        conditions: list[ColumnElement[bool]] = []
        if self.bsn is not None:
            conditions.append(c(Letter.bsn) == self.bsn)
        if self.referentie is not None:
            conditions.append(nocase(c(Letter.referentie)) == self.referentie.strip().lower())
        if self.berichttype is not None:
            conditions.append(c(Letter.berichttype) == self.berichttype)
        if self.organisation_id is not None:
            conditions.append(c(Letter.organisation_id) == self.organisation_id)
        if self.batch_or_bericht_id is not None:
            value = self.batch_or_bericht_id.strip()
            conditions.append(or_(c(Letter.batch_id) == value, c(Letter.bericht_id) == value))
        if isinstance(self.status, str):
            conditions.append(c(Letter.status) == self.status)
        elif self.status is not None:
            conditions.append(c(Letter.status).in_(sorted(self.status)))
        if self.verwerkings_code is not None:
            conditions.append(c(Letter.verwerkings_code) == self.verwerkings_code)
        if self.created_from is not None:
            conditions.append(c(Letter.created_at) >= self.created_from)
        if self.created_to is not None:
            conditions.append(c(Letter.created_at) < self.created_to)
        if self.text:
            conditions.append(
                or_(
                    nocase_prefix(c(Letter.referentie), self.text),
                    nocase_prefix(c(Letter.onderwerp), self.text),
                )
            )
        if self.acknowledged_before is not None:
            conditions.append(c(Letter.status) == LetterStatus.ACKNOWLEDGED)
            conditions.append(c(Letter.acknowledged_at) < self.acknowledged_before)
        return conditions


LETTER_SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "id": Letter.id,
    "created_at": Letter.created_at,
    "updated_at": Letter.updated_at,
    "result_at": Letter.result_at,
    "publicatie_datum": Letter.publicatie_datum,
    "bsn": Letter.bsn,
    "referentie": Letter.referentie,
    "onderwerp": Letter.onderwerp,
    "berichttype": Letter.berichttype,
    "status": Letter.status,
    "verwerkings_code": Letter.verwerkings_code,
    "batch_id": Letter.batch_id,
    "organisation_id": Letter.organisation_id,
}


# The ORDER BY per sort key: the columns of the index that serves it, so SQLite reads the
# index in order instead of sorting millions of rows (the rowid, our id, breaks ties).
LETTER_SORT_ORDERS: dict[str, tuple[Any, ...]] = {
    "organisation_id": (Letter.organisation_id, Letter.created_at),
    "berichttype": (Letter.berichttype, Letter.organisation_id, Letter.created_at),
    "status": (Letter.status, Letter.created_at),
    "verwerkings_code": (Letter.verwerkings_code, Letter.created_at),
    "onderwerp": (Letter.onderwerp,),
}
# Below this share of all letters a filter counts as selective: its matches are found with
# the filter's index and then sorted, instead of walking the sort index past every letter.
SELECTIVE_SHARE = 0.25
# For a first page: walk the sort index when that visits at most this many letters.
FIRST_PAGE_WALK = 200_000
# The index whose order is each sort key's order (see LETTER_SORT_ORDERS).
SORT_INDEXES = {
    "created_at": "ix_letters_created_at",
    "organisation_id": "ix_letters_organisation_id_created_at",
    "berichttype": "ix_letters_berichttype_organisation_id_created_at",
    "status": "ix_letters_status_created_at",
    "verwerkings_code": "ix_letters_verwerkings_code_created_at",
    "referentie": "ix_letters_referentie",
    "onderwerp": "ix_letters_onderwerp_nocase",
    "bsn": "ix_letters_bsn",
    "batch_id": "ix_letters_batch_id",
}


def _order_columns(order_by: str, *, use_index: bool = True) -> tuple[ColumnElement[Any], ...]:
    try:
        column = LETTER_SORT_COLUMNS[order_by]
    except KeyError:
        raise ValueError(f"Cannot sort letters by {order_by!r}") from None
    columns = LETTER_SORT_ORDERS.get(order_by, (column,))
    out: list[ColumnElement[Any]] = []
    for c in columns:
        expr: ColumnElement[Any] = c if use_index else unindexed(c)
        out.append(nocase(expr) if c is Letter.onderwerp else expr)
    return tuple(out)


def _has_conditions(letter_filter: LetterFilter | None) -> bool:
    return letter_filter is not None and bool(letter_filter.conditions())


_first = itemgetter(0)
_PARSE_STEP = 4_000_000  # characters per slice: about 500.000 ids, a few MB at a time


def _parse_ids(joined: str, out: array[int]) -> None:
    """Append the comma-separated integers in *joined* to *out* (C-speed, in slices)."""
    position, end = 0, len(joined)
    while position < end:
        stop = joined.find(",", position + _PARSE_STEP)
        if stop == -1:
            stop = end
        out.extend(json.loads("[" + joined[position:stop] + "]"))
        position = stop + 1


class LetterRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, letter: Letter) -> Letter:
        self._session.add(letter)
        self._session.flush()
        return letter

    def get(self, letter_id: int) -> Letter | None:
        return self._session.get(Letter, letter_id)

    def get_by_bericht_id(self, bericht_id: str) -> Letter | None:
        return self._session.scalars(select(Letter).where(Letter.bericht_id == bericht_id)).first()

    def list_by_batch(self, batch_id: str) -> list[Letter]:
        return list(
            self._session.scalars(
                select(Letter).where(Letter.batch_id == batch_id).order_by(Letter.id)
            )
        )

    def set_status(
        self,
        letter: Letter,
        new_status: LetterStatus,
        *,
        event_kind: str,
        detail: str = "",
        actor: str = "",
        at: datetime | None = None,
    ) -> LetterEventRecord:
        """Record *new_status* (already decided by the lifecycle) and append a timeline entry."""
        moment = at or utc_now()
        letter.status = new_status
        letter.updated_at = moment
        return self.add_event(letter, kind=event_kind, detail=detail, actor=actor, at=moment)

    def add_event(
        self,
        letter: Letter,
        *,
        kind: str,
        detail: str = "",
        actor: str = "",
        at: datetime | None = None,
    ) -> LetterEventRecord:
        """Append a timeline entry without changing the status (e.g. 'BSN ingezien')."""
        record = LetterEventRecord(
            letter=letter, at=at or utc_now(), kind=str(kind), detail=detail, actor=actor
        )
        self._session.add(record)
        self._session.flush()
        return record

    def events(self, letter_id: int) -> list[LetterEventRecord]:
        return list(
            self._session.scalars(
                select(LetterEventRecord)
                .where(LetterEventRecord.letter_id == letter_id)
                .order_by(LetterEventRecord.at, LetterEventRecord.id)
            )
        )

    def count(self, letter_filter: LetterFilter | None = None) -> int:
        if letter_filter is not None and letter_filter.text:
            return self._count_text(letter_filter)
        query = select(func.count()).select_from(Letter)  # count(*): SQLite counts an index
        if letter_filter is not None:
            query = query.where(*letter_filter.conditions())
        return int(self._session.scalar(query) or 0)

    def _count_text(self, letter_filter: LetterFilter) -> int:
        """Referentie OR onderwerp starts with the text, counted as |R| + |O| - |R and O|.

        Each part is a range on its own index; counting the OR directly makes SQLite collect
        and de-duplicate every matching row id (seconds for a common word in millions).
        """
        assert letter_filter.text is not None
        rest = replace(letter_filter, text=None).conditions()
        by_ref = nocase_prefix(Letter.referentie, letter_filter.text)
        by_subject = nocase_prefix(Letter.onderwerp, letter_filter.text)

        def n(*conditions: ColumnElement[bool]) -> int:
            query = select(func.count()).select_from(Letter).where(*rest, *conditions)
            return int(self._session.scalar(query) or 0)

        refs, subjects = n(by_ref), n(by_subject)
        both = n(by_ref, by_subject) if refs and subjects else 0
        return refs + subjects - both

    def ids(
        self,
        letter_filter: LetterFilter | None = None,
        *,
        order_by: str = "created_at",
        descending: bool = True,
        limit: int | None = None,
    ) -> list[int]:
        """The ids of matching letters, sorted in SQL (ties broken by id, same direction)."""
        return list(
            self._session.scalars(self._ids_query(letter_filter, order_by, descending, limit))
        )

    def id_array(
        self,
        letter_filter: LetterFilter | None = None,
        *,
        order_by: str = "created_at",
        descending: bool = True,
        limit: int | None = None,
    ) -> array[int]:
        """Like :meth:`ids`, as a compact ``array('q')``: 8 bytes per id, for millions of ids.

        The ids are read straight from the driver's cursor in big chunks, without SQLAlchemy's
        per-row processing (ids are plain integers), into the array.
        """
        matches = self.count(letter_filter) if _has_conditions(letter_filter) else None
        return self._fetch_ids(letter_filter, order_by, descending, limit, matches)

    def first_ids(
        self,
        letter_filter: LetterFilter | None = None,
        *,
        order_by: str = "created_at",
        descending: bool = True,
        limit: int = 1000,
    ) -> tuple[int, array[int]]:
        """The exact number of matches and the first *limit* ids (the first screen, at once)."""
        total = self.count(letter_filter)
        return total, self._fetch_ids(letter_filter, order_by, descending, limit, total)

    def _fetch_ids(
        self,
        letter_filter: LetterFilter | None,
        order_by: str,
        descending: bool,
        limit: int | None,
        matches: int | None,
    ) -> array[int]:
        use_index = True
        force_walk = False
        if matches is not None and _has_conditions(letter_filter):
            # All (or many) matches are read, so walking the sort index past every letter only
            # pays when most letters match; otherwise find them by the filter's index and sort.
            if matches > 1000:
                # Two statements: SQLite answers each from the primary key at once (a
                # combined min/max would scan the table).
                low = self._session.scalar(select(func.min(Letter.id)))
                high = self._session.scalar(select(func.max(Letter.id)))
                spread = (high - low + 1) if low is not None and high is not None else 0
                use_index = matches >= spread * SELECTIVE_SHARE
                if limit is not None:
                    # Only the first *limit*: walking the sort index finds them after about
                    # limit * spread / matches letters; cheaper than sorting every match.
                    # SQLite would rather take the filter's index (and sort), so the filter
                    # is written in a form no index serves.
                    walk = limit * spread <= matches * FIRST_PAGE_WALK
                    force_walk = walk and order_by in SORT_INDEXES
                    use_index = use_index or force_walk
            else:
                use_index = False
        query = self._ids_query(
            letter_filter, order_by, descending, limit, use_index=use_index, walk=force_walk
        )
        ids = array("q")
        if self._session.connection().dialect.name == "sqlite":
            # SQLite joins the ids into one text in C (without holding Python's GIL, so the
            # GUI stays smooth) in the order of the subquery, which SQLite keeps for an
            # aggregate over a subquery with ORDER BY (it is never flattened into it).
            joined = self._session.scalar(select(func.group_concat(query.subquery().c.id)))
            if joined:
                _parse_ids(joined, ids)
            return ids
        result = self._session.connection().execute(query)
        try:
            cursor = result.cursor
            while chunk := cursor.fetchmany(65536):
                ids.extend(map(_first, chunk))
        finally:
            result.close()
        return ids

    @staticmethod
    def _ids_query(
        letter_filter: LetterFilter | None,
        order_by: str,
        descending: bool,
        limit: int | None,
        *,
        use_index: bool = True,
        walk: bool = False,
    ) -> Select[tuple[int]]:
        columns = _order_columns(order_by, use_index=use_index)
        tie: Any = Letter.id if use_index else unindexed(Letter.id)
        query: Select[tuple[int]] = select(Letter.id)
        if letter_filter is not None:
            query = query.where(*letter_filter.conditions(indexed=not walk))
        if descending:
            query = query.order_by(*(c.desc() for c in columns), tie.desc())
        else:
            query = query.order_by(*(c.asc() for c in columns), tie.asc())
        if limit is not None:
            query = query.limit(limit)
        return query

    def rows_for_ids(self, ids: Sequence[int]) -> list[Letter]:
        """The letters for *ids* in the same order; ids that no longer exist are skipped."""
        found: dict[int, Letter] = {}
        for chunk in _chunks(list(ids)):
            rows = self._session.scalars(
                # The log never shows the text: do not read it for a block of rows.
                select(Letter).where(Letter.id.in_(chunk)).options(lazyload(Letter.content))
            )
            for letter in rows:
                found[letter.id] = letter
        return [found[letter_id] for letter_id in ids if letter_id in found]


class BatchRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, batch: Batch) -> Batch:
        self._session.add(batch)
        self._session.flush()
        return batch

    def get(self, batch_pk: int) -> Batch | None:
        return self._session.get(Batch, batch_pk)

    def get_by_batch_id(self, batch_id: str) -> Batch | None:
        return self._session.scalars(select(Batch).where(Batch.batch_id == batch_id)).first()

    def list_by_status(self, *statuses: BatchStatus) -> list[Batch]:
        return list(
            self._session.scalars(
                select(Batch).where(Batch.status.in_(statuses)).order_by(Batch.created_at, Batch.id)
            )
        )


class EbmsMessageRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, message: EbmsMessage) -> EbmsMessage:
        self._session.add(message)
        self._session.flush()
        return message

    def get(self, message_pk: int) -> EbmsMessage | None:
        return self._session.get(EbmsMessage, message_pk)

    def get_by_message_id(self, message_id: str) -> EbmsMessage | None:
        return self._session.scalars(
            select(EbmsMessage).where(EbmsMessage.message_id == message_id)
        ).first()

    def list_by_ref_to(self, ref_to_message_id: str) -> list[EbmsMessage]:
        return list(
            self._session.scalars(
                select(EbmsMessage)
                .where(EbmsMessage.ref_to_message_id == ref_to_message_id)
                .order_by(EbmsMessage.created_at, EbmsMessage.id)
            )
        )

    def list_by_batch(self, batch_id: str) -> list[EbmsMessage]:
        return list(
            self._session.scalars(
                select(EbmsMessage)
                .where(EbmsMessage.batch_id == batch_id)
                .order_by(EbmsMessage.created_at, EbmsMessage.id)
            )
        )

    def list_by_status(self, *statuses: EbmsStatus) -> list[EbmsMessage]:
        return list(
            self._session.scalars(
                select(EbmsMessage)
                .where(EbmsMessage.status.in_(statuses))
                .order_by(EbmsMessage.created_at, EbmsMessage.id)
            )
        )

    def due_outbound(self, now: datetime, limit: int = 100) -> list[EbmsMessage]:
        """Outbound messages waiting to be sent whose next attempt is due, oldest due first."""
        return list(
            self._session.scalars(
                select(EbmsMessage)
                .where(
                    EbmsMessage.direction == EbmsDirection.OUT,
                    EbmsMessage.status == EbmsStatus.PENDING,
                    EbmsMessage.next_attempt_at.is_not(None),
                    EbmsMessage.next_attempt_at <= now,
                )
                .order_by(EbmsMessage.next_attempt_at, EbmsMessage.id)
                .limit(limit)
            )
        )

    def add_attempt(
        self,
        message: EbmsMessage,
        *,
        url: str,
        outcome: str,
        started_at: datetime | None = None,
        http_status: int | None = None,
        error: str | None = None,
        duration_ms: int = 0,
    ) -> DeliveryAttempt:
        attempt = DeliveryAttempt(
            ebms_message=message,
            started_at=started_at or utc_now(),
            url=url,
            http_status=http_status,
            error=error,
            duration_ms=duration_ms,
            outcome=str(outcome),
        )
        self._session.add(attempt)
        self._session.flush()
        return attempt

    def attempts(self, message_pk: int) -> list[DeliveryAttempt]:
        return list(
            self._session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.ebms_message_id == message_pk)
                .order_by(DeliveryAttempt.started_at, DeliveryAttempt.id)
            )
        )


class UnmatchedResultRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self, *, raw: bytes, reason: str, batch_id: str | None, received_at: datetime | None = None
    ) -> UnmatchedResult:
        row = UnmatchedResult(
            raw=raw, reason=reason, batch_id=batch_id, received_at=received_at or utc_now()
        )
        self._session.add(row)
        self._session.flush()
        return row

    def list_all(self) -> list[UnmatchedResult]:
        return list(
            self._session.scalars(
                select(UnmatchedResult).order_by(UnmatchedResult.received_at, UnmatchedResult.id)
            )
        )


class InboundMessageIdRepository:
    """Inbound MessageIds kept for duplicate elimination until ``keep_until``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def seen(self, message_id: str) -> bool:
        return self._session.get(InboundMessageId, message_id) is not None

    def remember(
        self, message_id: str, *, keep_until: datetime, received_at: datetime | None = None
    ) -> None:
        """Remember *message_id*; remembering it again extends (never shortens) the window."""
        row = self._session.get(InboundMessageId, message_id)
        if row is None:
            self._session.add(
                InboundMessageId(
                    message_id=message_id,
                    received_at=received_at or utc_now(),
                    keep_until=keep_until,
                )
            )
        elif keep_until > row.keep_until:
            row.keep_until = keep_until
        self._session.flush()

    def purge_expired(self, now: datetime) -> int:
        """Forget ids whose window ended before *now*; returns how many were forgotten."""
        # The default synchronisation also drops deleted rows from this session's identity map.
        result = self._session.execute(
            delete(InboundMessageId).where(InboundMessageId.keep_until < now)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SettingsRepository:
    """Key/value settings stored as JSON."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, key: str, default: Any = None) -> Any:
        row = self._session.get(Setting, key)
        if row is None:
            return default
        return json.loads(row.value)

    def set(self, key: str, value: Any) -> None:
        encoded = json.dumps(value, ensure_ascii=False, sort_keys=True)
        row = self._session.get(Setting, key)
        if row is None:
            self._session.add(Setting(key=key, value=encoded))
        else:
            row.value = encoded
        self._session.flush()

    def delete(self, key: str) -> None:
        row = self._session.get(Setting, key)
        if row is not None:
            self._session.delete(row)
            self._session.flush()

    def all(self) -> dict[str, Any]:
        return {
            row.key: json.loads(row.value)
            for row in self._session.scalars(select(Setting).order_by(Setting.key))
        }
