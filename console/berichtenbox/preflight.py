"""Letter preflight: every check a letter must pass before it may go into a batch.

One :class:`PreflightReport` per letter, each problem a :class:`FieldIssue` in plain Dutch
that names the field and the limit. The pure field rules (lengths, elfproef, ``\\r\\n``,
URL spacing, at most two real PDFs, the attachment and Omschrijving limits, the 13-day
windows) live in :mod:`console.domain.letter`; this module adds what needs context or a
library:

- BerichtType known and active for the target environment (a policy: warn or block);
- the PDF/A check: the declared ``pdfaid:part`` and ``pdfaid:conformance`` in the XMP
  metadata of each attachment, read with pypdf; Logius asks for PDF/A-1a or PDF/A-2a
  (interface reference 3.3). Policy: off, warn (default) or block;
- AanmaakDatum at most 13 days old at send time (for a batch date given by the caller);
- subscription data: a warning when the snapshot a letter relies on is older than 7 days,
  or says the citizen gets no digital post.

The XMP packet is XML from outside: pypdf only finds and decompresses the stream, the XML
itself is parsed by :func:`console.xml.parse_xml` (no DTD, no entities, no network).

Settings that Logius has not confirmed (500,000 or 512,000 bytes; Omschrijving 40 or 128)
are fields of :class:`PreflightSettings`, stored under the ``preflight.*`` keys.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from console.domain.letter import (
    BERICHTTYPE_MAX,
    FieldIssue,
    LetterDraft,
    LetterLimits,
    aanmaak_datum_issue,
    is_pdf,
    validate_letter,
)

log = logging.getLogger(__name__)

PDFA_NS = "http://www.aiim.org/pdfa/ns/id/"
ACCEPTED_PDFA = frozenset({("1", "A"), ("2", "A")})
_XMP_MAX_BYTES = 4 * 1024 * 1024


class Policy(StrEnum):
    """What a check does when it finds something: nothing, a warning, or a refusal."""

    OFF = "off"
    WARN = "warn"
    BLOCK = "block"


# Setting keys (the ``settings`` table) and their defaults.
KEY_BIJLAGEN_MAX = "preflight.bijlagen_max_bytes"
KEY_OMSCHRIJVING_MAX = "preflight.omschrijving_max"
KEY_PDFA = "preflight.pdfa"
KEY_BERICHTTYPE = "preflight.berichttype_inactief"
KEY_SNAPSHOT_AGE = "preflight.abonnement_max_dagen"


@dataclass(frozen=True, slots=True)
class PreflightSettings:
    bijlagen_max_bytes: int = 500_000  # niet bevestigd: 500.000 of 512.000
    omschrijving_max: int = 40  # niet bevestigd: 40 (TAH) of 128 (XSD 2026)
    pdfa: Policy = Policy.WARN
    berichttype_inactive: Policy = Policy.WARN
    snapshot_max_age_days: int = 7

    @property
    def limits(self) -> LetterLimits:
        return LetterLimits(
            bijlagen_max_bytes=self.bijlagen_max_bytes, omschrijving_max=self.omschrijving_max
        )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> PreflightSettings:
        """Read the ``preflight.*`` keys; missing or unusable values keep their default."""
        d = cls()

        def as_int(key: str, default: int, low: int, high: int) -> int:
            try:
                value = int(values.get(key, default))
            except (TypeError, ValueError):
                return default
            return value if low <= value <= high else default

        def as_policy(key: str, default: Policy) -> Policy:
            try:
                return Policy(str(values.get(key, default.value)))
            except ValueError:
                return default

        return cls(
            bijlagen_max_bytes=as_int(KEY_BIJLAGEN_MAX, d.bijlagen_max_bytes, 1, 10_000_000),
            omschrijving_max=as_int(KEY_OMSCHRIJVING_MAX, d.omschrijving_max, 1, 128),
            pdfa=as_policy(KEY_PDFA, d.pdfa),
            berichttype_inactive=as_policy(KEY_BERICHTTYPE, d.berichttype_inactive),
            snapshot_max_age_days=as_int(KEY_SNAPSHOT_AGE, d.snapshot_max_age_days, 1, 365),
        )

    def as_mapping(self) -> dict[str, Any]:
        return {
            KEY_BIJLAGEN_MAX: self.bijlagen_max_bytes,
            KEY_OMSCHRIJVING_MAX: self.omschrijving_max,
            KEY_PDFA: self.pdfa.value,
            KEY_BERICHTTYPE: self.berichttype_inactive.value,
            KEY_SNAPSHOT_AGE: self.snapshot_max_age_days,
        }


# --------------------------------------------------------------------------- PDF/A


@dataclass(frozen=True, slots=True)
class PdfaInfo:
    """What an attachment declares about PDF/A. ``problem`` says why nothing could be read."""

    part: str | None = None
    conformance: str | None = None
    problem: str | None = None

    @property
    def declared(self) -> bool:
        return self.part is not None

    @property
    def accepted(self) -> bool:
        return (self.part or "", (self.conformance or "").upper()) in ACCEPTED_PDFA

    @property
    def label(self) -> str:
        if self.part is None:
            return "geen PDF/A"
        return f"PDF/A-{self.part}{(self.conformance or '').lower()}"


def _xmp_packet(content: bytes) -> bytes | None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content), strict=False)
    root: Any = reader.trailer["/Root"].get_object()
    meta = root.get("/Metadata")
    if meta is None:
        return None
    data = meta.get_object().get_data()
    return bytes(data) if data else None


def _read_pdfaid(packet: bytes) -> tuple[str | None, str | None]:
    from console.xml.parser import parse_xml

    root = parse_xml(packet, max_bytes=_XMP_MAX_BYTES)
    part = conformance = None
    q_part, q_conf = f"{{{PDFA_NS}}}part", f"{{{PDFA_NS}}}conformance"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        # Attribute form (rdf:Description pdfaid:part="1") and element form both occur.
        part = part or el.get(q_part)
        conformance = conformance or el.get(q_conf)
        if el.tag == q_part and el.text:
            part = part or el.text.strip()
        elif el.tag == q_conf and el.text:
            conformance = conformance or el.text.strip()
    return part, conformance


def read_pdfa_info(content: bytes) -> PdfaInfo:
    """Read the PDF/A declaration of *content* (uncached; see :func:`pdfa_info`)."""
    try:
        packet = _xmp_packet(content)
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        log.debug("PDF niet leesbaar voor PDF/A-controle: %s", exc)
        return PdfaInfo(problem="de PDF kon niet worden gelezen")
    if packet is None:
        return PdfaInfo(problem="de PDF heeft geen XMP-metadata")
    try:
        part, conformance = _read_pdfaid(packet)
    except ValueError as exc:
        return PdfaInfo(problem=f"de XMP-metadata zijn onleesbaar ({exc})")
    return PdfaInfo(part=part, conformance=conformance)


class _PdfaCache:
    """The same PDF is often attached to thousands of letters: read it once (by sha256)."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[str, PdfaInfo] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, content: bytes) -> PdfaInfo:
        key = hashlib.sha256(content).hexdigest()
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        info = read_pdfa_info(content)
        with self._lock:
            self._items[key] = info
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return info


