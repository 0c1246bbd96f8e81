"""Aansluiten: the impact analysis per organisation, the estimate, and the checklist from
intention to production with evidence from the console's own data.

The rules are in :mod:`console.domain.onboarding`; this service stores the answers and the
ticked-off steps as settings rows and gathers the evidence:

- ``onboarding.answers.<organisation id>``: the answers, who saved them and when;
- ``onboarding.manual.<organisation id>``: the steps ticked off by hand, with who and when;
- ``onboarding.connection_test.<connection id>``: the last connection test of the
  connection, kept by the connection test itself wherever it was started.

Evidence comes from the organisation's OIN, the connections that may send for it per
environment (certificate check, CPA), its berichttypes, its letters with a VerwerkingsCode,
its subscription snapshots and WUS checks. The report (``export_report``) is plain text or
a PDF made with ReportLab, like the evidence pack.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_ebms import CpaRecord
from console.db.models_flows import BerichtTypeStatusChange
from console.db.models_subscriptions import (
    SubscriptionCheck,
    SubscriptionRequest,
    SubscriptionSnapshot,
)
from console.db.repositories import (
    BerichtTypeRepository,
    ConnectionRepository,
    SettingsRepository,
)
from console.domain.environment import Environment
from console.domain.flow import BerichtTypeStatus, environment_text
from console.domain.letter import FieldIssue
from console.domain.oin import is_test_oin, oin_kind, oin_problem
from console.domain.onboarding import (
    NOTES,
    VARIANTS,
    Answers,
    Checklist,
    ChecklistStep,
    Estimate,
    Finding,
    ManualMark,
    Sender,
    StepState,
    VariantInfo,
    answers_from_json,
    answers_to_json,
    default_answers,
    derive_checklist,
    estimate,
    format_count,
    format_euro,
    format_percent,
    phases,
    tick_refusal,
    validate_answers,
    variant_info,
)
from console.domain.verwerkingscode import VerwerkingsCode, explain
from console.services import audit
from console.services.connection_test import LAST_RESULT_KEY
from console.services.errors import ConfigRefused, NotFound, ServiceError
from console.services.pdf_report import build_pdf, report_style

KEY_ANSWERS = "onboarding.answers.{organisation_id}"
KEY_MANUAL = "onboarding.manual.{organisation_id}"
KEY_CONNECTION_TEST = LAST_RESULT_KEY  # kept by the connection test itself
AUDIT_ENTITY = "aansluiten"

# The page keys of the main window the steps link to, with their Dutch names.
PAGE_NAMES = {
    "overzicht": "Overzicht",
    "berichten": "Berichten",
    "verzenden": "Verzenden",
    "stromen": "Stromen",
    "organisaties": "Organisaties",
    "certificaten": "Certificaten",
    "aansluiten": "Aansluiten",
    "instellingen": "Instellingen",
}


# --- what the UI and CLI get ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganisationChoice:
    id: int
    name: str
    oin: str
    kind: str


@dataclass(frozen=True, slots=True)
class SavedAnswers:
    answers: Answers
    saved: bool  # False: not answered yet; ``answers`` is the first version to start from
    saved_by: str = ""
    saved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """The estimate for answers that are being typed, with what is wrong with them."""

    issues: tuple[FieldIssue, ...]
    estimate: Estimate


@dataclass(frozen=True, slots=True)
class ConnectionTarget:
    """The connection the checklist's connection test runs on."""

    connection_id: int
    name: str
    environment: Environment


@dataclass(frozen=True, slots=True)
class OnboardingOverview:
    organisation: OrganisationChoice
    answers: SavedAnswers
    issues: tuple[FieldIssue, ...]
    estimate: Estimate
    variants: tuple[VariantInfo, ...]
    chosen: VariantInfo
    checklist: Checklist
    notes: tuple[str, ...]
    share_hint: str | None  # what the newest subscription snapshot says, if any
    connection_test_target: ConnectionTarget | None


@dataclass(frozen=True, slots=True)
class _Conn:
    id: int
    name: str
    environment: Environment
    owned: bool  # the organisation owns it (else: it sends for it as an intermediary)
    cpa_record_id: int | None
    active: bool


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%d-%m-%Y %H:%M")


