"""An in-memory stand-in for ``console.services`` while the real services are being written.

Same methods and return types as ``ConsoleServices`` (workspace, letters, engine), thread-safe.
Letters only move when a test asks (``advance``), so nothing happens behind a test's back.
Tests record calls with ``conftest.CallRecorder``, which works on the real services too.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from console.domain.bsn import is_valid_bsn, mask_bsn
from console.domain.environment import Environment
from console.domain.ids import is_guid, new_guid, new_message_id
from console.domain.letter import LetterDraft, validate_letter
from console.domain.lifecycle import FINAL, STATUS_LABELS, LetterStatus
from console.domain.verwerkingscode import CATALOGUE, VerwerkingsCode
from console.services.dto import (
    BerichtTypeInfo,
    EngineSnapshot,
    FlowKey,
    LetterDetail,
    LetterQuery,
    LetterRow,
    OrganisationInfo,
    SubmittedLetter,
    TimelineEntry,
    WorkspaceStatus,
)
from console.services.monitoring import (
    FAILED_STATUSES,
    IN_TRANSIT_STATUSES,
    Counts,
    Dashboard,
    FlowInfo,
    FlowSeries,
)

try:  # the real error, once the services layer has it
    from console.services.errors import LetterRefused
except ImportError:  # pragma: no cover - only until console/services/errors.py lands

    class LetterRefused(ValueError):  # type: ignore[no-redef]
        def __init__(self, issues: Sequence[Any]) -> None:
            self.issues = list(issues)
            first = self.issues[0].message if self.issues else ""
            super().__init__(f"Het bericht is niet opgeslagen: {first}")


ORGANISATIONS = (
    OrganisationInfo(1, "Gemeente Voorbeeld", "00000099123456780000", "gemeente"),
    OrganisationInfo(2, "Gemeente Proefdorp", "00000099876543210000", "gemeente"),
)

BERICHTTYPES = (
    ("WOZBESCH", "WOZ-beschikking", True),
    ("BELAANSL", "Aanslag gemeentelijke belastingen", True),
    ("PARKVERG", "Parkeervergunning", True),
    ("AFVALPAS", "Afvalpas", False),
)

NEXT_STEP_QUEUED = "De console verstuurt het bericht zo snel mogelijk."
NEXT_STEP_IN_TRANSIT = "Wacht op het resultaat van MijnOverheid. Dit duurt meestal enkele minuten."


def valid_bsns(count: int, start: int = 999_000_000) -> list[str]:
    """*count* nine-digit numbers that pass the elfproef (about one in eleven does)."""
    out: list[str] = []
    number = start
    while len(out) < count:
        if number > 999_999_999:
            raise ValueError(f"not {count} valid BSNs above {start}")
        text = f"{number:09d}"
        if is_valid_bsn(text):
            out.append(text)
        number += 1
    return out


@dataclass(slots=True)
class _Letter:
    id: int
    created_at: datetime
    organisation: OrganisationInfo
    draft: LetterDraft
    bericht_id: str
    status: LetterStatus = LetterStatus.QUEUED
    verwerkings_code: str | None = None
    batch_id: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)


class FakeWorkspaceService:
    def __init__(self, status: WorkspaceStatus) -> None:
        self._status = status

    def status(self) -> WorkspaceStatus:
        return self._status

    def set_active_organisation(self, organisation_id: int) -> WorkspaceStatus:
        org = next(o for o in self._status.organisations if o.id == organisation_id)
        self._status = replace(
            self._status,
            organisation_id=org.id,
            organisation_name=org.name,
            organisation_oin=org.oin,
        )
        return self._status

    def berichttypes(self, organisation_id: int) -> list[BerichtTypeInfo]:
        return [
            BerichtTypeInfo(n, organisation_id, code, name, active)
            for n, (code, name, active) in enumerate(BERICHTTYPES, start=1)
        ]


class FakeLetterService:
    def __init__(self, organisations: Sequence[OrganisationInfo]) -> None:
        self._organisations = {org.id: org for org in organisations}
        self._letters: dict[int, _Letter] = {}
        self._raw: dict[int, str] = {}
        self._lock = threading.Lock()
        self._next_id = 1
        self._next_raw = 1

    # -- the service API ---------------------------------------------------------------------

    def validate(self, draft: LetterDraft) -> list[Any]:
        return validate_letter(draft)

    def submit(
        self, draft: LetterDraft, organisation_id: int, actor: str = "gebruiker"
    ) -> SubmittedLetter:
        issues = [i for i in self.validate(draft) if i.blocking]
        if issues:
            raise LetterRefused(issues)
        with self._lock:
            letter = self._new_letter(draft, self._organisations[organisation_id])
        return SubmittedLetter(letter.id, letter.bericht_id)

    def count(self, query: LetterQuery) -> int:
        with self._lock:
            return len(self._matching(query))

    def ids(self, query: LetterQuery) -> list[int]:
        with self._lock:
            return [letter.id for letter in self._sorted(self._matching(query), query)]

    def rows(self, ids: Sequence[int]) -> list[LetterRow]:
        with self._lock:
            return [self._row(self._letters[i]) for i in ids if i in self._letters]

    def detail(self, letter_id: int) -> LetterDetail:
        with self._lock:
            letter = self._letters[letter_id]
            return LetterDetail(
                row=self._row(letter),
                next_step=self._next_step(letter),
                timeline=tuple(letter.timeline),
                message_ids=tuple(letter.message_ids),
            )

    def raw_exchange(self, ebms_message_id: int) -> str:
        with self._lock:
            return self._raw[ebms_message_id]

    # -- test helpers ------------------------------------------------------------------------

    def advance(
        self, letter_id: int, status: LetterStatus, code: VerwerkingsCode | None = None
    ) -> None:
        """Move a letter on, adding the timeline steps (with raw XML) a real run would add."""
        with self._lock:
            self._advance(self._letters[letter_id], status, code)

    def add_generated(self, count: int, *, seed: int = 7) -> list[int]:
        """Add *count* letters spread over statuses and the last weeks (for demos and load)."""
        rng = random.Random(seed)
        bsns = valid_bsns(min(count, 500))
        subjects = (
            "Uw WOZ-beschikking 2025",
            "Aanslag gemeentelijke belastingen",
            "Uw parkeervergunning is verlengd",
            "Herinnering: afspraak paspoort",
            "Besluit op uw aanvraag",
            "Uw aanvraag bijzondere bijstand",
        )
        outcomes: list[tuple[LetterStatus, VerwerkingsCode | None]] = [
            (LetterStatus.DELIVERED, VerwerkingsCode.VERWERKT),
        ] * 12 + [
            (LetterStatus.NOT_SUBSCRIBED, VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD),
            (LetterStatus.NOT_SUBSCRIBED, VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD),
            (LetterStatus.REJECTED, VerwerkingsCode.BERICHTTYPE_NIET_ONDERSTEUND),
            (LetterStatus.FAILED, None),
            (LetterStatus.ACKNOWLEDGED, None),
            (LetterStatus.QUEUED, None),
        ]
        now = datetime.now(UTC)
        orgs = list(self._organisations.values())
        made: list[int] = []
        with self._lock:
            for n in range(count):
                code, _, _ = BERICHTTYPES[n % 3]
                draft = LetterDraft(
                    bsn=bsns[n % len(bsns)],
                    berichttype=code,
                    onderwerp=subjects[rng.randrange(len(subjects))],
                    berichttekst="Geachte heer/mevrouw,\n\nIn de bijlage vindt u ons besluit.",
                    referentie=f"ZK-2025-{10000 + n}",
                )
                created = now - timedelta(minutes=count - n) * 7
                letter = self._new_letter(draft, orgs[n % len(orgs)], created_at=created)
                status, vcode = outcomes[rng.randrange(len(outcomes))]
                if status is not LetterStatus.QUEUED:
                    self._advance(letter, status, vcode)
                made.append(letter.id)
        return made

    # -- internals (call with the lock held) -------------------------------------------------

    def _new_letter(
        self,
        draft: LetterDraft,
        organisation: OrganisationInfo,
        *,
        created_at: datetime | None = None,
    ) -> _Letter:
        letter = _Letter(
            id=self._next_id,
            created_at=created_at or datetime.now(UTC),
            organisation=organisation,
            draft=draft,
            bericht_id=new_guid(),
        )
        self._next_id += 1
        letter.timeline.append(
            TimelineEntry(letter.created_at, "queued", "Opgeslagen en in de wachtrij gezet")
        )
        self._letters[letter.id] = letter
        return letter

    def _add_raw(self, xml: str) -> int:
        ref = self._next_raw
        self._next_raw += 1
        self._raw[ref] = xml
        return ref

    def _advance(self, letter: _Letter, status: LetterStatus, code: VerwerkingsCode | None) -> None:
        at = letter.timeline[-1].at + timedelta(seconds=2)
        if letter.status is LetterStatus.QUEUED and status is not LetterStatus.QUEUED:
            letter.batch_id = letter.batch_id or new_guid()
            letter.message_ids.append(new_message_id())
            ref = self._add_raw(_request_xml(letter))
            letter.timeline.append(
                TimelineEntry(at, "sent", "Verstuurd naar MijnOverheid", raw_ref=ref)
            )
            at += timedelta(seconds=1)
        if status is LetterStatus.FAILED:
            ref = self._add_raw(_error_xml())
            letter.timeline.append(
                TimelineEntry(
                    at,
                    "message_error",
                    "Logius weigerde het bericht",
                    detail="Het ebMS-bericht voldeed niet aan de CPA.",
                    code="ValueNotRecognized",
                    raw_ref=ref,
                )
            )
        elif status in (LetterStatus.ACKNOWLEDGED, *FINAL) and status is not LetterStatus.PAPER:
            ref = self._add_raw(_ack_xml())
            letter.timeline.append(
                TimelineEntry(at, "acknowledged", "Ontvangst bevestigd door Logius", raw_ref=ref)
            )
            at += timedelta(seconds=30)
        if code is not None:
            info = CATALOGUE[code]
            ref = self._add_raw(_result_xml(letter, code))
            letter.timeline.append(
                TimelineEntry(
                    at, "result", f"Resultaat: {info.title}", info.explanation, code.value, ref
                )
            )
            letter.verwerkings_code = code.value
        letter.status = status

    def _matching(self, query: LetterQuery) -> list[_Letter]:
        text = query.search.strip()
        found: Iterable[_Letter] = self._letters.values()
        if query.status is not None:
            found = [x for x in found if x.status is query.status]
        if query.statuses:
            found = [x for x in found if x.status in query.statuses]
        if query.flow is not None:
            found = [
                x
                for x in found
                if x.organisation.id == query.flow.organisation_id
                and x.draft.berichttype == query.flow.berichttype
            ]
        if query.berichttype:
            found = [x for x in found if x.draft.berichttype == query.berichttype]
        if query.referentie:
            found = [x for x in found if x.draft.referentie.lower() == query.referentie.lower()]
        if query.batch_or_bericht_id:
            wanted = query.batch_or_bericht_id.lower()
            found = [x for x in found if wanted in (x.bericht_id, x.batch_id or "")]
        if query.created_from is not None:
            found = [x for x in found if x.created_at >= query.created_from]
        if query.created_to is not None:
            found = [x for x in found if x.created_at < query.created_to]
        if query.no_result_hours is not None:
            cutoff = datetime.now(UTC) - timedelta(hours=query.no_result_hours)
            found = [
                x
                for x in found
                if x.status is LetterStatus.ACKNOWLEDGED and x.timeline[-1].at < cutoff
            ]
        if query.verwerkings_code is not None:
            found = [x for x in found if x.verwerkings_code == query.verwerkings_code]
        if query.organisation_id is not None:
            found = [x for x in found if x.organisation.id == query.organisation_id]
        if not text:
            return list(found)
        if len(text) == 9 and text.isdigit():
            return [x for x in found if x.draft.bsn == text]
        if is_guid(text):
            low = text.lower()
            return [x for x in found if low in (x.bericht_id, x.batch_id or "")]
        needle = text.casefold()
        return [
            x
            for x in found
            if needle in x.draft.referentie.casefold() or needle in x.draft.onderwerp.casefold()
        ]

    @staticmethod
    def _sorted(letters: list[_Letter], query: LetterQuery) -> list[_Letter]:
        def key(x: _Letter) -> tuple[Any, int]:
            value: Any = {
                "created_at": x.created_at,
                "organisation": x.organisation.name,
                "berichttype": x.draft.berichttype,
                "onderwerp": x.draft.onderwerp.casefold(),
                "referentie": x.draft.referentie,
                "status": STATUS_LABELS[x.status].text,
                "verwerkings_code": x.verwerkings_code or "",
            }[query.sort_key]
            return value, x.id

        return sorted(letters, key=key, reverse=query.descending)

    @staticmethod
    def _row(letter: _Letter) -> LetterRow:
        label = STATUS_LABELS[letter.status]
        explanation = ""
        if letter.verwerkings_code:
            info = CATALOGUE[VerwerkingsCode(letter.verwerkings_code)]
            explanation = info.explanation
        elif letter.status is LetterStatus.QUEUED:
            explanation = "Het bericht staat klaar en wordt zo verstuurd."
        elif letter.status is LetterStatus.FAILED:
            explanation = "Logius heeft het bericht geweigerd; het is niet afgeleverd."
        else:
            explanation = "Het bericht is onderweg naar MijnOverheid."
        return LetterRow(
            id=letter.id,
            created_at=letter.created_at,
            organisation_name=letter.organisation.name,
            berichttype=letter.draft.berichttype,
            bsn_masked=mask_bsn(letter.draft.bsn),
            onderwerp=letter.draft.onderwerp,
            referentie=letter.draft.referentie,
            status=letter.status,
            status_label=label.text,
            status_tone=label.tone,
            verwerkings_code=letter.verwerkings_code,
            explanation=explanation,
            batch_id=letter.batch_id,
            bericht_id=letter.bericht_id,
        )

    @staticmethod
    def _next_step(letter: _Letter) -> str:
        if letter.verwerkings_code:
            return CATALOGUE[VerwerkingsCode(letter.verwerkings_code)].next_step
        if letter.status is LetterStatus.QUEUED:
            return NEXT_STEP_QUEUED
        if letter.status is LetterStatus.FAILED:
            return "Controleer de koppeling en de CPA en verstuur het bericht opnieuw."
        return NEXT_STEP_IN_TRANSIT


class FakeEngine:
    def __init__(self, letters: FakeLetterService, *, certificate_days_left: int | None = 212):
        self._letters = letters
        self.running = True
        self.inbound_url = "https://127.0.0.1:8443/ebms"
        self.certificate_days_left = certificate_days_left
        self.last_error: str | None = None

    def snapshot(self) -> EngineSnapshot:
        with self._letters._lock:
            statuses = [x.status for x in self._letters._letters.values()]
        return EngineSnapshot(
            running=self.running,
            queued=statuses.count(LetterStatus.QUEUED),
            in_flight=statuses.count(LetterStatus.SENDING) + statuses.count(LetterStatus.SENT),
            awaiting_result=statuses.count(LetterStatus.ACKNOWLEDGED),
            inbound_url=self.inbound_url,
            last_error=self.last_error,
            simulator_url="https://127.0.0.1:8444/ebms",
            certificate_days_left=self.certificate_days_left,
        )

    def wake(self) -> None:
        """Nothing moves by itself in the fake; tests call ``letters.advance``."""


class FakeMonitoringService:
    """The dashboard over the fake letters (flows are organisation and berichttype)."""

    def __init__(self, letters: FakeLetterService, engine: FakeEngine) -> None:
        self._letters = letters
        self._engine = engine

    def dashboard(self, organisation_id: int | None = None) -> Dashboard:
        now = datetime.now(UTC)
        today = now.astimezone().date()
        days = tuple(today - timedelta(days=n) for n in range(29, -1, -1))
        position = {d: n for n, d in enumerate(days)}
        grid: dict[FlowKey, list[Counts]] = {}
        names: dict[FlowKey, FlowInfo] = {}
        bt_names = {code: name for code, name, _active in BERICHTTYPES}
        with self._letters._lock:
            letters = list(self._letters._letters.values())
        for x in letters:
            if organisation_id is not None and x.organisation.id != organisation_id:
                continue
            n = position.get(x.created_at.astimezone().date())
            if n is None:
                continue
            key = FlowKey(x.organisation.id, x.draft.berichttype)
            names[key] = FlowInfo(
                key, x.organisation.name, x.draft.berichttype, bt_names.get(x.draft.berichttype, "")
            )
            series = grid.setdefault(key, [Counts()] * len(days))
            series[n] = series[n] + _fake_counts(x)
        flows = tuple(
            sorted(
                (FlowSeries(names[k], tuple(v), sum(v, Counts())) for k, v in grid.items()),
                key=lambda f: -f.total.offered,
            )
        )
        per_day = tuple(sum((f.days[n] for f in flows), Counts()) for n in range(len(days)))
        return Dashboard(
            organisation_id=organisation_id,
            days=days,
            flows=flows,
            per_day=per_day,
            today=per_day[-1],
            period=sum(per_day, Counts()),
            waiting_batches=(),
            waiting_batch_count=0,
            missing_results=0,
            missing_hours=24,
            certificate_days_left=self._engine.certificate_days_left,
        )


def _fake_counts(x: _Letter) -> Counts:
    not_subscribed = int(x.verwerkings_code == VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD.value)
    if x.status is LetterStatus.DELIVERED:
        return Counts(offered=1, delivered=1)
    if x.status in FAILED_STATUSES:
        return Counts(offered=1, failed=1, not_subscribed=not_subscribed)
    if x.status in IN_TRANSIT_STATUSES:
        return Counts(offered=1, in_transit=1)
    return Counts(offered=1, not_subscribed=not_subscribed)


class FakeServices:
    """Quacks like ``console.services.bootstrap.ConsoleServices``."""

    def __init__(
        self,
        *,
        environment: Environment = Environment.SIMULATOR,
        organisations: Sequence[OrganisationInfo] = ORGANISATIONS[:1],
        is_demo: bool = True,
        certificate_days_left: int | None = 212,
    ) -> None:
        first = organisations[0]
        self.workspace = FakeWorkspaceService(
            WorkspaceStatus(
                environment=environment,
                connection_id=1,
                connection_name="Demo-simulator" if is_demo else "Logius preprod",
                organisation_id=first.id,
                organisation_name=first.name,
                organisation_oin=first.oin,
                is_demo=is_demo,
                organisations=tuple(organisations),
            )
        )
        self.letters = FakeLetterService(organisations)
        self.engine = FakeEngine(self.letters, certificate_days_left=certificate_days_left)
        self.monitoring = FakeMonitoringService(self.letters, self.engine)
        self.certificates = FakeCertificateService()
        self.connection_test = FakeConnectionTestService()
        # No Aansluiten service: that page says it is not available here. It is tested on the
        # real service (tests/gui/test_onboarding_view.py).
        self.onboarding: Any = None
        # No settings service either: the Instellingen page says so. It is tested on the real
        # SettingsService (tests/gui/test_settings_view.py).
        self.settings: Any = None
        # No batch import either: Verzenden says so. The dialog is tested on the real
        # BatchImportService (tests/gui/test_batch_import_dialog.py).
        self.batch_import: Any = None


# -- raw XML as the engine would store it (abridged, but well-formed and recognisable) --------


def _request_xml(letter: _Letter) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:eb="http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd">
  <soap:Header>
    <eb:MessageHeader soap:mustUnderstand="1" eb:version="2.0">
      <eb:Service>urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0</eb:Service>
      <eb:Action>GLOBE-R-BV-Request</eb:Action>
    </eb:MessageHeader>
  </soap:Header>
  <soap:Body>
    <Berichten BatchID="{letter.batch_id}">
      <Bericht BerichtID="{letter.bericht_id}">
        <BerichtType>{letter.draft.berichttype}</BerichtType>
        <Onderwerp>{letter.draft.onderwerp}</Onderwerp>
        <Referentie>{letter.draft.referentie}</Referentie>
      </Bericht>
    </Berichten>
  </soap:Body>
</soap:Envelope>
"""