_CACHE = _PdfaCache()


def pdfa_info(content: bytes) -> PdfaInfo:
    """The PDF/A declaration of *content*, cached by content hash."""
    return _CACHE.get(content)


def pdfa_issue(n: int, filename: str, content: bytes, policy: Policy) -> FieldIssue | None:
    if policy is Policy.OFF or not is_pdf(content):
        return None
    info = pdfa_info(content)
    if info.accepted:
        return None
    what = (
        info.label if info.declared else f"niet als PDF/A herkend: {info.problem or 'geen pdfaid'}"
    )
    return FieldIssue(
        "Bijlagen",
        f"Bijlage {n} ({filename}) is {what}; Logius vraagt PDF/A-1a of PDF/A-2a "
        "(toegankelijk). Maak de PDF opnieuw als PDF/A-1a of PDF/A-2a.",
        blocking=policy is Policy.BLOCK,
    )


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, slots=True)
class SubscriptionHint:
    """What the newest subscription snapshot says about the letter's citizen."""

    snapshot_date: datetime
    status: str  # subscribed, not_subscribed, no_box


@dataclass(frozen=True, slots=True)
class PreflightContext:
    now: datetime  # the send time the date windows are measured from
    berichttypes: Mapping[str, bool] | None = None  # code -> active; None: not checked
    environment_label: str = ""
    aanmaak_datum: datetime | None = None  # of the batch, when the caller knows it