def _day(moment: datetime) -> str:
    return moment.astimezone().strftime("%d-%m-%Y")


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class OnboardingService:
    """The Aansluiten page and ``onboarding`` command; see the module docstring."""

    def __init__(
        self,
        db: Database,
        *,
        certificates: Any = None,  # CertificateService: check_connection(connection, organisation)
        connection_test: Any = None,  # ConnectionTestService: run(connection, on_step=...)
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._db = db
        self._certificates = certificates
        self._connection_test = connection_test
        self._clock = clock or (lambda: datetime.now(UTC))

    # -- organisations -----------------------------------------------------------------------

    def organisations(self) -> list[OrganisationChoice]:
        with self._db.session() as s:
            rows = s.scalars(
                select(m.Organisation).order_by(m.Organisation.name, m.Organisation.id)
            )
            return [OrganisationChoice(o.id, o.name, o.oin, str(o.kind)) for o in rows]

    def find_organisation(self, ref: int | str | None) -> OrganisationChoice:
        """By number, OIN or name (None: the first organisation); a Dutch message if absent."""
        choices = self.organisations()
        if not choices:
            raise NotFound(
                "Er is nog geen organisatie. Voeg uw organisatie toe bij Organisaties "
                "(of met 'berichtenbox-console org add')."
            )
        if ref is None:
            return choices[0]
        text = str(ref).strip()
        for o in choices:
            if (text.isdigit() and len(text) < 20 and o.id == int(text)) or o.oin == text:
                return o
        for o in choices:
            if o.name.casefold() == text.casefold():
                return o
        raise NotFound(
            f"Organisatie '{ref}' bestaat niet. Zoek met het nummer, het OIN of de naam "
            "(zie 'org list')."
        )

    def _organisation(self, s: Session, organisation_id: int) -> m.Organisation:
        org = s.get(m.Organisation, organisation_id)
        if org is None:
            raise NotFound(f"Organisatie {organisation_id} bestaat niet.")
        return org

    # -- answers -----------------------------------------------------------------------------

    def answers(self, organisation_id: int) -> SavedAnswers:
        with self._db.session() as s:
            org = self._organisation(s, organisation_id)
            return self._saved(s, org)

    @staticmethod
    def _saved(s: Session, org: m.Organisation) -> SavedAnswers:
        row = SettingsRepository(s).get(KEY_ANSWERS.format(organisation_id=org.id))
        if not isinstance(row, dict) or not isinstance(row.get("answers"), dict):
            return SavedAnswers(default_answers(str(org.kind)), False)
        return SavedAnswers(
            answers_from_json(row["answers"]),
            True,
            str(row.get("by") or ""),
            _parse_time(row.get("at")),
        )

    def preview(self, answers: Answers) -> Preview:
        """What is wrong with *answers* and the estimate they give (nothing is stored)."""
        return Preview(tuple(validate_answers(answers)), estimate(answers))

    def save_answers(
        self, organisation_id: int, answers: Answers, *, actor: str | None = None
    ) -> SavedAnswers:
        issues = validate_answers(answers)
        if any(i.blocking for i in issues):
            raise ConfigRefused("De impactanalyse", issues)
        who = actor or audit.current_actor()
        now = self._clock()
        with self._db.session() as s:
            org = self._organisation(s, organisation_id)
            settings = SettingsRepository(s)
            key = KEY_ANSWERS.format(organisation_id=org.id)
            before = settings.get(key)
            data = answers_to_json(answers)
            settings.set(key, {"answers": data, "by": who, "at": now.isoformat()})
            audit.record(
                s,
                actor=who,
                action=audit.GEWIJZIGD if before else audit.AANGEMAAKT,
                entity=AUDIT_ENTITY,
                key=org.id,
                label=org.name,
                summary=f"Impactanalyse van {org.name} opgeslagen.",
                before=before.get("answers") if isinstance(before, dict) else None,
                after=data,
                at=now,
            )
            s.commit()
        return SavedAnswers(answers, True, who, now)

    # -- manual steps ------------------------------------------------------------------------

    def _marks(self, s: Session, organisation_id: int) -> dict[str, ManualMark]:
        raw = SettingsRepository(s).get(KEY_MANUAL.format(organisation_id=organisation_id))
        out: dict[str, ManualMark] = {}
        if isinstance(raw, dict):
            for key, value in raw.items():
                if isinstance(value, dict) and (at := _parse_time(value.get("at"))) is not None:
                    out[str(key)] = ManualMark(
                        str(value.get("by") or ""), at, str(value.get("note") or "")
                    )
        return out

    def set_manual(
        self,
        organisation_id: int,
        step: str,
        done: bool = True,
        *,
        actor: str | None = None,
        note: str = "",
    ) -> Checklist:
        """Tick a step off (or undo it). Steps with evidence in the console are refused."""
        who = actor or audit.current_actor()
        now = self._clock()
        with self._db.session() as s:
            org = self._organisation(s, organisation_id)
            saved = self._saved(s, org)
            refusal = tick_refusal(step, saved.answers if saved.saved else None)
            if refusal:
                raise ServiceError(refusal)
            settings = SettingsRepository(s)
            key = KEY_MANUAL.format(organisation_id=org.id)
            raw = settings.get(key)
            marks = dict(raw) if isinstance(raw, dict) else {}
            if done:
                marks[step] = {"by": who, "at": now.isoformat(), "note": note.strip()[:500]}
            else:
                marks.pop(step, None)
            settings.set(key, marks)
            audit.record(
                s,
                actor=who,
                action=audit.GEWIJZIGD,
                entity=AUDIT_ENTITY,
                key=org.id,
                label=org.name,
                summary=(
                    f"Stap '{step}' van {org.name} afgevinkt."
                    if done
                    else f"Afvinken van stap '{step}' van {org.name} ongedaan gemaakt."
                ),
                at=now,
            )
            s.commit()
        return self.checklist(organisation_id)

    # -- the connection test -----------------------------------------------------------------

    def _connections(self, s: Session, organisation_id: int) -> list[_Conn]:
        # Inactive connections too: a CPA or letters on them are still evidence.
        conns = ConnectionRepository(s).list_for_organisation(organisation_id)
        out = [
            _Conn(
                c.id,
                c.name,
                c.environment,
                c.owner_organisation_id == organisation_id,
                c.cpa_record_id,
                c.active,
            )
            for c in conns
        ]
        return sorted(out, key=lambda c: (not c.active, not c.owned, c.name))

    def connection_test_target(
        self, organisation_id: int, environment: Environment = Environment.PREPROD
    ) -> ConnectionTarget | None:
        with self._db.session() as s:
            self._organisation(s, organisation_id)
            conns = [
                c for c in self._connections(s, organisation_id) if c.environment is environment
            ]
        if not conns:
            return None
        return ConnectionTarget(conns[0].id, conns[0].name, environment)

    def run_connection_test(
        self,
        organisation_id: int,
        *,
        environment: Environment = Environment.PREPROD,
        on_step: Callable[[Any], None] | None = None,
        actor: str | None = None,
    ) -> Any:
        """Run the connection test on the organisation's connection for *environment*; the test
        keeps its outcome, the checklist's evidence. Returns the ConnectionTestResult."""
        if self._connection_test is None:
            raise ServiceError("De verbindingstest is hier niet beschikbaar.")
        target = self.connection_test_target(organisation_id, environment)
        if target is None:
            raise ServiceError(
                f"Er is nog geen koppeling voor {environment_text(environment)} die voor deze "
                "organisatie verstuurt. Maak die eerst bij Organisaties, met de CPA van Logius."
            )
        return self._connection_test.run(target.connection_id, on_step=on_step, actor=actor)

    # -- the checklist -----------------------------------------------------------------------

    def checklist(self, organisation_id: int) -> Checklist:
        with self._db.session() as s:
            org = self._organisation(s, organisation_id)
            saved = self._saved(s, org)
            marks = self._marks(s, org.id)
            findings = self._findings(s, org, saved)
        findings.update(self._certificate_findings(organisation_id))
        return derive_checklist(saved.answers if saved.saved else None, findings, marks)

    def overview(self, organisation_id: int) -> OnboardingOverview:
        """Everything the Aansluiten page shows for one organisation, in one call."""
        with self._db.session() as s:
            org = self._organisation(s, organisation_id)
            choice = OrganisationChoice(org.id, org.name, org.oin, str(org.kind))
            saved = self._saved(s, org)
            hint = self._share_hint(s, org.id)
        checklist = self.checklist(organisation_id)
        return OnboardingOverview(
            organisation=choice,
            answers=saved,
            issues=tuple(validate_answers(saved.answers)),
            estimate=estimate(saved.answers),
            variants=VARIANTS,
            chosen=variant_info(saved.answers.variant),
            checklist=checklist,
            notes=NOTES,
            share_hint=hint,
            connection_test_target=self.connection_test_target(organisation_id),
        )

    def _findings(self, s: Session, org: m.Organisation, saved: SavedAnswers) -> dict[str, Finding]:
        answers = saved.answers
        conns = self._connections(s, org.id)
        by_env = {env: [c for c in conns if c.environment is env] for env in Environment}
        out: dict[str, Finding] = {}

        if saved.saved:
            total = sum(k.letters_per_year for k in answers.letter_kinds)
            out["impactanalyse"] = Finding(
                True,
                (
                    f"Opgeslagen door {saved.saved_by} op {_when(saved.saved_at)}: "
                    f"{len(answers.letter_kinds)} soorten brieven, {format_count(total)} brieven "
                    f"per jaar.",
                    f"Aansluitvariant: {answers.variant.label}. Verzending: "
                    f"{answers.sender.label}.",
                ),
            )
        out["oin"] = self._oin_finding(org)
        if saved.saved and answers.digid.value == "ja":
            out["digid"] = Finding(
                True, ("Volgens de impactanalyse is uw organisatie al op DigiD aangesloten.",)
            )
        for env, suffix in ((Environment.PREPROD, "preprod"), (Environment.PRODUCTIE, "productie")):
            out[f"cpa_{suffix}"] = self._cpa_finding(s, by_env[env], env)
            out[f"berichttypes_{suffix}"] = self._berichttype_finding(s, org.id, env)
        out["verbindingstest_preprod"] = self._test_finding(s, by_env[Environment.PREPROD])
        if finding := self._letter_finding(
            s, org.id, by_env[Environment.SIMULATOR], Environment.SIMULATOR, any_code=True
        ):
            out["testbericht_simulator"] = finding
        if finding := self._letter_finding(
            s, org.id, by_env[Environment.PREPROD], Environment.PREPROD
        ):
            out["testbericht_preprod"] = finding
        if finding := self._letter_finding(
            s,
            org.id,
            by_env[Environment.PREPROD],
            Environment.PREPROD,
            code=VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD,
        ):
            out["niet_geabonneerd_preprod"] = finding
        if finding := self._letter_finding(
            s, org.id, by_env[Environment.PRODUCTIE], Environment.PRODUCTIE
        ):
            out["eerste_productiebericht"] = finding
        out["abonnementen"] = self._subscription_finding(s, org.id)
        if answers.sender is Sender.LEVERANCIER:
            # Nothing the console found is missing evidence: the supplier holds it.
            out = {k: v for k, v in out.items() if v.done or v.problem or v.evidence}
        return out

    @staticmethod
    def _oin_finding(org: m.Organisation) -> Finding:
        problem = oin_problem(org.oin)
        if problem:
            return Finding(False, (f"OIN in de console: '{org.oin}'.",), problem=problem)
        if is_test_oin(org.oin):
            return Finding(
                False,
                (f"OIN {org.oin} is een test-OIN (begint met 00000099): alleen voor testen.",),
                next_step="Vraag een echt OIN aan bij Logius (OIN-register) en vul het in bij "
                "Organisaties.",
            )
        return Finding(True, (f"OIN {org.oin} ({oin_kind(org.oin)}).",))

    def _certificate_findings(self, organisation_id: int) -> dict[str, Finding]:
        if self._certificates is None:
            return {}
        with self._db.session() as s:
            conns = self._connections(s, organisation_id)
        out: dict[str, Finding] = {}
        for env, key in (
            (Environment.PREPROD, "certificaat_preprod"),
            (Environment.PRODUCTIE, "certificaat_productie"),
        ):
            in_env = [c for c in conns if c.environment is env]
            if not in_env:
                out[key] = Finding(False, next_step=_no_connection(env))
                continue
            reports = [self._certificates.check_connection(c.id, organisation_id) for c in in_env]
            good = next((r for r in reports if r.ok), None)
            if good is not None:
                lines = [
                    f"Certificaat {good.certificate_label}: OIN {good.oin_certificate}, nog "
                    f"{good.days_left} dagen geldig (koppeling {good.connection_name})."
                ]
                lines += [i.message for i in good.issues]  # not blocking: e.g. expiring soon
                out[key] = Finding(True, tuple(lines))
                continue
            with_cert = next((r for r in reports if r.oin_certificate or r.certificate_label), None)
            if with_cert is not None:
                out[key] = Finding(
                    False,
                    (
                        f"Certificaat {with_cert.certificate_label} (koppeling "
                        f"{with_cert.connection_name}).",
                    ),
                    problem=" ".join(i.message for i in with_cert.blocking),
                )
            else:
                out[key] = Finding(
                    False,
                    next_step=f"Koppeling {reports[0].connection_name} heeft nog geen "
                    "clientcertificaat. Importeer het PKIoverheid-certificaat bij Certificaten en "
                    "koppel het aan deze koppeling.",
                )
        return out

    def _cpa_finding(self, s: Session, conns: Sequence[_Conn], env: Environment) -> Finding:
        if not conns:
            return Finding(False, next_step=_no_connection(env))
        now = self._clock()
        problems: list[str] = []
        last_line = ""
        for c in conns:
            record = s.get(CpaRecord, c.cpa_record_id) if c.cpa_record_id else None
            if record is None:
                continue
            line = (
                f"CPA {record.cpa_id} (koppeling {c.name}): status {record.status}, geldig van "
                f"{_day(record.start_at)} tot {_day(record.end_at)}; geïmporteerd op "
                f"{_when(record.imported_at)}"
                + (f" door {record.imported_by}." if record.imported_by else ".")
            )
            if record.status != "agreed":
                problems.append(
                    f"De CPA {record.cpa_id} heeft status '{record.status}', niet 'agreed'. "
                    "Gebruik de definitieve CPA van Logius."
                )
            elif now >= record.end_at:
                problems.append(
                    f"De CPA {record.cpa_id} is verlopen op {_day(record.end_at)}. Vraag Logius "
                    "om een nieuwe CPA en importeer die bij Organisaties."
                )
            elif now < record.start_at:
                problems.append(
                    f"De CPA {record.cpa_id} is pas geldig vanaf {_day(record.start_at)}."
                )
            else:
                return Finding(True, (line,))
            last_line = line
        if problems:
            return Finding(False, (last_line,), problem=problems[0])
        names = ", ".join(c.name for c in conns)
        return Finding(
            False,
            next_step=f"Koppeling {names} heeft nog geen CPA. Importeer de CPA die u van Logius "
            "krijgt bij Organisaties.",
        )

    @staticmethod
    def _berichttype_finding(s: Session, organisation_id: int, env: Environment) -> Finding:
        """From the berichttypes and their status history (no letter counts: those are slow
        on a big message log and say nothing here)."""
        items = BerichtTypeRepository(s).list_for_organisation(organisation_id)
        where = environment_text(env)
        active = [b for b in items if b.status_for(env) is BerichtTypeStatus.ACTIEF]
        if active:
            lines = []
            for b in active:
                change = s.scalars(
                    select(BerichtTypeStatusChange)
                    .where(
                        BerichtTypeStatusChange.berichttype_id == b.id,
                        BerichtTypeStatusChange.environment == env,
                    )
                    .order_by(BerichtTypeStatusChange.at.desc(), BerichtTypeStatusChange.id.desc())
                    .limit(1)
                ).first()
                since = f" sinds {_when(change.at)} (door {change.actor})" if change else ""
                lines.append(f"{b.code} ({b.name}): actief in {where}{since}.")
            return Finding(True, tuple(lines))
        if items:
            codes = ", ".join(b.code for b in items)
            return Finding(
                False,
                next_step=f"Berichttype(s) {codes} zijn nog niet actief in {where}. Activeer ze "
                f"in het Leveranciersportaal en leg bij Stromen vast dat ze in {where} actief zijn.",
            )
        return Finding(
            False,
            next_step="Er is nog geen berichttype voor deze organisatie. Maak het aan bij Stromen "
            "met dezelfde code als in het Leveranciersportaal.",
        )

    def _test_finding(self, s: Session, conns: Sequence[_Conn]) -> Finding:
        settings = SettingsRepository(s)
        runs = []
        for c in conns:
            record = settings.get(KEY_CONNECTION_TEST.format(connection_id=c.id))
            if isinstance(record, dict) and (at := _parse_time(record.get("at"))) is not None:
                runs.append((at, record))
        if not runs:
            return Finding(False)
        at, record = max(runs, key=lambda r: r[0])
        line = (
            f"Verbindingstest op {_when(at)} door {record.get('by') or '-'} (koppeling "
            f"{record.get('connection')}): {record.get('summary')}"
        )
        if record.get("ok"):
            return Finding(True, (line,))
        failed = [
            f"{st.get('title')}: {st.get('detail')}"
            for st in record.get("steps") or []
            if isinstance(st, dict) and st.get("status") == "failed"
        ]
        return Finding(False, (line,), problem=failed[0] if failed else str(record.get("summary")))

    def _letter_finding(
        self,
        s: Session,
        organisation_id: int,
        conns: Sequence[_Conn],
        env: Environment,
        *,
        code: VerwerkingsCode = VerwerkingsCode.VERWERKT,
        any_code: bool = False,
    ) -> Finding | None:
        """Letters of the organisation over *conns* with a result: the newest with *code*
        (with *any_code*: with any code) is the evidence."""
        if not conns:
            return Finding(False, next_step=_no_connection(env))
        names = {c.id: c.name for c in conns}

        def newest(*conditions: Any) -> Any:
            # Only the columns the evidence names: a row of a letter, never its content.
            return s.execute(
                select(
                    m.Letter.id,
                    m.Letter.bericht_id,
                    m.Letter.created_at,
                    m.Letter.result_at,
                    m.Letter.updated_at,
                    m.Letter.verwerkings_code,
                    m.Letter.connection_id,
                )
                .where(
                    m.Letter.organisation_id == organisation_id,
                    m.Letter.connection_id.in_(list(names)),
                    *conditions,
                )
                .order_by(m.Letter.created_at.desc(), m.Letter.id.desc())
                .limit(1)
            ).first()

        def line(letter: Any) -> str:
            return (
                f"BerichtID {letter.bericht_id}: verstuurd op {_when(letter.created_at)}, "
                f"resultaat {letter.verwerkings_code} ontvangen op "
                f"{_when(letter.result_at or letter.updated_at)} ({env.label}, koppeling "
                f"{names.get(letter.connection_id, '?')})."
            )

        with_code = m.Letter.verwerkings_code.is_not(None)
        wanted = newest(with_code) if any_code else newest(m.Letter.verwerkings_code == code.value)
        if wanted is not None:
            lines = [line(wanted)]
            if any_code:  # also show the other outcome a test should cover, if it is there
                for other in (VerwerkingsCode.VERWERKT, VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD):
                    extra = newest(m.Letter.verwerkings_code == other.value)
                    if extra is not None and extra.id != wanted.id:
                        lines.append(line(extra))
            return Finding(True, tuple(lines))
        latest = newest(with_code)
        if latest is not None and code is VerwerkingsCode.VERWERKT:
            explained = explain(latest.verwerkings_code or "")
            detail = (
                f"{explained.explanation} {explained.next_step}" if explained is not None else ""
            )
            return Finding(
                False,
                (line(latest),),
                problem=f"Het laatste bericht kreeg {latest.verwerkings_code}. {detail}".strip(),
            )
        waiting = newest(m.Letter.verwerkings_code.is_(None))
        if waiting is not None:
            return Finding(
                False,
                (
                    f"BerichtID {waiting.bericht_id}: verstuurd op {_when(waiting.created_at)}; "
                    "wacht nog op het resultaat.",
                ),
            )
        return None

    def _subscription_finding(self, s: Session, organisation_id: int) -> Finding:
        snap = s.scalars(
            select(SubscriptionSnapshot)
            .where(SubscriptionSnapshot.organisation_id == organisation_id)
            .order_by(SubscriptionSnapshot.received_at.desc(), SubscriptionSnapshot.id.desc())
            .limit(1)
        ).first()
        check = s.scalars(
            select(SubscriptionCheck)
            .where(
                SubscriptionCheck.organisation_id == organisation_id,
                SubscriptionCheck.outcome == "ok",
            )
            .order_by(SubscriptionCheck.at.desc(), SubscriptionCheck.id.desc())
            .limit(1)
        ).first()
        lines: list[str] = []
        if snap is not None:
            env = ""
            if snap.request_id is not None:
                env_value = s.scalar(
                    select(m.Connection.environment)
                    .join(SubscriptionRequest, SubscriptionRequest.connection_id == m.Connection.id)
                    .where(SubscriptionRequest.id == snap.request_id)
                )
                env = f" ({Environment(env_value).label})" if env_value is not None else ""
            lines.append(
                f"Abonnementsoverzicht (ABS, {snap.soort}) van {_when(snap.peil_datum)}, "
                f"ingelezen op {_when(snap.received_at)}: {format_count(snap.subscribed_count)} "
                f"burgers met abonnement{env}."
            )
        if check is not None:
            count = len([b for b in check.bsns.split(",") if b])
            lines.append(
                f"Directe controle (WUS) op {_when(check.at)} door {check.actor}: berichttype "
                f"{check.berichttype}, {count} BSN('s)."
            )
        if snap is not None and check is not None:
            return Finding(True, tuple(lines))
        if snap is None and check is None:
            return Finding(False)
        missing = (
            "Doe nog een directe controle (WUS): menu Berichten › Abonnement van een burger "
            "controleren."
            if check is None
            else "Vraag nog een abonnementsoverzicht op (ABS): berichtenbox-console "
            "subscriptions request volledig."
        )
        return Finding(False, tuple(lines), next_step=missing)

    def _share_hint(self, s: Session, organisation_id: int) -> str | None:
        snap = s.scalars(
            select(SubscriptionSnapshot)
            .where(
                SubscriptionSnapshot.organisation_id == organisation_id,
                SubscriptionSnapshot.soort == "volledig",
            )
            .order_by(SubscriptionSnapshot.peil_datum.desc())
            .limit(1)
        ).first()
        if snap is None:
            return None
        return (
            f"Volgens het abonnementsoverzicht van {_day(snap.peil_datum)} ontvangen "
            f"{format_count(snap.subscribed_count)} burgers digitale post van uw organisatie. "
            "Deel dat door het aantal burgers aan wie u schrijft voor een eigen percentage."
        )

    # -- the report --------------------------------------------------------------------------

    def report_blocks(self, organisation_id: int, *, now: datetime | None = None) -> list[Block]:
        ov = self.overview(organisation_id)
        return build_report_blocks(ov, now=now or self._clock(), made_by=audit.current_actor())

    def report_text(self, organisation_id: int, *, now: datetime | None = None) -> str:
        return render_text(self.report_blocks(organisation_id, now=now))

    def export_report(
        self, organisation_id: int, path: Path, *, now: datetime | None = None
    ) -> Path:
        """Write the report as PDF (``.pdf``) or plain text (anything else, UTF-8)."""
        if not path.parent.is_dir():
            raise ServiceError(f"De map {path.parent} bestaat niet. Kies een andere map.")
        blocks = self.report_blocks(organisation_id, now=now)
        data = (
            render_pdf(blocks)
            if path.suffix.lower() == ".pdf"
            else render_text(blocks).encode("utf-8")
        )
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise ServiceError(
                f"Het verslag kon niet worden opgeslagen in {path}: {exc.strerror or exc}. "
                "Kies een andere map of sluit het bestand als het nog open staat."
            ) from exc
        return path


def _no_connection(env: Environment) -> str:
    where = environment_text(env)
    if env is Environment.SIMULATOR:
        return (
            "Er is geen koppeling met de simulator die voor deze organisatie verstuurt. Voeg de "
            "organisatie toe aan de koppeling Demo-simulator bij Organisaties, of maak een "
            "koppeling met de simulator."
        )
    return (
        f"Er is nog geen koppeling voor {where} die voor deze organisatie verstuurt. Maak die bij "
        "Organisaties en importeer de CPA van Logius."
    )


# --- the report as blocks, as text and as PDF -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of the report: ``title``, ``heading``, ``subheading``, ``text``, ``muted``,
    ``pair`` (label and value) or ``step`` (state, title, details)."""

    kind: str
    text: str
    value: str = ""
    lines: tuple[str, ...] = ()
    tone: str = ""


def _money_or(value: Decimal | None, empty: str = "niet ingevuld") -> str:
    return empty if value is None else format_euro(value)


def build_report_blocks(ov: OnboardingOverview, *, now: datetime, made_by: str) -> list[Block]:
    a = ov.answers.answers
    e = ov.estimate
    org = ov.organisation
    b: list[Block] = [
        Block("title", "Verslag: aansluiten op de MijnOverheid Berichtenbox"),
        Block(
            "muted",
            f"{org.name} (OIN {org.oin}). Gemaakt op {_when(now)} door {made_by} met de "
            "Berichtenbox console. Bedragen en aantallen komen uit de antwoorden van uw "
            "organisatie; de console kent geen tarieven van Logius of leveranciers.",
        ),
        Block("heading", "1. Impactanalyse"),
    ]
    saved = (
        f"Opgeslagen door {ov.answers.saved_by} op {_when(ov.answers.saved_at)}."
        if ov.answers.saved
        else "Nog niet opgeslagen: dit zijn de beginwaarden van de console."
    )
    b.append(Block("muted", saved))
    b.append(Block("pair", "Soort organisatie", a.organisation_type.label))
    for kind in a.letter_kinds:
        b.append(
            Block("pair", f"Brieven per jaar: {kind.name}", format_count(kind.letters_per_year))
        )
    if not a.letter_kinds:
        b.append(Block("pair", "Brieven per jaar", "nog geen soorten brieven"))
    b.append(Block("pair", "Aandeel digitaal", format_percent(a.digital_share_percent)))
    b.append(Block("pair", "Kosten per brief", _money_or(a.cost_per_letter)))
    b.append(Block("pair", "Aansluitvariant", a.variant.label))
    b.append(Block("pair", "Verzending", a.sender.label))
    b.append(Block("pair", "Al aangesloten op DigiD", a.digid.label))

    b.append(Block("heading", "2. Schatting van kosten en baten"))
    b.append(Block("pair", "Brieven per jaar", format_count(e.letters_per_year)))
    b.append(Block("pair", "Naar de Berichtenbox per jaar", format_count(e.digital_per_year)))
    b.append(Block("pair", "Blijft op papier per jaar", format_count(e.paper_per_year)))
    b.append(
        Block(
            "pair",
            "Per maand (voor het aanvraagformulier)",
            f"{format_count(e.letters_per_month)} brieven, waarvan naar verwachting "
            f"{format_count(e.digital_per_month)} digitaal",
        )
    )
    b.append(Block("pair", "Besparing per jaar", _money_or(e.gross_saving_per_year)))
    for item in e.recurring_items:
        b.append(Block("pair", item.title, _money_or(item.amount), lines=(item.assumption,)))
    b.append(Block("pair", "Netto besparing per jaar", _money_or(e.net_saving_per_year)))
    b.append(Block("subheading", "Eenmalige inspanning"))
    for item in e.one_off_items:
        b.append(Block("pair", item.title, _money_or(item.amount), lines=(item.assumption,)))
    b.append(Block("pair", "Eenmalig totaal (ingevuld)", format_euro(e.one_off_total)))
    b.append(Block("pair", "Terugverdientijd", e.payback_text))
    b.append(Block("subheading", "Aannames"))
    b += [Block("text", f"- {x}") for x in e.assumptions]
    if e.missing:
        b.append(Block("subheading", "Nog in te vullen"))
        b += [Block("text", f"- {x}") for x in e.missing]

    b.append(Block("heading", f"3. Aansluitvariant: {ov.chosen.title}"))
    b.append(Block("text", ov.chosen.summary))
    b += [Block("text", f"- {need}") for need in ov.chosen.needs]
    b.append(Block("muted", ov.chosen.console_role))

    c = ov.checklist
    b.append(Block("heading", f"4. Checklist: {c.done} van {c.total} stappen gedaan"))
    for phase, steps in phases(c):
        b.append(Block("subheading", phase.label))
        b += [_step_block(st) for st in steps]

    b.append(Block("heading", "Let op"))
    b += [Block("text", n) for n in ov.notes]
    return b


def _step_block(st: ChecklistStep) -> Block:
    found = "Bewijs" if st.state is StepState.DONE else "Gevonden"
    lines = [f"{found}: {x}" for x in st.evidence]
    if st.mark is not None:
        lines.append(
            f"Afgevinkt door {st.mark.by} op {_when(st.mark.at)}"
            + (f": {st.mark.note}" if st.mark.note else ".")
        )
    if st.problem:
        lines.append(f"Probleem: {st.problem}")
    if st.state is not StepState.DONE and st.next_step:
        where = f" (pagina {PAGE_NAMES[st.page]})" if st.page in PAGE_NAMES else ""
        lines.append(f"Volgende stap: {st.next_step}{where}")
    return Block("step", st.title, value=st.state.label, lines=tuple(lines), tone=st.tone)


def render_text(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for blk in blocks:
        if blk.kind == "title":
            out += [blk.text, "=" * len(blk.text)]
        elif blk.kind == "heading":
            out += ["", blk.text, "-" * len(blk.text)]
        elif blk.kind == "subheading":
            out += ["", blk.text]
        elif blk.kind == "pair":
            out.append(f"  {blk.text}: {blk.value}")
            out += [f"      {line}" for line in blk.lines]
        elif blk.kind == "step":
            out.append(f"  [{blk.value}] {blk.text}")
            out += [f"      {line}" for line in blk.lines]
        else:
            out.append(blk.text)
    return "\n".join(out) + "\n"


def render_pdf(blocks: Sequence[Block]) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    style = report_style()
    body, small, h1, h2, h3 = style.body, style.small, style.h1, style.h2, style.h3
    width, p = style.width, style.p
    tones = {"green": "#1A5E31", "amber": "#6B4500", "red": "#9A1C14", "grey": "#3B4149"}
    flow: list[Any] = []
    pairs: list[list[Any]] = []

    def flush() -> None:
        if pairs:
            flow.append(style.table(pairs, [70 * mm, width - 70 * mm]))
            pairs.clear()

    for blk in blocks:
        if blk.kind == "pair":
            value = [p(blk.value)] + [p(line, small) for line in blk.lines]
            pairs.append([p(blk.text, small), value])
            continue
        flush()
        if blk.kind == "title":
            flow.append(p(blk.text, h1))
        elif blk.kind == "heading":
            flow.append(p(blk.text, h2))
        elif blk.kind == "subheading":
            flow.append(p(blk.text, h3))
        elif blk.kind == "muted":
            flow.append(p(blk.text, small))
        elif blk.kind == "step":
            colour = tones.get(blk.tone, tones["grey"])
            head = Paragraph(
                f'<font color="{colour}"><b>[{escape(blk.value)}]</b></font> {escape(blk.text)}',
                body,
            )
            flow.append(
                KeepTogether([head, *[p(line, small) for line in blk.lines], Spacer(1, 2 * mm)])
            )
        else:
            flow.append(p(blk.text))
    flush()

    return build_pdf(
        flow,
        title="Verslag aansluiten op de MijnOverheid Berichtenbox",
        subject="Impactanalyse, schatting en checklist",
        footer="Verslag aansluiten",
    )


# --- JSON for the command line --------------------------------------------------------------


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _step_json(st: ChecklistStep) -> dict[str, Any]:
    return {
        "key": st.key,
        "phase": st.phase.value,
        "title": st.title,
        "state": st.state.value,
        "evidence": list(st.evidence),
        "problem": st.problem,
        "next_step": st.next_step,
        "page": st.page,
        "tickable": st.tickable,
        "ticked_by": st.mark.by if st.mark else None,
        "ticked_at": st.mark.at.isoformat() if st.mark else None,
    }


def checklist_json(c: Checklist) -> dict[str, Any]:
    return {"done": c.done, "total": c.total, "steps": [_step_json(st) for st in c.steps]}


def estimate_json(e: Estimate) -> dict[str, Any]:
    def item(i: Any) -> dict[str, Any]:
        return {
            "key": i.key,
            "title": i.title,
            "amount": _dec(i.amount),
            "assumption": i.assumption,
        }

    return {
        "kinds": [
            {
                "name": k.name,
                "letters_per_year": k.letters_per_year,
                "digital_per_year": k.digital_per_year,
                "paper_per_year": k.paper_per_year,
                "saving_per_year": _dec(k.saving_per_year),
            }
            for k in e.kinds
        ],
        "letters_per_year": e.letters_per_year,
        "digital_per_year": e.digital_per_year,
        "paper_per_year": e.paper_per_year,
        "letters_per_month": e.letters_per_month,
        "digital_per_month": e.digital_per_month,
        "digital_share_percent": _dec(e.digital_share_percent),
        "cost_per_letter": _dec(e.cost_per_letter),
        "gross_saving_per_year": _dec(e.gross_saving_per_year),
        "recurring": [item(i) for i in e.recurring_items],
        "recurring_per_year": _dec(e.recurring_per_year),
        "net_saving_per_year": _dec(e.net_saving_per_year),
        "one_off": [item(i) for i in e.one_off_items],
        "one_off_total": _dec(e.one_off_total),
        "payback_months": e.payback_months,
        "payback_text": e.payback_text,
        "assumptions": list(e.assumptions),
        "missing": list(e.missing),
    }


def overview_json(ov: OnboardingOverview) -> dict[str, Any]:
    return {
        "organisation": {
            "id": ov.organisation.id,
            "name": ov.organisation.name,
            "oin": ov.organisation.oin,
        },
        "answers": {
            **answers_to_json(ov.answers.answers),
            "saved": ov.answers.saved,
            "saved_by": ov.answers.saved_by or None,
            "saved_at": ov.answers.saved_at.isoformat() if ov.answers.saved_at else None,
        },
        "issues": [
            {"field": i.field, "message": i.message, "blocking": i.blocking} for i in ov.issues
        ],
        "estimate": estimate_json(ov.estimate),
        "variant": {
            "chosen": ov.chosen.variant.value,
            "title": ov.chosen.title,
            "needs": list(ov.chosen.needs),
        },
        "checklist": checklist_json(ov.checklist),
        "notes": list(ov.notes),
    }
