"""AbonnementService answers: received over ebMS, stored, then imported streaming.

The answer arrives as an ebMS user message whose action is **not confirmed** by any source
(interface reference 2.3 and 8.3): the handler is registered under the action in the
setting ``abs.antwoord_actie`` (default ``GLOBE-R-A-Result``) in
``SignalProcessor.action_handlers``.

Receiving and importing are split. The handler only stores the gzipped payload in the same
transaction that records the inbound message and its acknowledgment (so a crash makes
Logius resend, never lose it). After that transaction commits, a worker thread imports the
answer: it reads it streaming (flat memory, up to about a million BSNs) into a new
:class:`SubscriptionSnapshot` in one transaction. An answer that cannot be imported is kept
with the reason.

:func:`subscription_hints` answers "what does the newest snapshot say about these BSNs",
for the preflight and the support check.

Old snapshots are thinned out (:func:`prune_snapshots`, after every import): a snapshot that
a newer *Volledig* snapshot of the same organisation has replaced, and whose peildatum is
older than the setting ``abs.bewaar_dagen`` (default 90 days), loses its BSN rows (up to a
million each); its summary (kind, dates, counts) stays in the list. The hints never read
such a snapshot: a Volledig snapshot covers every BSN, so the search stops there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.berichtenbox.abonnement import (
    DEFAULT_ANSWER_ACTION,
    DEFAULT_MAX_ANSWER_BYTES,
    AanvraagSoort,
    AbonnementParseError,
    AbonnementStatus,
    open_antwoord_rows,
)
from console.berichtenbox.preflight import SubscriptionHint
from console.db import models as m
from console.db import models_subscriptions as ms
from console.db.database import Database
from console.db.repositories import SettingsRepository
from console.digikoppeling.ebms.model import EbmsMessage
from console.engine.letters import rows_affected
from console.xml.parser import XmlInputError

log = logging.getLogger(__name__)

KEY_ANSWER_ACTION = "abs.antwoord_actie"
_SUBSCRIBED = AbonnementStatus.SUBSCRIBED.value
KEY_REQUEST_ACTION = "abs.aanvraag_actie"
KEY_KEEP_DAYS = "abs.bewaar_dagen"
DEFAULT_KEEP_DAYS = 90
MIN_KEEP_DAYS, MAX_KEEP_DAYS = 7, 3650
_IN_CHUNK = 500
_PRUNE_CHUNK = 50_000  # BSN rows per transaction: the engine's writers wait at most that long


def answer_action(settings: Mapping[str, Any]) -> str:
    value = str(settings.get(KEY_ANSWER_ACTION) or "").strip()
    return value or DEFAULT_ANSWER_ACTION


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    answer_id: int
    imported: bool
    snapshot_id: int | None
    entries: int
    detail: str


class SubscriptionImporter:
    """Stores ABS answers (the ebMS handler) and imports them on a worker thread."""

    def __init__(self, db: Database, *, max_bytes: int = DEFAULT_MAX_ANSWER_BYTES) -> None:
        self._db = db
        self._max_bytes = max_bytes
        self._lock = threading.Lock()  # one import at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.imported = 0

    # --- the ebMS action handler ---
    def handle(self, s: Session, msg: EbmsMessage, row: m.EbmsMessage) -> str | None:
        """Keep the answer; the import starts after this transaction commits."""
        now = datetime.now(UTC)
        payload = bytes(msg.payloads[0].data) if msg.payloads else None
        answer = ms.SubscriptionAnswer(
            received_at=now,
            message_id=msg.header.message_id,
            connection_id=row.connection_id,
            payload=payload,
            payload_bytes=len(payload or b""),
            status=ms.SubscriptionAnswerStatus.PENDING
            if payload
            else ms.SubscriptionAnswerStatus.FAILED,
            detail=None if payload else "Abonnementsantwoord zonder inhoud ontvangen.",
        )
        s.add(answer)
        if payload:
            event.listen(s, "after_commit", lambda _session: self.wake(), once=True)
        return None

    # --- the worker ---
    def start(self) -> SubscriptionImporter:
        if self._thread is not None:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="abs-import", daemon=True)
        self._thread.start()
        self.wake()  # answers left pending by a crash
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(5.0)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.import_pending()
            except Exception:  # keep the worker alive; the answer stays pending
                log.exception("Import van abonnementsantwoorden mislukt")

    def import_pending(self) -> list[ImportOutcome]:
        with self._db.session() as s:
            ids = list(
                s.scalars(
                    select(ms.SubscriptionAnswer.id)
                    .where(ms.SubscriptionAnswer.status == ms.SubscriptionAnswerStatus.PENDING)
                    .order_by(ms.SubscriptionAnswer.id)
                )
            )
        return [self.import_answer(answer_id) for answer_id in ids]

    def import_answer(self, answer_id: int) -> ImportOutcome:
        with self._lock:
            try:
                return self._import(answer_id)
            except (AbonnementParseError, XmlInputError, IntegrityError, ValueError) as exc:
                detail = (
                    "Een BSN staat meer dan eens in het antwoord."
                    if isinstance(exc, IntegrityError)
                    else str(exc)
                )
                return self._failed(answer_id, f"Het antwoord kon niet worden ingelezen: {detail}")

    def _failed(self, answer_id: int, detail: str) -> ImportOutcome:
        log.warning("Abonnementsantwoord %s: %s", answer_id, detail)
        with self._db.session() as s:
            answer = s.get(ms.SubscriptionAnswer, answer_id)
            if answer is not None:
                answer.status = ms.SubscriptionAnswerStatus.FAILED
                answer.detail = detail
                if answer.verzoek_id:
                    req = _request(s, answer.verzoek_id)
                    if req is not None:
                        req.status = ms.SubscriptionRequestStatus.FAILED
                        req.detail = detail
            s.commit()
        return ImportOutcome(answer_id, False, None, 0, detail)

    def _import(self, answer_id: int) -> ImportOutcome:
        with self._db.session() as s:
            answer = s.get(ms.SubscriptionAnswer, answer_id)
            if answer is None or answer.status is not ms.SubscriptionAnswerStatus.PENDING:
                return ImportOutcome(answer_id, False, None, 0, "Niet (meer) te importeren.")
            payload = answer.payload or b""
            kop, batches = open_antwoord_rows(payload, max_bytes=self._max_bytes)
            answer.verzoek_id = kop.verzoek_id[:100]
            org = s.scalar(select(m.Organisation).where(m.Organisation.oin == kop.oin))
            if org is None:
                raise AbonnementParseError(
                    f"Het antwoord is voor OIN {kop.oin}; die organisatie is niet bekend."
                )
            req = _request(s, kop.verzoek_id)
            snapshot = ms.SubscriptionSnapshot(
                organisation_id=org.id,
                request_id=req.id if req is not None else None,
                verzoek_id=kop.verzoek_id[:100],
                soort=kop.soort.value,
                peil_datum=kop.peil_datum,
                mutatie_datum=kop.mutatie_datum,
                received_at=answer.received_at,
            )
            s.add(snapshot)
            s.flush()
            total = subscribed = 0
            connection = s.connection()
            statement = _insert_entries(connection.dialect.paramstyle)
            snapshot_id = snapshot.id
            for batch in batches:
                # Straight to the driver's executemany: a million rows in seconds, not minutes.
                connection.exec_driver_sql(
                    statement, [(snapshot_id, bsn, status) for bsn, status in batch]
                )
                total += len(batch)
                subscribed += sum(1 for _bsn, status in batch if status == _SUBSCRIBED)
            snapshot.entry_count = total
            snapshot.subscribed_count = subscribed
            answer.status = ms.SubscriptionAnswerStatus.IMPORTED
            answer.snapshot_id = snapshot.id
            answer.payload = None  # the raw ebMS message keeps the evidence
            detail = (
                f"{kop.soort.label}: {_n(total)} BSN's ingelezen, waarvan {_n(subscribed)} "
                "geabonneerd."
            )
            if req is None:
                detail += f" Geen eigen aanvraag met VerzoekId {kop.verzoek_id} gevonden."
            else:
                req.status = ms.SubscriptionRequestStatus.ANSWERED
                req.answered_at = datetime.now(UTC)
                req.detail = detail
            answer.detail = detail
            s.commit()
            self.imported += 1
            log.info("Abonnementsantwoord %s ingelezen: %s", kop.verzoek_id, detail)
            org_id = org.id
        try:
            prune_snapshots(self._db, org_id, now=datetime.now(UTC))
        except Exception:  # the import stands; thinning out is tried again after the next one
            log.exception("Oude abonnementsoverzichten opruimen mislukt")
        return ImportOutcome(answer_id, True, snapshot_id, total, detail)


@dataclass(frozen=True, slots=True)
class PruneOutcome:
    snapshots: int  # snapshots whose BSN rows were removed
    entries: int  # BSN rows removed


def keep_days(settings: Mapping[str, Any]) -> int:
    """``abs.bewaar_dagen``: days an outdated snapshot keeps its BSN rows (clamped)."""
    try:
        value = int(settings.get(KEY_KEEP_DAYS, DEFAULT_KEEP_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_KEEP_DAYS
    return min(max(value, MIN_KEEP_DAYS), MAX_KEEP_DAYS)


def prune_snapshots(
    db: Database, organisation_id: int, *, now: datetime, days: int | None = None
) -> PruneOutcome:
    """Remove the BSN rows of the organisation's outdated snapshots (see the module docstring).

    Outdated: an organisation's Volledig snapshot with a later peildatum exists, and the
    peildatum is more than *days* (default: the setting) ago. In chunks of
    :data:`_PRUNE_CHUNK` rows, one transaction each, so the engine is never held up long.
    """
    with db.session() as s:
        if days is None:
            days = keep_days(SettingsRepository(s).all())
        newest_full = s.scalar(
            select(func.max(ms.SubscriptionSnapshot.peil_datum)).where(
                ms.SubscriptionSnapshot.organisation_id == organisation_id,
                ms.SubscriptionSnapshot.soort == AanvraagSoort.VOLLEDIG.value,
            )
        )
        if newest_full is None:
            return PruneOutcome(0, 0)
        cutoff = min(newest_full, now - timedelta(days=days))
        candidates = list(
            s.scalars(
                select(ms.SubscriptionSnapshot.id).where(
                    ms.SubscriptionSnapshot.organisation_id == organisation_id,
                    ms.SubscriptionSnapshot.peil_datum < cutoff,
                )
            )
        )
    snapshots = entries = 0
    for snapshot_id in candidates:
        removed = 0
        while True:
            with db.session() as s:
                inner = (
                    select(ms.SubscriptionEntry.bsn)
                    .where(ms.SubscriptionEntry.snapshot_id == snapshot_id)
                    .limit(_PRUNE_CHUNK)
                    .scalar_subquery()
                )
                n = rows_affected(
                    s.execute(
                        delete(ms.SubscriptionEntry).where(
                            ms.SubscriptionEntry.snapshot_id == snapshot_id,
                            ms.SubscriptionEntry.bsn.in_(inner),
                        )
                    )
                )
            removed += n
            if n < _PRUNE_CHUNK:
                break
        if removed:
            snapshots += 1
            entries += removed
    if snapshots:
        log.info(
            "Abonnementsoverzichten: van %d oude overzicht(en) %s BSN-regels verwijderd",
            snapshots,
            _n(entries),
        )
    return PruneOutcome(snapshots, entries)


def _insert_entries(paramstyle: str) -> str:
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(paramstyle)
    if marker is None:  # numeric / named: let SQLAlchemy's own markers do it
        marker = "?"
    return (
        "INSERT INTO subscription_entries (snapshot_id, bsn, status) "
        f"VALUES ({marker}, {marker}, {marker})"
    )


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _request(s: Session, verzoek_id: str) -> ms.SubscriptionRequest | None:
    return s.scalar(
        select(ms.SubscriptionRequest).where(ms.SubscriptionRequest.verzoek_id == verzoek_id)
    )


def subscription_hints(
    s: Session, organisation_id: int, bsns: Iterable[str], *, max_snapshots: int = 20
) -> dict[str, SubscriptionHint]:
    """What the newest snapshot covering each BSN says; BSNs no snapshot covers are absent.

    A BSN is covered by a BSN-lijst or Mutatie snapshot that lists it, and by every
    Volledig snapshot (absent from a Volledig list means: not subscribed on that date).
    """
    wanted = set(bsns)
    found: dict[str, SubscriptionHint] = {}
    snapshots = list(
        s.execute(
            select(
                ms.SubscriptionSnapshot.id,
                ms.SubscriptionSnapshot.soort,
                ms.SubscriptionSnapshot.peil_datum,
            )
            .where(ms.SubscriptionSnapshot.organisation_id == organisation_id)
            .order_by(ms.SubscriptionSnapshot.peil_datum.desc(), ms.SubscriptionSnapshot.id.desc())
            .limit(max_snapshots)
        ).tuples()
    )
    for snapshot_id, soort, peil in snapshots:
        remaining = sorted(wanted - found.keys())
        if not remaining:
            break
        for start in range(0, len(remaining), _IN_CHUNK):
            chunk = remaining[start : start + _IN_CHUNK]
            rows = s.execute(
                select(ms.SubscriptionEntry.bsn, ms.SubscriptionEntry.status).where(
                    ms.SubscriptionEntry.snapshot_id == snapshot_id,
                    ms.SubscriptionEntry.bsn.in_(chunk),
                )
            ).tuples()
            for bsn, status in rows:
                found[bsn] = SubscriptionHint(peil, status)
        if soort == AanvraagSoort.VOLLEDIG.value:
            for bsn in remaining:
                found.setdefault(bsn, SubscriptionHint(peil, AbonnementStatus.NOT_SUBSCRIBED.value))
    return found


def latest_snapshot_date(s: Session, organisation_id: int) -> datetime | None:
    return s.scalar(
        select(ms.SubscriptionSnapshot.peil_datum)
        .where(ms.SubscriptionSnapshot.organisation_id == organisation_id)
        .order_by(ms.SubscriptionSnapshot.peil_datum.desc())
        .limit(1)
    )
