"""De levensloop van een bericht als expliciete toestandsmachine.

Every status change of a letter goes through :func:`transition`; the database layer stores
only statuses this module produced, so an impossible jump (a result before sending, a
second final state) is refused instead of silently recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from console.domain.verwerkingscode import CATALOGUE, Outcome, VerwerkingsCode


class LetterStatus(StrEnum):
    QUEUED = "queued"  # in de wachtrij (opgeslagen, nog niet verstuurd)
    SENDING = "sending"  # verzending loopt
    SENT = "sent"  # afgeleverd bij Logius' MSH, wacht op ontvangstbevestiging
    ACKNOWLEDGED = "acknowledged"  # ontvangst bevestigd, wacht op resultaat
    DELIVERED = "delivered"  # Verwerkt
    NOT_SUBSCRIBED = "not_subscribed"  # NietActiefOfGeabonneerd
    REJECTED = "rejected"  # afgekeurd met een VerwerkingsCode
    DUPLICATE = "duplicate"  # BerichtBestaatAl
    FAILED = "failed"  # transport mislukt (MessageError, afgewezen)
    EXPIRED = "expired"  # geen bevestiging binnen de looptijd
    PAPER = "paper"  # per post verstuurd


class LetterEvent(StrEnum):
    CLAIM = "claim"  # in een batch gezet; de engine verstuurt het
    TRANSPORT_ERROR = "transport_error"  # herstelbaar: dezelfde batch wordt opnieuw geprobeerd
    HTTP_ACCEPTED = "http_accepted"
    ACKNOWLEDGED = "acknowledged"
    MESSAGE_ERROR = "message_error"
    EXPIRED = "expired"
    RESULT = "result"
    RESEND = "resend"
    MARK_PAPER = "mark_paper"
    RECOVER = "recover"  # na een crash: opnieuw met dezelfde MessageId
    PREFLIGHT_FAILED = "preflight_failed"  # bij het inpakken afgekeurd door de preflight


FINAL = frozenset(
    {
        LetterStatus.DELIVERED,
        LetterStatus.NOT_SUBSCRIBED,
        LetterStatus.REJECTED,
        LetterStatus.DUPLICATE,
        LetterStatus.FAILED,
        LetterStatus.EXPIRED,
        LetterStatus.PAPER,
    }
)
IN_TRANSIT = frozenset({LetterStatus.SENDING, LetterStatus.SENT, LetterStatus.ACKNOWLEDGED})

_AWAITING_RESULT = (LetterStatus.SENDING, LetterStatus.SENT, LetterStatus.ACKNOWLEDGED)

_TRANSITIONS: dict[tuple[LetterStatus, LetterEvent], LetterStatus | None] = {
    (LetterStatus.QUEUED, LetterEvent.CLAIM): LetterStatus.SENDING,
    # Reliable messaging retries the same ebMS message (same BatchID and MessageId), so a
    # transport error or a crash keeps the letter in its batch.
    (LetterStatus.SENDING, LetterEvent.TRANSPORT_ERROR): LetterStatus.SENDING,
    (LetterStatus.SENT, LetterEvent.TRANSPORT_ERROR): LetterStatus.SENT,
    (LetterStatus.SENDING, LetterEvent.RECOVER): LetterStatus.SENDING,
    (LetterStatus.SENDING, LetterEvent.HTTP_ACCEPTED): LetterStatus.SENT,
    (LetterStatus.SENDING, LetterEvent.ACKNOWLEDGED): LetterStatus.ACKNOWLEDGED,
    (LetterStatus.SENT, LetterEvent.ACKNOWLEDGED): LetterStatus.ACKNOWLEDGED,
    # An acknowledgment may arrive again (duplicate elimination re-acks): keep the state.
    (LetterStatus.ACKNOWLEDGED, LetterEvent.ACKNOWLEDGED): LetterStatus.ACKNOWLEDGED,
    (LetterStatus.SENDING, LetterEvent.MESSAGE_ERROR): LetterStatus.FAILED,
    (LetterStatus.SENT, LetterEvent.MESSAGE_ERROR): LetterStatus.FAILED,
    (LetterStatus.QUEUED, LetterEvent.EXPIRED): LetterStatus.EXPIRED,
    (LetterStatus.SENDING, LetterEvent.EXPIRED): LetterStatus.EXPIRED,
    (LetterStatus.SENT, LetterEvent.EXPIRED): LetterStatus.EXPIRED,
    # The preflight runs again when letters are packed (dates move on): a letter that no
    # longer passes does not go into the batch.
    (LetterStatus.QUEUED, LetterEvent.PREFLIGHT_FAILED): LetterStatus.FAILED,
    (LetterStatus.SENDING, LetterEvent.PREFLIGHT_FAILED): LetterStatus.FAILED,
    # A sent letter may be acknowledged later: a late ack after HTTP 200 is normal.
    (LetterStatus.SENT, LetterEvent.HTTP_ACCEPTED): LetterStatus.SENT,
}
# RESULT: the target depends on the code; allowed from every awaiting state.
_RESENDABLE = frozenset({LetterStatus.REJECTED, LetterStatus.FAILED, LetterStatus.EXPIRED})
_PAPERABLE = frozenset(
    {
        LetterStatus.NOT_SUBSCRIBED,
        LetterStatus.REJECTED,
        LetterStatus.FAILED,
        LetterStatus.EXPIRED,
        LetterStatus.QUEUED,
        LetterStatus.DUPLICATE,
    }
)


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow."""