@dataclass(frozen=True, slots=True)
class PreflightReport:
    key: str  # how the user recognises the letter: "regel 3", a BerichtID, ...
    issues: tuple[FieldIssue, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """True when nothing blocks; warnings may remain."""
        return not any(i.blocking for i in self.issues)

    @property
    def blocking(self) -> tuple[FieldIssue, ...]:
        return tuple(i for i in self.issues if i.blocking)

    @property
    def warnings(self) -> tuple[FieldIssue, ...]:
        return tuple(i for i in self.issues if not i.blocking)

    @property
    def verdict(self) -> str:
        if not self.passed:
            n = len(self.blocking)
            return f"Afgekeurd: {n} {'punt' if n == 1 else 'punten'} te herstellen"
        if self.warnings:
            n = len(self.warnings)
            return f"Goedgekeurd met {n} {'waarschuwing' if n == 1 else 'waarschuwingen'}"
        return "Goedgekeurd"

    def text(self) -> str:
        lines = [f"{self.key}: {self.verdict}"]
        for issue in self.issues:
            mark = "FOUT" if issue.blocking else "let op"
            lines.append(f"  - [{mark}] {issue.field}: {issue.message}")
        return "\n".join(lines)


def _berichttype_issue(
    code: str, known: Mapping[str, bool], policy: Policy, environment: str
) -> FieldIssue | None:
    if policy is Policy.OFF or not code.strip() or len(code) > BERICHTTYPE_MAX:
        return None
    where = f" voor {environment}" if environment else ""
    if code not in known:
        message = (
            f"BerichtType {code} is niet bekend bij deze organisatie. MijnOverheid keurt het "
            "bericht dan af (BerichtTypeNietOndersteund). Voeg het berichttype toe bij Stromen."
        )
    elif not known[code]:
        message = (
            f"BerichtType {code} is niet actief{where}. MijnOverheid keurt het bericht dan af "
            "(BerichtTypeNietOndersteund). Activeer het in het Leveranciersportaal."
        )
    else:
        return None
    return FieldIssue("BerichtType", message, blocking=policy is Policy.BLOCK)


_STATUS_TEXT = {
    "not_subscribed": "heeft de burger deze organisatie uitgezet",
    "no_box": "heeft de burger geen actieve Berichtenbox",
}


def _subscription_issues(
    hint: SubscriptionHint, now: datetime, max_age_days: int
) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    age = now - hint.snapshot_date
    day = hint.snapshot_date.astimezone().strftime("%d-%m-%Y")
    if age.total_seconds() > max_age_days * 86400:
        issues.append(
            FieldIssue(
                "Abonnement",
                f"De abonnementsgegevens van {day} zijn {age.days} dagen oud; Logius vraagt "
                f"gegevens van ten hoogste {max_age_days} dagen. Vraag een nieuw "
                "abonnementsoverzicht op.",
                blocking=False,
            )
        )
    if hint.status in _STATUS_TEXT:
        issues.append(
            FieldIssue(
                "Abonnement",
                f"Volgens het abonnementsoverzicht van {day} {_STATUS_TEXT[hint.status]}; het "
                "bericht komt dan niet digitaal aan. Verstuur het per post.",
                blocking=False,
            )
        )
    return issues


def preflight_letter(
    draft: LetterDraft,
    settings: PreflightSettings,
    context: PreflightContext,
    *,
    key: str = "bericht",
    subscription: SubscriptionHint | None = None,
) -> PreflightReport:
    """All checks for one letter; the report says what blocks and what only warns."""
    issues = validate_letter(draft, settings.limits, now=context.now)
    if context.berichttypes is not None:
        issue = _berichttype_issue(
            draft.berichttype,
            context.berichttypes,
            settings.berichttype_inactive,
            context.environment_label,
        )
        if issue is not None:
            issues.append(issue)
    if context.aanmaak_datum is not None:
        issue = aanmaak_datum_issue(context.aanmaak_datum, context.now)
        if issue is not None:
            issues.append(issue)
    for n, att in enumerate(draft.attachments, start=1):
        issue = pdfa_issue(n, att.filename, att.content, settings.pdfa)
        if issue is not None:
            issues.append(issue)
    if subscription is not None:
        issues.extend(
            _subscription_issues(subscription, context.now, settings.snapshot_max_age_days)
        )
    return PreflightReport(key=key, issues=tuple(issues))
