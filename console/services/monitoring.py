"""The dashboard: per flow and day what was offered and what became of it.

A *flow* (berichtstroom) is an organisation sending one berichttype (:class:`FlowKey`). Per
flow and local calendar day, over the last N days:

- **aangeboden**: letters created that day (the flow's volume);
- **verwerkt**: in the citizen's Berichtenbox;
- **niet geabonneerd**: ``NietActiefOfGeabonneerd`` (also when since sent per post);
- **mislukt**: refused by MijnOverheid, failed transport or expired;
- **onderweg**: still queued, in transit or waiting for the result.

Beside that: batches waiting for a result, letters acknowledged but without a result beyond
the threshold of the missing-result detector (``ResultsService.missing_hours``), and days until
the client certificate expires (the engine snapshot). Every number maps to a
:class:`LetterQuery` (:func:`query_for`), so a click opens exactly those letters.

One grouped query per refresh, counted by UTC hour in SQL and folded into local days here
(daylight saving time stays exact).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select

from console.db import models as m
from console.db.database import Database
from console.db.repositories import LetterFilter, LetterRepository
from console.domain.lifecycle import LetterStatus
from console.domain.verwerkingscode import VerwerkingsCode
from console.services.dto import EngineSnapshot, FlowKey, LetterQuery
from console.services.results import DEFAULT_MISSING_HOURS

DEFAULT_DAYS = 30
CERTIFICATE_WARNING_DAYS = 60
NOT_SUBSCRIBED_CODE = VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD.value


class Category(StrEnum):
    OFFERED = "aangeboden"
    DELIVERED = "verwerkt"
    NOT_SUBSCRIBED = "niet_geabonneerd"
    FAILED = "mislukt"
    IN_TRANSIT = "onderweg"


CATEGORY_LABELS = {
    Category.OFFERED: "Aangeboden",
    Category.DELIVERED: "Verwerkt",
    Category.NOT_SUBSCRIBED: "Niet geabonneerd",
    Category.FAILED: "Mislukt",
    Category.IN_TRANSIT: "Onderweg",
}
CATEGORY_TONES = {
    Category.OFFERED: "blue",
    Category.DELIVERED: "green",
    Category.NOT_SUBSCRIBED: "amber",
    Category.FAILED: "red",
    Category.IN_TRANSIT: "grey",
}
FAILED_STATUSES = (LetterStatus.REJECTED, LetterStatus.FAILED, LetterStatus.EXPIRED)
IN_TRANSIT_STATUSES = (
    LetterStatus.QUEUED,
    LetterStatus.SENDING,
    LetterStatus.SENT,
    LetterStatus.ACKNOWLEDGED,
)


@dataclass(frozen=True, slots=True)
class Counts:
    offered: int = 0
    delivered: int = 0
    not_subscribed: int = 0
    failed: int = 0
    in_transit: int = 0

    def get(self, category: Category) -> int:
        return {
            Category.OFFERED: self.offered,
            Category.DELIVERED: self.delivered,
            Category.NOT_SUBSCRIBED: self.not_subscribed,
            Category.FAILED: self.failed,
            Category.IN_TRANSIT: self.in_transit,
        }[category]

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.offered + other.offered,
            self.delivered + other.delivered,
            self.not_subscribed + other.not_subscribed,
            self.failed + other.failed,
            self.in_transit + other.in_transit,
        )


@dataclass(frozen=True, slots=True)
class FlowInfo:
    key: FlowKey
    organisation_name: str
    berichttype: str
    berichttype_name: str

    flow_name: str = ""  # the berichtstroom's own name, when one is registered for it

    @property
    def label(self) -> str:
        name = self.flow_name or self.berichttype_name or self.berichttype
        return f"{name} ({self.organisation_name})"


@dataclass(frozen=True, slots=True)
class FlowSeries:
    flow: FlowInfo
    days: tuple[Counts, ...]  # one per Dashboard.days, oldest first
    total: Counts


@dataclass(frozen=True, slots=True)
class WaitingBatch:
    batch_id: str
    status: str
    created_at: datetime
    letter_count: int
    hours_waiting: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    organisation_id: int | None
    days: tuple[date, ...]  # local calendar days, oldest first; the last is today
    flows: tuple[FlowSeries, ...]
    per_day: tuple[Counts, ...]  # all flows together, one per day
    today: Counts
    period: Counts
    waiting_batches: tuple[WaitingBatch, ...]
    waiting_batch_count: int
    missing_results: int
    missing_hours: int
    certificate_days_left: int | None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, as aware UTC moments."""
    start = datetime.combine(day, time.min).astimezone()
    end = datetime.combine(day + timedelta(days=1), time.min).astimezone()
    return start.astimezone(UTC), end.astimezone(UTC)


