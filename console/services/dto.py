"""What the services return to the UI and the CLI: frozen dataclasses, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from console.domain.environment import Environment
from console.domain.lifecycle import LetterStatus


@dataclass(frozen=True, slots=True)
class OrganisationInfo:
    id: int
    name: str
    oin: str
    kind: str


@dataclass(frozen=True, slots=True)
class BerichtTypeInfo:
    id: int
    organisation_id: int
    code: str
    name: str
    active: bool  # actief voor de omgeving van de actieve koppeling


@dataclass(frozen=True, slots=True)
class WorkspaceStatus:
    """What the banner shows."""

    environment: Environment
    connection_id: int | None
    connection_name: str
    organisation_id: int | None
    organisation_name: str
    organisation_oin: str
    is_demo: bool
    organisations: tuple[OrganisationInfo, ...] = ()  # the organisations this connection serves


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    """Thread-safe copy of the engine's state; the UI polls it."""

    running: bool
    queued: int
    in_flight: int
    awaiting_result: int
    inbound_url: str
    last_error: str | None = None
    simulator_url: str | None = None
    certificate_days_left: int | None = None


@dataclass(frozen=True, slots=True)
class LetterRow:
    """One line of the message log."""

    id: int
    created_at: datetime
    organisation_name: str
    berichttype: str
    bsn_masked: str
    onderwerp: str
    referentie: str
    status: LetterStatus
    status_label: str
    status_tone: str  # grey, blue, green, amber, red
    verwerkings_code: str | None
    explanation: str  # plain Dutch: what happened and what to do
    batch_id: str | None
    bericht_id: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: str
    title: str  # plain Dutch
    detail: str = ""
    code: str | None = None  # original code, shown small beside the explanation
    raw_ref: int | None = None  # ebms_messages.id of the raw exchange, if any
    actor: str = ""  # who or what did it (a user, "engine", "import")


@dataclass(frozen=True, slots=True)
class LetterDetail:
    row: LetterRow
    next_step: str
    timeline: tuple[TimelineEntry, ...] = field(default_factory=tuple)
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SubmittedLetter:
    letter_id: int
    bericht_id: str


@dataclass(frozen=True, slots=True)
class FlowKey:
    """A berichtstroom as the message log and the dashboard see it: an organisation sending
    one berichttype."""

    organisation_id: int
    berichttype: str


@dataclass(frozen=True, slots=True)
class LetterQuery:
    """A filter for the message log; ``search`` is what the user typed in the search box.

    Every field narrows (they combine with AND). ``status`` is one status, ``statuses`` a group
    of them (used together, a letter must be in both). ``created_from`` is inclusive,
    ``created_to`` exclusive. ``flow`` sets organisation and berichttype at once.
    ``no_result_hours``: acknowledged by Logius more than that many hours ago and still
    without a result.
    """

    search: str = ""
    status: LetterStatus | None = None
    verwerkings_code: str | None = None
    organisation_id: int | None = None
    sort_key: str = "created_at"  # one of LetterQuery.SORT_KEYS
    descending: bool = True
    statuses: tuple[LetterStatus, ...] = ()
    berichttype: str | None = None
    referentie: str | None = None
    batch_or_bericht_id: str | None = None
    flow: FlowKey | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    no_result_hours: int | None = None

    @property
    def is_filtered(self) -> bool:
        """Anything narrows the list (the sort order does not count)."""
        return bool(
            self.search.strip()
            or self.status is not None
            or self.verwerkings_code is not None
            or self.statuses
            or self.berichttype
            or self.referentie
            or self.batch_or_bericht_id
            or self.flow is not None
            or self.created_from is not None
            or self.created_to is not None
            or self.no_result_hours is not None
        )

    SORT_KEYS = (
        "created_at",
        "organisation",
        "berichttype",
        "onderwerp",
        "referentie",
        "status",
        "verwerkings_code",
    )
