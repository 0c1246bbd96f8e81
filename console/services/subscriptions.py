"""Subscription checks: "would this citizen get the letter digitally now?"

Two Logius services answer it (interface reference 2.3 and 2.4):

- the **BerichtenboxValidatieService** (WUS, synchronous): 1 to 250 BSNs for one
  berichttype, live. :meth:`SubscriptionService.check` uses it; every check is recorded
  (who looked up which BSNs).
- the **AbonnementService** (ABS, ebMS, answer within 4 hours, gzipped): Volledig, a
  BSN list (up to about a million) or the changes since a date. :meth:`request_volledig`,
  :meth:`request_lijst` and :meth:`request_mutatie` queue the request; the engine sends
  it, and the answer is imported as a snapshot (see :mod:`console.engine.subscriptions`).

Logius asks that the subscription data a batch relies on is at most 7 days old;
:meth:`freshness` says whether it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from console.berichtenbox.abonnement import (
    ACTION_REQUEST,
    DEFAULT_ANSWER_ACTION,
    AanvraagSoort,
    AbonnementAanvraag,
    AbonnementStatus,
    build_aanvraag,
)
from console.db import models as m
from console.db import models_subscriptions as ms
from console.db.database import Database
from console.db.repositories import SettingsRepository
from console.digikoppeling.ebms.envelope import user_message
from console.digikoppeling.ebms.mime import package
from console.digikoppeling.ebms.model import Party, Payload
from console.digikoppeling.wus.client import WusError, WusValidatieClient
from console.digikoppeling.wus.validatie import ValidateRequest
from console.domain.bsn import bsn_problem, mask_bsn
from console.domain.ids import new_guid
from console.engine.subscriptions import (
    KEY_ANSWER_ACTION,
    KEY_REQUEST_ACTION,
    latest_snapshot_date,
    subscription_hints,
)
from console.services.errors import NotFound, ServiceError
from console.services.workspace import WorkspaceService

KEY_WUS_URL = "wus.url.{connection_id}"
KEY_WUS_ADDRESSING = "wus.ws_addressing"
KEY_MAX_AGE = "preflight.abonnement_max_dagen"
DEFAULT_MAX_AGE_DAYS = 7


class SubscriptionError(ServiceError):
    """A subscription check or request that could not be done; the message says why."""


@dataclass(frozen=True, slots=True)
class CitizenCheck:
    bsn: str
    bsn_masked: str
    digital: bool | None  # None: unknown
    label: str  # plain Dutch
    tone: str  # green, amber, grey
    snapshot_label: str = ""  # what the newest snapshot says, if any


@dataclass(frozen=True, slots=True)
class SubscriptionCheckResult:
    organisation_name: str
    berichttype: str
    checked_at: datetime
    results: tuple[CitizenCheck, ...]
    source: str  # "live" (WUS)

    @property
    def digital_count(self) -> int:
        return sum(1 for r in self.results if r.digital)


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    id: int
    soort_label: str
    verzoek_id: str
    peil_datum: datetime
    received_at: datetime
    entry_count: int
    subscribed_count: int
    age_days: int
    stale: bool
    details_kept: bool = True  # False: replaced and older than abs.bewaar_dagen, BSNs removed


@dataclass(frozen=True, slots=True)
class Freshness:
    latest: datetime | None
    age_days: int | None
    stale: bool
    message: str


@dataclass(frozen=True, slots=True)
class SubscriptionRequestInfo:
    id: int
    verzoek_id: str
    soort_label: str
    bsn_count: int
    mutatie_datum: datetime | None
    created_at: datetime
    answered_at: datetime | None
    status: str  # queued, sent, answered, failed
    status_label: str
    detail: str


_STATUS_LABEL = {
    AbonnementStatus.SUBSCRIBED.value: ("Krijgt het bericht digitaal", "green"),
    AbonnementStatus.NOT_SUBSCRIBED.value: (
        "Heeft deze organisatie uitgezet: verstuur per post",
        "amber",
    ),
    AbonnementStatus.NO_BOX.value: ("Geen actieve Berichtenbox: verstuur per post", "amber"),
}


class SubscriptionService:
    def __init__(
        self,
        db: Database,
        workspace: WorkspaceService,
        *,
        http_client_for: Callable[[int], httpx.Client],
        wus_overrides: dict[int, str] | None = None,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._workspace = workspace
        self._http_client_for = http_client_for
        self.wus_overrides = wus_overrides if wus_overrides is not None else {}
        self._on_request = on_request

    # --- settings ---
    def _setting(self, key: str, default: object = None) -> object:
        with self._db.session() as s:
            return SettingsRepository(s).get(key, default)

    def _set(self, key: str, value: object) -> None:
        with self._db.session() as s:
            SettingsRepository(s).set(key, value)
            s.commit()

    def answer_action(self) -> str:
        """The ebMS action of the ABS answer: not confirmed by Logius, so a setting."""
        return str(self._setting(KEY_ANSWER_ACTION) or DEFAULT_ANSWER_ACTION)

    def set_answer_action(self, action: str) -> None:
        if not action.strip() or any(c.isspace() for c in action):
            raise SubscriptionError("Een ebMS-actie is een woord zonder spaties.")
        self._set(KEY_ANSWER_ACTION, action.strip())

    def wus_url(self, connection_id: int) -> str | None:
        if connection_id in self.wus_overrides:
            return self.wus_overrides[connection_id]
        value = self._setting(KEY_WUS_URL.format(connection_id=connection_id))
        return str(value) if value else None

    def set_wus_url(self, connection_id: int, url: str) -> None:
        if not url.startswith("https://"):
            raise SubscriptionError("Het adres van de validatieservice begint met https://.")
        self._set(KEY_WUS_URL.format(connection_id=connection_id), url)

    def max_age_days(self) -> int:
        try:
            return int(self._setting(KEY_MAX_AGE, DEFAULT_MAX_AGE_DAYS))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return DEFAULT_MAX_AGE_DAYS

    # --- WUS: live check ---
    def _organisation(self, organisation_id: int | None) -> tuple[int, str, str, int]:
        status = self._workspace.status()
        org_id = organisation_id if organisation_id is not None else status.organisation_id
        if org_id is None or status.connection_id is None:
            raise SubscriptionError("Er is geen koppeling of organisatie ingesteld.")
        org = next((o for o in status.organisations if o.id == org_id), None)
        if org is None:
            raise NotFound(f"Organisatie {org_id} hoort niet bij de actieve koppeling.")
        return org.id, org.name, org.oin, self._workspace.connection_id_for(org.id)

    def check(
        self,
        bsns: Sequence[str],
        berichttype: str,
        organisation_id: int | None = None,
        *,
        actor: str = "gebruiker",
    ) -> SubscriptionCheckResult:
        """Ask the validation service (WUS) now, for 1 to 250 BSNs and one berichttype."""
        cleaned = ["".join(b.split()) for b in bsns]
        org_id, org_name, oin, conn_id = self._organisation(organisation_id)
        url = self.wus_url(conn_id)
        if not url:
            raise SubscriptionError(
                "Het adres van de validatieservice (WUS) is niet ingesteld voor deze koppeling. "
                "U krijgt het van Logius; stel het in bij Organisaties."
            )
        addressing = bool(self._setting(KEY_WUS_ADDRESSING, True))
        now = datetime.now(UTC)
        outcome, detail = "ok", ""
        try:
            client = WusValidatieClient(
                self._http_client_for(conn_id), url, ws_addressing=addressing
            )
            answers = client.validate_abonnementen(
                ValidateRequest(oin, berichttype.strip(), tuple(cleaned))
            )
        except WusError as exc:
            outcome, detail = exc.code, str(exc)
            raise SubscriptionError(str(exc)) from exc
        except ValueError as exc:  # e.g. the connection has no certificate
            outcome, detail = "Verbinding", str(exc)
            raise SubscriptionError(str(exc)) from exc
        except RuntimeError as exc:  # TransportUnavailable
            outcome, detail = "Verbinding", str(exc)
            raise SubscriptionError(str(exc)) from exc
        finally:
            if outcome != "Invoer":
                self._audit(now, actor, org_id, berichttype, cleaned, outcome, detail)
        by_bsn = {a.bsn: a.is_bericht_sturen for a in answers}
        with self._db.session() as s:
            hints = subscription_hints(s, org_id, cleaned)
        results = []
        for bsn in cleaned:
            digital = by_bsn.get(bsn)
            hint = hints.get(bsn)
            snapshot = ""
            if hint is not None:
                label_text = _STATUS_LABEL.get(hint.status, (hint.status, ""))[0]
                snapshot = (
                    f"Abonnementsoverzicht van {hint.snapshot_date.astimezone():%d-%m-%Y}: "
                    f"{label_text.lower()}"
                )
            if digital is None:
                results.append(
                    CitizenCheck(
                        bsn, mask_bsn(bsn), None, "Geen antwoord voor dit BSN", "grey", snapshot
                    )
                )
            elif digital:
                results.append(
                    CitizenCheck(
                        bsn, mask_bsn(bsn), True, "Krijgt het bericht digitaal", "green", snapshot
                    )
                )
            else:
                results.append(
                    CitizenCheck(
                        bsn,
                        mask_bsn(bsn),
                        False,
                        "Krijgt het bericht niet digitaal: verstuur per post",
                        "amber",
                        snapshot,
                    )
                )
        return SubscriptionCheckResult(org_name, berichttype.strip(), now, tuple(results), "live")

    def _audit(
        self,
        at: datetime,
        actor: str,
        organisation_id: int,
        berichttype: str,
        bsns: list[str],
        outcome: str,
        detail: str,
    ) -> None:
        with self._db.session() as s:
            s.add(
                ms.SubscriptionCheck(
                    at=at,
                    actor=actor[:100],
                    organisation_id=organisation_id,
                    berichttype=berichttype[:8],
                    bsns=",".join(bsns),
                    outcome=outcome[:32],
                    detail=detail,
                )
            )
            s.commit()

    @staticmethod
    def input_problems(bsns: Sequence[str], berichttype: str) -> list[str]:
        """What is wrong before asking (the form shows it as the user types)."""
        from console.digikoppeling.wus.client import check_request

        cleaned = tuple("".join(b.split()) for b in bsns if b.strip())
        return check_request(ValidateRequest("-", berichttype, cleaned))

    # --- snapshots ---
    def snapshots(self, organisation_id: int) -> list[SnapshotInfo]:
        now = datetime.now(UTC)
        limit = self.max_age_days()
        with self._db.session() as s:
            rows = list(
                s.scalars(
                    select(ms.SubscriptionSnapshot)
                    .where(ms.SubscriptionSnapshot.organisation_id == organisation_id)
                    .order_by(ms.SubscriptionSnapshot.peil_datum.desc())
                )
            )
            kept = {
                r.id
                for r in rows
                if s.scalar(
                    select(ms.SubscriptionEntry.bsn)
                    .where(ms.SubscriptionEntry.snapshot_id == r.id)
                    .limit(1)
                )
                is not None
            }
            return [
                SnapshotInfo(
                    id=r.id,
                    soort_label=AanvraagSoort(r.soort).label,
                    verzoek_id=r.verzoek_id,
                    peil_datum=r.peil_datum,
                    received_at=r.received_at,
                    entry_count=r.entry_count,
                    subscribed_count=r.subscribed_count,
                    age_days=(now - r.peil_datum).days,
                    stale=(now - r.peil_datum) > timedelta(days=limit),
                    details_kept=r.entry_count == 0 or r.id in kept,
                )
                for r in rows
            ]

    def freshness(self, organisation_id: int) -> Freshness:
        limit = self.max_age_days()
        with self._db.session() as s:
            latest = latest_snapshot_date(s, organisation_id)
        if latest is None:
            return Freshness(
                None,
                None,
                False,
                "Er is nog geen abonnementsoverzicht. Vraag er een op als u vooraf wilt weten "
                "wie digitale post krijgt.",
            )
        age = datetime.now(UTC) - latest
        stale = age > timedelta(days=limit)
        day = latest.astimezone().strftime("%d-%m-%Y %H:%M")
        message = (
            f"Het abonnementsoverzicht is van {day} ({age.days} dagen oud); Logius vraagt ten "
            f"hoogste {limit} dagen. Vraag een nieuw overzicht op."
            if stale
            else f"Het abonnementsoverzicht is van {day} ({age.days} dagen oud)."
        )
        return Freshness(latest, age.days, stale, message)

    def lookup(self, organisation_id: int, bsns: Sequence[str]) -> dict[str, str]:
        """What the newest snapshots say per BSN (status value); absent: not covered."""
        with self._db.session() as s:
            return {b: h.status for b, h in subscription_hints(s, organisation_id, bsns).items()}

    # --- ABS requests over ebMS ---
    def request_volledig(
        self, organisation_id: int | None = None, *, actor: str = "gebruiker"
    ) -> SubscriptionRequestInfo:
        return self._request(AanvraagSoort.VOLLEDIG, organisation_id, actor=actor)

    def request_lijst(
        self, bsns: Sequence[str], organisation_id: int | None = None, *, actor: str = "gebruiker"
    ) -> SubscriptionRequestInfo:
        cleaned = ["".join(b.split()) for b in bsns if b.strip()]
        bad = [f"{b}: {p}" for b in cleaned[:100_000] if (p := bsn_problem(b))]
        if bad:
            more = f" (en {len(bad) - 5} meer)" if len(bad) > 5 else ""
            raise SubscriptionError("Ongeldige BSN's in de lijst: " + "; ".join(bad[:5]) + more)
        unique = list(dict.fromkeys(cleaned))
        return self._request(AanvraagSoort.BSN_LIJST, organisation_id, bsns=unique, actor=actor)

    def request_mutatie(
        self, since: datetime, organisation_id: int | None = None, *, actor: str = "gebruiker"
    ) -> SubscriptionRequestInfo:
        if since.tzinfo is None:
            since = since.astimezone()
        if since > datetime.now(UTC):
            raise SubscriptionError("De mutatiedatum ligt in de toekomst.")
        return self._request(AanvraagSoort.MUTATIE, organisation_id, since=since, actor=actor)

    def _request(
        self,
        soort: AanvraagSoort,
        organisation_id: int | None,
        *,
        bsns: Sequence[str] = (),
        since: datetime | None = None,
        actor: str,
    ) -> SubscriptionRequestInfo:
        org_id, _name, oin, conn_id = self._organisation(organisation_id)
        verzoek_id = new_guid()
        try:
            aanvraag = AbonnementAanvraag(oin, verzoek_id, soort, tuple(bsns), since)
        except ValueError as exc:
            raise SubscriptionError(str(exc)) from None
        payload = build_aanvraag(aanvraag)
        now = datetime.now(UTC)
        with self._db.session() as s:
            conn = s.get(m.Connection, conn_id)
            assert conn is not None
            action = str(SettingsRepository(s).get(KEY_REQUEST_ACTION) or ACTION_REQUEST)
            msg = user_message(
                cpa_id=conn.cpa_id,
                from_party=Party(conn.from_party_id, conn.from_role),
                to_party=Party(conn.to_party_id, conn.to_role),
                service=conn.service,
                service_type=conn.service_type,
                action=action,
                payloads=[Payload(f"{verzoek_id}@berichtenbox-console", "text/xml", payload)],
                sync_reply=conn.sync_reply,
            )
            content_type, body = package(msg)
            s.add(
                m.EbmsMessage(
                    message_id=msg.header.message_id,
                    conversation_id=msg.header.conversation_id,
                    cpa_id=conn.cpa_id,
                    connection_id=conn.id,
                    direction=m.EbmsDirection.OUT,
                    kind=m.EbmsKind.USER,
                    service=conn.service,
                    action=action,
                    status=m.EbmsStatus.PENDING,
                    content_type=content_type,
                    raw=body,
                    attempts=0,
                    next_attempt_at=now,
                    expires_at=now + timedelta(seconds=conn.persist_duration_seconds),
                    created_at=now,
                    updated_at=now,
                )
            )
            req = ms.SubscriptionRequest(
                organisation_id=org_id,
                connection_id=conn.id,
                verzoek_id=verzoek_id,
                soort=soort.value,
                bsn_count=len(bsns),
                mutatie_datum=since,
                message_id=msg.header.message_id,
                status=ms.SubscriptionRequestStatus.QUEUED,
                created_at=now,
                created_by=actor[:100],
            )
            s.add(req)
            s.commit()
            request_id = req.id
        if self._on_request is not None:
            self._on_request()
        return self.request(request_id)

    def request(self, request_id: int) -> SubscriptionRequestInfo:
        with self._db.session() as s:
            req = s.get(ms.SubscriptionRequest, request_id)
            if req is None:
                raise NotFound(f"Abonnementsaanvraag {request_id} bestaat niet.")
            out = s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.message_id == req.message_id))
            return _request_info(req, out)

    def requests(self, organisation_id: int | None = None) -> list[SubscriptionRequestInfo]:
        with self._db.session() as s:
            query = select(ms.SubscriptionRequest).order_by(
                ms.SubscriptionRequest.created_at.desc()
            )
            if organisation_id is not None:
                query = query.where(ms.SubscriptionRequest.organisation_id == organisation_id)
            rows = list(s.scalars(query))
            outs = {
                x.message_id: x
                for x in s.scalars(
                    select(m.EbmsMessage).where(
                        m.EbmsMessage.message_id.in_([r.message_id for r in rows[:500]])
                    )
                )
            }
            return [_request_info(r, outs.get(r.message_id)) for r in rows]


def _request_info(
    req: ms.SubscriptionRequest, out: m.EbmsMessage | None
) -> SubscriptionRequestInfo:
    status = req.status.value
    detail = req.detail or ""
    if req.status is ms.SubscriptionRequestStatus.ANSWERED:
        label = "Antwoord ingelezen"
    elif req.status is ms.SubscriptionRequestStatus.FAILED:
        label = "Antwoord niet in te lezen"
    elif out is not None and out.status in (m.EbmsStatus.FAILED, m.EbmsStatus.EXPIRED):
        status = "failed"
        label = "Aanvraag mislukt"
        detail = out.error_detail or detail
    elif out is not None and out.status in (m.EbmsStatus.SENT, m.EbmsStatus.DELIVERED):
        status = "sent"
        label = "Verstuurd; het antwoord komt binnen 4 uur"
    else:
        label = "In de wachtrij"
    return SubscriptionRequestInfo(
        id=req.id,
        verzoek_id=req.verzoek_id,
        soort_label=AanvraagSoort(req.soort).label,
        bsn_count=req.bsn_count,
        mutatie_datum=req.mutatie_datum,
        created_at=req.created_at,
        answered_at=req.answered_at,
        status=status,
        status_label=label,
        detail=detail,
    )
