"""Missing results, unmatched results and resend by the Logius rule, against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from console.db import models as m
from console.domain.lifecycle import LetterStatus
from console.services.bootstrap import ConsoleServices
from console.services.results import ResendRefused

from .conftest import submit, wait_for


def _results(workspace: ConsoleServices):  # type: ignore[no-untyped-def]
    assert workspace.results is not None
    return workspace.results


def test_resend_after_the_cause_is_fixed_keeps_batch_and_bericht_id(
    workspace: ConsoleServices,
) -> None:
    assert workspace.simulator is not None
    store = workspace.simulator.store
    oin = workspace.workspace.status().organisation_oin
    active = store.berichttypes(oin)
    store.set_berichttypes(oin, sorted(active - {"BELAST"}))  # dropped in the portal
    first = wait_for(workspace, submit(workspace, "999990019"))
    assert first.row.verwerkings_code == "BerichtTypeNietOndersteund"
    results = _results(workspace)

    (candidate,) = results.resend_plan([first.row.id]).candidates
    assert candidate.allowed and candidate.code == "BerichtTypeNietOndersteund"
    with pytest.raises(ResendRefused, match="Bevestig eerst dat de oorzaak is hersteld"):
        results.resend([first.row.id], cause_fixed=False)

    store.set_berichttypes(oin, sorted(active))  # fixed in the portal
    outcome = results.resend([first.row.id], cause_fixed=True, actor="beheerder")
    assert outcome.queued == (first.row.id,) and outcome.batch_ids == (first.row.batch_id,)
    again = wait_for(
        workspace, first.row.id, lambda d: d.row.status is LetterStatus.DELIVERED, timeout=30
    )
    assert again.row.verwerkings_code == "Verwerkt"
    assert (again.row.batch_id, again.row.bericht_id) == (first.row.batch_id, first.row.bericht_id)
    resend_event = next(t for t in again.timeline if t.kind == "resend")
    assert (
        "bevestigd door beheerder" in resend_event.detail
        and first.row.batch_id in resend_event.detail
    )
    batches = store.batches()
    assert [b.batch_id for b in batches] == [first.row.batch_id, first.row.batch_id]
    with workspace.db.session() as s:
        batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == first.row.batch_id))
        assert (
            batch is not None
            and batch.status is m.BatchStatus.RESULT
            and batch.aantal_verwerkt == 1
        )


def test_resend_is_refused_while_the_berichttype_is_still_inactive(
    workspace: ConsoleServices,
) -> None:
    detail = wait_for(workspace, submit(workspace, "999990019", berichttype="NIEUW"))
    assert detail.row.verwerkings_code == "BerichtTypeNietOndersteund"
    results = _results(workspace)
    (candidate,) = results.resend_plan([detail.row.id]).candidates
    assert not candidate.allowed and "nog niet actief voor SIMULATOR" in candidate.reason
    with pytest.raises(ResendRefused, match="nog niet actief"):
        results.resend([detail.row.id], cause_fixed=True)
    with workspace.db.session() as s:
        bt = s.scalar(select(m.BerichtType).where(m.BerichtType.code == "NIEUW"))
        assert bt is not None
        bt.status_simulator = m.BerichtTypeStatus.ACTIEF
        s.commit()
    assert results.resend_plan([detail.row.id]).candidates[0].allowed


def test_not_subscribed_and_duplicates_are_never_resent(workspace: ConsoleServices) -> None:
    paper = wait_for(workspace, submit(workspace, "999990044"))
    assert paper.row.status is LetterStatus.NOT_SUBSCRIBED
    (candidate,) = _results(workspace).resend_plan([paper.row.id]).candidates
    assert not candidate.allowed and "per post" in candidate.reason
    with workspace.db.session() as s:
        letter = s.get(m.Letter, paper.row.id)
        assert letter is not None
        letter.status = LetterStatus.DUPLICATE
        letter.verwerkings_code = "BerichtBestaatAl"
        s.commit()
    (duplicate,) = _results(workspace).resend_plan([paper.row.id]).candidates
    assert not duplicate.allowed and "geen nieuwe fout" in duplicate.reason


def test_letters_without_a_result_after_n_hours_are_listed(workspace: ConsoleServices) -> None:
    assert workspace.simulator is not None
    workspace.simulator.store.set_setting("result_delay_seconds", 3600)  # the result is late
    letter_id = submit(workspace, "999990019")
    detail = wait_for(workspace, letter_id, lambda d: d.row.status is LetterStatus.ACKNOWLEDGED)
    assert detail.row.status is LetterStatus.ACKNOWLEDGED
    results = _results(workspace)
    assert results.missing_hours() == 24
    assert results.missing_results() == []
    with workspace.db.session() as s:
        letter = s.get(m.Letter, letter_id)
        assert letter is not None
        letter.acknowledged_at = datetime.now(UTC) - timedelta(hours=25)
        s.commit()
    (row,) = results.missing_results()
    assert row.letter_id == letter_id and row.hours_waiting == 25 and row.bsn_masked == "*****0019"
    assert results.missing_results(hours=26) == []
    results.set_missing_hours(48)
    assert results.missing_results() == []
    with pytest.raises(ValueError):
        results.set_missing_hours(0)
    # Waiting for a result is not a reason to resend: the lifecycle does not allow it.
    (candidate,) = results.resend_plan([letter_id]).candidates
    assert not candidate.allowed


def test_a_result_for_an_unknown_batch_is_kept_and_shown(workspace: ConsoleServices) -> None:
    with workspace.db.session() as s:
        s.add(
            m.UnmatchedResult(
                batch_id="0f0e0d0c-0000-4000-8000-000000000001",
                raw=b"<x/>",
                reason="Resultaat voor onbekende batch",
            )
        )
        s.commit()
    (row,) = _results(workspace).unmatched_results()
    assert row.batch_id == "0f0e0d0c-0000-4000-8000-000000000001"
    assert _results(workspace).unmatched_raw(row.id) == b"<x/>"
