"""Een bericht (brief) zoals de gebruiker het opstelt, en de limieten van de Berichtenbox.

Limits from berichtenbox-interface.md section 3. Two values are not confirmed by Logius
(Omschrijving 40 or 128 characters; 500 kB as 500,000 or 512,000 bytes): they live in
:class:`LetterLimits` so settings can change them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from console.domain.bsn import bsn_problem

ONDERWERP_MAX = 50
BERICHTTEKST_MAX = 4000
REFERENTIE_MAX = 25
BERICHTTYPE_MAX = 8
MAX_BIJLAGEN = 2
LINE_BREAK = "\\r\\n"  # the literal four characters Logius renders as a line break

_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)
# Characters XML 1.0 cannot carry (the builder would refuse the letter).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

# PublicatieDatum at most 13 days after delivery; AanmaakDatum at most 13 days old (section 3.2).
DATE_WINDOW = timedelta(days=13)


@dataclass(frozen=True, slots=True)
class LetterLimits:
    bijlagen_max_bytes: int = 500_000  # niet bevestigd: 500.000 of 512.000
    omschrijving_max: int = 40  # niet bevestigd: 40 (TAH) of 128 (XSD 2026)


@dataclass(frozen=True, slots=True)
class AttachmentDraft:
    filename: str
    content: bytes
    omschrijving: str = ""

    @property
    def effective_omschrijving(self) -> str:
        return self.omschrijving or self.filename


@dataclass(frozen=True, slots=True)
class LetterDraft:
    """What a user or an import gives us, before anything is stored."""

    bsn: str
    berichttype: str
    onderwerp: str
    berichttekst: str = ""
    referentie: str = ""
    publicatie_datum: datetime | None = None
    attachments: tuple[AttachmentDraft, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One problem with one field, in Dutch, naming the field and the limit."""

    field: str
    message: str
    blocking: bool = True


def encode_line_breaks(text: str) -> str:
    """Write real line breaks as the literal ``\\r\\n`` MijnOverheid renders as a break."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", LINE_BREAK)


def decode_line_breaks(text: str) -> str:
    return text.replace(LINE_BREAK, "\n")


def space_urls(text: str) -> str:
    """Put a space before and after every URL so MijnOverheid renders it as a link."""
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        start, end = m.span()
        url = m.group(0)
        # Trailing punctuation is not part of the URL in running text.
        while url and url[-1] in ".,;:!?)":
            url = url[:-1]
            end -= 1
        out.append(text[pos:start])
        if start > 0 and text[start - 1] != " ":
            out.append(" ")
        out.append(url)
        if end >= len(text) or text[end] != " ":
            out.append(" ")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def unspaced_urls(text: str) -> list[str]:
    """URLs in *text* that lack a space before or after them."""
    bad: list[str] = []
    for m in _URL.finditer(text):
        start, end = m.span()
        url = m.group(0)
        before_ok = start == 0 or text[start - 1] == " "
        after_ok = end == len(text) or text[end] == " "
        if not (before_ok and after_ok):
            bad.append(url)
    return bad


def is_pdf(content: bytes) -> bool:
    """A PDF by content: the header within the first 1024 bytes, as readers accept it."""
    return b"%PDF-" in content[:1024]


def _aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def _day_time(value: datetime) -> str:
    return value.astimezone().strftime("%d-%m-%Y %H:%M")


def publicatie_datum_issue(publicatie: datetime | None, send_at: datetime) -> FieldIssue | None:
    """PublicatieDatum may lie at most 13 days after *send_at* (exactly 13 days is allowed)."""
    if publicatie is None:
        return None
    if not _aware(publicatie):
        return FieldIssue(
            "PublicatieDatum", "PublicatieDatum heeft geen tijdzone; geef de datum met tijdzone op."
        )
    latest = send_at + DATE_WINDOW
    if publicatie > latest:
        return FieldIssue(
            "PublicatieDatum",
            f"PublicatieDatum {_day_time(publicatie)} ligt meer dan 13 dagen na het versturen; "
            f"uiterlijk {_day_time(latest)}.",
        )
    return None


def aanmaak_datum_issue(aanmaak: datetime, send_at: datetime) -> FieldIssue | None:
    """The batch's AanmaakDatum may be at most 13 days old at *send_at* (exactly 13 is allowed)."""
    if not _aware(aanmaak):
        return FieldIssue("AanmaakDatum", "AanmaakDatum heeft geen tijdzone (UTC verwacht).")
    earliest = send_at - DATE_WINDOW
    if aanmaak < earliest:
        return FieldIssue(
            "AanmaakDatum",
            f"AanmaakDatum {_day_time(aanmaak)} is meer dan 13 dagen oud bij het versturen; "
            f"op zijn vroegst {_day_time(earliest)}.",
        )
    return None


