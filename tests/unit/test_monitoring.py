"""The dashboard: per flow and day, waiting batches, missing results, certificate; each number
opens exactly its letters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.db import models as m
from console.domain.lifecycle import LetterStatus
from console.services.dto import EngineSnapshot, FlowKey
from console.services.letters import LetterService
from console.services.monitoring import Category, MonitoringService, local_day_bounds, query_for
from console.services.preflight import PreflightService
from console.services.results import ResultsService
from console.services.workspace import WorkspaceService
from tests.letter_factory import Workspace, add_letter, workspace_db

NOW = datetime.now(UTC)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = workspace_db(tmp_path)
    yield workspace
    workspace.db.dispose()


def _snapshot(days: int | None) -> EngineSnapshot:
    return EngineSnapshot(True, 0, 0, 0, "", certificate_days_left=days)


def _fill(ws: Workspace) -> None:
    today = NOW
    two_days_ago = NOW - timedelta(days=2)
    for _ in range(3):
        add_letter(ws, status=LetterStatus.DELIVERED, code="Verwerkt", created_at=today)
    add_letter(
        ws, status=LetterStatus.NOT_SUBSCRIBED, code="NietActiefOfGeabonneerd", created_at=today
    )
    add_letter(ws, status=LetterStatus.PAPER, code="NietActiefOfGeabonneerd", created_at=today)
    add_letter(ws, status=LetterStatus.REJECTED, code="BijlageTeGroot", created_at=two_days_ago)
    add_letter(ws, status=LetterStatus.FAILED, created_at=two_days_ago)
    add_letter(ws, status=LetterStatus.QUEUED, created_at=today)
    add_letter(
        ws,
        status=LetterStatus.ACKNOWLEDGED,
        created_at=two_days_ago,
        acknowledged_at=two_days_ago + timedelta(minutes=1),
    )
    add_letter(
        ws,
        organisation_id=ws.second_organisation_id,
        berichttype="WSBEL",
        status=LetterStatus.DELIVERED,
        code="Verwerkt",
        created_at=today,
    )
    add_letter(
        ws, status=LetterStatus.DELIVERED, code="Verwerkt", created_at=NOW - timedelta(days=45)
    )


def test_counts_per_flow_and_day(ws: Workspace) -> None:
    _fill(ws)
    service = MonitoringService(ws.db, engine_snapshot=lambda: _snapshot(212))
    d = service.dashboard(now=NOW)
    assert len(d.days) == 30 and d.days[-1] == NOW.astimezone().date()
    belast = next(f for f in d.flows if f.flow.key == FlowKey(ws.organisation_id, "BELAST"))
    water = next(f for f in d.flows if f.flow.key == FlowKey(ws.second_organisation_id, "WSBEL"))
    assert belast.flow.label == "Aanslag gemeentelijke belastingen (Gemeente Voorbeeld)"
    today, two_days_ago = belast.days[-1], belast.days[-3]
    assert (today.offered, today.delivered, today.not_subscribed, today.in_transit) == (6, 3, 2, 1)
    assert (two_days_ago.offered, two_days_ago.failed, two_days_ago.in_transit) == (3, 2, 1)
    assert water.total.offered == water.total.delivered == 1
    assert d.period.offered == 10  # the letter of 45 days ago is outside the period
    assert d.today.offered == 7
    assert d.certificate_days_left == 212
    assert d.missing_results == 1 and d.missing_hours == 24


def test_every_number_opens_exactly_its_letters(ws: Workspace) -> None:
    _fill(ws)
    letters = LetterService(ws.db, WorkspaceService(ws.db))
    d = MonitoringService(ws.db).dashboard(now=NOW)
    belast = next(f for f in d.flows if f.flow.berichttype == "BELAST")
    for category in Category:
        for n, day in enumerate(d.days):
            query = query_for(category, flow=belast.flow.key, day=day)
            assert letters.count(query) == belast.days[n].get(category), (category, day)
        period = query_for(category, first_day=d.days[0])
        assert letters.count(period) == d.period.get(category), category


def test_missing_results_agree_with_the_detector_of_issue_4(ws: Workspace) -> None:
    _fill(ws)
    add_letter(
        ws,
        status=LetterStatus.ACKNOWLEDGED,
        created_at=NOW - timedelta(hours=5),
        acknowledged_at=NOW - timedelta(hours=4),
    )
    workspace = WorkspaceService(ws.db)
    results = ResultsService(ws.db, workspace, PreflightService(ws.db, workspace))
    results.set_missing_hours(3)
    service = MonitoringService(ws.db, missing_hours=results.missing_hours)
    d = service.dashboard(now=NOW)
    assert d.missing_hours == 3
    assert d.missing_results == len(results.missing_results(now=NOW)) == 2
    assert any("geen resultaat" in w for w in d.warnings)


def test_waiting_batches_and_certificate_warning(ws: Workspace) -> None:
    with ws.db.session() as s:
        for n, status in enumerate(
            (m.BatchStatus.ACKNOWLEDGED, m.BatchStatus.SENT, m.BatchStatus.RESULT)
        ):
            s.add(
                m.Batch(
                    batch_id=f"00000000-0000-4000-8000-00000000000{n}",
                    connection_id=ws.connection_id,
                    bericht_leverancier_id="00000099123456789000",
                    aanmaak_datum=NOW,
                    status=status,
                    letter_count=10,
                    created_at=NOW - timedelta(hours=5 + n),
                )
            )
        s.commit()
    d = MonitoringService(ws.db, engine_snapshot=lambda: _snapshot(20)).dashboard(now=NOW)
    assert d.waiting_batch_count == 2
    assert sorted(b.hours_waiting for b in d.waiting_batches) == [5, 6]
    assert any("verloopt over 20 dagen" in w for w in d.warnings)
    other = MonitoringService(ws.db).dashboard(ws.second_organisation_id, now=NOW)
    assert other.waiting_batch_count == 0  # those batches were sent for the other organisation


def test_a_local_day_is_the_day_the_user_sees() -> None:
    day = NOW.astimezone().date()
    start, end = local_day_bounds(day)
    assert start.astimezone().date() == day and start.astimezone().hour == 0
    assert end - start in (timedelta(hours=23), timedelta(hours=24), timedelta(hours=25))
