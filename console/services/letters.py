"""Use cases around letters: compose and submit, search the log, explain one letter."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.repositories import LetterFilter, LetterRepository
from console.digikoppeling.ebms.mime import EbmsReceiveError, split_http
from console.domain.bsn import mask_bsn
from console.domain.ids import is_guid, new_guid
from console.domain.letter import (
    FieldIssue,
    LetterDraft,
    LetterLimits,
    encode_line_breaks,
    validate_letter,
)
from console.domain.lifecycle import STATUS_LABELS, LetterStatus
from console.domain.verwerkingscode import explain
from console.services.dto import (
    LetterDetail,
    LetterQuery,
    LetterRow,
    SubmittedLetter,
)
from console.services.errors import LetterRefused, NotFound
from console.services.preflight import PreflightService
from console.services.timeline import batch_exchanges, build_timeline
from console.services.workspace import WorkspaceService
from console.xml.parser import pretty_xml

_NINE_DIGITS = re.compile(r"^\d{9}$")

SORT_COLUMNS = {
    "created_at": "created_at",
    "organisation": "organisation_id",
    "berichttype": "berichttype",
    "onderwerp": "onderwerp",
    "referentie": "referentie",
    "status": "status",
    "verwerkings_code": "verwerkings_code",
}


# The ``created_by`` of letters from a batch import starts with this (console.services.batch_import).
IMPORT_TAG_PREFIX = "import:"
_FILTER_FIELDS = tuple(f.name for f in fields(LetterFilter))


@dataclass(frozen=True, slots=True)
class ImportFilter(LetterFilter):
    """The message log's filter plus: ``created_by`` starts with *created_by_prefix* (a batch
    import's tag, typed or pasted in the search box; there is no index on it, so it is
    combined with the import's time when the console opens the log on an import)."""

    created_by_prefix: str = ""

    def conditions(self, *, indexed: bool = True) -> list[ColumnElement[bool]]:
        out = LetterFilter.conditions(self, indexed=indexed)
        prefix = self.created_by_prefix
        out.append(func.substr(m.Letter.created_by, 1, len(prefix)) == prefix)
        return out


def filter_for(query: LetterQuery, *, now: datetime | None = None) -> LetterFilter:
    """Understand what was typed: nine digits is a BSN, a GUID a BatchID/BerichtID, an import's
    tag (``import:…``) the letters of that batch import, else text.

    The other fields of *query* map one to one (a flow sets organisation and berichttype).
    """
    text = query.search.strip()
    status: LetterStatus | frozenset[LetterStatus] | None = query.status
    if query.statuses:
        group = frozenset(query.statuses)
        if query.status is not None:
            group = group & {query.status}
        status = group  # an empty group matches no letter
    f = LetterFilter(
        status=status,
        verwerkings_code=query.verwerkings_code,
        organisation_id=query.flow.organisation_id if query.flow else query.organisation_id,
        berichttype=query.flow.berichttype if query.flow else (query.berichttype or None),
        referentie=query.referentie or None,
        batch_or_bericht_id=(query.batch_or_bericht_id or "").strip().lower() or None,
        created_from=query.created_from,
        created_to=query.created_to,
        acknowledged_before=(
            (now or datetime.now(UTC)) - timedelta(hours=query.no_result_hours)
            if query.no_result_hours is not None
            else None
        ),
    )
    if not text:
        return f
    if text.lower().startswith(IMPORT_TAG_PREFIX):  # the letters of one batch import
        return ImportFilter(**{k: getattr(f, k) for k in _FILTER_FIELDS}, created_by_prefix=text)
    if _NINE_DIGITS.match(text):
        return replace(f, bsn=text)
    if is_guid(text):
        return replace(f, batch_or_bericht_id=text.lower())
    return replace(f, text=text)


@dataclass(frozen=True, slots=True)
class NewLetter:
    """A checked letter about to be queued, with the line its timeline starts with."""

    draft: LetterDraft
    created_detail: str


QUEUE_CHUNK = 1000  # letters per INSERT round (one transaction, whatever the number)


