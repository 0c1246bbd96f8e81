"""One letter's whole story, step by step, in plain Dutch first: the timeline.

Built from what the console stored on the way (nothing is reconstructed or guessed):

- the letter's own timeline entries (``letter_events``): created (by whom, or which import),
  preflight warnings, queued, batched (BatchID), accepted over HTTP, acknowledged, ebMS
  error, expiry, the Logius result, resend, paper;
- every ebMS exchange of its batch (``ebms_messages``), each with its raw bytes one click away
  (``raw_ref``), and every HTTP attempt (time, URL, HTTP status, error, duration);
- the batch counters Logius reported with the result.

A step that belongs to an exchange (the batch that was sent, the Acknowledgment, the result
message) carries that exchange's ``raw_ref``; exchanges no step mentions get a line of their own.
Every code is explained with the next step, with the original code beside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from console.db import models as m
from console.domain.ebms_errors import explain_ebms_error
from console.domain.verwerkingscode import CATALOGUE, explain, explain_stadium
from console.services.dto import TimelineEntry

EVENT_TITLES = {
    "created": "Aangemaakt",
    "preflight": "Gecontroleerd (preflight)",
    "preflight_failed": "Afgekeurd bij de controle vóór verzending",
    "queued": "In de wachtrij gezet",
    "batched": "In een batch gezet",
    "claim": "In een batch gezet",
    "recover": "Verzending hervat na een herstart",
    "http_accepted": "Aangeboden bij Logius",
    "transport_error": "Verzending mislukt, wordt opnieuw geprobeerd",
    "acknowledged": "Ontvangst bevestigd door Logius",
    "message_error": "Foutmelding van Logius (ebMS)",
    "expired": "Verlopen zonder bevestiging",
    "result": "Resultaat van MijnOverheid",
    "result_again": "Resultaat nogmaals ontvangen",
    "result_unknown": "Onbekend resultaat ontvangen",
    "resend": "Opnieuw in de wachtrij",
    "mark_paper": "Per post verstuurd",
    "bsn_revealed": "BSN ingezien",
}

_ERROR_CODE = re.compile(r"^\[(?P<code>[A-Za-z]+)\]\s*")


def build_timeline(s: Session, letter: m.Letter) -> list[TimelineEntry]:
    """Every step of *letter*, oldest first (steps at the same moment in the order stored)."""
    events = list(
        s.scalars(
            select(m.LetterEventRecord)
            .where(m.LetterEventRecord.letter_id == letter.id)
            .order_by(m.LetterEventRecord.at, m.LetterEventRecord.id)
        )
    )
    exchanges = batch_exchanges(s, letter.batch_id)
    batch = (
        s.scalar(select(m.Batch).where(m.Batch.batch_id == letter.batch_id))
        if letter.batch_id
        else None
    )
    entries: list[TimelineEntry] = []
    used: set[int] = set()
    for event in events:
        entry = _event_entry(event, exchanges, batch)
        if entry.raw_ref is not None:
            used.add(entry.raw_ref)
        entries.append(entry)
    for x in exchanges:
        if x.id not in used:
            entries.append(_exchange_entry(x))
        for attempt in x.delivery_attempts:
            entries.append(_attempt_entry(attempt, x))
    entries.sort(key=lambda t: t.at)  # stable: equal moments keep the stored order
    return entries


def batch_exchanges(s: Session, batch_id: str | None) -> list[m.EbmsMessage]:
    """The ebMS messages of a batch, plus the Acknowledgments the console sent for them."""
    if not batch_id:
        return []
    own = list(
        s.scalars(
            select(m.EbmsMessage)
            .where(m.EbmsMessage.batch_id == batch_id)
            .options(selectinload(m.EbmsMessage.delivery_attempts))
            .order_by(m.EbmsMessage.created_at, m.EbmsMessage.id)
        )
    )
    inbound_ids = [x.message_id for x in own if x.direction is m.EbmsDirection.IN]
    if not inbound_ids:
        return own
    known = {x.id for x in own}
    replies = [
        x
        for x in s.scalars(
            select(m.EbmsMessage)
            .where(
                m.EbmsMessage.ref_to_message_id.in_(inbound_ids),
                m.EbmsMessage.direction == m.EbmsDirection.OUT,
            )
            .options(selectinload(m.EbmsMessage.delivery_attempts))
        )
        if x.id not in known
    ]
    return sorted(own + replies, key=lambda x: (x.created_at, x.id))


def _mentioned(detail: str, exchanges: Sequence[m.EbmsMessage]) -> m.EbmsMessage | None:
    for x in exchanges:
        if x.message_id and x.message_id in detail:
            return x
    return None


def code_in(detail: str) -> str | None:
    """The VerwerkingsCode a stored result entry speaks of (the engine writes its explanation)."""
    for code, info in CATALOGUE.items():
        if detail.startswith(info.explanation):
            return code.value
    return None


def _event_entry(
    e: m.LetterEventRecord, exchanges: Sequence[m.EbmsMessage], batch: m.Batch | None
) -> TimelineEntry:
    title = EVENT_TITLES.get(e.kind, e.kind)
    detail = e.detail
    code: str | None = None
    raw = _mentioned(detail, exchanges)
    if e.kind in ("result", "result_again"):
        code = code_in(detail)
        info = explain(code) if code is not None else None
        if info is not None:
            title = f"{title}: {info.title}"
        if batch is not None and batch.totaal_ontvangen is not None:
            detail = f"{detail} {batch_counters(batch)}".strip()
    elif e.kind in ("message_error", "expired", "transport_error"):
        match = _ERROR_CODE.match(detail)
        if match:
            code = match.group("code")
            detail = detail[match.end() :]
        if raw is None and e.kind != "transport_error":
            raw = _error_for(exchanges)
    elif e.kind == "result_unknown":
        code = detail.removeprefix("Onbekende verwerkingscode ").split(" ")[0] or None
    return TimelineEntry(
        at=e.at,
        kind=e.kind,
        title=title,
        detail=detail,
        code=code,
        raw_ref=raw.id if raw is not None else None,
        actor=e.actor,
    )


def _error_for(exchanges: Sequence[m.EbmsMessage]) -> m.EbmsMessage | None:
    errors = [x for x in exchanges if x.kind is m.EbmsKind.ERROR]
    return errors[-1] if errors else None


def batch_counters(batch: m.Batch) -> str:
    """The counters of a BerichtVerwerkResponse, as one Dutch sentence."""
    parts = [
        (batch.totaal_ontvangen, "ontvangen"),
        (batch.aantal_verwerkt, "verwerkt"),
        (batch.aantal_niet_geabonneerd, "niet geabonneerd"),
        (batch.aantal_technisch_probleem, "technisch probleem"),
        (batch.aantal_berichttype_niet_correct, "berichttype niet correct"),
        (batch.aantal_publicatiedatum_niet_correct, "publicatiedatum niet correct"),
        (batch.aantal_aanmaakdatum_niet_correct, "aanmaakdatum niet correct"),
    ]
    shown = ", ".join(f"{n} {word}" for n, word in parts if n is not None)
    return f"Telling van Logius voor de hele batch: {shown}." if shown else ""


def _exchange_entry(x: m.EbmsMessage) -> TimelineEntry:
    out = x.direction is m.EbmsDirection.OUT
    code = None
    if x.kind is m.EbmsKind.USER and x.action.endswith("-Result"):
        title = "Resultaatbericht van MijnOverheid ontvangen"
    elif x.kind is m.EbmsKind.USER:
        title = (
            "Batch verstuurd naar Logius (ebMS)" if out else f"ebMS-bericht {x.action} ontvangen"
        )
    elif x.kind is m.EbmsKind.ACK:
        title = (
            "Ontvangst van het resultaat bevestigd aan Logius (Acknowledgment)"
            if out
            else "Ontvangstbevestiging (Acknowledgment) van Logius"
        )
    elif x.kind is m.EbmsKind.ERROR:
        title = "Foutmelding (MessageError) " + ("verstuurd" if out else "van Logius")
    else:
        title = f"ebMS {x.kind.value} " + ("verstuurd" if out else "ontvangen")
    detail = f"MessageId {x.message_id}"
    if x.kind is m.EbmsKind.ERROR and x.error_code:
        code = x.error_code
        expl = explain_ebms_error(x.error_code)
        detail = f"{expl.explanation} {expl.next_step} {detail}"
    return TimelineEntry(
        at=x.created_at,
        kind=f"ebms_{x.kind.value}_{x.direction.value}",
        title=title,
        detail=detail,
        code=code,
        raw_ref=x.id,
    )


def _attempt_entry(a: m.DeliveryAttempt, x: m.EbmsMessage) -> TimelineEntry:
    what = "resultaatbevestiging" if x.kind is m.EbmsKind.ACK else "batch"
    if a.http_status is not None:
        detail = f"{a.url}: HTTP {a.http_status}, {a.duration_ms} ms."
        if a.error:
            detail += f" {a.error}"
    else:
        detail = f"{a.url}: geen antwoord. {a.error or ''}".strip()
    return TimelineEntry(
        at=a.started_at,
        kind="attempt",
        title=f"Verzendpoging ({what})",
        detail=detail,
        raw_ref=x.id,
    )


def stadium_note(stadium: str | None) -> str:
    """Plain Dutch for a Stadium, empty for 'NA' or none."""
    if not stadium or stadium == "NA":
        return ""
    return explain_stadium(stadium)