def status_for_code(code: VerwerkingsCode) -> LetterStatus:
    outcome = CATALOGUE[code].outcome
    if outcome is Outcome.DELIVERED:
        return LetterStatus.DELIVERED
    if outcome is Outcome.PAPER:
        return LetterStatus.NOT_SUBSCRIBED
    if outcome is Outcome.DUPLICATE:
        return LetterStatus.DUPLICATE
    return LetterStatus.REJECTED


def transition(
    current: LetterStatus, event: LetterEvent, code: VerwerkingsCode | None = None
) -> LetterStatus:
    """Return the status after *event*, or raise :class:`IllegalTransition`."""
    if event is LetterEvent.RESULT:
        if code is None:
            raise IllegalTransition("Een resultaat zonder VerwerkingsCode.")
        if current in _AWAITING_RESULT:
            return status_for_code(code)
        raise IllegalTransition(f"Resultaat {code} ontvangen in status {current}.")
    if event is LetterEvent.RESEND:
        if current in _RESENDABLE:
            return LetterStatus.QUEUED
        raise IllegalTransition(
            f"Een bericht in status {current} mag niet opnieuw worden verstuurd."
        )
    if event is LetterEvent.MARK_PAPER:
        if current in _PAPERABLE:
            return LetterStatus.PAPER
        raise IllegalTransition(f"Een bericht in status {current} kan niet naar papier.")
    target = _TRANSITIONS.get((current, event))
    if target is None:
        raise IllegalTransition(f"Overgang {event} is niet toegestaan vanuit {current}.")
    return target


def can(current: LetterStatus, event: LetterEvent, code: VerwerkingsCode | None = None) -> bool:
    try:
        transition(current, event, code)
    except IllegalTransition:
        return False
    return True


@dataclass(frozen=True, slots=True)
class StatusLabel:
    text: str
    tone: str  # grey, blue, green, amber, red


STATUS_LABELS: dict[LetterStatus, StatusLabel] = {
    LetterStatus.QUEUED: StatusLabel("In wachtrij", "grey"),
    LetterStatus.SENDING: StatusLabel("Wordt verzonden", "blue"),
    LetterStatus.SENT: StatusLabel("Verzonden", "blue"),
    LetterStatus.ACKNOWLEDGED: StatusLabel("Ontvangen, wacht op resultaat", "blue"),
    LetterStatus.DELIVERED: StatusLabel("Verwerkt", "green"),
    LetterStatus.NOT_SUBSCRIBED: StatusLabel("Niet geabonneerd", "amber"),
    LetterStatus.REJECTED: StatusLabel("Afgekeurd", "red"),
    LetterStatus.DUPLICATE: StatusLabel("Al eerder aangeboden", "amber"),
    LetterStatus.FAILED: StatusLabel("Verzending mislukt", "red"),
    LetterStatus.EXPIRED: StatusLabel("Verlopen", "red"),
    LetterStatus.PAPER: StatusLabel("Per post", "grey"),
}