def query_for(
    category: Category,
    *,
    flow: FlowKey | None = None,
    day: date | None = None,
    first_day: date | None = None,
    organisation_id: int | None = None,
) -> LetterQuery:
    """The message-log filter behind one number of the dashboard.

    *day*: that local day only; *first_day*: from that day up to now (the period).
    """
    query = LetterQuery(organisation_id=organisation_id, flow=flow)
    if day is not None:
        start, end = local_day_bounds(day)
        query = replace(query, created_from=start, created_to=end)
    elif first_day is not None:
        query = replace(query, created_from=local_day_bounds(first_day)[0])
    if category is Category.DELIVERED:
        return replace(query, status=LetterStatus.DELIVERED)
    if category is Category.NOT_SUBSCRIBED:
        return replace(query, verwerkings_code=NOT_SUBSCRIBED_CODE)
    if category is Category.FAILED:
        return replace(query, statuses=FAILED_STATUSES)
    if category is Category.IN_TRANSIT:
        return replace(query, statuses=IN_TRANSIT_STATUSES)
    return query


class MonitoringService:
    def __init__(
        self,
        db: Database,
        *,
        missing_hours: Callable[[], int] | None = None,
        engine_snapshot: Callable[[], EngineSnapshot] | None = None,
    ) -> None:
        self._db = db
        # The missing-result detector's threshold (ResultsService.missing_hours).
        self._missing_hours = missing_hours
        self._engine_snapshot = engine_snapshot

    def dashboard(
        self,
        organisation_id: int | None = None,
        *,
        days: int = DEFAULT_DAYS,
        now: datetime | None = None,
    ) -> Dashboard:
        now = now or datetime.now(UTC)
        today = now.astimezone().date()
        day_list = tuple(today - timedelta(days=n) for n in range(days - 1, -1, -1))
        since = local_day_bounds(day_list[0])[0]
        position = {d: n for n, d in enumerate(day_list)}
        hours = self._missing_hours() if self._missing_hours else DEFAULT_MISSING_HOURS

        with self._db.session() as s:
            flows = self._flow_names(s)
            grid: dict[FlowKey, list[Counts]] = {}
            day_of: dict[str, date] = {}
            for org_id, berichttype, hour, status, count, not_subscribed in self._grouped(
                s, since, organisation_id
            ):
                day = _local_day(hour, day_of)
                n = position.get(day)
                if n is None:
                    continue
                key = FlowKey(int(org_id), str(berichttype))
                series = grid.setdefault(key, [Counts()] * len(day_list))
                series[n] = series[n] + _counts(
                    LetterStatus(status), int(count), int(not_subscribed or 0)
                )
            waiting, waiting_count = self._waiting_batches(s, organisation_id, now)
            missing = LetterRepository(s).count(
                LetterFilter(
                    organisation_id=organisation_id,
                    acknowledged_before=now - timedelta(hours=hours),
                )
            )
        series_list = []
        for key, counts in grid.items():
            org = flows.get(FlowKey(key.organisation_id, ""))
            info = flows.get(key) or FlowInfo(
                key, org.organisation_name if org else "", key.berichttype, ""
            )
            total = sum(counts, Counts())
            series_list.append(FlowSeries(info, tuple(counts), total))
        series_list.sort(key=lambda f: (-f.total.offered, f.flow.label))
        per_day = tuple(
            sum((f.days[n] for f in series_list), Counts()) for n in range(len(day_list))
        )
        snapshot = self._engine_snapshot() if self._engine_snapshot else None
        cert_days = snapshot.certificate_days_left if snapshot is not None else None
        warnings = []
        if cert_days is not None and cert_days < CERTIFICATE_WARNING_DAYS:
            warnings.append(
                "Het clientcertificaat is verlopen. Vervang het bij Certificaten."
                if cert_days < 0
                else f"Het clientcertificaat verloopt over {cert_days} dagen. Vraag op tijd een "
                "nieuw certificaat aan."
            )
        if missing:
            warnings.append(
                f"{missing} bericht(en) zijn ontvangen door Logius maar hebben na {hours} uur nog "
                "geen resultaat. Neem contact op met Logius; verstuur ze niet zomaar opnieuw."
            )
        return Dashboard(
            organisation_id=organisation_id,
            days=day_list,
            flows=tuple(series_list),
            per_day=per_day,
            today=per_day[-1] if per_day else Counts(),
            period=sum(per_day, Counts()),
            waiting_batches=waiting,
            waiting_batch_count=waiting_count,
            missing_results=missing,
            missing_hours=hours,
            certificate_days_left=cert_days,
            warnings=tuple(warnings),
        )

    # --- queries ---
    def _grouped(
        self, s: Any, since: datetime, organisation_id: int | None
    ) -> list[tuple[Any, ...]]:
        if self._db.is_sqlite:
            hour = func.substr(m.Letter.created_at, 1, 13)  # 'YYYY-MM-DD HH' (stored as UTC)
        else:
            hour = func.to_char(func.timezone("UTC", m.Letter.created_at), "YYYY-MM-DD HH24")
        not_subscribed = func.sum(
            case((m.Letter.verwerkings_code == NOT_SUBSCRIBED_CODE, 1), else_=0)
        )
        query = (
            select(
                m.Letter.organisation_id,
                m.Letter.berichttype,
                hour,
                m.Letter.status,
                func.count(),
                not_subscribed,
            )
            .where(m.Letter.created_at >= since)
            .group_by(m.Letter.organisation_id, m.Letter.berichttype, hour, m.Letter.status)
        )
        if organisation_id is not None:
            query = query.where(m.Letter.organisation_id == organisation_id)
        return [tuple(row) for row in s.execute(query)]

    @staticmethod
    def _flow_names(s: Any) -> dict[FlowKey, FlowInfo]:
        rows = s.execute(
            select(
                m.BerichtType.organisation_id,
                m.BerichtType.code,
                m.BerichtType.name,
                m.Organisation.name,
            ).join(m.Organisation, m.Organisation.id == m.BerichtType.organisation_id)
        )
        out = {}
        for org_id, code, name, org_name in rows:
            key = FlowKey(org_id, code)
            out[key] = FlowInfo(key, org_name, code, name)
        # Berichtstromen registered for an organisation and berichttype lend their name.
        flows = m.Base.metadata.tables.get("flows")
        if flows is not None:
            named = select(flows.c.organisation_id, flows.c.default_berichttype, flows.c.name)
            for org_id, code, flow_name in s.execute(
                named.where(flows.c.default_berichttype.is_not(None)).order_by(flows.c.id)
            ):
                key = FlowKey(org_id, code)
                if key in out and not out[key].flow_name:
                    out[key] = replace(out[key], flow_name=flow_name)
        # A flow whose berichttype is not (or no longer) registered keeps its organisation.
        for org_id, org_name in s.execute(select(m.Organisation.id, m.Organisation.name)):
            out[FlowKey(org_id, "")] = FlowInfo(FlowKey(org_id, ""), org_name, "", "")
        return out

    @staticmethod
    def _waiting_batches(
        s: Any, organisation_id: int | None, now: datetime
    ) -> tuple[tuple[WaitingBatch, ...], int]:
        waiting = (m.BatchStatus.SENT, m.BatchStatus.ACKNOWLEDGED)
        query = select(m.Batch).where(m.Batch.status.in_(waiting))
        count_query = select(func.count(m.Batch.id)).where(m.Batch.status.in_(waiting))
        if organisation_id is not None:
            oin = select(m.Organisation.oin).where(m.Organisation.id == organisation_id)
            query = query.where(m.Batch.bericht_leverancier_id.in_(oin.scalar_subquery()))
            count_query = count_query.where(
                m.Batch.bericht_leverancier_id.in_(oin.scalar_subquery())
            )
        rows = [
            WaitingBatch(
                batch_id=b.batch_id,
                status=b.status.value,
                created_at=b.created_at,
                letter_count=b.letter_count,
                hours_waiting=max(0, int((now - b.created_at).total_seconds() // 3600)),
            )
            for b in s.scalars(query.order_by(m.Batch.created_at, m.Batch.id).limit(50))
        ]
        return tuple(rows), int(s.scalar(count_query) or 0)


def _counts(status: LetterStatus, count: int, not_subscribed: int) -> Counts:
    if status is LetterStatus.DELIVERED:
        return Counts(offered=count, delivered=count)
    if status in FAILED_STATUSES:
        return Counts(offered=count, failed=count, not_subscribed=not_subscribed)
    if status in IN_TRANSIT_STATUSES:
        return Counts(offered=count, in_transit=count)
    return Counts(offered=count, not_subscribed=not_subscribed)


def _local_day(hour: str, cache: dict[str, date]) -> date:
    """The local calendar day of a UTC hour bucket 'YYYY-MM-DD HH'."""
    day = cache.get(hour)
    if day is None:
        moment = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
        day = cache[hour] = moment.astimezone().date()
    return day
