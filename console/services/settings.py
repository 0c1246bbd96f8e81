"""Instellingen: the user-changeable settings of a workspace, validated, stored and audited.

Every setting is a key/value row in the ``settings`` table (``SettingsRepository``). This
module describes each one (Dutch label, what it does, default, allowed values, whether
Logius has confirmed the value) and is the one way the window and the command line change
them: :meth:`SettingsService.save` validates (a Dutch message naming the setting and the
limit), stores, and writes an audit entry in the same transaction; nothing is stored when
one value is wrong. :meth:`SettingsService.reset` deletes the row, so the built-in default
applies again.

The readers stay where they are and read the stored rows themselves: the outbox reads the
batch and preflight settings at every packing pass, so a change applies to the next batch.
What the console *uses* for a stored value is computed here the same way those readers do
(``PreflightSettings.from_mapping`` for the preflight keys, the outbox's clamp for the batch
keys, ``answer_action`` for the ABS answer), so the page shows what really happens.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from console import __version__
from console.berichtenbox.abonnement import ACTION_REQUEST, DEFAULT_ANSWER_ACTION
from console.berichtenbox.batch import MAX_BATCH_BYTES, MAX_LETTERS, MIN_LETTERS
from console.berichtenbox.preflight import (
    KEY_BERICHTTYPE,
    KEY_BIJLAGEN_MAX,
    KEY_OMSCHRIJVING_MAX,
    KEY_PDFA,
    KEY_SNAPSHOT_AGE,
    Policy,
    PreflightSettings,
)
from console.db.database import Database, current_revision, head_revision
from console.db.models import DEFAULT_ACTION as LETTER_REQUEST_ACTION
from console.db.repositories import SettingsRepository
from console.domain.letter import FieldIssue
from console.engine.outbox import KEY_MAX_BYTES, KEY_MAX_LETTERS
from console.engine.signals import RESULT_ACTIONS
from console.engine.subscriptions import (
    DEFAULT_KEEP_DAYS,
    KEY_ANSWER_ACTION,
    KEY_KEEP_DAYS,
    KEY_REQUEST_ACTION,
    MAX_KEEP_DAYS,
    MIN_KEEP_DAYS,
    answer_action,
)
from console.secrets.store import SecretStore
from console.services import audit
from console.services.errors import ConfigRefused, NotFound
from console.services.privacy import KEY_ADMINISTRATORS, LookupAccess, NotAllowed, PrivacyService
from console.services.results import DEFAULT_MISSING_HOURS, KEY_MISSING_HOURS
from console.services.subscriptions import KEY_WUS_ADDRESSING
from console.settings import AppPaths

INSTELLING = "instelling"  # the audit log's entity for a setting
STANDAARD_HERSTELD = "standaard hersteld"  # the audit action of a reset

MB = 1_000_000  # as Logius counts (and the batch module: 100 MB = 100,000,000 bytes)
MIN_BATCH_BYTES = MB  # one letter with 500 kB of attachments is about 0.7 MB in base64
MAX_MISSING_HOURS = 24 * 30  # as ResultsService.set_missing_hours
MAX_ACTION_CHARS = 100
MAX_NAME_CHARS = 100

LANGUAGE = "Nederlands"


class Kind(StrEnum):
    """How a setting's value is typed in and stored."""

    INT = "int"  # a whole number within a range
    MEGABYTES = "mb"  # stored in bytes, shown and typed in MB
    CHOICE = "choice"  # one of a few values
    TEXT = "text"  # one word (an ebMS action)
    FLAG = "flag"  # on or off
    NAMES = "names"  # a list of user names


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    short: str  # in messages and the audit log: "Waarschuwen"
    label: str  # in the list to choose from, with what it means


