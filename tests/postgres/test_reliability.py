"""Reliable sending on PostgreSQL: claims in concurrent transactions, and recovery after a crash.

On SQLite one writer at a time serialises the claims; on PostgreSQL the sender's workers
really run their transactions side by side, so the claim (an UPDATE that only matches while
the message is still unclaimed) must hold under true concurrency.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from console.db import models as m
from console.digikoppeling.ebms.envelope import acknowledgment_for
from console.digikoppeling.ebms.mime import package, parse_http
from console.domain.lifecycle import LetterStatus
from console.engine.outbox import Outbox
from console.engine.runner import EngineRunner
from console.engine.sender import INTERRUPTED, Claimed, Sender
from console.services.bootstrap import ConsoleServices, register_with_simulator
from console.services.demo import LOGIUS_OIN
from tests.integration.conftest import submit, wait_for
from tests.integration.test_ebms_reliability import (
    test_a_worker_that_loses_the_claim_race_takes_the_next_message as sqlite_claim_race,
)
from tests.postgres.support import require_server

require_server()

BSNS = ("999990019", "999990020", "999990032")


def _paused_runner(ws: ConsoleServices) -> EngineRunner:
    runner = ws.engine.runner
    assert runner is not None
    runner.pause()
    return runner


def _queue_batches(ws: ConsoleServices, runner: EngineRunner, n: int) -> list[int]:
    """*n* letters, each packed into a batch (an ebMS message) of its own."""
    ids = []
    for i in range(n):
        ids.append(submit(ws, BSNS[i % len(BSNS)], referentie=f"R-{i}"))
        runner.outbox.pack(datetime.now(UTC))
    return ids


def _someone_waits_for_a_lock(ws: ConsoleServices) -> bool:
    with ws.db.engine.connect() as connection:
        waiting = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).scalar()
    return bool(waiting)


def _at_once(workers: int, work: Callable[[], object]) -> list[object]:
    """Run *work* in *workers* threads that start at the same moment; return their results."""
    start = threading.Barrier(workers)
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(work())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_parallel_senders_never_claim_the_same_message(pg_workspace: ConsoleServices) -> None:
    ws = pg_workspace
    runner = _paused_runner(ws)
    _queue_batches(ws, runner, 12)
    now = datetime.now(UTC)

    def claim_until_none() -> list[Claimed]:
        mine: list[Claimed] = []
        while claimed := runner.sender._claim(now):
            mine.extend(claimed)
        return mine

    claims = [c for got in _at_once(4, claim_until_none) for c in got]  # type: ignore[attr-defined]

    counts = Counter(c.id for c in claims)
    assert len(counts) == 12 and set(counts.values()) == {1}, counts
    with ws.db.session() as s:
        outs = list(s.scalars(select(m.EbmsMessage).where(m.EbmsMessage.kind == m.EbmsKind.USER)))
        assert {o.id for o in outs} == set(counts)
        assert {(o.status, o.attempts) for o in outs} == {(m.EbmsStatus.SENDING, 1)}
        attempts = Counter(s.scalars(select(m.DeliveryAttempt.ebms_message_id)))
        assert attempts == Counter(set(counts))  # one attempt on record per message
    # A crash now ("sending", no answer): recovery sends each again, the letters all arrive.
    assert runner.sender.recover(datetime.now(UTC)) == 12
    runner.resume()
    with ws.db.session() as s:
        ids = list(s.scalars(select(m.Letter.id)))
    assert {wait_for(ws, i, timeout=120).row.status for i in ids} == {LetterStatus.DELIVERED}


def test_two_outboxes_packing_at_once_put_each_letter_in_one_batch(
    pg_workspace: ConsoleServices,
) -> None:
    """Two engines' outboxes pack the same queue at the same moment (batches of 7)."""
    ws = pg_workspace
    runner = _paused_runner(ws)
    ids = [submit(ws, BSNS[i % 3], referentie=f"P-{i}") for i in range(40)]
    outboxes = iter([Outbox(ws.db, max_letters=7) for _ in range(2)])
    lock = threading.Lock()

    def pack() -> int:
        with lock:
            outbox = next(outboxes)
        return outbox.pack(datetime.now(UTC)).letters

    assert sum(_at_once(2, pack)) == 40  # type: ignore[arg-type]
    with ws.db.session() as s:
        rows = s.execute(select(m.Letter.id, m.Letter.batch_id)).all()
        assert {r.id for r in rows} == set(ids) and all(r.batch_id for r in rows)
        per_batch = Counter(r.batch_id for r in rows)
        batches = {b.batch_id: b.letter_count for b in s.scalars(select(m.Batch))}
        assert batches == dict(per_batch)  # every letter in exactly one batch, counted right
        assert max(batches.values()) <= 7
        messages = s.scalars(
            select(m.EbmsMessage.batch_id).where(m.EbmsMessage.kind == m.EbmsKind.USER)
        ).all()
        assert sorted(messages) == sorted(batches)  # one ebMS message per batch
    runner.resume()
    assert {wait_for(ws, i, timeout=120).row.status for i in ids} == {LetterStatus.DELIVERED}