def xml_character_issue(name: str, value: str) -> FieldIssue | None:
    """A character XML cannot carry (a control character), with its position."""
    m = _NOT_XML.search(value)
    if m is None:
        return None
    return FieldIssue(
        name,
        f"{name} bevat een stuurteken (U+{ord(m.group(0)):04X}) op positie {m.start() + 1} dat "
        "niet in een bericht kan staan. Verwijder dat teken.",
    )


def _length_issue(name: str, value: str, maximum: int, minimum: int = 0) -> FieldIssue | None:
    n = len(value)
    if n < minimum:
        return FieldIssue(name, f"{name} is verplicht.")
    if n > maximum:
        return FieldIssue(name, f"{name} is {n} tekens; maximaal {maximum}.")
    return None


def validate_letter(
    draft: LetterDraft, limits: LetterLimits | None = None, *, now: datetime | None = None
) -> list[FieldIssue]:
    """Check one letter against the Berichtenbox limits. Empty list: the letter may go.

    With *now* (the send time) the PublicatieDatum window is checked too.
    """
    limits = limits or LetterLimits()
    issues: list[FieldIssue] = []

    problem = bsn_problem(draft.bsn)
    if problem:
        issues.append(FieldIssue("BSN", problem))

    bt = draft.berichttype
    if not bt.strip():
        issues.append(FieldIssue("BerichtType", "BerichtType is verplicht."))
    elif (i := _length_issue("BerichtType", bt, BERICHTTYPE_MAX, 1)) is not None:
        issues.append(i)

    if not draft.onderwerp.strip():
        issues.append(FieldIssue("Onderwerp", "Onderwerp is verplicht."))
    elif (i := _length_issue("Onderwerp", draft.onderwerp, ONDERWERP_MAX, 1)) is not None:
        issues.append(i)

    encoded = encode_line_breaks(draft.berichttekst)
    if len(encoded) > BERICHTTEKST_MAX:
        extra = ""
        if encoded != draft.berichttekst:
            extra = " (elke regelovergang telt als 4 tekens: \\r\\n)"
        issues.append(
            FieldIssue(
                "BerichtTekst",
                f"BerichtTekst is {len(encoded)} tekens; maximaal {BERICHTTEKST_MAX}{extra}.",
            )
        )
    for url in unspaced_urls(draft.berichttekst):
        issues.append(
            FieldIssue(
                "BerichtTekst",
                f"Zet een spatie voor en na de link {url}, anders toont MijnOverheid hem niet "
                "als link.",
            )
        )

    if (i := _length_issue("Referentie", draft.referentie, REFERENTIE_MAX)) is not None:
        issues.append(i)
    for name, value in (
        ("Onderwerp", draft.onderwerp),
        ("BerichtTekst", encode_line_breaks(draft.berichttekst)),
        ("Referentie", draft.referentie),
    ):
        if (i := xml_character_issue(name, value)) is not None:
            issues.append(i)
    if now is not None and (i := publicatie_datum_issue(draft.publicatie_datum, now)) is not None:
        issues.append(i)

    atts = draft.attachments
    if len(atts) > MAX_BIJLAGEN:
        issues.append(
            FieldIssue("Bijlagen", f"Er zijn {len(atts)} bijlagen; maximaal {MAX_BIJLAGEN}.")
        )
    total = 0
    for n, att in enumerate(atts, start=1):
        label = f"Bijlage {n} ({att.filename})"
        if not att.content:
            issues.append(FieldIssue("Bijlagen", f"{label} is leeg."))
        elif not is_pdf(att.content):
            issues.append(
                FieldIssue(
                    "Bijlagen", f"{label} is geen PDF. Alleen PDF-bestanden zijn toegestaan."
                )
            )
        total += len(att.content)
        om = att.effective_omschrijving
        if len(om) > limits.omschrijving_max:
            issues.append(
                FieldIssue(
                    "Bijlagen",
                    f"De omschrijving van {label.lower()} is {len(om)} tekens; maximaal "
                    f"{limits.omschrijving_max}.",
                )
            )
    if total > limits.bijlagen_max_bytes:
        issues.append(
            FieldIssue(
                "Bijlagen",
                f"De bijlagen zijn samen {total:,} bytes; maximaal "
                f"{limits.bijlagen_max_bytes:,} bytes.".replace(",", "."),
            )
        )
    return issues