@dataclass(frozen=True, slots=True)
class SettingDefinition:
    key: str
    group: str
    label: str
    help: str  # what it does, in one line
    kind: Kind
    default: Any
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""  # after the number: "berichten", "bytes", "tekens", "dagen", "uur"
    choices: tuple[Choice, ...] = ()
    unconfirmed: str = ""  # not empty: what Logius has not confirmed about this value
    takes_effect: str = ""  # when a change applies

    @property
    def allowed(self) -> str:
        """The allowed values, in Dutch."""
        if self.kind is Kind.INT and self.minimum is not None and self.maximum is not None:
            unit = f" {self.unit}" if self.unit else ""
            return f"{_number(self.minimum)} tot en met {_number(self.maximum)}{unit}"
        if self.kind is Kind.MEGABYTES and self.minimum is not None and self.maximum is not None:
            return f"{_megabytes(self.minimum)} tot en met {_megabytes(self.maximum)}"
        if self.kind is Kind.CHOICE:
            return ", ".join(c.short.lower() for c in self.choices)
        if self.kind is Kind.TEXT:
            return f"één woord zonder spaties, ten hoogste {MAX_ACTION_CHARS} tekens"
        if self.kind is Kind.FLAG:
            return "aan of uit"
        if self.kind is Kind.NAMES:
            return "gebruikersnamen zoals Windows ze kent"
        return ""

    def format(self, value: Any) -> str:
        """A value as the user reads it (Dutch numbers, choice labels, 'aan'/'uit')."""
        if self.kind is Kind.INT:
            unit = f" {self.unit}" if self.unit else ""
            return f"{_number(int(value))}{unit}"
        if self.kind is Kind.MEGABYTES:
            return _megabytes(int(value))
        if self.kind is Kind.CHOICE:
            return next((c.short for c in self.choices if c.value == value), str(value))
        if self.kind is Kind.FLAG:
            return "aan" if value else "uit"
        if self.kind is Kind.NAMES:
            return ", ".join(value) if value else "niemand aangewezen"
        return str(value)


@dataclass(frozen=True, slots=True)
class SettingGroup:
    key: str
    title: str
    text: str
    takes_effect: str


@dataclass(frozen=True, slots=True)
class SettingValue:
    definition: SettingDefinition
    value: Any  # what the console uses now
    stored: bool  # a value is stored; False: the default applies
    problem: str = ""  # the stored value is unusable; says what the console uses instead

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def text(self) -> str:
        return self.definition.format(self.value)

    @property
    def is_default(self) -> bool:
        return self.value == self.definition.default


@dataclass(frozen=True, slots=True)
class AboutInfo:
    version: str
    data_dir: Path | None
    database: str  # the SQLite file, or the database URL without password
    database_bytes: int | None  # the SQLite file with its write-ahead log
    schema_revision: str | None
    schema_head: str
    logs_dir: Path | None
    backups_dir: Path | None
    key_store: str | None  # where the keys are, in Dutch; None: not known here
    keys_persistent: bool | None
    language: str = LANGUAGE
    language_note: str = (
        "De console is nu alleen in het Nederlands. Een Engelse vertaling volgt: alle teksten "
        "gaan al door de vertaalfuncties, maar de vertaling zelf is er nog niet."
    )

    @property
    def schema_current(self) -> bool:
        return self.schema_revision == self.schema_head


@dataclass(frozen=True, slots=True)
class SettingsOverview:
    groups: tuple[SettingGroup, ...]
    values: tuple[SettingValue, ...]
    about: AboutInfo
    administrators: LookupAccess  # who may change privacy.beheerders (and read the log)

    def in_group(self, group: str) -> tuple[SettingValue, ...]:
        return tuple(v for v in self.values if v.definition.group == group)

    def value(self, key: str) -> SettingValue:
        return next(v for v in self.values if v.key == key)


@dataclass(frozen=True, slots=True)
class SettingChange:
    key: str
    label: str
    before: Any
    after: Any
    before_text: str
    after_text: str


@dataclass(frozen=True, slots=True)
class SaveResult:
    changes: tuple[SettingChange, ...]
    values: tuple[SettingValue, ...]  # the settings that were asked about, as they are now
    message: str  # for the status bar: what changed and when it applies


class SettingsRefused(ConfigRefused):
    """One or more values are not allowed; nothing was stored. ``issues[i].field`` is the key."""

    def __init__(self, issues: list[FieldIssue]) -> None:
        super().__init__("De wijziging", issues)


# --------------------------------------------------------------------------- definitions

BATCHES = "batches"
PREFLIGHT = "preflight"
RESULTATEN = "resultaten"
ABONNEMENTEN = "abonnementen"
PRIVACY = "privacy"

NEXT_BATCH = "Geldt vanaf de volgende batch die de engine inpakt."
NEXT_CHECK = (
    "Geldt voor de volgende controle en vanaf de volgende batch: bij het inpakken controleert "
    "de engine elk bericht opnieuw."
)