def _ack_xml() -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:eb="http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd">
  <soap:Header>
    <eb:Acknowledgment soap:mustUnderstand="1" eb:version="2.0"/>
  </soap:Header>
  <soap:Body/>
</soap:Envelope>
"""


def _error_xml() -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:eb="http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd">
  <soap:Header>
    <eb:ErrorList soap:mustUnderstand="1" eb:highestSeverity="Error">
      <eb:Error eb:errorCode="ValueNotRecognized" eb:severity="Error"/>
    </eb:ErrorList>
  </soap:Header>
  <soap:Body/>
</soap:Envelope>
"""


def _result_xml(letter: _Letter, code: VerwerkingsCode) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<BerichtVerwerkResponse BatchID="{letter.batch_id}">
  <Resultaat BerichtID="{letter.bericht_id}">
    <VerwerkingsCode>{code.value}</VerwerkingsCode>
    <Stadium>NA</Stadium>
  </Resultaat>
</BerichtVerwerkResponse>
"""


class FakeCertificateService:
    """No certificates yet, keys in the OS keyring: enough for the window to build its pages.

    The Certificaten page itself is tested against the real service (tests/gui/test_certificates_view.py).
    """

    keys_persistent = True
    key_store_description = "de sleutelbos van het besturingssysteem (test)"

    def certificates(self) -> list[Any]:
        return []

    def trust_list(self, environment: Any = None) -> list[Any]:
        return []

    def check_all(self) -> list[Any]:
        return []

    def expiry_warnings(self) -> list[Any]:
        return []

    def due_notifications(self) -> list[Any]:
        return []

    def mark_notified(self, *args: Any, **kwargs: Any) -> None:
        return None


class FakeConnectionTestService:
    def connections(self) -> list[Any]:
        return []