def queue_letters(
    s: Session,
    letters: Sequence[NewLetter],
    *,
    organisation_id: int,
    connection_id: int,
    created_by: str,
    actor: str,
    at: datetime,
) -> list[SubmittedLetter]:
    """Store letters as the outbox takes them: queued, with their text, PDFs and first two
    timeline entries (created, queued), in the caller's transaction (nothing is committed).

    One letter (``submit``) and a whole file (the batch import) go through here: bulk INSERTs
    per :data:`QUEUE_CHUNK` letters, so 10.000 letters take a moment, not a minute.
    """
    stored: list[SubmittedLetter] = []
    for start in range(0, len(letters), QUEUE_CHUNK):
        chunk = letters[start : start + QUEUE_CHUNK]
        bericht_ids = [new_guid() for _x in chunk]
        values: list[dict[str, object]] = [
            {
                "organisation_id": organisation_id,
                "connection_id": connection_id,
                "berichttype": x.draft.berichttype,
                "bsn": x.draft.bsn,
                "onderwerp": x.draft.onderwerp,
                "referentie": x.draft.referentie,
                "publicatie_datum": x.draft.publicatie_datum,
                "bericht_id": bericht_id,
                "status": LetterStatus.QUEUED,
                "created_at": at,
                "created_by": created_by[:100],
                "updated_at": at,
            }
            for x, bericht_id in zip(chunk, bericht_ids, strict=True)
        ]
        # RETURNING in batches; the rows may come back in any order, the BerichtID pairs them.
        result = s.execute(insert(m.Letter).returning(m.Letter.bericht_id, m.Letter.id), values)
        returned = {bericht_id: letter_id for bericht_id, letter_id in result.tuples()}
        ids = [returned[b] for b in bericht_ids]
        texts: list[dict[str, object]] = []
        attachments: list[dict[str, object]] = []
        events: list[dict[str, object]] = []
        for letter_id, x in zip(ids, chunk, strict=True):
            text = encode_line_breaks(x.draft.berichttekst)
            if text:  # no row for an empty text (a letter with only a PDF)
                texts.append({"letter_id": letter_id, "berichttekst": text})
            for n, att in enumerate(x.draft.attachments, start=1):
                attachments.append(
                    {
                        "letter_id": letter_id,
                        "volgorde": n,
                        "filename": att.filename,
                        "omschrijving": att.effective_omschrijving,
                        "content": att.content,
                        "size_bytes": len(att.content),
                        "sha256": hashlib.sha256(att.content).hexdigest(),
                    }
                )
            events.append(
                {
                    "letter_id": letter_id,
                    "at": at,
                    "kind": "created",
                    "detail": x.created_detail,
                    "actor": actor,
                }
            )
            events.append(
                {"letter_id": letter_id, "at": at, "kind": "queued", "detail": "", "actor": actor}
            )
        for model, rows in (
            (m.LetterText, texts),
            (m.Attachment, attachments),
            (m.LetterEventRecord, events),
        ):
            if rows:
                s.execute(insert(model), rows)
        stored += [SubmittedLetter(i, b) for i, b in zip(ids, bericht_ids, strict=True)]
    return stored