GROUPS = (
    SettingGroup(
        BATCHES,
        "Batches",
        "Hoe de console berichten bundelt voordat ze naar Logius gaan. Een batch bevat "
        "berichten van één koppeling en één organisatie (BerichtLeverancierID).",
        NEXT_BATCH,
    ),
    SettingGroup(
        PREFLIGHT,
        "Controle vooraf",
        "De regels van de controle die elk bericht doorloopt voordat het in een batch mag. "
        "Een fout houdt het bericht tegen; een punt met 'let op' niet.",
        NEXT_CHECK,
    ),
    SettingGroup(
        RESULTATEN,
        "Resultaten",
        "Wanneer de console een bericht meldt waarvan het resultaat van MijnOverheid uitblijft.",
        "Geldt meteen: in het overzicht en de lijst 'Zonder resultaat'.",
    ),
    SettingGroup(
        ABONNEMENTEN,
        "Abonnementen (AbonnementService en WUS)",
        "Hoe de console abonnementen opvraagt: in bulk via de AbonnementService (ebMS) en "
        "direct via de BerichtenboxValidatieService (WUS).",
        "Geldt voor de volgende aanvraag, het volgende antwoord en de volgende controle.",
    ),
    SettingGroup(
        PRIVACY,
        "Privacy",
        "BSN's staan overal afgeschermd. Wie een BSN volledig bekijkt, geeft een reden op; de "
        "console legt dat vast in het inzagelog.",
        "Geldt meteen.",
    ),
)

_POLICY_LABELS = {
    Policy.OFF: ("Uit", "Uit (niet controleren)"),
    Policy.WARN: ("Waarschuwen", "Waarschuwen (gaat wel mee)"),
    Policy.BLOCK: ("Tegenhouden", "Tegenhouden (gaat niet mee)"),
}
POLICY_CHOICES = tuple(Choice(p.value, *_POLICY_LABELS[p]) for p in Policy)
_PREFLIGHT_DEFAULTS = PreflightSettings().as_mapping()