def test_a_worker_that_loses_the_claim_race_takes_the_next_message(
    pg_workspace: ConsoleServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SQLite test of the same name, on PostgreSQL: between one worker's read and its
    claim another worker claims the first message; the first must take the next one."""
    sqlite_claim_race(pg_workspace, monkeypatch)


def test_an_attempt_cut_off_by_a_crash_is_kept_as_interrupted(
    pg_workspace: ConsoleServices,
) -> None:
    ws = pg_workspace
    runner = _paused_runner(ws)
    (letter_id,) = _queue_batches(ws, runner, 1)
    claimed = runner.sender._claim(datetime.now(UTC))  # what a crash right after the claim leaves
    assert len(claimed) == 1

    assert runner.sender.recover(datetime.now(UTC)) == 1

    with ws.db.session() as s:
        (attempt,) = s.scalars(select(m.DeliveryAttempt))
        assert attempt.outcome == "interrupted" and attempt.error == INTERRUPTED
        out = s.get(m.EbmsMessage, claimed[0].id)
        assert out is not None and out.status is m.EbmsStatus.PENDING and out.attempts == 1
    runner.resume()
    detail = wait_for(ws, letter_id)
    assert detail.row.status is LetterStatus.DELIVERED
    with ws.db.session() as s:
        outcomes = list(
            s.scalars(
                select(m.DeliveryAttempt.outcome)
                .where(m.DeliveryAttempt.ebms_message_id == claimed[0].id)
                .order_by(m.DeliveryAttempt.id)
            )
        )
    assert outcomes == ["interrupted", "accepted"]


def test_an_acknowledgment_recorded_while_the_sender_records_its_answer_is_kept(
    pg_workspace: ConsoleServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The asynchronous Acknowledgment arrives while the sender is recording the HTTP 200 of
    the same message (between its read and its commit). On SQLite the sender's write lock
    makes the acknowledgment wait; on PostgreSQL the sender's row lock must: otherwise the
    sender writes "sent, awaiting ack" over "delivered" and the message is sent again."""
    ws = pg_workspace
    runner = _paused_runner(ws)
    assert ws.simulator is not None
    conn_id = ws.workspace.status().connection_id
    assert conn_id is not None
    # Only this test's acknowledgment reaches the console: the simulator's pushes go nowhere.
    register_with_simulator(ws.db, ws.simulator, conn_id, push_url="https://127.0.0.1:9/ebms")
    (letter_id,) = _queue_batches(ws, runner, 1)
    (claimed,) = runner.sender._claim(datetime.now(UTC))
    with ws.db.session() as s:
        out = s.get(m.EbmsMessage, claimed.id)
        assert out is not None
        sent = parse_http(out.content_type, out.raw, max_bytes=10_000_000)
    ack_type, ack_body = package(acknowledgment_for(sent))
    answers: list[tuple[int, str, bytes]] = []
    inbound = threading.Thread(
        target=lambda: answers.append(runner.inbox.handle(ack_type, ack_body, LOGIUS_OIN))
    )
    recording = Sender._letters_event
    held: list[bool] = []

    def ack_arrives_now(self: Sender, *args: object, **kw: object) -> None:
        if not held:
            inbound.start()  # the inbound endpoint records the ack, in its own transaction
            while inbound.is_alive() and not _someone_waits_for_a_lock(ws):
                time.sleep(0.01)
            held.append(inbound.is_alive())  # it finished, or the sender's lock holds it
        recording(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Sender, "_letters_event", ack_arrives_now)
    runner.sender._deliver(claimed)
    monkeypatch.undo()
    inbound.join()

    assert held == [True] and answers and answers[0][0] == 200
    with ws.db.session() as s:
        out = s.get(m.EbmsMessage, claimed.id)
        assert out is not None
        assert (out.status, out.next_attempt_at) == (m.EbmsStatus.DELIVERED, None)
        assert [a.outcome for a in out.delivery_attempts] == ["accepted"]
        letter = s.get(m.Letter, letter_id)
        assert letter is not None and letter.status is LetterStatus.ACKNOWLEDGED