class LetterService:
    def __init__(
        self,
        db: Database,
        workspace: WorkspaceService,
        *,
        limits: LetterLimits | None = None,
        on_submitted: Callable[[], None] | None = None,
        send_checks: Callable[[int, int], list[FieldIssue]] | None = None,
        preflight: PreflightService | None = None,
        guard: Callable[[LetterDraft, int | None, int], list[FieldIssue]] | None = None,
    ) -> None:
        self._db = db
        self._workspace = workspace
        self.limits = limits or LetterLimits()
        self._on_submitted = on_submitted
        # (connection_id, organisation_id) -> blocking problems, e.g. an expired certificate
        self._send_checks = send_checks
        self.preflight = preflight  # when set, validate() is the full preflight (issue 4)
        # (draft, connection_id or None for the active one, organisation_id) -> the production
        # guard's issues: test OINs/BSNs in production, inactive set-ups (issue 5)
        self._guard = guard

    # --- compose and submit ---
    def validate(self, draft: LetterDraft, organisation_id: int | None = None) -> list[FieldIssue]:
        guarded = (
            self._guard(draft, None, organisation_id)
            if self._guard is not None and organisation_id is not None
            else []
        )
        if self.preflight is not None:
            return [*self.preflight.check_one(draft, organisation_id).issues, *guarded]
        issues = validate_letter(draft, self.limits) + guarded
        if organisation_id is not None and draft.berichttype and len(draft.berichttype) <= 8:
            known = {b.code: b for b in self._workspace.berichttypes(organisation_id)}
            bt = known.get(draft.berichttype)
            env = self._workspace.status().environment.label
            if bt is None:
                issues.append(
                    FieldIssue(
                        "BerichtType",
                        f"Berichttype {draft.berichttype} is niet bekend bij deze organisatie. "
                        "MijnOverheid zal het bericht waarschijnlijk weigeren.",
                        blocking=False,
                    )
                )
            elif not bt.active:
                issues.append(
                    FieldIssue(
                        "BerichtType",
                        f"Berichttype {bt.code} is niet actief voor {env}. MijnOverheid zal het "
                        "bericht waarschijnlijk weigeren (BerichtTypeNietOndersteund).",
                        blocking=False,
                    )
                )
        return issues

    def submit(
        self, draft: LetterDraft, organisation_id: int, actor: str = "gebruiker"
    ) -> SubmittedLetter:
        """Store a letter in the outbox; nothing is stored when it is refused."""
        issues = self.validate(draft, organisation_id)
        if any(i.blocking for i in issues):
            raise LetterRefused(issues)
        connection_id = self._workspace.connection_id_for(organisation_id)
        if self._send_checks is not None:
            blocking = [i for i in self._send_checks(connection_id, organisation_id) if i.blocking]
            if blocking:
                raise LetterRefused(blocking)
        now = datetime.now(UTC)
        warnings = "; ".join(i.message for i in issues)
        with self._db.session() as s:
            (result,) = queue_letters(
                s,
                [
                    NewLetter(
                        draft,
                        f"Testbericht opgesteld door {actor}."
                        + (f" Waarschuwing: {warnings}" if warnings else ""),
                    )
                ],
                organisation_id=organisation_id,
                connection_id=connection_id,
                created_by=actor,
                actor=actor,
                at=now,
            )
            s.commit()
        if self._on_submitted is not None:
            self._on_submitted()
        return result

    # --- the message log ---
    def count(self, query: LetterQuery) -> int:
        with self._db.session() as s:
            return LetterRepository(s).count(filter_for(query))

    def ids(self, query: LetterQuery) -> Sequence[int]:
        """Every matching id, sorted in SQL; a compact array (8 bytes an id) for millions."""
        column = SORT_COLUMNS.get(query.sort_key, "created_at")
        with self._db.session() as s:
            return LetterRepository(s).id_array(
                filter_for(query), order_by=column, descending=query.descending
            )

    def first_ids(self, query: LetterQuery, limit: int = 1000) -> tuple[int, Sequence[int]]:
        """The exact count and the first *limit* ids: the log paints before the full list."""
        column = SORT_COLUMNS.get(query.sort_key, "created_at")
        with self._db.session() as s:
            return LetterRepository(s).first_ids(
                filter_for(query), order_by=column, descending=query.descending, limit=limit
            )

    def rows(self, ids: Sequence[int]) -> list[LetterRow]:
        with self._db.session() as s:
            letters = LetterRepository(s).rows_for_ids(list(ids))
            orgs = {o.id: o.name for o in s.scalars(select(m.Organisation))}
            return [_row(letter, orgs.get(letter.organisation_id, "")) for letter in letters]

    def detail(self, letter_id: int) -> LetterDetail:
        with self._db.session() as s:
            letter = s.get(m.Letter, letter_id)
            if letter is None:
                raise NotFound(f"Bericht {letter_id} bestaat niet.")
            org = s.get(m.Organisation, letter.organisation_id)
            row = _row(letter, org.name if org else "")
            timeline = build_timeline(s, letter)
            exchanges = batch_exchanges(s, letter.batch_id)
            expl = explain(letter.verwerkings_code) if letter.verwerkings_code else None
            next_step = expl.next_step if expl else _next_step_for(letter.status)
            return LetterDetail(
                row=row,
                next_step=next_step,
                timeline=tuple(timeline),
                message_ids=tuple(x.message_id for x in exchanges),
            )

    def raw_exchange(self, ebms_message_id: int) -> str:
        with self._db.session() as s:
            x = s.get(m.EbmsMessage, ebms_message_id)
            if x is None:
                raise NotFound(f"Uitwisseling {ebms_message_id} bestaat niet.")
            raw, ct = x.raw, x.content_type
        return render_raw(raw, ct)