DEFINITIONS: tuple[SettingDefinition, ...] = (
    SettingDefinition(
        KEY_MAX_LETTERS,
        BATCHES,
        "Berichten per batch",
        "Het grootste aantal berichten in één batch; meer berichten gaan in een volgende batch.",
        Kind.INT,
        MAX_LETTERS,
        MIN_LETTERS,
        MAX_LETTERS,
        takes_effect=NEXT_BATCH,
    ),
    SettingDefinition(
        KEY_MAX_BYTES,
        BATCHES,
        "Grootte per batch",
        "De grootste omvang van één batch, inclusief de bijlagen in base64.",
        Kind.MEGABYTES,
        MAX_BATCH_BYTES,
        MIN_BATCH_BYTES,
        MAX_BATCH_BYTES,
        "MB",
        unconfirmed=(
            "Logius noemt 100 MB per batch, maar niet of dat 100.000.000 of 104.857.600 bytes "
            "is. De console neemt de kleinste waarde als grens."
        ),
        takes_effect=NEXT_BATCH,
    ),
    SettingDefinition(
        KEY_BIJLAGEN_MAX,
        PREFLIGHT,
        "Bijlagen per bericht samen",
        "De grootste omvang van alle bijlagen van één bericht samen, vóór base64.",
        Kind.INT,
        _PREFLIGHT_DEFAULTS[KEY_BIJLAGEN_MAX],
        1,
        10_000_000,
        "bytes",
        unconfirmed=(
            "Logius noemt 500 kB, maar niet of dat 500.000 of 512.000 bytes is. Met 500.000 "
            "blijft u aan de veilige kant."
        ),
        takes_effect=NEXT_CHECK,
    ),
    SettingDefinition(
        KEY_OMSCHRIJVING_MAX,
        PREFLIGHT,
        "Omschrijving van een bijlage",
        "Het grootste aantal tekens van de omschrijving (de naam) van een bijlage.",
        Kind.INT,
        _PREFLIGHT_DEFAULTS[KEY_OMSCHRIJVING_MAX],
        1,
        128,
        "tekens",
        unconfirmed=(
            "De koppelvlakbeschrijving noemt 40 tekens; het XML-schema van 2026 staat er 128 "
            "toe. Welke grens MijnOverheid hanteert, is niet bevestigd."
        ),
        takes_effect=NEXT_CHECK,
    ),
    SettingDefinition(
        KEY_PDFA,
        PREFLIGHT,
        "PDF/A-controle van bijlagen",
        "Wat de console doet met een bijlage die geen PDF/A-1a of PDF/A-2a is.",
        Kind.CHOICE,
        _PREFLIGHT_DEFAULTS[KEY_PDFA],
        choices=POLICY_CHOICES,
        unconfirmed=(
            "Logius vraagt PDF/A-1a of PDF/A-2a, maar of MijnOverheid een andere PDF weigert, "
            "is niet bevestigd. Daarom is waarschuwen de standaard."
        ),
        takes_effect=NEXT_CHECK,
    ),
    SettingDefinition(
        KEY_BERICHTTYPE,
        PREFLIGHT,
        "Berichttype niet actief",
        "Wat de console doet met een bericht waarvan het berichttype onbekend of niet actief "
        "is in de omgeving (MijnOverheid zou het weigeren met BerichtTypeNietOndersteund).",
        Kind.CHOICE,
        _PREFLIGHT_DEFAULTS[KEY_BERICHTTYPE],
        choices=POLICY_CHOICES,
        takes_effect=NEXT_CHECK,
    ),
    SettingDefinition(
        KEY_SNAPSHOT_AGE,
        PREFLIGHT,
        "Leeftijd van abonnementsgegevens",
        "Hoe oud het abonnementsoverzicht mag zijn waarop een batch steunt; ouder geeft een "
        "waarschuwing. Logius vraagt ten hoogste 7 dagen.",
        Kind.INT,
        _PREFLIGHT_DEFAULTS[KEY_SNAPSHOT_AGE],
        1,
        365,
        "dagen",
        takes_effect=NEXT_CHECK,
    ),
    SettingDefinition(
        KEY_MISSING_HOURS,
        RESULTATEN,
        "Wachttijd op een resultaat",
        "Na hoeveel uur een bericht dat Logius ontving maar nog geen resultaat heeft, in de "
        "lijst 'Zonder resultaat' komt.",
        Kind.INT,
        DEFAULT_MISSING_HOURS,
        1,
        MAX_MISSING_HOURS,
        "uur",
        takes_effect="Geldt meteen.",
    ),
    SettingDefinition(
        KEY_REQUEST_ACTION,
        ABONNEMENTEN,
        "ebMS-actie van de aanvraag",
        "De ebMS-actie waarmee de console een abonnementsoverzicht aanvraagt. Moet gelijk zijn "
        "aan de actie in de CPA.",
        Kind.TEXT,
        ACTION_REQUEST,
        unconfirmed=("Afgeleid van de namen van de voorbeeldbestanden van Logius; niet bevestigd."),
        takes_effect="Geldt voor de volgende aanvraag.",
    ),
    SettingDefinition(
        KEY_ANSWER_ACTION,
        ABONNEMENTEN,
        "ebMS-actie van het antwoord",
        "De ebMS-actie waaraan de console het antwoord van de AbonnementService herkent. Moet "
        "gelijk zijn aan de actie in de CPA.",
        Kind.TEXT,
        DEFAULT_ANSWER_ACTION,
        unconfirmed=(
            "De naam van deze actie staat in geen enkele bron van Logius; GLOBE-R-A-Result is "
            "een afleiding. Pas hem aan zodra Logius de echte naam geeft."
        ),
        takes_effect=(
            "Geldt meteen; antwoorden met de vorige actie worden tot de volgende start ook nog "
            "herkend."
        ),
    ),
    SettingDefinition(
        KEY_WUS_ADDRESSING,
        ABONNEMENTEN,
        "WS-Addressing-kopregels (WUS)",
        "Stuurt bij een directe controle WS-Addressing-kopregels mee (zonder mustUnderstand), "
        "zoals de Digikoppeling WUS-standaard vraagt.",
        Kind.FLAG,
        True,
        unconfirmed="Of MijnOverheid deze kopregels vraagt of accepteert, is niet bevestigd.",
        takes_effect="Geldt voor de volgende controle.",
    ),
    SettingDefinition(
        KEY_KEEP_DAYS,
        ABONNEMENTEN,
        "Oude abonnementsoverzichten bewaren",
        "Hoe lang een abonnementsoverzicht zijn BSN's bewaart nadat een nieuwer volledig "
        "overzicht het vervangt. Daarna blijft alleen de samenvatting (soort, datum, aantallen) "
        "staan; de controle vooraf gebruikt altijd het nieuwste overzicht.",
        Kind.INT,
        DEFAULT_KEEP_DAYS,
        MIN_KEEP_DAYS,
        MAX_KEEP_DAYS,
        "dagen",
        takes_effect="Geldt na het volgende antwoord van de AbonnementService.",
    ),
    SettingDefinition(
        KEY_ADMINISTRATORS,
        PRIVACY,
        "Beheerders",
        "Wie het inzagelog van BSN's mag lezen (wie welk BSN bekeek, wanneer en waarom) en "
        "deze lijst mag wijzigen. Een BSN tonen met een reden mag iedereen.",
        Kind.NAMES,
        (),
        takes_effect="Geldt meteen.",
    ),
)

_BY_KEY = {d.key: d for d in DEFINITIONS}
_MISSING = object()
_RESERVED_ACTIONS = frozenset({*RESULT_ACTIONS, LETTER_REQUEST_ACTION})


def definition(key: str) -> SettingDefinition:
    """The definition of *key*; a Dutch refusal that lists the known keys otherwise."""
    found = _BY_KEY.get(key.strip())
    if found is None:
        raise NotFound(
            f"Instelling '{key}' bestaat niet. Bekende instellingen: "
            + ", ".join(d.key for d in DEFINITIONS)
            + "."
        )
    return found


# --------------------------------------------------------------------------- values


