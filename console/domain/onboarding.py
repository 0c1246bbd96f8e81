"""Aansluiten op de Berichtenbox: de impactanalyse, de schatting van kosten en baten, de
aansluitvarianten en de checklist van voornemen tot productie.

Pure rules, no I/O. Messages are Dutch, address the user as "u" and name the field and limit.

What comes from the sources (``../shared/docs/berichtenbox-interface.md``):

- the procedure in four steps (prepare, connect to preprod, test on preprod, production),
  the application form, the agreements and the test checklist (§6.2, §6.3);
- the lead time of about one month, and at least one more month for DigiD (§6.2);
- the intermediary model and its own verwerkersovereenkomst per client (§1.1);
- citizens subscribe per organisation; a letter to someone without a box or subscription
  comes back ``NietActiefOfGeabonneerd`` (§1.4, §5);
- Logius is centrally funded since 2023 and the cost of a connection is *not confirmed* (§7).

What does not come from the sources is never a built-in number: postage, printing, the
price of a certificate, of an intermediary or of Logius are inputs the user fills in. The one
default the console does offer, the share of letters that will go digitally, is labelled as
the console's own cautious assumption and can be changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from console.domain.letter import FieldIssue

# --- the questionnaire ----------------------------------------------------------------------

ANSWERS_VERSION = 1
DEFAULT_DIGITAL_SHARE = Decimal("25")
DIGITAL_SHARE_EXPLANATION = (
    "Standaard 25 %. Dat is een voorzichtige aanname van de console, geen cijfer van Logius. "
    "Alleen burgers die hun Berichtenbox hebben geactiveerd en post van uw organisatie digitaal "
    "willen ontvangen, krijgen het bericht digitaal; de anderen krijgen het per post. Weet u "
    "het beter, bijvoorbeeld uit een abonnementsoverzicht (ABS), vul dan uw eigen percentage in."
)
COST_PER_LETTER_EXPLANATION = (
    "Porto, papier, drukken en enveloppen samen, per brief. De console kent geen tarieven: "
    "vul het bedrag in dat uw organisatie nu betaalt."
)

# Input bounds. These are sanity limits for typing mistakes, not facts about the Berichtenbox.
MAX_LETTERS_PER_YEAR = 100_000_000
MAX_COST_PER_LETTER = Decimal("100")
MAX_AMOUNT = Decimal("100000000")
MAX_LETTER_KINDS = 30
MAX_KIND_NAME = 80

F_SOORT = "Soort organisatie"
F_BRIEVEN = "Brieven per jaar"
F_AANDEEL = "Aandeel digitaal"
F_KOSTEN = "Kosten per brief"
F_INTERMEDIAIR = "Kosten intermediair per bericht"
F_JAARLIJKS = "Jaarlijkse kosten"


class OrganisationType(StrEnum):
    """The kinds of organisation the console knows (the values of ``Organisation.kind``)."""

    GEMEENTE = "gemeente"
    WATERSCHAP = "waterschap"
    BELASTINGSAMENWERKING = "belastingsamenwerking"
    PENSIOENFONDS = "pensioenfonds"
    PENSIOENUITVOERDER = "pensioenuitvoerder"
    LEVERANCIER = "leverancier"
    OVERIG = "overig"

    @property
    def label(self) -> str:
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    OrganisationType.GEMEENTE: "Gemeente",
    OrganisationType.WATERSCHAP: "Waterschap",
    OrganisationType.BELASTINGSAMENWERKING: "Belastingsamenwerking",
    OrganisationType.PENSIOENFONDS: "Pensioenfonds",
    OrganisationType.PENSIOENUITVOERDER: "Pensioenuitvoerder",
    OrganisationType.LEVERANCIER: "Leverancier of intermediair",
    OrganisationType.OVERIG: "Andere organisatie met een publieke taak",
}

# Names only, as a start for the list of letters: the numbers are the user's.
LETTER_KIND_SUGGESTIONS: dict[OrganisationType, tuple[str, ...]] = {
    OrganisationType.GEMEENTE: (
        "Aanslag gemeentelijke belastingen",
        "WOZ-beschikking",
        "Herinnering verlopen reisdocument",
        "Parkeervergunning",
    ),
    OrganisationType.WATERSCHAP: (
        "Aanslag waterschapsbelasting",
        "Herinnering en aanmaning",
    ),
    OrganisationType.BELASTINGSAMENWERKING: (
        "Aanslag gemeentelijke belastingen",
        "Aanslag waterschapsbelasting",
        "WOZ-beschikking",
        "Herinnering en aanmaning",
    ),
    OrganisationType.PENSIOENFONDS: ("Uniform pensioenoverzicht", "Jaaropgave"),
    OrganisationType.PENSIOENUITVOERDER: ("Uniform pensioenoverzicht", "Jaaropgave"),
    OrganisationType.LEVERANCIER: (),
    OrganisationType.OVERIG: (),
}


class ConnectionVariant(StrEnum):
    EIGEN = "eigen"
    INTERMEDIAIR = "intermediair"

    @property
    def label(self) -> str:
        return {
            "eigen": "Eigen koppeling (Digikoppeling)",
            "intermediair": "Via een intermediair",
        }[self.value]


class Sender(StrEnum):
    """Who puts the letters on the wire."""

    CONSOLE = "console"
    LEVERANCIER = "leverancier"

    @property
    def label(self) -> str:
        return {
            "console": "De console verstuurt zelf (ebMS)",
            "leverancier": "Een leverancier verstuurt (andere software)",
        }[self.value]


class DigidStatus(StrEnum):
    JA = "ja"
    NEE = "nee"
    ONBEKEND = "onbekend"

    @property
    def label(self) -> str:
        return {"ja": "Ja", "nee": "Nee", "onbekend": "Weet ik niet"}[self.value]


@dataclass(frozen=True, slots=True)
class LetterKind:
    """A kind of paper letter the organisation sends now, with how many per year."""

    name: str
    letters_per_year: int


@dataclass(frozen=True, slots=True)
class Answers:
    """The impact analysis of one organisation. Amounts are euros; None: not filled in."""

    organisation_type: OrganisationType = OrganisationType.OVERIG
    letter_kinds: tuple[LetterKind, ...] = ()
    digital_share_percent: Decimal = DEFAULT_DIGITAL_SHARE
    cost_per_letter: Decimal | None = None
    variant: ConnectionVariant = ConnectionVariant.EIGEN
    sender: Sender = Sender.CONSOLE
    digid: DigidStatus = DigidStatus.ONBEKEND
    intermediary_cost_per_letter: Decimal | None = None
    yearly_costs: Decimal | None = None
    one_off_costs: tuple[tuple[str, Decimal], ...] = ()  # (item key, amount), see ONE_OFF_ITEMS

    def one_off(self, key: str) -> Decimal | None:
        return next((amount for k, amount in self.one_off_costs if k == key), None)


def default_answers(organisation_type: str | OrganisationType | None) -> Answers:
    """A first version for an organisation that has not answered yet: its kind, the usual
    letters of that kind with 0 per year (the user fills in the numbers), the default share."""
    kind = _type_or_default(organisation_type)
    return Answers(
        organisation_type=kind,
        letter_kinds=tuple(LetterKind(name, 0) for name in LETTER_KIND_SUGGESTIONS[kind]),
    )


def _type_or_default(value: str | OrganisationType | None) -> OrganisationType:
    try:
        return OrganisationType(value) if value else OrganisationType.OVERIG
    except ValueError:
        return OrganisationType.OVERIG


# --- one-off and yearly cost items ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CostDefinition:
    key: str
    title: str
    assumption: str  # where the amount comes from; shown next to it
    variants: frozenset[ConnectionVariant] = frozenset(ConnectionVariant)
    only_without_digid: bool = False

    def applies(self, answers: Answers) -> bool:
        if answers.variant not in self.variants:
            return False
        return not (self.only_without_digid and answers.digid is DigidStatus.JA)


_EIGEN = frozenset({ConnectionVariant.EIGEN})
_INTERMEDIAIR = frozenset({ConnectionVariant.INTERMEDIAIR})

ONE_OFF_ITEMS: tuple[CostDefinition, ...] = (
    CostDefinition(
        "aanvraag",
        "Aanvraag, intentieverklaring en verwerkersovereenkomst",
        "Eigen uren voor de aanvraag bij Logius en de afspraken. Logius noemt een doorlooptijd "
        "van ongeveer een maand; de kosten hangen af van uw organisatie.",
    ),
    CostDefinition(
        "logius",
        "Kosten van Logius (als die er zijn)",
        "Niet bevestigd: Logius wordt sinds 2023 centraal gefinancierd. Vraag het Logius en vul "
        "alleen een bedrag in als Logius het noemt.",
    ),
    CostDefinition(
        "certificaat",
        "PKIoverheid-certificaat (preprod en productie)",
        "De prijs van uw certificaatleverancier; de console kent geen prijzen.",
        _EIGEN,
    ),
    CostDefinition(
        "koppeling",
        "Koppeling inrichten: netwerk, IP-adressen, CPA en verbindingstest",
        "Eigen uren of de offerte van uw ICT-leverancier. De console is zelf de ebMS-koppeling.",
        _EIGEN,
    ),
    CostDefinition(
        "intermediair",
        "Eenmalige kosten van de intermediair",
        "Volgens de offerte van uw intermediair.",
        _INTERMEDIAIR,
    ),
    CostDefinition(
        "bronsysteem",
        "Bronsysteem aanpassen (berichten en PDF/A-bijlagen aanleveren)",
        "De offerte van de leverancier van uw bronsysteem. Logius vraagt bijlagen in PDF/A-1a "
        "of PDF/A-2a.",
    ),
    CostDefinition(
        "testen",
        "Testen op preprod met de checklist van Logius",
        "Eigen uren. De console legt het bewijs van de testberichten vast.",
    ),
    CostDefinition(
        "communicatie",
        "Communicatie naar inwoners",
        "Het communicatieplan hoort volgens Logius bij de voorbereiding; de kosten vult u zelf in.",
    ),
    CostDefinition(
        "digid",
        "Aansluiten op DigiD",
        "Nodig als uw organisatie nog niet op DigiD is aangesloten; Logius noemt minstens een "
        "maand doorlooptijd. De kosten vult u zelf in.",
        only_without_digid=True,
    ),
)
ONE_OFF_KEYS = frozenset(item.key for item in ONE_OFF_ITEMS)


def one_off_item(key: str) -> CostDefinition:
    for item in ONE_OFF_ITEMS:
        if item.key == key:
            return item
    raise KeyError(key)


# --- parsing and formatting Dutch numbers ---------------------------------------------------

_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")


def _normalise_number(text: str) -> str:
    """``€ 1.234,50`` -> ``1234.50``; ``0.85`` -> ``0.85``; ``40.000`` -> ``40000``."""
    cleaned = text.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    cleaned = cleaned.removesuffix("%")
    if "," in cleaned:
        return cleaned.replace(".", "").replace(",", ".")
    if _THOUSANDS.match(cleaned):  # Dutch thousands separators, no decimals
        return cleaned.replace(".", "")
    return cleaned


def parse_count(text: str, field_name: str, *, maximum: int = MAX_LETTERS_PER_YEAR) -> int | str:
    """A whole number typed by the user; a Dutch message (str) when it is not one."""
    raw = _normalise_number(text)
    if not raw:
        return 0
    if not raw.isdigit():
        return f"{field_name}: '{text.strip()}' is geen heel getal. Vul bijvoorbeeld 40.000 in."
    value = int(raw)
    if value > maximum:
        return f"{field_name} is {format_count(value)}; maximaal {format_count(maximum)}."
    return value


def parse_amount(
    text: str,
    field_name: str,
    *,
    maximum: Decimal = MAX_AMOUNT,
    decimals: int = 2,
    unit: str = "euro",
) -> Decimal | str | None:
    """A decimal typed by the user (comma or point); None when left empty; a Dutch message
    (str) when it is not a usable number."""
    raw = _normalise_number(text)
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        example = "0,85" if unit == "euro" else "25"
        return f"{field_name}: '{text.strip()}' is geen getal. Vul bijvoorbeeld {example} in."
    if not value.is_finite():
        return f"{field_name}: '{text.strip()}' is geen getal."
    problem = _amount_problem(value, field_name, maximum=maximum, decimals=decimals, unit=unit)
    return problem if problem else value


def _amount_problem(
    value: Decimal, field_name: str, *, maximum: Decimal, decimals: int, unit: str
) -> str | None:
    shown = format_euro(value) if unit == "euro" else format_percent(value)
    limit = format_euro(maximum) if unit == "euro" else format_percent(maximum)
    if value < 0:
        return f"{field_name} is {shown}; dat kan niet negatief zijn."
    if value > maximum:
        return f"{field_name} is {shown}; maximaal {limit}."
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        what = "cijfer" if decimals == 1 else "cijfers"
        return f"{field_name} heeft te veel cijfers achter de komma; maximaal {decimals} {what}."
    return None


def parse_percent(text: str, field_name: str = F_AANDEEL) -> Decimal | str | None:
    return parse_amount(text, field_name, maximum=Decimal(100), decimals=1, unit="percent")


def format_count(value: int) -> str:
    """``40000`` -> ``40.000``."""
    return f"{value:,}".replace(",", ".")


def format_euro(value: Decimal) -> str:
    """``Decimal('1234.5')`` -> ``€ 1.234,50``; negative amounts as ``-€ 12,00``."""
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    whole, _, fraction = f"{abs(cents):.2f}".partition(".")
    return f"{sign}€ {format_count(int(whole))},{fraction}"


def format_percent(value: Decimal) -> str:
    """``Decimal('25')`` -> ``25 %``; ``Decimal('12.5')`` -> ``12,5 %``."""
    text = f"{value.normalize():f}".replace(".", ",")
    return f"{text} %"


def amount_text(value: Decimal | None) -> str:
    """How an amount is shown in a form field: ``0,85``; empty when not filled in."""
    if value is None:
        return ""
    return f"{value:f}".replace(".", ",")


# --- validation -----------------------------------------------------------------------------


def validate_answers(answers: Answers) -> list[FieldIssue]:
    """Everything wrong with *answers*, per field, in Dutch. Blocking issues stop the save."""
    issues: list[FieldIssue] = []
    kinds = answers.letter_kinds
    if len(kinds) > MAX_LETTER_KINDS:
        issues.append(
            FieldIssue(
                F_BRIEVEN,
                f"Er staan {len(kinds)} soorten brieven in de lijst; maximaal {MAX_LETTER_KINDS}.",
            )
        )
    seen: dict[str, str] = {}
    for n, kind in enumerate(kinds, start=1):
        name = kind.name.strip()
        if not name:
            issues.append(
                FieldIssue(F_BRIEVEN, f"Regel {n}: vul in om welke soort brief het gaat.")
            )
        elif len(name) > MAX_KIND_NAME:
            issues.append(
                FieldIssue(
                    F_BRIEVEN,
                    f"Regel {n}: de naam is {len(name)} tekens; maximaal {MAX_KIND_NAME}.",
                )
            )
        elif (first := seen.get(name.casefold())) is not None:
            issues.append(
                FieldIssue(F_BRIEVEN, f"Regel {n}: '{name}' staat al in de lijst ('{first}').")
            )
        else:
            seen[name.casefold()] = name
        if kind.letters_per_year < 0:
            issues.append(
                FieldIssue(F_BRIEVEN, f"Regel {n}: het aantal brieven kan niet negatief zijn.")
            )
        elif kind.letters_per_year > MAX_LETTERS_PER_YEAR:
            issues.append(
                FieldIssue(
                    F_BRIEVEN,
                    f"Regel {n}: {format_count(kind.letters_per_year)} brieven per jaar; "
                    f"maximaal {format_count(MAX_LETTERS_PER_YEAR)}.",
                )
            )
    if not kinds:
        issues.append(
            FieldIssue(
                F_BRIEVEN,
                "Er staat nog geen soort brief in de lijst. Zonder brieven is er niets te "
                "schatten.",
                blocking=False,
            )
        )
    share = _amount_problem(
        answers.digital_share_percent,
        F_AANDEEL,
        maximum=Decimal(100),
        decimals=1,
        unit="percent",
    )
    if share:
        issues.append(FieldIssue(F_AANDEEL, share))
    for name, value, maximum in (
        (F_KOSTEN, answers.cost_per_letter, MAX_COST_PER_LETTER),
        (F_INTERMEDIAIR, answers.intermediary_cost_per_letter, MAX_COST_PER_LETTER),
        (F_JAARLIJKS, answers.yearly_costs, MAX_AMOUNT),
    ):
        if value is not None and (
            problem := _amount_problem(value, name, maximum=maximum, decimals=2, unit="euro")
        ):
            issues.append(FieldIssue(name, problem))
    for key, amount in answers.one_off_costs:
        if key not in ONE_OFF_KEYS:
            issues.append(FieldIssue("Eenmalige kosten", f"Onbekende kostenpost '{key}'."))
            continue
        title = one_off_item(key).title
        if problem := _amount_problem(amount, title, maximum=MAX_AMOUNT, decimals=2, unit="euro"):
            issues.append(FieldIssue(title, problem))
    if answers.cost_per_letter is None:
        issues.append(
            FieldIssue(
                F_KOSTEN,
                "Vul de kosten per brief in; zonder dat bedrag kan de console de besparing niet "
                "uitrekenen.",
                blocking=False,
            )
        )
    return issues


# --- JSON (the settings row) ----------------------------------------------------------------


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def answers_to_json(answers: Answers) -> dict[str, Any]:
    return {
        "version": ANSWERS_VERSION,
        "organisation_type": answers.organisation_type.value,
        "letter_kinds": [
            {"name": k.name, "letters_per_year": k.letters_per_year} for k in answers.letter_kinds
        ],
        "digital_share_percent": _decimal_text(answers.digital_share_percent),
        "cost_per_letter": _decimal_text(answers.cost_per_letter),
        "variant": answers.variant.value,
        "sender": answers.sender.value,
        "digid": answers.digid.value,
        "intermediary_cost_per_letter": _decimal_text(answers.intermediary_cost_per_letter),
        "yearly_costs": _decimal_text(answers.yearly_costs),
        "one_off_costs": {k: _decimal_text(v) for k, v in answers.one_off_costs},
    }


_E = TypeVar("_E", bound=StrEnum)


def _decimal_or_none(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _enum_or(enum: type[_E], value: object, default: _E) -> _E:
    try:
        return enum(str(value))
    except ValueError:
        return default


def answers_from_json(data: Mapping[str, Any]) -> Answers:
    """The answers as stored; an unreadable value falls back to its default (never raises)."""
    kinds: list[LetterKind] = []
    for item in data.get("letter_kinds") or []:
        if not isinstance(item, Mapping):
            continue
        try:
            count = int(item.get("letters_per_year") or 0)
        except (TypeError, ValueError):
            count = 0
        kinds.append(LetterKind(str(item.get("name") or ""), count))
    one_off: list[tuple[str, Decimal]] = []
    raw_one_off = data.get("one_off_costs") or {}
    if isinstance(raw_one_off, Mapping):
        for item in ONE_OFF_ITEMS:  # in the order of the list, known keys only
            amount = _decimal_or_none(raw_one_off.get(item.key))
            if amount is not None:
                one_off.append((item.key, amount))
    share = _decimal_or_none(data.get("digital_share_percent"))
    return Answers(
        organisation_type=_type_or_default(str(data.get("organisation_type") or "")),
        letter_kinds=tuple(kinds),
        digital_share_percent=DEFAULT_DIGITAL_SHARE if share is None else share,
        cost_per_letter=_decimal_or_none(data.get("cost_per_letter")),
        variant=_enum_or(ConnectionVariant, data.get("variant"), ConnectionVariant.EIGEN),
        sender=_enum_or(Sender, data.get("sender"), Sender.CONSOLE),
        digid=_enum_or(DigidStatus, data.get("digid"), DigidStatus.ONBEKEND),
        intermediary_cost_per_letter=_decimal_or_none(data.get("intermediary_cost_per_letter")),
        yearly_costs=_decimal_or_none(data.get("yearly_costs")),
        one_off_costs=tuple(one_off),
    )


# --- the estimate ---------------------------------------------------------------------------

_CENT = Decimal("0.01")


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class KindEstimate:
    name: str
    letters_per_year: int
    digital_per_year: int
    paper_per_year: int
    saving_per_year: Decimal | None


@dataclass(frozen=True, slots=True)
class CostItem:
    key: str
    title: str
    assumption: str
    amount: Decimal | None  # None: not filled in


@dataclass(frozen=True, slots=True)
class Estimate:
    kinds: tuple[KindEstimate, ...]
    letters_per_year: int
    digital_per_year: int  # letters that move to the Berichtenbox
    paper_per_year: int  # letters that stay on paper
    letters_per_month: int  # all letters (for the application form)
    digital_per_month: int
    digital_share_percent: Decimal
    cost_per_letter: Decimal | None
    gross_saving_per_year: Decimal | None  # None: the cost per letter is not filled in
    recurring_items: tuple[CostItem, ...]
    recurring_per_year: Decimal  # what is filled in; empty items count as 0
    net_saving_per_year: Decimal | None
    one_off_items: tuple[CostItem, ...]
    one_off_total: Decimal  # what is filled in
    payback_months: int | None
    payback_text: str
    assumptions: tuple[str, ...]
    missing: tuple[str, ...]  # what to fill in for a complete estimate


def estimate(answers: Answers) -> Estimate:
    """The yearly letters moved to the Berichtenbox, the saving and the one-off effort.

    Per kind of letter: digital = letters x share / 100, rounded half up to whole letters;
    the totals are the sums of those. Money is rounded half up to cents.
    """
    share = answers.digital_share_percent
    cost = answers.cost_per_letter
    kinds: list[KindEstimate] = []
    for kind in answers.letter_kinds:
        digital = _round_half_up(Decimal(kind.letters_per_year) * share / 100)
        kinds.append(
            KindEstimate(
                kind.name,
                kind.letters_per_year,
                digital,
                kind.letters_per_year - digital,
                None if cost is None else _money(digital * cost),
            )
        )
    total = sum(k.letters_per_year for k in kinds)
    digital_total = sum(k.digital_per_year for k in kinds)
    gross = None if cost is None else _money(digital_total * cost)

    missing: list[str] = []
    if not kinds or total == 0:
        missing.append("Vul bij Brieven per jaar in hoeveel brieven u van elke soort verstuurt.")
    if cost is None:
        missing.append("Vul de kosten per brief in (porto en drukwerk).")

    recurring: list[CostItem] = []
    if answers.variant is ConnectionVariant.INTERMEDIAIR:
        per_letter = answers.intermediary_cost_per_letter
        recurring.append(
            CostItem(
                "intermediair_per_bericht",
                "Intermediair, per digitaal bericht",
                (
                    f"{format_euro(per_letter)} x {format_count(digital_total)} berichten per jaar"
                    if per_letter is not None
                    else "Volgens het tarief van uw intermediair; nog niet ingevuld (telt als € 0)."
                ),
                None if per_letter is None else _money(per_letter * digital_total),
            )
        )
        if per_letter is None:
            missing.append("Vul de kosten van de intermediair per bericht in.")
    recurring.append(
        CostItem(
            "jaarlijks",
            "Vaste kosten per jaar (certificaat vernieuwen, licenties, beheer)",
            "Wat u zelf verwacht; de console kent geen prijzen."
            + ("" if answers.yearly_costs is not None else " Nog niet ingevuld (telt als € 0)."),
            answers.yearly_costs,
        )
    )
    recurring_total = _money(sum((i.amount or Decimal(0) for i in recurring), Decimal(0)))
    net = None if gross is None else gross - recurring_total

    one_off = tuple(
        CostItem(item.key, item.title, item.assumption, answers.one_off(item.key))
        for item in ONE_OFF_ITEMS
        if item.applies(answers)
    )
    one_off_total = _money(sum((i.amount or Decimal(0) for i in one_off), Decimal(0)))
    open_items = [i.title for i in one_off if i.amount is None]
    if len(open_items) == 1:
        missing.append(
            f"Bij de eenmalige post '{open_items[0]}' staat nog geen bedrag; die telt als € 0."
        )
    elif open_items:
        missing.append(
            f"Bij {len(open_items)} eenmalige posten staat nog geen bedrag; die tellen als € 0."
        )
    payback, payback_text = _payback(net, one_off_total)

    assumptions = [
        f"Aandeel digitaal: {format_percent(share)} van de brieven gaat naar de Berichtenbox; "
        "de rest blijft op papier."
        + (" Dit is de standaardaanname van de console." if share == DEFAULT_DIGITAL_SHARE else ""),
        "Per soort brief wordt het aantal digitale brieven afgerond op hele brieven.",
        "Een digitale brief bespaart de volledige kosten per brief (porto en drukwerk).",
        "Logius-kosten zijn niet meegerekend: Logius wordt sinds 2023 centraal gefinancierd en "
        "of een aansluiting kosten heeft, is niet bevestigd.",
        "Doorlooptijd volgens Logius: ongeveer een maand voor de Berichtenbox"
        + (
            "; minstens een maand extra omdat uw organisatie nog niet op DigiD is aangesloten."
            if answers.digid is DigidStatus.NEE
            else "."
        ),
    ]
    if cost is not None:
        assumptions.insert(2, f"Kosten per brief: {format_euro(cost)} (uw eigen bedrag).")
    return Estimate(
        kinds=tuple(kinds),
        letters_per_year=total,
        digital_per_year=digital_total,
        paper_per_year=total - digital_total,
        letters_per_month=_round_half_up(Decimal(total) / 12),
        digital_per_month=_round_half_up(Decimal(digital_total) / 12),
        digital_share_percent=share,
        cost_per_letter=cost,
        gross_saving_per_year=gross,
        recurring_items=tuple(recurring),
        recurring_per_year=recurring_total,
        net_saving_per_year=net,
        one_off_items=one_off,
        one_off_total=one_off_total,
        payback_months=payback,
        payback_text=payback_text,
        assumptions=tuple(assumptions),
        missing=tuple(missing),
    )


def _payback(net: Decimal | None, one_off_total: Decimal) -> tuple[int | None, str]:
    if net is None:
        return None, "Nog niet te berekenen: de kosten per brief ontbreken."
    if net <= 0:
        return None, (
            "De besparing weegt niet op tegen de jaarlijkse kosten; de eenmalige kosten worden "
            "niet terugverdiend."
        )
    if one_off_total == 0:
        return 0, "Er zijn geen eenmalige kosten ingevuld; er is niets terug te verdienen."
    months = math.ceil(one_off_total * 12 / net)
    unit = "maand" if months == 1 else "maanden"
    return months, f"De eenmalige kosten zijn in ongeveer {months} {unit} terugverdiend."


# --- the connection variants ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VariantInfo:
    variant: ConnectionVariant
    title: str
    summary: str
    needs: tuple[str, ...]
    console_role: str


VARIANTS: tuple[VariantInfo, ...] = (
    VariantInfo(
        ConnectionVariant.EIGEN,
        "Eigen koppeling via Digikoppeling",
        "Uw organisatie sluit zelf aan op de Berichtenbox, via Digikoppeling: ebMS2 over "
        "tweezijdig TLS. De console is dan uw koppeling: hij verstuurt de batches en ontvangt "
        "de resultaten van Logius.",
        (
            "Een OIN voor uw organisatie (20 cijfers).",
            "Een PKIoverheid-certificaat met dat OIN in het subject serialNumber, voor preprod "
            "en voor productie.",
            "Een CPA van Logius voor preprod en een voor productie, met uw OIN als PartyId.",
            "Een netwerkpad naar Logius via internet of Diginetwerk. Logius laat alleen "
            "aangemelde IP-adressen toe.",
            "Een adres waarop de console de resultaten van Logius ontvangt (in de CPA).",
            "Berichttypes, aangemaakt en actief in het Leveranciersportaal.",
        ),
        "De console verstuurt zelf via ebMS en bewaart elk bewijs.",
    ),
    VariantInfo(
        ConnectionVariant.INTERMEDIAIR,
        "Via een intermediair",
        "Een intermediair (bijvoorbeeld een belastingsamenwerking of een softwareleverancier) "
        "verstuurt namens uw organisatie over zijn eigen koppeling. In elk bericht staat uw OIN "
        "als BerichtLeverancierID; de afzender in de ebMS-header is de intermediair.",
        (
            "Een OIN voor uw organisatie: het staat in elk bericht als BerichtLeverancierID.",
            "Een overeenkomst met de intermediair, en een eigen verwerkersovereenkomst: elke "
            "organisatie heeft er een nodig.",
            "De intermediairfunctie in het Leveranciersportaal, zodat de intermediair voor u "
            "mag versturen. Hoe Logius dat precies inricht, is niet bevestigd; vraag het Logius.",
            "Berichttypes van uw organisatie, actief in het Leveranciersportaal.",
            "Voor het versturen gebruikt de intermediair zijn eigen certificaat en CPA. Voor "
            "toegang tot het Leveranciersportaal hebt u wel een PKIoverheid-certificaat op uw "
            "OIN nodig.",
        ),
        "Gebruikt de intermediair deze console, dan staat uw organisatie bij zijn koppeling "
        "(Organisaties). Anders kijkt u met de console mee en vinkt u de stappen van de "
        "intermediair zelf af.",
    ),
)

NOTES: tuple[str, ...] = (
    "Let op: Logius vervangt de huidige Berichtenbox (GLOBE) door het Federatief "
    "Berichtenstelsel. Of een nieuwe aansluiting op GLOBE nog kan, is niet bevestigd: de "
    "bronnen spreken elkaar tegen. Vraag het Logius (FBS-migratie@Logius.nl) voordat u begint.",
    "Logius noemt een doorlooptijd van ongeveer een maand. Is uw organisatie nog niet op DigiD "
    "aangesloten, dan komt daar minstens een maand bij.",
)


def variant_info(variant: ConnectionVariant) -> VariantInfo:
    return next(v for v in VARIANTS if v.variant is variant)


# --- the checklist --------------------------------------------------------------------------


class Phase(StrEnum):
    VOORBEREIDEN = "voorbereiden"
    PREPROD = "preprod"
    TESTEN = "testen"
    PRODUCTIE = "productie"

    @property
    def label(self) -> str:
        return {
            "voorbereiden": "1. Voorbereiden",
            "preprod": "2. Aansluiten op preprod",
            "testen": "3. Testen",
            "productie": "4. Productie",
        }[self.value]


class StepState(StrEnum):
    DONE = "done"
    OPEN = "open"
    BLOCKED = "blocked"

    @property
    def label(self) -> str:
        return {"done": "Gedaan", "open": "Open", "blocked": "Geblokkeerd"}[self.value]


class StepKind(StrEnum):
    DERIVED = "derived"  # the console finds the evidence in its own data
    MANUAL = "manual"  # done outside the console: the user ticks it off


@dataclass(frozen=True, slots=True)
class StepDefinition:
    key: str
    phase: Phase
    title: str
    explanation: str  # why the step is there, in one or two sentences
    next_step: str  # what to do, when it is not done
    page: str | None  # the console page where it is done (a main-window page key)
    kind: StepKind
    requires: tuple[str, ...] = ()
    manual_fallback: bool = False  # a derived step the user may also tick off
    needs_console: bool = False  # evidence only exists when the console sends
    variants: frozenset[ConnectionVariant] = frozenset(ConnectionVariant)


_D, _M = StepKind.DERIVED, StepKind.MANUAL
_V, _P, _T, _PR = Phase.VOORBEREIDEN, Phase.PREPROD, Phase.TESTEN, Phase.PRODUCTIE

STEPS: tuple[StepDefinition, ...] = (
    StepDefinition(
        "impactanalyse",
        _V,
        "Impactanalyse ingevuld en aansluitvariant gekozen",
        "De impactanalyse van Logius is de basis voor uw business case, implementatieplan en "
        "communicatieplan.",
        "Vul de vragenlijst op deze pagina in en sla de antwoorden op.",
        "aansluiten",
        _D,
    ),
    StepDefinition(
        "intentieverklaring",
        _V,
        "Intentieverklaring naar Logius gestuurd",
        "Met de intentieverklaring laat u Logius weten dat u wilt aansluiten.",
        "Stuur de intentieverklaring naar Logius en vink deze stap daarna af.",
        None,
        _M,
        requires=("impactanalyse",),
    ),
    StepDefinition(
        "oin",
        _V,
        "Organisatie met een geldig OIN",
        "Het OIN identificeert uw organisatie op Digikoppeling en staat in elk bericht.",
        "Vul het OIN van uw organisatie in bij Organisaties. Hebt u er geen, vraag het aan "
        "bij Logius (OIN-register).",
        "organisaties",
        _D,
    ),
    StepDefinition(
        "digid",
        _V,
        "Aangesloten op DigiD",
        "Burgers openen de Berichtenbox met DigiD. Logius vraagt dat uw organisatie op DigiD "
        "is aangesloten; dat kost minstens een maand.",
        "Regel de aansluiting op DigiD bij Logius, of zet in de impactanalyse dat u al bent "
        "aangesloten.",
        None,
        _D,
        manual_fallback=True,
    ),
    StepDefinition(
        "aanvraag",
        _V,
        "Aanvraagformulier en verwerkersovereenkomst ondertekend naar Logius",
        "Het formulier vraagt contactpersonen, internet of Diginetwerk, IP-adressen en het "
        "verwachte aantal berichten per maand. Daarbij horen de voorwaarden en de "
        "verwerkersovereenkomst van Logius.",
        "Stuur het ondertekende aanvraagformulier en de verwerkersovereenkomst naar Logius. Het "
        "aantal berichten per maand staat in de schatting hierboven.",
        None,
        _M,
        requires=("intentieverklaring",),
    ),
    StepDefinition(
        "intermediair",
        _V,
        "Afspraken met de intermediair vastgelegd",
        "De intermediair verstuurt voor u. Elke organisatie heeft een eigen "
        "verwerkersovereenkomst nodig, en de intermediair moet in het Leveranciersportaal voor "
        "u mogen versturen.",
        "Leg de overeenkomst en de verwerkersovereenkomst met de intermediair vast en vraag de "
        "intermediairfunctie aan in het Leveranciersportaal.",
        None,
        _M,
        variants=_INTERMEDIAIR,
    ),
    StepDefinition(
        "netwerk",
        _V,
        "Netwerkpad ingericht en IP-adressen aangemeld",
        "Logius laat alleen aangemelde IP-adressen toe, via internet of Diginetwerk.",
        "Meld de uitgaande en inkomende IP-adressen voor preprod en productie aan bij Logius en "
        "zet de firewall open.",
        None,
        _M,
        requires=("aanvraag",),
        variants=_EIGEN,
    ),
    StepDefinition(
        "certificaat_preprod",
        _P,
        "PKIoverheid-certificaat voor preprod: geldig, met het juiste OIN",
        "De koppeling meldt zich bij Logius met dit certificaat; het OIN erin moet kloppen met "
        "de organisatie en de CPA.",
        "Importeer het certificaat bij Certificaten en koppel het aan de koppeling voor preprod.",
        "certificaten",
        _D,
        requires=("oin",),
        needs_console=True,
    ),
    StepDefinition(
        "cpa_preprod",
        _P,
        "CPA van Logius voor preprod geïmporteerd (status agreed)",
        "De CPA legt vast hoe de console en Logius berichten uitwisselen: adressen, "
        "certificaten en het ebMS-profiel.",
        "Maak bij Organisaties een koppeling voor preprod en importeer de CPA die u van Logius "
        "krijgt.",
        "organisaties",
        _D,
        requires=("aanvraag",),
        needs_console=True,
    ),
    StepDefinition(
        "leveranciersportaal",
        _P,
        "Toegang tot het Leveranciersportaal",
        "In het Leveranciersportaal van Logius beheert u het organisatieprofiel en de "
        "berichttypes. Toegang gaat met een PKIoverheid-certificaat en een apart formulier.",
        "Vraag toegang aan met het formulier van Logius en vink deze stap af als u kunt inloggen.",
        None,
        _M,
        requires=("aanvraag",),
    ),
    StepDefinition(
        "berichttypes_preprod",
        _P,
        "Berichttype(s) actief in preprod",
        "Een bericht met een berichttype dat niet actief is, komt terug als "
        "BerichtTypeNietOndersteund.",
        "Maak het berichttype aan en activeer het in het Leveranciersportaal; leg daarna bij "
        "Stromen vast dat het in preprod actief is.",
        "stromen",
        _D,
        requires=("leveranciersportaal",),
    ),
    StepDefinition(
        "verbindingstest_preprod",
        _P,
        "Verbindingstest met preprod geslaagd",
        "De test loopt van DNS en TLS met uw certificaat tot een ebMS Ping naar Logius.",
        "Voer de verbindingstest uit met de knop bij deze stap. Hebt u de test al bij "
        "Certificaten gedaan, dan kunt u de stap ook afvinken.",
        "certificaten",
        _D,
        requires=("certificaat_preprod", "cpa_preprod"),
        manual_fallback=True,
        needs_console=True,
    ),
    StepDefinition(
        "testbericht_simulator",
        _T,
        "Testbericht verstuurd en resultaat ontvangen (simulator)",
        "Oefen eerst met de ingebouwde simulator: die gedraagt zich als preprod van Logius, "
        "met testburgers met en zonder Berichtenbox.",
        "Verstuur een testbericht bij Verzenden via een koppeling met de simulator en wacht op "
        "het resultaat.",
        "verzenden",
        _D,
        needs_console=True,
    ),
    StepDefinition(
        "testbericht_preprod",
        _T,
        "Testbericht op preprod verstuurd en resultaat Verwerkt ontvangen",
        "Het eerste bericht naar preprod van Logius, aan een testburger met een Berichtenbox.",
        "Verstuur bij Verzenden een testbericht over de koppeling voor preprod, aan een "
        "testburger met een Berichtenbox.",
        "verzenden",
        _D,
        requires=("verbindingstest_preprod", "berichttypes_preprod"),
        needs_console=True,
    ),
    StepDefinition(
        "niet_geabonneerd_preprod",
        _T,
        "Bericht aan een burger zonder abonnement getest (preprod)",
        "De checklist van Logius vraagt batches aan burgers met en zonder abonnement. Het "
        "resultaat is dan NietActiefOfGeabonneerd: die brief gaat per post.",
        "Verstuur op preprod een testbericht aan een testburger zonder abonnement.",
        "verzenden",
        _D,
        requires=("verbindingstest_preprod", "berichttypes_preprod"),
        needs_console=True,
    ),
    StepDefinition(
        "abonnementen",
        _T,
        "Abonnementen gecontroleerd (ABS en WUS)",
        "De checklist van Logius vraagt beide abonnementsdiensten: het overzicht in bulk (ABS) "
        "en de directe controle (WUS).",
        "Vraag een abonnementsoverzicht op (berichtenbox-console subscriptions request) en doe "
        "een directe controle (menu Berichten › Abonnement van een burger controleren).",
        "berichten",
        _D,
        needs_console=True,
    ),
    StepDefinition(
        "weergave",
        _T,
        "Weergave en PDF/A-bijlage gecontroleerd op preprod.mijn.overheid.nl",
        "Met een test-DigiD bekijkt u het bericht zoals de burger het ziet. Preprod stuurt geen "
        "e-mailmeldingen.",
        "Log met een test-DigiD in op preprod.mijn.overheid.nl, controleer het bericht en de "
        "bijlage en vink deze stap af.",
        None,
        _M,
        requires=("testbericht_preprod",),
    ),
    StepDefinition(
        "testverslag",
        _T,
        "Testverslag naar Logius gestuurd",
        "Logius vraagt een verslag van de Checklist testen Berichtenbox MijnOverheid. Het "
        "verslag van deze pagina (Exporteer als verslag) noemt het bewijs per stap.",
        "Stuur het testverslag naar Logius en vink deze stap af.",
        None,
        _M,
        requires=("testbericht_preprod", "niet_geabonneerd_preprod", "abonnementen", "weergave"),
    ),
    StepDefinition(
        "certificaat_productie",
        _PR,
        "PKIoverheid-certificaat voor productie: geldig, met het juiste OIN",
        "Productie gebruikt een certificaat onder de productie-root van PKIoverheid; een "
        "test-OIN wordt daar geweigerd.",
        "Importeer het productiecertificaat bij Certificaten en koppel het aan de koppeling "
        "voor productie.",
        "certificaten",
        _D,
        requires=("testverslag",),
        needs_console=True,
    ),
    StepDefinition(
        "cpa_productie",
        _PR,
        "CPA van Logius voor productie geïmporteerd (status agreed)",
        "Productie heeft een eigen CPA, met de productieadressen van Logius.",
        "Maak bij Organisaties een koppeling voor productie en importeer de productie-CPA van "
        "Logius.",
        "organisaties",
        _D,
        requires=("testverslag",),
        needs_console=True,
    ),
    StepDefinition(
        "berichttypes_productie",
        _PR,
        "Berichttype(s) actief in productie",
        "Pas als een berichttype in productie actief is, komen de berichten bij burgers aan.",
        "Activeer het berichttype in het Leveranciersportaal voor productie en leg dat vast bij "
        "Stromen.",
        "stromen",
        _D,
        requires=("testverslag",),
    ),
    StepDefinition(
        "eerste_productiebericht",
        _PR,
        "Eerste bericht in productie verwerkt",
        "Het eerste echte bericht in de Berichtenbox van een burger. Pas in productie stuurt "
        "MijnOverheid e-mailmeldingen.",
        "Verstuur het eerste bericht over de productiekoppeling (eventueel als beperkte "
        "productieproef) en controleer het resultaat bij Berichten.",
        "berichten",
        _D,
        requires=("certificaat_productie", "cpa_productie", "berichttypes_productie"),
        needs_console=True,
    ),
)
STEP_KEYS = tuple(s.key for s in STEPS)


def step_definition(key: str) -> StepDefinition:
    for step in STEPS:
        if step.key == key:
            return step
    raise KeyError(key)


def applicable_steps(answers: Answers | None) -> tuple[StepDefinition, ...]:
    """The steps for the chosen variant (both variants' steps while nothing is chosen)."""
    if answers is None:
        return tuple(s for s in STEPS if s.variants == frozenset(ConnectionVariant))
    return tuple(s for s in STEPS if answers.variant in s.variants)


def can_tick(step: StepDefinition, answers: Answers | None) -> bool:
    """May the user tick this step off by hand? Manual steps, derived steps with a manual
    fallback, and the console's own evidence steps when a supplier does the sending."""
    if step.kind is StepKind.MANUAL or step.manual_fallback:
        return True
    return step.needs_console and answers is not None and answers.sender is Sender.LEVERANCIER


def tick_refusal(key: str, answers: Answers | None) -> str | None:
    """Why this step cannot be ticked off by hand (Dutch), or None when it can."""
    try:
        step = step_definition(key)
    except KeyError:
        known = ", ".join(STEP_KEYS)
        return f"Stap '{key}' bestaat niet. Kies een van: {known}."
    if step not in applicable_steps(answers):
        return f"Stap '{step.title}' hoort niet bij de gekozen aansluitvariant."
    if not can_tick(step, answers):
        return (
            f"Stap '{step.title}' vinkt u niet zelf af: de console leidt hem af uit zijn eigen "
            f"gegevens. {step.next_step}"
        )
    return None


@dataclass(frozen=True, slots=True)
class Finding:
    """What the console found in its own data for one derived step."""

    done: bool
    evidence: tuple[str, ...] = ()
    problem: str | None = None  # something found that stops the step (expired, wrong OIN)
    next_step: str | None = None  # a more precise next step than the definition's


@dataclass(frozen=True, slots=True)
class ManualMark:
    """A step ticked off by hand: who and when."""

    by: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChecklistStep:
    key: str
    phase: Phase
    title: str
    explanation: str
    state: StepState
    evidence: tuple[str, ...]
    next_step: str  # empty when done
    page: str | None
    tickable: bool
    mark: ManualMark | None = None  # set when the user ticked it off
    problem: str | None = None

    @property
    def tone(self) -> str:
        if self.state is StepState.DONE:
            return "green"
        if self.state is StepState.BLOCKED:
            return "red" if self.problem else "amber"
        return "grey"


@dataclass(frozen=True, slots=True)
class Checklist:
    steps: tuple[ChecklistStep, ...]
    done: int = field(init=False)
    total: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "done", sum(s.state is StepState.DONE for s in self.steps))
        object.__setattr__(self, "total", len(self.steps))

    def step(self, key: str) -> ChecklistStep:
        for s in self.steps:
            if s.key == key:
                return s
        raise KeyError(key)

    def in_phase(self, phase: Phase) -> tuple[ChecklistStep, ...]:
        return tuple(s for s in self.steps if s.phase is phase)

    @property
    def next_open(self) -> ChecklistStep | None:
        """The first step that is open (not blocked, not done): what to do now."""
        return next((s for s in self.steps if s.state is StepState.OPEN), None)


