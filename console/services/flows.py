"""Berichtstromen: per organisation, from one source system, with a default berichttype, a
cadence (continuous or batches with volume and peak days), a paper/digital policy, portal and
payment links, and letter templates with placeholders (rules in :mod:`console.domain.flow`).

A flow is never deleted (its history stays in the audit log and in the letters it made): it is
deactivated. Templates can be removed; the audit log keeps what they said.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from console.db import models as m
from console.db.database import Database
from console.db.models_flows import Flow, FlowPeak, FlowTemplate
from console.domain.environment import Environment
from console.domain.flow import (
    BerichtTypeStatus,
    Cadence,
    DeliveryPolicy,
    FlowLinks,
    RenderedLetter,
    flow_name_problem,
    https_url_problem,
    placeholders,
    render_template,
    template_issues,
    volume_problem,
)
from console.domain.letter import FieldIssue, LetterDraft
from console.services import audit
from console.services.errors import ConfigRefused, NotFound

F_NAAM = "Naam"
F_ORGANISATIE = "Organisatie"
F_BRONSYSTEEM = "Bronsysteem"
F_BERICHTTYPE = "Berichttype"
F_KOPPELING = "Koppeling"
F_CADANS = "Cadans"
F_VOLUME = "Volume"
F_BELEID = "Beleid"
F_PORTAAL = "Portaaladres"
F_BETAAL = "Betaaladres"
F_PIEKEN = "Piekdagen"

SOURCE_MAX = 200
PEAK_NOTE_MAX = 200


@dataclass(frozen=True, slots=True)
class PeakInput:
    day: date
    expected_letters: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class TemplateInput:
    name: str
    onderwerp: str
    berichttekst: str = ""
    berichttype: str | None = None  # None: the flow's default berichttype


@dataclass(frozen=True, slots=True)
class FlowInput:
    organisation_id: int
    name: str
    source_system: str = ""
    default_berichttype: str | None = None
    connection_id: int | None = None
    cadence: str = Cadence.CONTINU.value
    volume_per_month: int | None = None
    delivery_policy: str = DeliveryPolicy.DIGITAAL_ANDERS_PAPIER.value
    portal_url: str = ""
    payment_url: str = ""
    peaks: tuple[PeakInput, ...] = ()
    active: bool = True


@dataclass(frozen=True, slots=True)
class TemplateDetail:
    id: int
    flow_id: int
    name: str
    berichttype: str | None
    effective_berichttype: str | None
    onderwerp: str
    berichttekst: str
    placeholders: tuple[str, ...]
    issues: tuple[FieldIssue, ...]
    updated_at: datetime
    updated_by: str

    def input(self) -> TemplateInput:
        return TemplateInput(self.name, self.onderwerp, self.berichttekst, self.berichttype)


@dataclass(frozen=True, slots=True)
class FlowDetail:
    id: int
    organisation_id: int
    organisation_name: str
    organisation_oin: str
    name: str
    source_system: str
    default_berichttype: str | None
    connection_id: int | None
    connection_name: str
    environments: tuple[Environment, ...]  # where its letters go
    berichttype_status: tuple[tuple[Environment, BerichtTypeStatus | None], ...]
    cadence: Cadence
    volume_per_month: int | None
    delivery_policy: DeliveryPolicy
    portal_url: str
    payment_url: str
    active: bool
    peaks: tuple[PeakInput, ...]
    templates: tuple[TemplateDetail, ...]
    created_at: datetime
    updated_at: datetime
    updated_by: str

    @property
    def links(self) -> FlowLinks:
        return FlowLinks(self.portal_url, self.payment_url)

    def input(self) -> FlowInput:
        return FlowInput(
            organisation_id=self.organisation_id,
            name=self.name,
            source_system=self.source_system,
            default_berichttype=self.default_berichttype,
            connection_id=self.connection_id,
            cadence=self.cadence.value,
            volume_per_month=self.volume_per_month,
            delivery_policy=self.delivery_policy.value,
            portal_url=self.portal_url,
            payment_url=self.payment_url,
            peaks=self.peaks,
            active=self.active,
        )


@dataclass(frozen=True, slots=True)
class RenderedTemplate:
    flow_id: int
    template: str
    berichttype: str | None
    letter: RenderedLetter
    issues: tuple[FieldIssue, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.letter.ok and not any(i.blocking for i in self.issues)


def snapshot(flow: Flow) -> dict[str, Any]:
    return {
        "naam": flow.name,
        "bronsysteem": flow.source_system,
        "berichttype": flow.default_berichttype,
        "koppeling": flow.connection_id,
        "cadans": str(flow.cadence),
        "volume_per_maand": flow.volume_per_month,
        "beleid": str(flow.delivery_policy),
        "portaaladres": flow.portal_url,
        "betaaladres": flow.payment_url,
        "actief": flow.active,
        "piekdagen": [
            {"datum": p.day.isoformat(), "aantal": p.expected_letters, "omschrijving": p.note}
            for p in sorted(flow.peaks, key=lambda p: p.day)
        ],
    }


def template_snapshot(t: FlowTemplate) -> dict[str, Any]:
    return {
        "naam": t.name,
        "berichttype": t.berichttype,
        "onderwerp": t.onderwerp,
        "berichttekst": t.berichttekst,
    }


class FlowService:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reading -----------------------------------------------------------------------------

    def list_all(
        self, organisation_id: int | None = None, *, include_inactive: bool = True
    ) -> list[FlowDetail]:
        with self._db.session() as s:
            query = (
                select(Flow)
                .join(m.Organisation, m.Organisation.id == Flow.organisation_id)
                .order_by(m.Organisation.name, Flow.name)
            )
            if organisation_id is not None:
                query = query.where(Flow.organisation_id == organisation_id)
            if not include_inactive:
                query = query.where(Flow.active.is_(True))
            query = query.options(selectinload(Flow.templates), selectinload(Flow.peaks))
            types: _Types = {}
            return [self._detail(s, f, types) for f in s.scalars(query)]

    def get(self, flow_id: int) -> FlowDetail:
        with self._db.session() as s:
            return self._detail(s, self._get(s, flow_id))

    def find(self, ref: int | str, organisation: int | str | None = None) -> FlowDetail:
        """A flow by id, or by name (within *organisation* when the name is not unique)."""
        from console.services.organisations import OrganisationService

        with self._db.session() as s:
            if isinstance(ref, int) or ref.isdigit():
                return self._detail(s, self._get(s, int(ref)))
            query = select(Flow).where(func.lower(Flow.name) == ref.strip().lower())
            if organisation is not None:
                org = OrganisationService._find(s, organisation)
                query = query.where(Flow.organisation_id == org.id)
            found = list(s.scalars(query))
            if not found:
                raise NotFound(f"Berichtstroom '{ref}' bestaat niet (zie 'flow list').")
            if len(found) > 1:
                raise NotFound(
                    f"Er zijn {len(found)} berichtstromen met de naam '{ref}'; noem ook de "
                    "organisatie (--organisatie)."
                )
            return self._detail(s, found[0])

    @staticmethod
    def _get(s: Session, flow_id: int) -> Flow:
        flow = s.get(Flow, flow_id)
        if flow is None:
            raise NotFound(f"Berichtstroom {flow_id} bestaat niet.")
        return flow

    def _detail(self, s: Session, flow: Flow, types: _Types | None = None) -> FlowDetail:
        from console.services.berichttypes import BerichtTypeService

        types = {} if types is None else types
        org = s.get_one(m.Organisation, flow.organisation_id)
        conn = s.get(m.Connection, flow.connection_id) if flow.connection_id else None
        envs = tuple(sorted(BerichtTypeService._flow_environments(s, flow), key=_env_order))
        known = _types_of(s, org.id, types)
        bt = known.get(flow.default_berichttype) if flow.default_berichttype else None
        links = FlowLinks(flow.portal_url, flow.payment_url)
        return FlowDetail(
            id=flow.id,
            organisation_id=org.id,
            organisation_name=org.name,
            organisation_oin=org.oin,
            name=flow.name,
            source_system=flow.source_system,
            default_berichttype=flow.default_berichttype,
            connection_id=flow.connection_id,
            connection_name=conn.name if conn is not None else "",
            environments=envs,
            berichttype_status=tuple(
                (env, BerichtTypeStatus(bt.status_for(env)) if bt is not None else None)
                for env in envs
            ),
            cadence=Cadence(flow.cadence),
            volume_per_month=flow.volume_per_month,
            delivery_policy=DeliveryPolicy(flow.delivery_policy),
            portal_url=flow.portal_url,
            payment_url=flow.payment_url,
            active=flow.active,
            peaks=tuple(PeakInput(p.day, p.expected_letters, p.note) for p in flow.peaks),
            templates=tuple(
                self._template_detail(s, flow, t, links, types) for t in flow.templates
            ),
            created_at=flow.created_at,
            updated_at=flow.updated_at,
            updated_by=flow.updated_by,
        )

    def _template_detail(
        self,
        s: Session,
        flow: Flow,
        t: FlowTemplate,
        links: FlowLinks,
        types: _Types | None = None,
    ) -> TemplateDetail:
        data = TemplateInput(t.name, t.onderwerp, t.berichttekst, t.berichttype)
        return TemplateDetail(
            id=t.id,
            flow_id=flow.id,
            name=t.name,
            berichttype=t.berichttype,
            effective_berichttype=t.berichttype or flow.default_berichttype,
            onderwerp=t.onderwerp,
            berichttekst=t.berichttekst,
            placeholders=tuple(placeholders(t.onderwerp) + placeholders(t.berichttekst)),
            issues=tuple(self._template_issues(s, flow, data, links, t.id, types)),
            updated_at=t.updated_at,
            updated_by=t.updated_by,
        )

    # -- validation --------------------------------------------------------------------------

    def validate(self, data: FlowInput, flow_id: int | None = None) -> list[FieldIssue]:
        with self._db.session() as s:
            return self._issues(s, data, flow_id)

    def _issues(self, s: Session, data: FlowInput, flow_id: int | None) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        org = s.get(m.Organisation, data.organisation_id)
        if org is None:
            issues.append(FieldIssue(F_ORGANISATIE, "Kies de organisatie van de berichtstroom."))
        elif data.active and not org.active:
            issues.append(
                FieldIssue(
                    F_ORGANISATIE,
                    f"{org.name} is gedeactiveerd; een actieve berichtstroom heeft een actieve "
                    "organisatie nodig.",
                )
            )
        if (problem := flow_name_problem(data.name.strip())) is not None:
            issues.append(FieldIssue(F_NAAM, problem))
        elif org is not None:
            clash = s.scalar(
                select(Flow.id).where(
                    Flow.organisation_id == org.id,
                    func.lower(Flow.name) == data.name.strip().lower(),
                    Flow.id != (flow_id or -1),
                )
            )
            if clash is not None:
                issues.append(
                    FieldIssue(
                        F_NAAM, f"{org.name} heeft al een berichtstroom '{data.name.strip()}'."
                    )
                )
        if flow_id is not None:
            current = s.get(Flow, flow_id)
            if current is not None and current.organisation_id != data.organisation_id:
                issues.append(
                    FieldIssue(
                        F_ORGANISATIE,
                        "Een berichtstroom blijft bij haar organisatie; maak een nieuwe aan bij "
                        "de andere organisatie.",
                    )
                )
        if len(data.source_system) > SOURCE_MAX:
            issues.append(
                FieldIssue(
                    F_BRONSYSTEEM,
                    f"Het bronsysteem is {len(data.source_system)} tekens; maximaal {SOURCE_MAX}.",
                )
            )
        code = (data.default_berichttype or "").strip()
        if code and org is not None:
            exists = s.scalar(
                select(m.BerichtType.id).where(
                    m.BerichtType.organisation_id == org.id, m.BerichtType.code == code
                )
            )
            if exists is None:
                issues.append(
                    FieldIssue(
                        F_BERICHTTYPE,
                        f"{org.name} heeft geen berichttype {code}. Maak het aan bij "
                        "Stromen → Berichttypes, of kies een bestaand berichttype.",
                    )
                )
        elif not code:
            issues.append(
                FieldIssue(
                    F_BERICHTTYPE,
                    "Er is geen standaardberichttype: elk sjabloon moet dan zelf een "
                    "berichttype noemen.",
                    blocking=False,
                )
            )
        if data.connection_id is not None:
            conn = s.get(m.Connection, data.connection_id)
            if conn is None:
                issues.append(
                    FieldIssue(F_KOPPELING, f"Koppeling {data.connection_id} bestaat niet.")
                )
            elif org is not None:
                allowed = {conn.owner_organisation_id, *(o.id for o in conn.organisations)}
                if org.id not in allowed:
                    issues.append(
                        FieldIssue(
                            F_KOPPELING,
                            f"Koppeling {conn.name} mag niet versturen voor {org.name}. Voeg "
                            f"{org.name} toe bij de organisaties van de koppeling, of kies een "
                            "andere koppeling.",
                        )
                    )
        try:
            Cadence(data.cadence)
        except ValueError:
            issues.append(
                FieldIssue(
                    F_CADANS, f"Cadans '{data.cadence}' bestaat niet; kies continu of batches."
                )
            )
        if (problem := volume_problem(data.volume_per_month)) is not None:
            issues.append(FieldIssue(F_VOLUME, problem))
        try:
            DeliveryPolicy(data.delivery_policy)
        except ValueError:
            choices = ", ".join(p.value for p in DeliveryPolicy)
            issues.append(
                FieldIssue(
                    F_BELEID, f"Beleid '{data.delivery_policy}' bestaat niet; kies {choices}."
                )
            )
        for fld, url, what in (
            (F_PORTAAL, data.portal_url.strip(), "portaaladres"),
            (F_BETAAL, data.payment_url.strip(), "betaaladres"),
        ):
            if (problem := https_url_problem(url, what)) is not None:
                issues.append(FieldIssue(fld, problem))
        seen: set[date] = set()
        for p in data.peaks:
            if p.day in seen:
                issues.append(
                    FieldIssue(F_PIEKEN, f"Piekdag {p.day:%d-%m-%Y} staat er twee keer in.")
                )
            seen.add(p.day)
            if p.expected_letters is not None and p.expected_letters < 0:
                issues.append(
                    FieldIssue(
                        F_PIEKEN, f"Het aantal op piekdag {p.day:%d-%m-%Y} kan niet negatief zijn."
                    )
                )
            if len(p.note) > PEAK_NOTE_MAX:
                issues.append(
                    FieldIssue(
                        F_PIEKEN,
                        f"De omschrijving van piekdag {p.day:%d-%m-%Y} is {len(p.note)} tekens; "
                        f"maximaal {PEAK_NOTE_MAX}.",
                    )
                )
        if flow_id is not None:
            current = s.get(Flow, flow_id)
            if current is not None:
                for t in current.templates:
                    used = placeholders(t.onderwerp) + placeholders(t.berichttekst)
                    if "betaallink" in used and not data.payment_url.strip():
                        issues.append(
                            FieldIssue(
                                F_BETAAL,
                                f"Sjabloon {t.name} gebruikt {{{{betaallink}}}}; het betaaladres "
                                "kan daarom niet leeg zijn.",
                            )
                        )
                    if "portaallink" in used and not data.portal_url.strip():
                        issues.append(
                            FieldIssue(
                                F_PORTAAL,
                                f"Sjabloon {t.name} gebruikt {{{{portaallink}}}}; het "
                                "portaaladres kan daarom niet leeg zijn.",
                            )
                        )
                    if not t.berichttype and not code:
                        issues.append(
                            FieldIssue(
                                F_BERICHTTYPE,
                                f"Sjabloon {t.name} noemt geen berichttype; kies een "
                                "standaardberichttype.",
                            )
                        )
        return issues

    def validate_template(
        self, flow_id: int, data: TemplateInput, template_id: int | None = None
    ) -> list[FieldIssue]:
        with self._db.session() as s:
            flow = self._get(s, flow_id)
            return self._template_issues(
                s, flow, data, FlowLinks(flow.portal_url, flow.payment_url), template_id
            )

    def _template_issues(
        self,
        s: Session,
        flow: Flow,
        data: TemplateInput,
        links: FlowLinks,
        template_id: int | None,
        types: _Types | None = None,
    ) -> list[FieldIssue]:
        issues = template_issues(data.onderwerp, data.berichttekst, links, name=data.name.strip())
        wanted = data.name.strip().lower()
        clash = any(
            t.id != template_id and t.name.lower() == wanted for t in flow.templates if t.id
        )
        if clash and wanted:
            issues.append(
                FieldIssue(
                    "Naam", f"Deze berichtstroom heeft al een sjabloon '{data.name.strip()}'."
                )
            )
        code = (data.berichttype or "").strip()
        if code:
            if code not in _types_of(s, flow.organisation_id, {} if types is None else types):
                issues.append(
                    FieldIssue(
                        F_BERICHTTYPE,
                        f"Berichttype {code} bestaat niet bij deze organisatie.",
                    )
                )
        elif not flow.default_berichttype:
            issues.append(
                FieldIssue(
                    F_BERICHTTYPE,
                    "Kies een berichttype: de berichtstroom heeft geen standaardberichttype.",
                )
            )
        return issues

    # -- changes -----------------------------------------------------------------------------

    def create(self, data: FlowInput, *, actor: str | None = None) -> FlowDetail:
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            issues = self._issues(s, data, None)
            if any(i.blocking for i in issues):
                raise ConfigRefused("De berichtstroom", issues)
            now = datetime.now(UTC)
            flow = Flow(
                organisation_id=data.organisation_id,
                created_at=now,
                updated_at=now,
                updated_by=who,
            )
            self._write(flow, data)
            s.add(flow)
            s.flush()
            org = s.get_one(m.Organisation, flow.organisation_id)
            audit.record(
                s,
                actor=who,
                action=audit.AANGEMAAKT,
                entity=audit.BERICHTSTROOM,
                key=flow.id,
                label=f"{flow.name} ({org.name})",
                after=snapshot(flow),
                at=now,
            )
            s.commit()
            return self._detail(s, flow)

    def update(self, flow_id: int, data: FlowInput, *, actor: str | None = None) -> FlowDetail:
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            flow = self._get(s, flow_id)
            issues = self._issues(s, data, flow.id)
            if any(i.blocking for i in issues):
                raise ConfigRefused(f"Berichtstroom {flow.name}", issues)
            before = snapshot(flow)
            self._write(flow, data)
            s.flush()
            after = snapshot(flow)
            if after != before:
                flow.updated_by = who
                flow.updated_at = datetime.now(UTC)
                org = s.get_one(m.Organisation, flow.organisation_id)
                audit.record(
                    s,
                    actor=who,
                    action=audit.GEWIJZIGD,
                    entity=audit.BERICHTSTROOM,
                    key=flow.id,
                    label=f"{flow.name} ({org.name})",
                    before=before,
                    after=after,
                )
            s.commit()
            return self._detail(s, flow)

    @staticmethod
    def _write(flow: Flow, data: FlowInput) -> None:
        flow.name = data.name.strip()
        flow.source_system = data.source_system.strip()
        flow.default_berichttype = (data.default_berichttype or "").strip() or None
        flow.connection_id = data.connection_id
        flow.cadence = Cadence(data.cadence)
        flow.volume_per_month = data.volume_per_month
        flow.delivery_policy = DeliveryPolicy(data.delivery_policy)
        flow.portal_url = data.portal_url.strip()
        flow.payment_url = data.payment_url.strip()
        flow.active = data.active
        wanted = {p.day: p for p in data.peaks}
        for peak in list(flow.peaks):
            if peak.day not in wanted:
                flow.peaks.remove(peak)
        have = {p.day: p for p in flow.peaks}
        for day, p in sorted(wanted.items()):
            row = have.get(day)
            if row is None:
                flow.peaks.append(
                    FlowPeak(day=day, expected_letters=p.expected_letters, note=p.note.strip())
                )
            else:
                row.expected_letters, row.note = p.expected_letters, p.note.strip()

    def set_active(self, flow_id: int, active: bool, *, actor: str | None = None) -> FlowDetail:
        return self.update(flow_id, replace(self.get(flow_id).input(), active=active), actor=actor)

    def save_template(
        self,
        flow_id: int,
        data: TemplateInput,
        *,
        template_id: int | None = None,
        actor: str | None = None,
    ) -> TemplateDetail:
        """Create (template_id None) or change a template; refused when it breaks a rule."""
        who = actor or audit.current_actor()
        now = datetime.now(UTC)
        with self._db.session(immediate=True) as s:
            flow = self._get(s, flow_id)
            links = FlowLinks(flow.portal_url, flow.payment_url)
            issues = self._template_issues(s, flow, data, links, template_id)
            if any(i.blocking for i in issues):
                raise ConfigRefused("Het sjabloon", issues)
            if template_id is None:
                t = FlowTemplate(flow_id=flow.id)
                s.add(t)
                before = None
            else:
                found = s.get(FlowTemplate, template_id)
                if found is None or found.flow_id != flow.id:
                    raise NotFound(f"Sjabloon {template_id} bestaat niet bij {flow.name}.")
                t = found
                before = template_snapshot(t)
            t.name = data.name.strip()
            t.onderwerp = data.onderwerp
            t.berichttekst = data.berichttekst
            t.berichttype = (data.berichttype or "").strip() or None
            after = template_snapshot(t)
            if after != before:
                t.updated_at = now
                t.updated_by = who
                audit.record(
                    s,
                    actor=who,
                    action=audit.AANGEMAAKT if before is None else audit.GEWIJZIGD,
                    entity=audit.SJABLOON,
                    key=f"{flow.id}/{t.name}",
                    label=f"{t.name} ({flow.name})",
                    before=before,
                    after=after,
                    at=now,
                )
            s.flush()
            s.commit()
            return self._template_detail(s, flow, t, links)

    def delete_template(self, template_id: int, *, actor: str | None = None) -> None:
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            t = s.get(FlowTemplate, template_id)
            if t is None:
                raise NotFound(f"Sjabloon {template_id} bestaat niet.")
            flow = self._get(s, t.flow_id)
            audit.record(
                s,
                actor=who,
                action=audit.VERWIJDERD,
                entity=audit.SJABLOON,
                key=f"{flow.id}/{t.name}",
                label=f"{t.name} ({flow.name})",
                before=template_snapshot(t),
            )
            s.delete(t)
            s.commit()

    # -- using a template --------------------------------------------------------------------

    def render(self, flow_id: int, template: int | str, values: dict[str, str]) -> RenderedTemplate:
        """Fill in a template with *values* (e.g. naam, referentie, bedrag) and check it."""
        detail = self.get(flow_id)
        t = next(
            (
                t
                for t in detail.templates
                if (isinstance(template, int) and t.id == template)
                or (isinstance(template, str) and t.name.lower() == template.strip().lower())
            ),
            None,
        )
        if t is None:
            names = ", ".join(t.name for t in detail.templates) or "geen"
            raise NotFound(
                f"Berichtstroom {detail.name} heeft geen sjabloon '{template}' (wel: {names})."
            )
        letter = render_template(t.onderwerp, t.berichttekst, values, detail.links)
        extra: list[FieldIssue] = [i for i in t.issues if i.blocking]
        return RenderedTemplate(detail.id, t.name, t.effective_berichttype, letter, tuple(extra))

    def draft(
        self, flow_id: int, template: int | str, bsn: str, values: dict[str, str]
    ) -> LetterDraft:
        """A letter from a template, ready for the letter service (which checks it again)."""
        rendered = self.render(flow_id, template, values)
        if not rendered.ok:
            issues = [*rendered.letter.issues, *rendered.issues]
            raise ConfigRefused(
                f"Het bericht uit sjabloon {rendered.template}", [i for i in issues if i.blocking]
            )
        return LetterDraft(
            bsn=bsn,
            berichttype=rendered.berichttype or "",
            onderwerp=rendered.letter.onderwerp,
            berichttekst=rendered.letter.berichttekst,
            referentie=values.get("referentie", "")[:25],
        )


_Types = dict[int, dict[str, m.BerichtType]]  # organisation id -> code -> berichttype


def _types_of(s: Session, organisation_id: int, cache: _Types) -> dict[str, m.BerichtType]:
    """The organisation's berichttypes by code, loaded once per listing."""
    found = cache.get(organisation_id)
    if found is None:
        found = {
            bt.code: bt
            for bt in s.scalars(
                select(m.BerichtType).where(m.BerichtType.organisation_id == organisation_id)
            )
        }
        cache[organisation_id] = found
    return found


def _env_order(env: Environment) -> int:
    return list(Environment).index(env)
