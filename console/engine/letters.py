"""Letter status changes inside the engine: always through the domain state machine."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Result, select
from sqlalchemy.orm import Session

from console.db import models as m
from console.domain.lifecycle import IllegalTransition, LetterEvent, transition
from console.domain.verwerkingscode import VerwerkingsCode

log = logging.getLogger(__name__)


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
