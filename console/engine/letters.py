"""Letter status changes inside the engine: always through the domain state machine."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Result, String, Text, case, func, insert, literal, select, update
from sqlalchemy.orm import Session

from console.db import models as m
from console.domain.lifecycle import IllegalTransition, LetterEvent, LetterStatus, transition
from console.domain.verwerkingscode import VerwerkingsCode

log = logging.getLogger(__name__)


def _moves(event: LetterEvent) -> dict[LetterStatus, LetterStatus]:
    """Every status from which the state machine allows *event*, with where it leads."""
    moves: dict[LetterStatus, LetterStatus] = {}
    for status in LetterStatus:
        try:
            moves[status] = transition(status, event)
        except IllegalTransition:
            continue
    return moves


def rows_affected(result: Result[Any]) -> int:
    """Rows an UPDATE changed: the proof that a conditional claim succeeded."""
    return int(getattr(result, "rowcount", 0) or 0)


def letters_of_batch(s: Session, batch_id: str) -> list[m.Letter]:
    return list(
        s.scalars(select(m.Letter).where(m.Letter.batch_id == batch_id).order_by(m.Letter.id))
    )


def apply_letter_event(
    s: Session,
    letter: m.Letter,
    event: LetterEvent,
    now: datetime,
    *,
    detail: str = "",
    code: VerwerkingsCode | None = None,
    quiet_if_illegal: bool = False,
    actor: str = "engine",
) -> bool:
    """Move *letter* by *event*, record a timeline entry; False when the move is not allowed."""
    try:
        new = transition(letter.status, event, code)
    except IllegalTransition as exc:
        if not quiet_if_illegal:
            log.warning("Bericht %s: %s", letter.id, exc)
        return False
    letter.status = new
    letter.updated_at = now
    if event in (LetterEvent.TRANSPORT_ERROR, LetterEvent.MESSAGE_ERROR, LetterEvent.EXPIRED):
        letter.status_detail = detail
    elif event in (LetterEvent.HTTP_ACCEPTED, LetterEvent.ACKNOWLEDGED, LetterEvent.RESULT):
        letter.status_detail = None
    s.add(
        m.LetterEventRecord(
            letter_id=letter.id, at=now, kind=event.value, detail=detail, actor=actor
        )
    )
    return True


def apply_batch_event(
    s: Session,
    batch_id: str,
    event: LetterEvent,
    now: datetime,
    *,
    detail: str = "",
    actor: str = "engine",
    mark_acknowledged: bool = False,
) -> int:
    """Move every letter of a batch by *event*, in bulk; returns how many moved.

    The same rules as :func:`apply_letter_event` (the domain state machine decides each
    move; a letter for which the move is not allowed stays as it is, quietly), but done in
    SQL: one INSERT ... SELECT of the timeline entries and one UPDATE whose new status is a
    CASE over the old one, instead of a round of ORM work per letter (a batch holds up to
    1000 letters). Letter objects already loaded in *s* are not refreshed.
    *mark_acknowledged* also sets ``acknowledged_at`` where it is still empty, on every
    letter of the batch.
    """
    s.flush()
    moves = _moves(event)
    if not moves:  # e.g. a result without a code: the state machine allows it nowhere
        return 0
    values: dict[str, object] = {"updated_at": now}
    if mark_acknowledged:  # in the same UPDATE: each letter row is rewritten once per step
        values["acknowledged_at"] = func.coalesce(m.Letter.acknowledged_at, now)
    if event in (LetterEvent.TRANSPORT_ERROR, LetterEvent.MESSAGE_ERROR, LetterEvent.EXPIRED):
        values["status_detail"] = detail
    elif event in (LetterEvent.HTTP_ACCEPTED, LetterEvent.ACKNOWLEDGED, LetterEvent.RESULT):
        values["status_detail"] = None
    moving = (m.Letter.batch_id == batch_id, m.Letter.status.in_(list(moves)))
    s.execute(
        insert(m.LetterEventRecord).from_select(
            ["letter_id", "at", "kind", "detail", "actor"],
            select(
                m.Letter.id,
                literal(now, m.UtcDateTime()),
                literal(event.value, String()),
                literal(detail, Text()),
                literal(actor, String()),
            )
            .where(*moving)
            .order_by(m.Letter.id),
        )
    )
    moved = rows_affected(
        s.execute(
            update(m.Letter)
            .where(*moving)
            .values(
                status=case({k.value: v.value for k, v in moves.items()}, value=m.Letter.status),
                **values,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if mark_acknowledged:  # letters that did not move (a result came first) get it too
        s.execute(
            update(m.Letter)
            .where(m.Letter.batch_id == batch_id, m.Letter.acknowledged_at.is_(None))
            .values(acknowledged_at=now)
            .execution_options(synchronize_session=False)
        )
    return moved
