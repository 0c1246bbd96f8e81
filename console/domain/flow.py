"""Berichttypes en berichtstromen: codes, levenscyclus per omgeving, sjablonen en links.

Pure rules, no I/O. Messages are Dutch, address the user as "u" and name the field and limit.

- A berichttype code is 1 to 8 characters (the XSD limit), unique per organisation.
- A berichttype has a status per environment (concept, actief, gedeactiveerd); the
  lifecycle a user sees is derived from those: concept, actief in preprod, actief in
  productie, gedeactiveerd.
- A letter template has placeholders ``{{veld}}``; ``{{portaallink}}`` and ``{{betaallink}}``
  become links, and every link must have a space before and after it (MijnOverheid only
  shows a spaced URL as a link: :func:`console.domain.letter.space_urls`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from console.domain.environment import Environment
from console.domain.letter import (
    BERICHTTEKST_MAX,
    BERICHTTYPE_MAX,
    ONDERWERP_MAX,
    FieldIssue,
    encode_line_breaks,
    space_urls,
    unspaced_urls,
)

# --- berichttypes ---------------------------------------------------------------------------


def environment_text(environment: Environment) -> str:
    """The environment in running text: "de simulator", "preprod", "productie"."""
    return {
        Environment.SIMULATOR: "de simulator",
        Environment.PREPROD: "preprod",
        Environment.PRODUCTIE: "productie",
    }[environment]


class BerichtTypeStatus(StrEnum):
    """The status of a berichttype in one environment."""

    CONCEPT = "concept"
    ACTIEF = "actief"
    GEDEACTIVEERD = "gedeactiveerd"

    @property
    def label(self) -> str:
        return {"concept": "Concept", "actief": "Actief", "gedeactiveerd": "Gedeactiveerd"}[
            self.value
        ]

    @property
    def tone(self) -> str:
        return {"concept": "grey", "actief": "green", "gedeactiveerd": "amber"}[self.value]


class BerichtTypeStage(StrEnum):
    """Where a berichttype is in its life, over all environments."""

    CONCEPT = "concept"
    ACTIEF_PREPROD = "actief_preprod"
    ACTIEF_PRODUCTIE = "actief_productie"
    GEDEACTIVEERD = "gedeactiveerd"

    @property
    def label(self) -> str:
        return _STAGE_LABELS[self]

    @property
    def tone(self) -> str:
        return _STAGE_TONES[self]


_STAGE_LABELS = {
    BerichtTypeStage.CONCEPT: "Concept",
    BerichtTypeStage.ACTIEF_PREPROD: "Actief in preprod",
    BerichtTypeStage.ACTIEF_PRODUCTIE: "Actief in productie",
    BerichtTypeStage.GEDEACTIVEERD: "Gedeactiveerd",
}
_STAGE_TONES = {
    BerichtTypeStage.CONCEPT: "grey",
    BerichtTypeStage.ACTIEF_PREPROD: "blue",
    BerichtTypeStage.ACTIEF_PRODUCTIE: "green",
    BerichtTypeStage.GEDEACTIVEERD: "amber",
}

_CODE_CHARS = re.compile(r"[A-Za-z0-9_-]")


def berichttype_code_problem(code: str) -> str | None:
    """What is wrong with *code* as a berichttype code, or None."""
    if not code or not code.strip():
        return "Vul een code in (1 tot 8 tekens)."
    if len(code) > BERICHTTYPE_MAX:
        return f"De code is {len(code)} tekens; maximaal {BERICHTTYPE_MAX}."
    for ch in code:
        if not (ch.isascii() and _CODE_CHARS.fullmatch(ch)):
            shown = "een spatie" if ch == " " else f"'{ch}'"
            return f"De code mag alleen letters, cijfers, - en _ bevatten; {shown} mag niet."
    return None


def duplicate_code_problem(
    code: str, existing: Iterable[str], organisation_name: str = ""
) -> str | None:
    """*code* clashes with an existing code of the same organisation (case-insensitive)."""
    wanted = code.casefold()
    for other in existing:
        if other.casefold() == wanted:
            owner = f" van {organisation_name}" if organisation_name else ""
            if other == code:
                return f"Berichttype {code} bestaat al{owner}. Een code is uniek per organisatie."
            return (
                f"Berichttype {other} bestaat al{owner}; {code} verschilt alleen in hoofdletters. "
                "Een code is uniek per organisatie."
            )
    return None


def berichttype_stage(preprod: BerichtTypeStatus, productie: BerichtTypeStatus) -> BerichtTypeStage:
    """The lifecycle stage from the Logius environments (the simulator is local only)."""
    if productie is BerichtTypeStatus.ACTIEF:
        return BerichtTypeStage.ACTIEF_PRODUCTIE
    if preprod is BerichtTypeStatus.ACTIEF:
        return BerichtTypeStage.ACTIEF_PREPROD
    if BerichtTypeStatus.GEDEACTIVEERD in (preprod, productie):
        return BerichtTypeStage.GEDEACTIVEERD
    return BerichtTypeStage.CONCEPT


def status_change_problem(
    code: str,
    environment: Environment,
    new: BerichtTypeStatus,
    statuses: Mapping[Environment, BerichtTypeStatus],
) -> str | None:
    """Why the berichttype may not get status *new* in *environment*, or None.

    - Once active or deactivated, a berichttype never goes back to concept (history).
    - Production only after preprod: it must have been activated in preprod first.
    """
    current = statuses[environment]
    if new is current:
        return None
    where = environment_text(environment)
    if new is BerichtTypeStatus.CONCEPT:
        return (
            f"Berichttype {code} is al {current.label.lower()} in {where}; het kan niet terug "
            "naar concept. Deactiveer het als het niet meer gebruikt wordt."
        )
    if (
        new is BerichtTypeStatus.ACTIEF
        and environment is Environment.PRODUCTIE
        and statuses[Environment.PREPROD] is BerichtTypeStatus.CONCEPT
    ):
        return (
            f"Berichttype {code} is nog niet actief geweest in preprod. Activeer het eerst in "
            "preprod en test het daar (Checklist testen Berichtenbox), dan pas in productie."
        )
    return None


# --- berichtstromen -------------------------------------------------------------------------


class Cadence(StrEnum):
    CONTINU = "continu"  # letters whenever the source system makes them
    BATCHES = "batches"  # runs at set moments, with peaks

    @property
    def label(self) -> str:
        return {"continu": "Doorlopend", "batches": "In batches"}[self.value]


class DeliveryPolicy(StrEnum):
    """What happens with a letter for a citizen who is not subscribed."""

    DIGITAAL_ANDERS_PAPIER = "digitaal_anders_papier"
    ALLEEN_DIGITAAL = "alleen_digitaal"
    DIGITAAL_EN_PAPIER = "digitaal_en_papier"

    @property
    def label(self) -> str:
        return _POLICY_LABELS[self]


_POLICY_LABELS = {
    DeliveryPolicy.DIGITAAL_ANDERS_PAPIER: "Digitaal als de burger geabonneerd is, anders per post",
    DeliveryPolicy.ALLEEN_DIGITAAL: "Alleen digitaal (geen post; alleen voor berichten zonder "
    "wettelijke verzendplicht)",
    DeliveryPolicy.DIGITAAL_EN_PAPIER: "Digitaal én altijd per post",
}

FLOW_NAME_MAX = 200
VOLUME_MAX = 10_000_000  # letters per month; a sanity bound, not a Logius limit


def flow_name_problem(name: str) -> str | None:
    if not name.strip():
        return "Vul een naam in voor de berichtstroom."
    if len(name) > FLOW_NAME_MAX:
        return f"De naam is {len(name)} tekens; maximaal {FLOW_NAME_MAX}."
    return None


def volume_problem(volume: int | None) -> str | None:
    if volume is None:
        return None
    if volume < 0:
        return "Het verwachte aantal per maand kan niet negatief zijn."
    if volume > VOLUME_MAX:
        return f"Het verwachte aantal per maand is {volume:,}; maximaal {VOLUME_MAX:,}.".replace(
            ",", "."
        )
    return None


def https_url_problem(url: str, what: str) -> str | None:
    """*url* must be an absolute https URL without spaces (empty: no problem)."""
    if not url:
        return None
    if any(ch.isspace() for ch in url):
        return f"De {what} bevat een spatie; een adres heeft geen spaties."
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        return f"De {what} moet beginnen met https:// (nu: {url[:40]})."
    if not parts.hostname or "." not in parts.hostname:
        return f"De {what} heeft geen geldige servernaam (bijvoorbeeld https://www.voorbeeld.nl/)."
    return None


# --- bedragen en de betaallink ---------------------------------------------------------------

AMOUNT_MAX = Decimal("1000000")


class AmountError(ValueError):
    """An amount that cannot be read; str() is the Dutch message."""


def parse_amount(text: str) -> Decimal:
    """``123,45`` / ``123.45`` / ``1.234,50`` / ``€ 12`` to a Decimal with two decimals."""
    cleaned = text.strip().replace("€", "").replace("EUR", "").replace(" ", "")
    if not cleaned:
        raise AmountError("Vul een bedrag in, bijvoorbeeld 123,45.")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError(f"'{text}' is geen bedrag; schrijf bijvoorbeeld 123,45.") from None
    if not value.is_finite() or value <= 0:
        raise AmountError(f"Het bedrag {text} moet groter zijn dan 0.")
    if value != value.quantize(Decimal("0.01")):
        raise AmountError(f"Het bedrag {text} heeft meer dan 2 decimalen.")
    if value > AMOUNT_MAX:
        raise AmountError(f"Het bedrag {text} is groter dan {AMOUNT_MAX:,.0f} euro.")
    return value.quantize(Decimal("0.01"))


def format_amount(value: Decimal) -> str:
    """Dutch notation for text: ``1.234,50``."""
    whole, _, cents = f"{value:.2f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return ".".join(groups) + "," + cents


def payment_link(base_url: str, referentie: str, bedrag: Decimal) -> str:
    """The payment environment's URL with the reference and the amount (``Betalen``).

    The parameters ``referentie`` and ``bedrag`` (in euros, decimal point) are added to the
    query of *base_url*; whatever query it already has is kept.
    """
    parts = urlsplit(base_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("referentie", "bedrag")]
    query += [("referentie", referentie), ("bedrag", f"{bedrag:.2f}")]
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


# --- sjablonen ------------------------------------------------------------------------------

PORTAL_LINK = "portaallink"
PAYMENT_LINK = "betaallink"
LINK_PLACEHOLDERS = (PORTAL_LINK, PAYMENT_LINK)

# The fields every template may use; other names are allowed (the source system supplies them).
KNOWN_PLACEHOLDERS: dict[str, str] = {
    "naam": "naam van de burger",
    "referentie": "kenmerk van de brief (ook in de betaallink)",
    "bedrag": "bedrag in euro's (ook in de betaallink)",
    "vervaldatum": "uiterste betaaldatum",
    "datum": "datum van de brief",
    "jaar": "belastingjaar of peiljaar",
    PORTAL_LINK: "link naar het portaal van de organisatie",
    PAYMENT_LINK: "link naar de betaalomgeving met referentie en bedrag",
}

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
TEMPLATE_NAME_MAX = 100


@dataclass(frozen=True, slots=True)
class FlowLinks:
    """The links of a flow that templates may use."""

    portal_url: str = ""
    payment_url: str = ""


@dataclass(frozen=True, slots=True)
class RenderedLetter:
    onderwerp: str
    berichttekst: str
    issues: tuple[FieldIssue, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not any(i.blocking for i in self.issues)


def placeholders(text: str) -> list[str]:
    """The placeholder names in *text*, in order, without duplicates."""
    seen: list[str] = []
    for m in _PLACEHOLDER.finditer(text):
        name = m.group(1)
        if name not in seen:
            seen.append(name)
    return seen


def _strip_placeholders(text: str) -> str:
    return _PLACEHOLDER.sub("", text)


def _structure_issues(name: str, text: str) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    rest = _PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        issues.append(
            FieldIssue(name, f"{name} heeft een veld zonder {{{{ of }}}}; schrijf {{{{naam}}}}.")
        )
    for m in _PLACEHOLDER.finditer(text):
        if not _NAME.fullmatch(m.group(1)):
            issues.append(
                FieldIssue(
                    name,
                    f"{name}: veld {m.group(0)} is geen geldige naam; gebruik kleine letters, "
                    "cijfers en _ (bijvoorbeeld {{vervaldatum}}).",
                )
            )
    return issues


def _link_spacing_issues(name: str, text: str) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    for m in _PLACEHOLDER.finditer(text):
        if m.group(1) not in LINK_PLACEHOLDERS:
            continue
        start, end = m.span()
        before_ok = start == 0 or text[start - 1].isspace()
        after_ok = end == len(text) or text[end].isspace()
        if not (before_ok and after_ok):
            issues.append(
                FieldIssue(
                    name,
                    f"Zet een spatie voor en na {m.group(0)}, anders toont MijnOverheid de link "
                    "niet als link.",
                )
            )
    for url in unspaced_urls(text):
        issues.append(
            FieldIssue(
                name,
                f"Zet een spatie voor en na de link {url}, anders toont MijnOverheid hem niet "
                "als link.",
            )
        )
    return issues


def template_issues(
    onderwerp: str, berichttekst: str, links: FlowLinks, *, name: str = "x"
) -> list[FieldIssue]:
    """Problems with a template before any value is filled in.

    Blocking: malformed fields, links without spaces around them, a link the flow has no
    address for, fixed text that is already too long. Warnings: fields the console does not
    know (the source system must supply them) and a link in the subject.
    """
    issues: list[FieldIssue] = []
    if not name.strip():
        issues.append(FieldIssue("Naam", "Vul een naam in voor het sjabloon."))
    elif len(name) > TEMPLATE_NAME_MAX:
        issues.append(
            FieldIssue("Naam", f"De naam is {len(name)} tekens; maximaal {TEMPLATE_NAME_MAX}.")
        )
    if not onderwerp.strip():
        issues.append(FieldIssue("Onderwerp", "Onderwerp is verplicht."))
    issues += _structure_issues("Onderwerp", onderwerp)
    issues += _structure_issues("BerichtTekst", berichttekst)
    issues += _link_spacing_issues("BerichtTekst", berichttekst)

    fixed_subject = len(_strip_placeholders(onderwerp))
    if fixed_subject > ONDERWERP_MAX:
        issues.append(
            FieldIssue(
                "Onderwerp",
                f"Onderwerp is zonder de velden al {fixed_subject} tekens; maximaal "
                f"{ONDERWERP_MAX}.",
            )
        )
    fixed_text = len(encode_line_breaks(_strip_placeholders(berichttekst)))
    if fixed_text > BERICHTTEKST_MAX:
        issues.append(
            FieldIssue(
                "BerichtTekst",
                f"BerichtTekst is zonder de velden al {fixed_text} tekens; maximaal "
                f"{BERICHTTEKST_MAX} (elke regelovergang telt als 4 tekens).",
            )
        )

    used = placeholders(onderwerp) + placeholders(berichttekst)
    if PORTAL_LINK in used and not links.portal_url:
        issues.append(
            FieldIssue(
                "BerichtTekst",
                "Het sjabloon gebruikt {{portaallink}}, maar de berichtstroom heeft geen "
                "portaaladres. Vul het portaaladres in bij de berichtstroom.",
            )
        )
    if PAYMENT_LINK in used and not links.payment_url:
        issues.append(
            FieldIssue(
                "BerichtTekst",
                "Het sjabloon gebruikt {{betaallink}}, maar de berichtstroom heeft geen adres "
                "van de betaalomgeving. Vul het betaaladres in bij de berichtstroom.",
            )
        )
    for link in LINK_PLACEHOLDERS:
        if link in placeholders(onderwerp):
            issues.append(
                FieldIssue(
                    "Onderwerp",
                    f"Het onderwerp toont geen links; zet {{{{{link}}}}} in de berichttekst.",
                )
            )
    for unknown in sorted({u for u in used if _NAME.fullmatch(u)} - set(KNOWN_PLACEHOLDERS)):
        issues.append(
            FieldIssue(
                "BerichtTekst",
                f"Veld {{{{{unknown}}}}} is geen standaardveld; het bronsysteem moet het "
                "aanleveren.",
                blocking=False,
            )
        )
    return issues


def render_template(
    onderwerp: str,
    berichttekst: str,
    values: Mapping[str, str],
    links: FlowLinks,
) -> RenderedLetter:
    """Fill in a template. Links get a space on both sides; the result is checked.

    ``{{betaallink}}`` needs ``referentie`` and ``bedrag`` among *values*; ``{{bedrag}}`` is
    written in Dutch notation. A field without a value is a blocking issue (nothing is guessed).
    """
    issues: list[FieldIssue] = []
    filled: dict[str, str] = {k: str(v) for k, v in values.items()}
    amount: Decimal | None = None
    if "bedrag" in filled and filled["bedrag"].strip():
        try:
            amount = parse_amount(filled["bedrag"])
            filled["bedrag"] = format_amount(amount)
        except AmountError as exc:
            issues.append(FieldIssue("bedrag", str(exc)))
    used = placeholders(onderwerp) + placeholders(berichttekst)
    if PORTAL_LINK in used:
        filled[PORTAL_LINK] = links.portal_url
    before_payment = len(issues)
    if PAYMENT_LINK in used:
        referentie = filled.get("referentie", "").strip()
        if not links.payment_url:
            issues.append(FieldIssue("betaallink", "De berichtstroom heeft geen betaaladres."))
        elif not referentie:
            issues.append(
                FieldIssue("referentie", "De betaallink heeft een referentie nodig; vul die in.")
            )
        elif amount is None:
            if not filled.get("bedrag", "").strip():
                issues.append(
                    FieldIssue("bedrag", "De betaallink heeft een bedrag nodig; vul dat in.")
                )
        else:
            filled[PAYMENT_LINK] = payment_link(links.payment_url, referentie, amount)
    # Also true when the amount itself was wrong (reported above): one message is enough.
    payment_explained = len(issues) > before_payment or (
        amount is None and bool(filled.get("bedrag", "").strip())
    )

    def fill(text: str, field_name: str) -> str:
        def one(m: re.Match[str]) -> str:
            key = m.group(1)
            value = filled.get(key, "")
            if not value.strip():
                if not (key == PAYMENT_LINK and payment_explained):
                    issues.append(FieldIssue(field_name, f"Veld {{{{{key}}}}} heeft geen waarde."))
                return m.group(0)
            if key in LINK_PLACEHOLDERS:
                start, end = m.span()
                before = "" if start == 0 or text[start - 1].isspace() else " "
                after = "" if end == len(text) or text[end].isspace() else " "
                return f"{before}{value}{after}"
            return value

        return _PLACEHOLDER.sub(one, text)

    subject = fill(onderwerp, "Onderwerp")
    body = space_urls(fill(berichttekst, "BerichtTekst"))
    if len(subject) > ONDERWERP_MAX:
        issues.append(
            FieldIssue(
                "Onderwerp", f"Onderwerp is {len(subject)} tekens; maximaal {ONDERWERP_MAX}."
            )
        )
    encoded = len(encode_line_breaks(body))
    if encoded > BERICHTTEKST_MAX:
        issues.append(
            FieldIssue(
                "BerichtTekst", f"BerichtTekst is {encoded} tekens; maximaal {BERICHTTEKST_MAX}."
            )
        )
    for url in unspaced_urls(body):  # cannot happen after space_urls; kept as the final check
        issues.append(
            FieldIssue("BerichtTekst", f"De link {url} heeft geen spatie ervoor en erna.")
        )
    return RenderedLetter(subject, body, tuple(issues))