def _number(value: int) -> str:
    """Dutch thousands: 500.000."""
    return f"{value:,}".replace(",", ".")


def _megabytes(size: int) -> str:
    mb = size / MB
    text = f"{mb:.0f}" if mb == int(mb) else f"{mb:.1f}".replace(".", ",")
    return f"{text} MB"


_INT_TEXT = re.compile(r"^[+-]?\d+$")
_DECIMAL_TEXT = re.compile(r"^\d+(?:[.,]\d+)?$")
_TRUE = frozenset({"aan", "ja", "true", "1", "on", "yes"})
_FALSE = frozenset({"uit", "nee", "false", "0", "off", "no"})


def _issue(d: SettingDefinition, message: str, *, blocking: bool = True) -> FieldIssue:
    return FieldIssue(d.key, message, blocking=blocking)


def _parse_int(d: SettingDefinition, raw: Any) -> tuple[int | None, list[FieldIssue]]:
    if isinstance(raw, bool):
        return None, [_issue(d, f"{d.label}: vul een getal in ({d.allowed}).")]
    if isinstance(raw, int):
        number = raw
    else:
        text = str(raw).strip().replace(" ", "").replace("\u00a0", "")
        text = text.replace(".", "")  # Dutch thousands separator: 500.000
        if not text:
            return None, [_issue(d, f"Vul {d.label.lower()} in ({d.allowed}).")]
        if not _INT_TEXT.match(text):
            return None, [
                _issue(d, f"{d.label}: '{str(raw).strip()}' is geen geheel getal ({d.allowed}).")
            ]
        number = int(text)
    return _in_range(d, number, _number(number) + (f" {d.unit}" if d.unit else ""))


def _in_range(d: SettingDefinition, number: int, shown: str) -> tuple[int | None, list[FieldIssue]]:
    assert d.minimum is not None and d.maximum is not None
    if number < d.minimum:
        return None, [_issue(d, f"{d.label} is {shown}; minimaal {d.format(d.minimum)}.")]
    if number > d.maximum:
        return None, [_issue(d, f"{d.label} is {shown}; maximaal {d.format(d.maximum)}.")]
    return number, []


def _parse_megabytes(d: SettingDefinition, raw: Any) -> tuple[int | None, list[FieldIssue]]:
    """Bytes as a number, or megabytes as text with 'MB' ('50 MB', '12,5MB')."""
    if isinstance(raw, bool):
        return None, [_issue(d, f"{d.label}: vul een grootte in MB in ({d.allowed}).")]
    if isinstance(raw, int):
        size = raw
    else:
        text = str(raw).strip().replace(" ", "").replace("\u00a0", "")
        if not text:
            return None, [_issue(d, f"Vul {d.label.lower()} in ({d.allowed}).")]
        if text.lower().endswith("mb"):
            number = text[:-2]
            if not _DECIMAL_TEXT.match(number):
                return None, [_issue(d, f"{d.label}: '{str(raw).strip()}' is geen grootte in MB.")]
            size = round(float(number.replace(",", ".")) * MB)
        elif _INT_TEXT.match(text.replace(".", "")):
            size = int(text.replace(".", ""))
        else:
            return None, [
                _issue(
                    d,
                    f"{d.label}: '{str(raw).strip()}' is geen grootte; typ bijvoorbeeld "
                    "'50 MB' of een aantal bytes.",
                )
            ]
    return _in_range(d, size, _megabytes(size) if size >= 1000 else f"{size} bytes")


def _parse_choice(d: SettingDefinition, raw: Any) -> tuple[str | None, list[FieldIssue]]:
    text = str(raw).strip().lower()
    for c in d.choices:
        if text in (c.value, c.short.lower(), c.label.lower()):
            return c.value, []
    values = ", ".join(f"{c.value} ({c.short.lower()})" for c in d.choices)
    return None, [_issue(d, f"{d.label}: '{str(raw).strip()}' kan niet; kies {values}.")]


def _parse_text(d: SettingDefinition, raw: Any) -> tuple[str | None, list[FieldIssue]]:
    text = str(raw).strip()
    if not text:
        return None, [_issue(d, f"Vul {d.label} in: één woord zonder spaties.")]
    if any(c.isspace() for c in text):
        return None, [_issue(d, f"{d.label} mag geen spaties bevatten; het is één woord.")]
    if len(text) > MAX_ACTION_CHARS:
        return None, [_issue(d, f"{d.label} is {len(text)} tekens; maximaal {MAX_ACTION_CHARS}.")]
    if text in _RESERVED_ACTIONS:
        return None, [
            _issue(
                d,
                f"{d.label} kan niet {text} zijn: die actie gebruikt de console al voor de "
                "berichten zelf.",
            )
        ]
    return text, []


