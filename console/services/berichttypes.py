"""Berichttypes: code, naam, omschrijving en een status per omgeving, met wie en wanneer.

The lifecycle rules are in :mod:`console.domain.flow`. The drift check lists berichttypes that
flows or waiting letters use but that are not active in the environment they go to, before
anything is sent (BerichtTypeNietOndersteund is then the certain outcome).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_flows import BerichtTypeStatusChange, Flow, FlowTemplate
from console.domain import environment_guard
from console.domain.environment import Environment
from console.domain.flow import (
    BerichtTypeStage,
    BerichtTypeStatus,
    berichttype_code_problem,
    berichttype_stage,
    duplicate_code_problem,
    environment_text,
    status_change_problem,
)
from console.domain.letter import FieldIssue
from console.domain.lifecycle import FINAL, LetterStatus
from console.services import audit
from console.services.errors import ConfigRefused, DeleteRefused, NotFound

NAME_MAX = 200
DESCRIPTION_MAX = 2000

F_CODE = "Code"
F_NAAM = "Naam"
F_OMSCHRIJVING = "Omschrijving"
F_ORGANISATIE = "Organisatie"
F_STATUS = "Status"


@dataclass(frozen=True, slots=True)
class BerichtTypeInput:
    organisation_id: int
    code: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class StatusChange:
    environment: Environment
    old: BerichtTypeStatus | None
    new: BerichtTypeStatus
    at: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class BerichtTypeDetail:
    id: int
    organisation_id: int
    organisation_name: str
    organisation_oin: str
    code: str
    name: str
    description: str
    status_simulator: BerichtTypeStatus
    status_preprod: BerichtTypeStatus
    status_productie: BerichtTypeStatus
    stage: BerichtTypeStage
    updated_at: datetime
    updated_by: str
    history: tuple[StatusChange, ...]
    used_by_flows: tuple[str, ...]
    letter_count: int

    def status_for(self, environment: Environment) -> BerichtTypeStatus:
        return {
            Environment.SIMULATOR: self.status_simulator,
            Environment.PREPROD: self.status_preprod,
            Environment.PRODUCTIE: self.status_productie,
        }[environment]

    def last_change(self, environment: Environment) -> StatusChange | None:
        changes = [h for h in self.history if h.environment is environment]
        return changes[-1] if changes else None


@dataclass(frozen=True, slots=True)
class DriftItem:
    """A berichttype that is used but not active where it will be sent."""

    organisation_id: int
    organisation_name: str
    code: str
    environment: Environment
    status: BerichtTypeStatus | None  # None: the berichttype does not exist at all
    used_by: tuple[str, ...]  # "berichtstroom Aanslag", "3 berichten in de wachtrij"

    @property
    def message(self) -> str:
        where = environment_text(self.environment)
        state = (
            "bestaat niet" if self.status is None else f"is {self.status.label.lower()} in {where}"
        )
        return (
            f"Berichttype {self.code} van {self.organisation_name} {state}, maar wordt gebruikt "
            f"door {', '.join(self.used_by)}. MijnOverheid weigert die berichten "
            f"(BerichtTypeNietOndersteund). Activeer het berichttype voor {where}."
        )


def snapshot(bt: m.BerichtType) -> dict[str, Any]:
    return {
        "code": bt.code,
        "naam": bt.name,
        "omschrijving": bt.description,
        "status": {
            "simulator": str(bt.status_simulator),
            "preprod": str(bt.status_preprod),
            "productie": str(bt.status_productie),
        },
    }


def _statuses(bt: m.BerichtType) -> dict[Environment, BerichtTypeStatus]:
    return {env: BerichtTypeStatus(bt.status_for(env)) for env in Environment}


def codes_used_by_flows(s: Session, organisation_id: int) -> dict[str, list[str]]:
    """code -> names of the flows (and their templates) that use it."""
    used: dict[str, list[str]] = {}
    for flow in s.scalars(select(Flow).where(Flow.organisation_id == organisation_id)):
        if flow.default_berichttype:
            used.setdefault(flow.default_berichttype, []).append(flow.name)
        for t in flow.templates:
            if t.berichttype:
                used.setdefault(t.berichttype, []).append(f"{flow.name} (sjabloon {t.name})")
    return used


class BerichtTypeService:
    def __init__(
        self,
        db: Database,
        *,
        on_simulator_change: Callable[[str, list[str]], None] | None = None,
    ) -> None:
        self._db = db
        # (organisation OIN, active codes) after a change in the simulator environment: the
        # built-in simulator plays the Leveranciersportaal, so it learns about it at once.
        self.on_simulator_change = on_simulator_change

    # -- reading -----------------------------------------------------------------------------

    def list_all(self, organisation_id: int | None = None) -> list[BerichtTypeDetail]:
        with self._db.session() as s:
            query = (
                select(m.BerichtType)
                .join(m.Organisation, m.Organisation.id == m.BerichtType.organisation_id)
                .order_by(m.Organisation.name, m.BerichtType.code)
            )
            if organisation_id is not None:
                query = query.where(m.BerichtType.organisation_id == organisation_id)
            return [self._detail(s, bt) for bt in s.scalars(query)]

    def get(self, berichttype_id: int) -> BerichtTypeDetail:
        with self._db.session() as s:
            return self._detail(s, self._get(s, berichttype_id))

    def find(self, organisation: int | str, code: str) -> BerichtTypeDetail:
        """By organisation (id, OIN or name) and code."""
        from console.services.organisations import OrganisationService

        with self._db.session() as s:
            org = OrganisationService._find(s, organisation)
            bt = s.scalar(
                select(m.BerichtType).where(
                    m.BerichtType.organisation_id == org.id, m.BerichtType.code == code
                )
            )
            if bt is None:
                raise NotFound(f"{org.name} heeft geen berichttype {code}.")
            return self._detail(s, bt)

    @staticmethod
    def _get(s: Session, berichttype_id: int) -> m.BerichtType:
        bt = s.get(m.BerichtType, berichttype_id)
        if bt is None:
            raise NotFound(f"Berichttype {berichttype_id} bestaat niet.")
        return bt

    def _detail(self, s: Session, bt: m.BerichtType) -> BerichtTypeDetail:
        org = s.get_one(m.Organisation, bt.organisation_id)
        history = tuple(
            StatusChange(c.environment, c.old_status, c.new_status, c.at, c.actor)
            for c in s.scalars(
                select(BerichtTypeStatusChange)
                .where(BerichtTypeStatusChange.berichttype_id == bt.id)
                .order_by(BerichtTypeStatusChange.at, BerichtTypeStatusChange.id)
            )
        )
        statuses = _statuses(bt)
        return BerichtTypeDetail(
            id=bt.id,
            organisation_id=org.id,
            organisation_name=org.name,
            organisation_oin=org.oin,
            code=bt.code,
            name=bt.name,
            description=bt.description,
            status_simulator=statuses[Environment.SIMULATOR],
            status_preprod=statuses[Environment.PREPROD],
            status_productie=statuses[Environment.PRODUCTIE],
            stage=berichttype_stage(statuses[Environment.PREPROD], statuses[Environment.PRODUCTIE]),
            updated_at=bt.updated_at,
            updated_by=bt.updated_by,
            history=history,
            used_by_flows=tuple(codes_used_by_flows(s, org.id).get(bt.code, [])),
            letter_count=self._letter_count(s, org.id, bt.code),
        )

    @staticmethod
    def _letter_count(s: Session, organisation_id: int, code: str) -> int:
        return int(
            s.scalar(
                select(func.count(m.Letter.id)).where(
                    m.Letter.organisation_id == organisation_id, m.Letter.berichttype == code
                )
            )
            or 0
        )

    # -- validation --------------------------------------------------------------------------

    def validate(
        self, data: BerichtTypeInput, berichttype_id: int | None = None
    ) -> list[FieldIssue]:
        with self._db.session() as s:
            return self._issues(s, data, berichttype_id)

    def _issues(
        self, s: Session, data: BerichtTypeInput, berichttype_id: int | None
    ) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        org = s.get(m.Organisation, data.organisation_id)
        if org is None:
            issues.append(FieldIssue(F_ORGANISATIE, "Kies de organisatie van het berichttype."))
        code = data.code.strip()
        if (problem := berichttype_code_problem(code)) is not None:
            issues.append(FieldIssue(F_CODE, problem))
        elif org is not None:
            others = s.scalars(
                select(m.BerichtType.code).where(
                    m.BerichtType.organisation_id == org.id,
                    m.BerichtType.id != (berichttype_id or -1),
                )
            )
            if (problem := duplicate_code_problem(code, others, org.name)) is not None:
                issues.append(FieldIssue(F_CODE, problem))
        if berichttype_id is not None:
            current = s.get(m.BerichtType, berichttype_id)
            if (
                current is not None
                and current.code != code
                and self._letter_count(s, current.organisation_id, current.code)
            ):
                issues.append(
                    FieldIssue(
                        F_CODE,
                        f"Met code {current.code} zijn al berichten verstuurd; de code kan "
                        "daarom niet meer veranderen. Maak een nieuw berichttype aan en "
                        f"deactiveer {current.code}.",
                    )
                )
            if current is not None and current.organisation_id != data.organisation_id:
                issues.append(
                    FieldIssue(
                        F_ORGANISATIE,
                        "Een berichttype blijft bij zijn organisatie; maak een nieuw "
                        "berichttype aan bij de andere organisatie.",
                    )
                )
        name = data.name.strip()
        if not name:
            issues.append(FieldIssue(F_NAAM, "Vul een naam in voor het berichttype."))
        elif len(name) > NAME_MAX:
            issues.append(
                FieldIssue(F_NAAM, f"De naam is {len(name)} tekens; maximaal {NAME_MAX}.")
            )
        if len(data.description) > DESCRIPTION_MAX:
            issues.append(
                FieldIssue(
                    F_OMSCHRIJVING,
                    f"De omschrijving is {len(data.description)} tekens; maximaal "
                    f"{DESCRIPTION_MAX}.",
                )
            )
        return issues

    # -- changes -----------------------------------------------------------------------------

    def create(self, data: BerichtTypeInput, *, actor: str | None = None) -> BerichtTypeDetail:
        """A new berichttype starts as concept in every environment."""
        who = actor or audit.current_actor()
        now = datetime.now(UTC)
        with self._db.session(immediate=True) as s:
            issues = self._issues(s, data, None)
            if any(i.blocking for i in issues):
                raise ConfigRefused("Het berichttype", issues)
            bt = m.BerichtType(
                organisation_id=data.organisation_id,
                code=data.code.strip(),
                name=data.name.strip(),
                description=data.description.strip(),
                status_simulator=BerichtTypeStatus.CONCEPT,
                status_preprod=BerichtTypeStatus.CONCEPT,
                status_productie=BerichtTypeStatus.CONCEPT,
                updated_at=now,
                updated_by=who,
            )
            s.add(bt)
            s.flush()
            org = s.get_one(m.Organisation, bt.organisation_id)
            audit.record(
                s,
                actor=who,
                action=audit.AANGEMAAKT,
                entity=audit.BERICHTTYPE,
                key=f"{org.oin}/{bt.code}",
                label=f"{bt.code} ({org.name})",
                after=snapshot(bt),
                at=now,
            )
            s.commit()
            return self._detail(s, bt)

    def update(
        self, berichttype_id: int, data: BerichtTypeInput, *, actor: str | None = None
    ) -> BerichtTypeDetail:
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            bt = self._get(s, berichttype_id)
            issues = self._issues(s, data, bt.id)
            if any(i.blocking for i in issues):
                raise ConfigRefused(f"Berichttype {bt.code}", issues)
            before = snapshot(bt)
            old_code = bt.code
            bt.code = data.code.strip()
            bt.name = data.name.strip()
            bt.description = data.description.strip()
            after = snapshot(bt)
            if after != before:
                bt.updated_by = who
                bt.updated_at = datetime.now(UTC)
                if old_code != bt.code:  # flows follow the renamed code
                    for flow in s.scalars(
                        select(Flow).where(
                            Flow.organisation_id == bt.organisation_id,
                            Flow.default_berichttype == old_code,
                        )
                    ):
                        flow.default_berichttype = bt.code
                    for t in s.scalars(
                        select(FlowTemplate)
                        .join(Flow, Flow.id == FlowTemplate.flow_id)
                        .where(
                            Flow.organisation_id == bt.organisation_id,
                            FlowTemplate.berichttype == old_code,
                        )
                    ):
                        t.berichttype = bt.code
                org = s.get_one(m.Organisation, bt.organisation_id)
                audit.record(
                    s,
                    actor=who,
                    action=audit.GEWIJZIGD,
                    entity=audit.BERICHTTYPE,
                    key=f"{org.oin}/{bt.code}",
                    label=f"{bt.code} ({org.name})",
                    before=before,
                    after=after,
                )
            s.commit()
            return self._detail(s, bt)

    def set_status(
        self,
        berichttype_id: int,
        environment: Environment | str,
        status: BerichtTypeStatus | str,
        *,
        actor: str | None = None,
    ) -> BerichtTypeDetail:
        """Record that the berichttype is now *status* in *environment* (who and when)."""
        env = Environment(environment)
        new = BerichtTypeStatus(status)
        who = actor or audit.current_actor()
        now = datetime.now(UTC)
        with self._db.session(immediate=True) as s:
            bt = self._get(s, berichttype_id)
            org = s.get_one(m.Organisation, bt.organisation_id)
            statuses = _statuses(bt)
            problem = status_change_problem(bt.code, env, new, statuses)
            if problem is None and new is BerichtTypeStatus.ACTIEF:
                guard = environment_guard.oin_issues(
                    env,
                    connection_name="(berichttype)",
                    owner_name=org.name,
                    owner_oin=org.oin,
                )
                if guard:
                    problem = (
                        f"{org.name} heeft test-OIN {org.oin}; in productie kan berichttype "
                        f"{bt.code} daarom niet actief worden."
                    )
            if problem is not None:
                raise ConfigRefused(
                    f"De status van berichttype {bt.code}", [FieldIssue(F_STATUS, problem)]
                )
            old = statuses[env]
            if old is new:
                return self._detail(s, bt)
            before = snapshot(bt)
            bt.set_status_for(env, new)
            bt.updated_at = now
            bt.updated_by = who
            s.add(
                BerichtTypeStatusChange(
                    berichttype_id=bt.id,
                    environment=env,
                    old_status=old,
                    new_status=new,
                    at=now,
                    actor=who,
                )
            )
            audit.record(
                s,
                actor=who,
                action=audit.STATUS,
                entity=audit.BERICHTTYPE,
                key=f"{org.oin}/{bt.code}",
                label=f"{bt.code} ({org.name})",
                summary=f"Berichttype {bt.code} van {org.name}: {env.label} "
                f"{old.label.lower()} → {new.label.lower()}.",
                before=before,
                after=snapshot(bt),
                at=now,
            )
            s.commit()
            detail = self._detail(s, bt)
            active_codes = list(
                s.scalars(
                    select(m.BerichtType.code).where(
                        m.BerichtType.organisation_id == org.id,
                        m.BerichtType.status_simulator == BerichtTypeStatus.ACTIEF,
                    )
                )
            )
        if env is Environment.SIMULATOR and self.on_simulator_change is not None:
            self.on_simulator_change(detail.organisation_oin, active_codes)
        return detail

    def delete(self, berichttype_id: int, *, actor: str | None = None) -> None:
        """Delete a berichttype nothing refers to; otherwise deactivate it instead."""
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            bt = self._get(s, berichttype_id)
            org = s.get_one(m.Organisation, bt.organisation_id)
            letters = self._letter_count(s, org.id, bt.code)
            if letters:
                raise DeleteRefused(
                    f"Met berichttype {bt.code} zijn {letters} bericht(en) verstuurd; die "
                    "geschiedenis blijft bewaard. Deactiveer het berichttype in plaats van het "
                    "te verwijderen."
                )
            flows = codes_used_by_flows(s, org.id).get(bt.code, [])
            if flows:
                raise DeleteRefused(
                    f"Berichttype {bt.code} wordt gebruikt door berichtstroom "
                    f"{', '.join(flows)}. Kies daar eerst een ander berichttype, of deactiveer "
                    "het berichttype."
                )
            if any(st is not BerichtTypeStatus.CONCEPT for st in _statuses(bt).values()):
                raise DeleteRefused(
                    f"Berichttype {bt.code} is al actief geweest. Deactiveer het in plaats van "
                    "het te verwijderen; zo blijft zichtbaar wanneer het actief was."
                )
            audit.record(
                s,
                actor=who,
                action=audit.VERWIJDERD,
                entity=audit.BERICHTTYPE,
                key=f"{org.oin}/{bt.code}",
                label=f"{bt.code} ({org.name})",
                before=snapshot(bt),
            )
            s.delete(bt)
            s.commit()

    # -- drift -------------------------------------------------------------------------------

    def drift(self, environment: Environment | None = None) -> list[DriftItem]:
        """Berichttypes used by flows or waiting letters that are not active where they go."""
        found: dict[tuple[int, str, Environment], list[str]] = {}
        names: dict[int, str] = {}
        with self._db.session() as s:
            types = {(bt.organisation_id, bt.code): bt for bt in s.scalars(select(m.BerichtType))}
            for flow in s.scalars(select(Flow).where(Flow.active.is_(True))):
                org = s.get_one(m.Organisation, flow.organisation_id)
                names[org.id] = org.name
                codes = {flow.default_berichttype} | {t.berichttype for t in flow.templates}
                for env in self._flow_environments(s, flow):
                    for code in sorted(c for c in codes if c):
                        found.setdefault((org.id, code, env), []).append(
                            f"berichtstroom {flow.name}"
                        )
            waiting = s.execute(
                select(
                    m.Letter.organisation_id,
                    m.Letter.berichttype,
                    m.Connection.environment,
                    func.count(m.Letter.id),
                )
                .join(m.Connection, m.Connection.id == m.Letter.connection_id)
                .where(
                    m.Letter.status.in_(sorted(set(LetterStatus) - FINAL))
                )  # uses the status index
                .group_by(m.Letter.organisation_id, m.Letter.berichttype, m.Connection.environment)
            ).all()
            for org_id, code, env, n in waiting:
                if org_id not in names:
                    names[org_id] = s.get_one(m.Organisation, org_id).name
                found.setdefault((org_id, code, Environment(env)), []).append(
                    f"{n} bericht(en) die nog niet verstuurd of afgehandeld zijn"
                )
        items: list[DriftItem] = []
        for (org_id, code, env), used in sorted(
            found.items(), key=lambda kv: (names[kv[0][0]], kv[0][1], kv[0][2].value)
        ):
            if environment is not None and env is not environment:
                continue
            bt = types.get((org_id, code))
            status = BerichtTypeStatus(bt.status_for(env)) if bt is not None else None
            if status is not BerichtTypeStatus.ACTIEF:
                items.append(DriftItem(org_id, names[org_id], code, env, status, tuple(used)))
        return items

    @staticmethod
    def _flow_environments(s: Session, flow: Flow) -> set[Environment]:
        """Where a flow's letters go: its own connection, else every active connection that
        may send for its organisation."""
        if flow.connection_id is not None:
            conn = s.get(m.Connection, flow.connection_id)
            return {conn.environment} if conn is not None and conn.active else set()
        member = select(m.connection_organisations.c.connection_id).where(
            m.connection_organisations.c.organisation_id == flow.organisation_id
        )
        return set(
            s.scalars(
                select(m.Connection.environment).where(
                    m.Connection.active.is_(True),
                    or_(
                        m.Connection.owner_organisation_id == flow.organisation_id,
                        m.Connection.id.in_(member),
                    ),
                )
            )
        )