def render_raw(raw: bytes, content_type: str) -> str:
    """Pretty-print each XML part of a raw exchange; other parts are summarised."""
    try:
        envelope, parts = split_http(content_type, raw)
    except EbmsReceiveError:
        return _pretty_or_text(raw)  # a refused message is shown as it came in
    if not parts and "multipart" not in content_type.lower():
        return _pretty_or_text(envelope)
    lines = [f"--- SOAP-envelope ({_bytes(len(envelope))}) ---", _pretty_or_text(envelope)]
    for part in parts:
        lines.append(
            f"--- deel <{part.content_id}> ({part.content_type}, {_bytes(len(part.data))}) ---"
        )
        lines.append(
            _pretty_or_text(bytes(part.data)) if "xml" in part.content_type else "(binaire inhoud)"
        )
    return "\n".join(lines)


def _bytes(n: int) -> str:
    return f"{n:,} bytes".replace(",", ".")


def _pretty_or_text(data: bytes) -> str:
    try:
        return pretty_xml(data)
    except ValueError:
        return data.decode("utf-8", errors="replace")


def _row(letter: m.Letter, org_name: str) -> LetterRow:
    label = STATUS_LABELS[letter.status]
    text, tone = label.text, label.tone
    expl = explain(letter.verwerkings_code) if letter.verwerkings_code else None
    if expl is not None:
        explanation = expl.explanation
    elif letter.status_detail:
        explanation = letter.status_detail
    else:
        explanation = _status_explanation(letter.status)
    if letter.status is LetterStatus.SENDING and letter.status_detail:
        text, tone = "Wacht op nieuwe poging", "amber"
    return LetterRow(
        id=letter.id,
        created_at=letter.created_at,
        organisation_name=org_name,
        berichttype=letter.berichttype,
        bsn_masked=mask_bsn(letter.bsn),
        onderwerp=letter.onderwerp,
        referentie=letter.referentie,
        status=letter.status,
        status_label=text,
        status_tone=tone,
        verwerkings_code=letter.verwerkings_code,
        explanation=explanation,
        batch_id=letter.batch_id,
        bericht_id=letter.bericht_id,
    )


def _status_explanation(status: LetterStatus) -> str:
    return {
        LetterStatus.QUEUED: "Het bericht staat klaar en wordt zo verstuurd.",
        LetterStatus.SENDING: "Het bericht wordt verstuurd.",
        LetterStatus.SENT: "Het bericht is aangeboden; de ontvangstbevestiging van Logius komt nog.",
        LetterStatus.ACKNOWLEDGED: "Logius heeft het bericht ontvangen. Het resultaat van MijnOverheid komt nog.",
        LetterStatus.FAILED: "De verzending is mislukt.",
        LetterStatus.EXPIRED: "Logius heeft de ontvangst niet bevestigd binnen de looptijd.",
        LetterStatus.PAPER: "Het bericht is per post verstuurd.",
    }.get(status, "")


def _next_step_for(status: LetterStatus) -> str:
    return {
        LetterStatus.QUEUED: "Even geduld; de engine verstuurt het bericht.",
        LetterStatus.SENDING: "Even geduld. Blijft dit zo, kijk dan bij de verzendpogingen wat er misgaat.",
        LetterStatus.SENT: "Wacht op de ontvangstbevestiging.",
        LetterStatus.ACKNOWLEDGED: "Wacht op het resultaat. Komt er na 24 uur niets, neem dan contact op met Logius; verstuur niet zomaar opnieuw.",
        LetterStatus.FAILED: "Lees de foutmelding, herstel de oorzaak en verstuur opnieuw.",
        LetterStatus.EXPIRED: "Controleer de verbinding met Logius en verstuur opnieuw.",
    }.get(status, "")