def _parse_flag(d: SettingDefinition, raw: Any) -> tuple[bool | None, list[FieldIssue]]:
    if isinstance(raw, bool):
        return raw, []
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True, []
    if text in _FALSE:
        return False, []
    return None, [_issue(d, f"{d.label}: '{str(raw).strip()}' kan niet; kies aan of uit.")]


def _parse_names(d: SettingDefinition, raw: Any) -> tuple[tuple[str, ...] | None, list[FieldIssue]]:
    items: list[str]
    if isinstance(raw, str):
        items = raw.split(",")
    elif isinstance(raw, Sequence):
        items = [part for item in raw for part in str(item).split(",")]
    else:
        return None, [_issue(d, f"{d.label}: geef een lijst van gebruikersnamen.")]
    names: dict[str, str] = {}
    for item in items:
        name = item.strip()
        if not name:
            continue
        if len(name) > MAX_NAME_CHARS:
            return None, [
                _issue(
                    d,
                    f"Gebruikersnaam '{name[:20]}…' is {len(name)} tekens; maximaal "
                    f"{MAX_NAME_CHARS}.",
                )
            ]
        if any(unicodedata.category(c).startswith("C") for c in name):
            return None, [_issue(d, f"Gebruikersnaam '{name}' bevat een stuurteken.")]
        if name.casefold() in names and names[name.casefold()] != name:
            return None, [
                _issue(
                    d,
                    f"'{names[name.casefold()]}' en '{name}' verschillen alleen in hoofdletters; "
                    "noem elke gebruiker één keer, precies zoals hij zich aanmeldt.",
                )
            ]
        names[name.casefold()] = name
    return tuple(sorted(names.values())), []


_PARSERS: dict[Kind, Callable[[SettingDefinition, Any], tuple[Any, list[FieldIssue]]]] = {
    Kind.INT: _parse_int,
    Kind.MEGABYTES: _parse_megabytes,
    Kind.CHOICE: _parse_choice,
    Kind.TEXT: _parse_text,
    Kind.FLAG: _parse_flag,
    Kind.NAMES: _parse_names,
}


def check_setting(key: str, raw: Any) -> tuple[Any, list[FieldIssue]]:
    """The value for *key* typed as *raw* (text from a field or the command line, or a typed
    value), and the problems with it. Pure: no database, safe on any thread.

    The preflight keys are then read back through ``PreflightSettings.from_mapping``: a value
    the preflight itself would not accept is refused here too.
    """
    d = definition(key)
    value, issues = _PARSERS[d.kind](d, raw)
    if issues or value is None:
        return None, issues
    if d.group == PREFLIGHT:
        used = PreflightSettings.from_mapping({d.key: value}).as_mapping()[d.key]
        if used != value:
            return None, [
                _issue(d, f"{d.label} {d.format(value)} kan niet; toegestaan: {d.allowed}.")
            ]
    return value, []