def derive_checklist(
    answers: Answers | None,
    findings: Mapping[str, Finding],
    marks: Mapping[str, ManualMark],
) -> Checklist:
    """Each step's state from the evidence, the ticks and the steps it needs first.

    Done: the console found the evidence, or the user ticked a step that may be ticked.
    Blocked: the evidence shows a problem, or a step it needs is not done yet.
    Open: otherwise.
    """
    steps = applicable_steps(answers)
    keys = {s.key for s in steps}
    titles = {s.key: s.title for s in steps}
    out: dict[str, ChecklistStep] = {}
    for step in steps:  # STEPS is ordered so that a step comes after what it requires
        finding = findings.get(step.key)
        tickable = can_tick(step, answers)
        mark = marks.get(step.key) if tickable else None
        evidence = finding.evidence if finding is not None else ()
        next_step = (finding.next_step if finding is not None else None) or step.next_step
        problem: str | None = None
        if (finding is not None and finding.done) or mark is not None:
            state = StepState.DONE
        elif finding is not None and finding.problem:
            state, problem = StepState.BLOCKED, finding.problem
        else:
            waiting = [r for r in step.requires if r in keys and out[r].state is not StepState.DONE]
            if waiting:
                state = StepState.BLOCKED
                next_step = f"Eerst: {titles[waiting[0]]}. Daarna: {next_step}"
            else:
                state = StepState.OPEN
        if (
            state is not StepState.DONE
            and tickable
            and step.kind is StepKind.DERIVED
            and step.needs_console
            and answers is not None
            and answers.sender is Sender.LEVERANCIER
        ):
            next_step += (
                " Verstuurt uw leverancier, dan vinkt u deze stap af zodra de leverancier het "
                "heeft laten zien."
            )
        out[step.key] = ChecklistStep(
            key=step.key,
            phase=step.phase,
            title=step.title,
            explanation=step.explanation,
            state=state,
            evidence=evidence,
            next_step="" if state is StepState.DONE else next_step,
            page=step.page,
            tickable=tickable,
            mark=mark,
            problem=problem,
        )
    return Checklist(tuple(out[s.key] for s in steps))


def phases(checklist: Checklist) -> Iterable[tuple[Phase, tuple[ChecklistStep, ...]]]:
    for phase in Phase:
        items = checklist.in_phase(phase)
        if items:
            yield phase, items
