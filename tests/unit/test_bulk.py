"""Bulk actions: resend by the Berichtenbox rule (preview, confirm, same IDs) and paper."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console.db import models as m
from console.domain.lifecycle import LetterStatus
from console.domain.verwerkingscode import CATALOGUE, VerwerkingsCode
from console.services.bulk import BulkService
from console.services.dto import LetterQuery
from console.services.errors import ServiceError
from console.services.preflight import PreflightService
from console.services.results import ResendRefused, ResultsService
from console.services.workspace import WorkspaceService
from tests.letter_factory import Workspace, add_letter, letter_events, workspace_db


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = workspace_db(tmp_path)
    yield workspace
    workspace.db.dispose()


@pytest.fixture
def bulk(ws: Workspace) -> BulkService:
    workspace = WorkspaceService(ws.db)
    results = ResultsService(ws.db, workspace, PreflightService(ws.db, workspace))
    return BulkService(ws.db, results)


def _letter(db: object, letter_id: int) -> m.Letter:
    with db.session() as s:  # type: ignore[attr-defined]
        letter = s.get(m.Letter, letter_id)
        assert letter is not None
        return letter


def test_resend_preview_follows_the_catalogue(ws: Workspace, bulk: BulkService) -> None:
    ids = {
        code: add_letter(ws, status=status, code=code.value, onderwerp="Uw aanslag")
        for code, status in (
            (VerwerkingsCode.VERWERKT, LetterStatus.DELIVERED),
            (VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD, LetterStatus.NOT_SUBSCRIBED),
            (VerwerkingsCode.BERICHT_BESTAAT_AL, LetterStatus.DUPLICATE),
            (VerwerkingsCode.AANMAAKDATUM_TE_OUD, LetterStatus.REJECTED),
            (VerwerkingsCode.TECHNISCH_PROBLEEM, LetterStatus.REJECTED),
        )
    }
    preview = bulk.preview_resend(list(ids.values()))
    allowed = {c for c, i in ids.items() if i in preview.allowed_ids}
    assert allowed == {c for c in ids if CATALOGUE[c].resend_allowed}
    assert preview.total == 5 and preview.refused_count == 3
    assert "dezelfde BatchID" in preview.rule
    assert any("Berichtenbox" in reason or "post" in reason for reason, _n in preview.refused)
    assert len(preview.sample) == 5 and preview.summary.startswith("2 van de 5")


def test_resend_needs_confirmation_and_keeps_batch_and_bericht_id(
    ws: Workspace, bulk: BulkService
) -> None:
    ids = [
        add_letter(ws, status=LetterStatus.REJECTED, code="AanmaakDatumLigtTeVerInHetVerleden")
        for _ in range(3)
    ]
    before = {i: (_letter(ws.db, i).batch_id, _letter(ws.db, i).bericht_id) for i in ids}
    preview = bulk.preview_resend(bulk.selection(LetterQuery(statuses=(LetterStatus.REJECTED,))))
    with pytest.raises(ResendRefused, match="oorzaak"):
        bulk.resend(preview.allowed_ids, cause_fixed=False)
    outcome = bulk.resend(preview.allowed_ids, cause_fixed=True, actor="jan")
    assert sorted(outcome.done) == sorted(ids) and outcome.skipped == 0
    assert len(outcome.batch_ids) == 3
    for i in ids:
        letter = _letter(ws.db, i)
        assert letter.status is LetterStatus.QUEUED and letter.verwerkings_code is None
        assert (letter.batch_id, letter.bericht_id) == before[i]
        assert letter_events(ws.db, i)[-1].kind == "resend"
    # A second click finds nothing left to resend: skipped, not sent twice.
    again = bulk.resend(preview.allowed_ids, cause_fixed=True)
    assert again.done == () and again.skipped == 3


def test_mark_for_paper(ws: Workspace, bulk: BulkService) -> None:
    not_subscribed = add_letter(
        ws, status=LetterStatus.NOT_SUBSCRIBED, code="NietActiefOfGeabonneerd"
    )
    delivered = add_letter(ws, status=LetterStatus.DELIVERED, code="Verwerkt")
    waiting = add_letter(ws, status=LetterStatus.ACKNOWLEDGED)
    preview = bulk.preview_paper([not_subscribed, delivered, waiting])
    assert preview.allowed_ids == (not_subscribed,)
    reasons = dict(preview.refused)
    assert any("Berichtenbox" in r for r in reasons) and any(
        "onderweg" in r.lower() for r in reasons
    )
    with pytest.raises(ServiceError, match="Bevestig"):
        bulk.mark_paper(preview.allowed_ids, confirmed=False)
    outcome = bulk.mark_paper([not_subscribed, delivered], confirmed=True, actor="jan")
    assert outcome.done == (not_subscribed,) and outcome.skipped == 1
    assert _letter(ws.db, not_subscribed).status is LetterStatus.PAPER
    assert _letter(ws.db, delivered).status is LetterStatus.DELIVERED
    event = letter_events(ws.db, not_subscribed)[-1]
    assert event.kind == "mark_paper" and "jan" in event.detail


def test_empty_and_huge_selections_are_refused(bulk: BulkService) -> None:
    with pytest.raises(ServiceError, match="geen berichten"):
        bulk.preview_paper([])
    with pytest.raises(ServiceError, match="ten hoogste"):
        bulk.preview_paper(list(range(1, 60_002)))