def _clamp(value: object, default: int, low: int, high: int) -> int:
    """As the outbox reads a batch limit: unusable text gives the default, numbers are clamped."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default
    return max(low, min(number, high))


def effective_value(key: str, stored: Mapping[str, Any]) -> Any:
    """What the console uses for *key*, given the stored rows: the way its reader reads it."""
    d = definition(key)
    if d.group == PREFLIGHT:
        return PreflightSettings.from_mapping(stored).as_mapping()[key]
    if key in (KEY_MAX_LETTERS, KEY_MAX_BYTES):
        return _clamp(stored.get(key, d.default), d.default, 1, int(d.maximum or d.default))
    if key == KEY_ANSWER_ACTION:
        return answer_action(stored)
    if key == KEY_REQUEST_ACTION:
        return str(stored.get(key) or d.default)
    if key == KEY_MISSING_HOURS:  # as ResultsService.missing_hours
        try:
            hours = int(stored.get(key, d.default))
        except (TypeError, ValueError):
            return d.default
        return hours if hours >= 1 else d.default
    if key == KEY_WUS_ADDRESSING:
        return bool(stored.get(key, d.default))
    if key == KEY_ADMINISTRATORS:
        value = stored.get(key, [])
        return tuple(str(v) for v in value) if isinstance(value, list) else ()
    return stored.get(key, d.default)


def _stored_for(d: SettingDefinition, value: Any) -> Any:
    """The JSON value to store (a list for names, as PrivacyService stores them)."""
    return list(value) if d.kind is Kind.NAMES else value


def _setting_value(d: SettingDefinition, stored: Mapping[str, Any]) -> SettingValue:
    used = effective_value(d.key, stored)
    problem = ""
    if d.key in stored:
        parsed, issues = check_setting(d.key, stored[d.key])
        if issues:
            problem = (
                f"In de database staat {stored[d.key]!r}; dat is ongeldig ({issues[0].message}) "
                f"De console gebruikt {d.format(used)}."
            )
        elif parsed != used:
            problem = f"De console gebruikt {d.format(used)}."
    return SettingValue(d, used, d.key in stored, problem)


# --------------------------------------------------------------------------- service


class SettingsService:
    def __init__(
        self,
        db: Database,
        *,
        paths: AppPaths | None = None,
        secrets: SecretStore | None = None,
        privacy: PrivacyService | None = None,
        on_changed: Callable[[frozenset[str]], None] | None = None,
    ) -> None:
        self._db = db
        self._paths = paths
        self._secrets = secrets
        self._privacy = privacy or PrivacyService(db)
        self.on_changed = on_changed

    @property
    def user(self) -> str:
        """Who is at the keyboard, as the privacy rules know them."""
        return self._privacy.user

    # --- reading ---
    def definitions(self) -> tuple[SettingDefinition, ...]:
        return DEFINITIONS

    def groups(self) -> tuple[SettingGroup, ...]:
        return GROUPS

    def values(self) -> tuple[SettingValue, ...]:
        with self._db.session() as s:
            stored = SettingsRepository(s).all()
        return tuple(_setting_value(d, stored) for d in DEFINITIONS)

    def get(self, key: str) -> SettingValue:
        d = definition(key)
        with self._db.session() as s:
            stored = SettingsRepository(s).all()
        return _setting_value(d, stored)

    def overview(self) -> SettingsOverview:
        """Everything the Instellingen page shows, in one go (call it off the GUI thread)."""
        return SettingsOverview(GROUPS, self.values(), self.about(), self._privacy.lookup_access())

    def about(self) -> AboutInfo:
        path = self._db.sqlite_path
        size: int | None = None
        if path is not None:
            size = sum(
                p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()
            )
        return AboutInfo(
            version=__version__,
            data_dir=self._paths.data_dir if self._paths is not None else None,
            database=self._db.describe(),
            database_bytes=size,
            schema_revision=current_revision(self._db),
            schema_head=head_revision(),
            logs_dir=self._paths.logs_dir if self._paths is not None else None,
            backups_dir=self._paths.backups_dir if self._paths is not None else None,
            key_store=self._secrets.description if self._secrets is not None else None,
            keys_persistent=self._secrets.persistent if self._secrets is not None else None,
        )

    # --- validating ---
    def validate(self, changes: Mapping[str, Any]) -> list[FieldIssue]:
        """All problems with *changes* (key -> value as typed), without storing anything.

        Besides refusals, a warning (not blocking) when an administrator list leaves out the
        user at the keyboard.
        """
        issues: list[FieldIssue] = []
        parsed: dict[str, Any] = {}
        for key, raw in changes.items():
            value, found = check_setting(key, raw)
            issues.extend(found)
            if not found:
                parsed[key] = value
        if KEY_REQUEST_ACTION in parsed or KEY_ANSWER_ACTION in parsed:
            current = {v.key: v.value for v in self.values()}
            request = parsed.get(KEY_REQUEST_ACTION, current[KEY_REQUEST_ACTION])
            answer = parsed.get(KEY_ANSWER_ACTION, current[KEY_ANSWER_ACTION])
            if request == answer:
                key = KEY_ANSWER_ACTION if KEY_ANSWER_ACTION in parsed else KEY_REQUEST_ACTION
                issues.append(
                    _issue(
                        _BY_KEY[key],
                        f"De aanvraag en het antwoord hebben elk een eigen ebMS-actie; "
                        f"{request} staat nu bij allebei.",
                    )
                )
        if KEY_ADMINISTRATORS in parsed:
            names = parsed[KEY_ADMINISTRATORS]
            if names and self.user not in names:
                issues.append(
                    _issue(
                        _BY_KEY[KEY_ADMINISTRATORS],
                        f"U ({self.user}) staat zelf niet in de lijst. Na het opslaan kunt u "
                        "het inzagelog niet meer lezen en deze lijst niet meer wijzigen.",
                        blocking=False,
                    )
                )
        return issues

    def _check_administrators(self, after: tuple[str, ...]) -> None:
        """The privacy rules: only an administrator changes the list (anyone, while nobody is
        named), and nobody removes themself."""
        access = self._privacy.lookup_access()
        if not access.allowed:
            raise NotAllowed(
                "Alleen een beheerder mag de lijst van beheerders wijzigen "
                f"({', '.join(access.administrators)}). U bent aangemeld als {access.user}."
            )
        if access.administrators and access.user not in after:
            raise NotAllowed(
                "U kunt uzelf niet als beheerder verwijderen; laat een andere beheerder dat doen."
            )

    # --- changing ---
    def save(self, changes: Mapping[str, Any], *, actor: str | None = None) -> SaveResult:
        """Validate and store *changes* (key -> value as typed) in one transaction, with one
        audit entry per setting that really changes. Nothing is stored if one value is wrong."""
        issues = self.validate(changes)
        blocking = [i for i in issues if i.blocking]
        if blocking:
            raise SettingsRefused(blocking)
        parsed = {key: check_setting(key, raw)[0] for key, raw in changes.items()}
        parsed = {definition(k).key: v for k, v in parsed.items()}
        if KEY_ADMINISTRATORS in parsed:
            current = self.get(KEY_ADMINISTRATORS).value
            if tuple(parsed[KEY_ADMINISTRATORS]) != tuple(current):
                self._check_administrators(parsed[KEY_ADMINISTRATORS])
        who = actor or audit.current_actor()
        made: list[SettingChange] = []
        with self._db.session(immediate=True) as s:
            repo = SettingsRepository(s)
            stored = repo.all()
            for key, value in parsed.items():
                d = _BY_KEY[key]
                before = effective_value(key, stored)
                if stored.get(key, _MISSING) == _stored_for(d, value) or (
                    key not in stored and before == value
                ):
                    continue  # nothing changes (a default is not pinned by saving it)
                repo.set(key, _stored_for(d, value))
                change = SettingChange(
                    key, d.label, before, value, d.format(before), d.format(value)
                )
                made.append(change)
                audit.record(
                    s,
                    actor=who,
                    action=audit.GEWIJZIGD,
                    entity=INSTELLING,
                    key=key,
                    label=d.label,
                    summary=f"Instelling {d.label} gewijzigd: {change.before_text} → "
                    f"{change.after_text}.",
                    before={key: _stored_for(d, before)},
                    after={key: _stored_for(d, value)},
                )
            s.commit()
        return self._done(tuple(made), tuple(parsed), reset=False)

    def reset(self, keys: Sequence[str], *, actor: str | None = None) -> SaveResult:
        """Back to the built-in default: the stored rows of *keys* are deleted (and audited)."""
        wanted = tuple(dict.fromkeys(definition(k).key for k in keys))
        if KEY_ADMINISTRATORS in wanted and self.get(KEY_ADMINISTRATORS).stored:
            self._check_administrators(())
        who = actor or audit.current_actor()
        made: list[SettingChange] = []
        with self._db.session(immediate=True) as s:
            repo = SettingsRepository(s)
            stored = repo.all()
            for key in wanted:
                if key not in stored:
                    continue
                d = _BY_KEY[key]
                before = effective_value(key, stored)
                repo.delete(key)
                change = SettingChange(
                    key, d.label, before, d.default, d.format(before), d.format(d.default)
                )
                made.append(change)
                audit.record(
                    s,
                    actor=who,
                    action=STANDAARD_HERSTELD,
                    entity=INSTELLING,
                    key=key,
                    label=d.label,
                    summary=f"Instelling {d.label} teruggezet op de standaardwaarde "
                    f"{change.after_text} (was {change.before_text}).",
                    before={key: stored[key]},
                    after=None,
                )
            s.commit()
        return self._done(tuple(made), wanted, reset=True)

    def _done(
        self, made: tuple[SettingChange, ...], keys: tuple[str, ...], *, reset: bool
    ) -> SaveResult:
        changed = frozenset(c.key for c in made)
        if changed and self.on_changed is not None:
            self.on_changed(changed)
        values = self.values()
        asked = tuple(v for v in values if v.key in keys)
        return SaveResult(made, asked, _message(made, reset=reset))


def _message(made: Sequence[SettingChange], *, reset: bool) -> str:
    if not made:
        return "Er was niets gewijzigd."
    parts = [f"{c.label} {c.before_text} → {c.after_text}" for c in made]
    what = "teruggezet op de standaardwaarde" if reset else "opgeslagen"
    effects = dict.fromkeys(
        _BY_KEY[c.key].takes_effect for c in made if _BY_KEY[c.key].takes_effect
    )
    text = f"Instelling{'en' if len(made) > 1 else ''} {what}: {'; '.join(parts)}."
    if effects:
        text += " " + " ".join(effects)
    return text


__all__ = [
    "DEFINITIONS",
    "GROUPS",
    "INSTELLING",
    "AboutInfo",
    "Choice",
    "Kind",
    "SaveResult",
    "SettingChange",
    "SettingDefinition",
    "SettingGroup",
    "SettingValue",
    "SettingsOverview",
    "SettingsRefused",
    "SettingsService",
    "check_setting",
    "definition",
    "effective_value",
]
