"""Een bericht (brief) zoals de gebruiker het opstelt, en de limieten van de Berichtenbox.

Limits from berichtenbox-interface.md section 3. Two values are not confirmed by Logius
(Omschrijving 40 or 128 characters; 500 kB as 500,000 or 512,000 bytes): they live in
:class:`LetterLimits` so settings can change them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from console.domain.bsn import bsn_problem

ONDERWERP_MAX = 50
BERICHTTEKST_MAX = 4000
REFERENTIE_MAX = 25
BERICHTTYPE_MAX = 8
MAX_BIJLAGEN = 2
LINE_BREAK = "\\r\\n"  # the literal four characters Logius renders as a line break

_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)


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


def _length_issue(name: str, value: str, maximum: int, minimum: int = 0) -> FieldIssue | None:
    n = len(value)
    if n < minimum:
        return FieldIssue(name, f"{name} is verplicht.")
    if n > maximum:
        return FieldIssue(name, f"{name} is {n} tekens; maximaal {maximum}.")
    return None


def validate_letter(draft: LetterDraft, limits: LetterLimits | None = None) -> list[FieldIssue]:
    """Check one letter against the Berichtenbox limits. Empty list: the letter may go."""
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
