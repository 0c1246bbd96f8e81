"""Organisaties (afnemers): naam, OIN, soort, contactpersonen en het organisatieprofiel.

Every change is validated first (all problems at once, in Dutch, per field) and written with
its audit entry in one unit of work. An organisation that letters refer to is never deleted:
it is deactivated, so its history stays readable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_flows import ContactRole, Flow, OrganisationContact, OrganisationProfile
from console.domain.flow import https_url_problem
from console.domain.letter import FieldIssue
from console.domain.oin import is_test_oin, oin_problem
from console.services import audit
from console.services.errors import ConfigRefused, DeleteRefused, NotFound

KIND_LABELS: dict[str, str] = {
    m.OrganisationKind.GEMEENTE: "Gemeente",
    m.OrganisationKind.WATERSCHAP: "Waterschap",
    m.OrganisationKind.BELASTINGSAMENWERKING: "Belastingsamenwerking",
    m.OrganisationKind.PENSIOENFONDS: "Pensioenfonds",
    m.OrganisationKind.PENSIOENUITVOERDER: "Pensioenuitvoerder",
    m.OrganisationKind.LEVERANCIER: "Leverancier (SaaS)",
    m.OrganisationKind.OVERIG: "Overig",
}

NAME_MAX = 200
DESCRIPTION_MAX = 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,20}$")

F_NAAM = "Naam"
F_OIN = "OIN"
F_SOORT = "Soort"
F_WEERGAVENAAM = "Weergavenaam"
F_OMSCHRIJVING = "Omschrijving"
F_WEBSITE = "Website"
F_CONTACTPAGINA = "Contactpagina"
F_TELEFOON = "Telefoonnummer"


def contact_field(role: str, part: str) -> str:
    """The FieldIssue field of one contact's part: ``"technisch e-mail"``."""
    return f"{role} {part}"


@dataclass(frozen=True, slots=True)
class ContactInput:
    role: str  # ContactRole value
    name: str = ""
    email: str = ""
    phone: str = ""

    @property
    def empty(self) -> bool:
        return not (self.name.strip() or self.email.strip() or self.phone.strip())


@dataclass(frozen=True, slots=True)
class ProfileInput:
    display_name: str = ""
    description: str = ""
    website_url: str = ""
    contact_url: str = ""
    contact_phone: str = ""


@dataclass(frozen=True, slots=True)
class OrganisationInput:
    name: str
    oin: str
    kind: str = m.OrganisationKind.GEMEENTE.value
    profile: ProfileInput = field(default_factory=ProfileInput)
    contacts: tuple[ContactInput, ...] = ()


@dataclass(frozen=True, slots=True)
class OrganisationDetail:
    id: int
    name: str
    oin: str
    kind: str
    kind_label: str
    active: bool
    is_test_oin: bool
    profile: ProfileInput
    contacts: tuple[ContactInput, ...]
    owns_connections: tuple[str, ...]  # connections whose ebMS PartyId this organisation is
    sent_for_by: tuple[str, ...]  # connections that send for it as an intermediary
    berichttype_count: int
    flow_count: int
    letter_count: int

    def input(self) -> OrganisationInput:
        return OrganisationInput(self.name, self.oin, self.kind, self.profile, self.contacts)


def _phone_problem(value: str, what: str) -> str | None:
    if value and not _PHONE.match(value.strip()):
        return (
            f"{what} '{value}' is geen telefoonnummer; gebruik cijfers, spaties en eventueel +31."
        )
    return None


def _email_problem(value: str, what: str) -> str | None:
    if value and not _EMAIL.match(value.strip()):
        return f"{what} '{value}' is geen e-mailadres (voorbeeld: naam@gemeente.nl)."
    return None


def snapshot(
    org: m.Organisation,
    profile: OrganisationProfile | None,
    contacts: Sequence[OrganisationContact],
) -> dict[str, Any]:
    """What the audit log keeps of an organisation."""
    return {
        "naam": org.name,
        "oin": org.oin,
        "soort": str(org.kind),
        "actief": org.active,
        "profiel": {
            "weergavenaam": profile.display_name,
            "omschrijving": profile.description,
            "website": profile.website_url,
            "contactpagina": profile.contact_url,
            "telefoon": profile.contact_phone,
        }
        if profile is not None
        else None,
        "contactpersonen": {
            str(c.role): {"naam": c.name, "email": c.email, "telefoon": c.phone}
            for c in sorted(contacts, key=lambda c: str(c.role))
        },
    }


class OrganisationService:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reading -----------------------------------------------------------------------------

    def list_all(self, *, include_inactive: bool = True) -> list[OrganisationDetail]:
        with self._db.session() as s:
            query = select(m.Organisation).order_by(m.Organisation.name, m.Organisation.id)
            if not include_inactive:
                query = query.where(m.Organisation.active.is_(True))
            return [self._detail(s, o) for o in s.scalars(query)]

    def get(self, ref: int | str) -> OrganisationDetail:
        with self._db.session() as s:
            return self._detail(s, self._find(s, ref))

    @staticmethod
    def _find(s: Session, ref: int | str) -> m.Organisation:
        org: m.Organisation | None = None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and len(ref) < 20):
            org = s.get(m.Organisation, int(ref))
        if org is None and isinstance(ref, str):
            org = s.scalar(select(m.Organisation).where(m.Organisation.oin == ref.strip()))
            if org is None:
                org = s.scalar(
                    select(m.Organisation).where(
                        func.lower(m.Organisation.name) == ref.strip().lower()
                    )
                )
        if org is None:
            raise NotFound(
                f"Organisatie '{ref}' bestaat niet. Zoek met het nummer, het OIN of de naam "
                "(zie 'org list')."
            )
        return org

    def _detail(self, s: Session, org: m.Organisation) -> OrganisationDetail:
        profile = s.get(OrganisationProfile, org.id)
        contacts = list(
            s.scalars(
                select(OrganisationContact).where(OrganisationContact.organisation_id == org.id)
            )
        )
        by_role = {str(c.role): c for c in contacts}
        owned = tuple(
            s.scalars(
                select(m.Connection.name)
                .where(m.Connection.owner_organisation_id == org.id)
                .order_by(m.Connection.name)
            )
        )
        sent_for = tuple(
            s.scalars(
                select(m.Connection.name)
                .join(
                    m.connection_organisations,
                    m.connection_organisations.c.connection_id == m.Connection.id,
                )
                .where(
                    m.connection_organisations.c.organisation_id == org.id,
                    m.Connection.owner_organisation_id != org.id,
                )
                .order_by(m.Connection.name)
            )
        )
        return OrganisationDetail(
            id=org.id,
            name=org.name,
            oin=org.oin,
            kind=str(org.kind),
            kind_label=KIND_LABELS.get(str(org.kind), str(org.kind)),
            active=org.active,
            is_test_oin=is_test_oin(org.oin),
            profile=ProfileInput(
                profile.display_name,
                profile.description,
                profile.website_url,
                profile.contact_url,
                profile.contact_phone,
            )
            if profile is not None
            else ProfileInput(),
            contacts=tuple(
                ContactInput(
                    role.value,
                    by_role[role.value].name,
                    by_role[role.value].email,
                    by_role[role.value].phone,
                )
                if role.value in by_role
                else ContactInput(role.value)
                for role in ContactRole
            ),
            owns_connections=owned,
            sent_for_by=sent_for,
            berichttype_count=int(
                s.scalar(
                    select(func.count(m.BerichtType.id)).where(
                        m.BerichtType.organisation_id == org.id
                    )
                )
                or 0
            ),
            flow_count=int(
                s.scalar(select(func.count(Flow.id)).where(Flow.organisation_id == org.id)) or 0
            ),
            letter_count=self._letter_count(s, org.id),
        )

    @staticmethod
    def _letter_count(s: Session, organisation_id: int) -> int:
        return int(
            s.scalar(
                select(func.count(m.Letter.id)).where(m.Letter.organisation_id == organisation_id)
            )
            or 0
        )

    # -- validation --------------------------------------------------------------------------

    def validate(
        self, data: OrganisationInput, organisation_id: int | None = None
    ) -> list[FieldIssue]:
        """Every problem with *data*, per field (the form shows them while the user types)."""
        issues = self._static_issues(data)
        with self._db.session() as s:
            issues += self._db_issues(s, data, organisation_id)
        return issues

    @staticmethod
    def _static_issues(data: OrganisationInput) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        name = data.name.strip()
        if not name:
            issues.append(FieldIssue(F_NAAM, "Vul de naam van de organisatie in."))
        elif len(name) > NAME_MAX:
            issues.append(
                FieldIssue(F_NAAM, f"De naam is {len(name)} tekens; maximaal {NAME_MAX}.")
            )
        if (problem := oin_problem(data.oin.strip())) is not None:
            issues.append(FieldIssue(F_OIN, problem))
        if data.kind not in KIND_LABELS:
            kinds = ", ".join(KIND_LABELS)
            issues.append(
                FieldIssue(F_SOORT, f"Soort '{data.kind}' bestaat niet; kies uit {kinds}.")
            )
        p = data.profile
        if len(p.display_name) > NAME_MAX:
            issues.append(
                FieldIssue(
                    F_WEERGAVENAAM,
                    f"De weergavenaam is {len(p.display_name)} tekens; maximaal {NAME_MAX}.",
                )
            )
        if len(p.description) > DESCRIPTION_MAX:
            issues.append(
                FieldIssue(
                    F_OMSCHRIJVING,
                    f"De omschrijving is {len(p.description)} tekens; maximaal {DESCRIPTION_MAX}.",
                )
            )
        for fld, url, what in (
            (F_WEBSITE, p.website_url.strip(), "website"),
            (F_CONTACTPAGINA, p.contact_url.strip(), "contactpagina"),
        ):
            if (problem := https_url_problem(url, what)) is not None:
                issues.append(FieldIssue(fld, problem))
        if (problem := _phone_problem(p.contact_phone, "Telefoonnummer")) is not None:
            issues.append(FieldIssue(F_TELEFOON, problem))
        roles = {r.value for r in ContactRole}
        for c in data.contacts:
            if c.role not in roles:
                issues.append(FieldIssue(F_NAAM, f"Soort contactpersoon '{c.role}' bestaat niet."))
                continue
            label = ContactRole(c.role).label
            if (problem := _email_problem(c.email, f"E-mailadres ({label.lower()})")) is not None:
                issues.append(FieldIssue(contact_field(c.role, "e-mail"), problem))
            if (
                problem := _phone_problem(c.phone, f"Telefoonnummer ({label.lower()})")
            ) is not None:
                issues.append(FieldIssue(contact_field(c.role, "telefoon"), problem))
            if not c.empty and not c.name.strip():
                issues.append(
                    FieldIssue(
                        contact_field(c.role, "naam"),
                        f"Vul de naam in van de contactpersoon ({label.lower()}).",
                    )
                )
        return issues

    def _db_issues(
        self, s: Session, data: OrganisationInput, organisation_id: int | None
    ) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        oin = data.oin.strip()
        other = s.scalar(
            select(m.Organisation).where(
                m.Organisation.oin == oin,
                m.Organisation.id != (organisation_id or -1),
            )
        )
        if other is not None:
            issues.append(FieldIssue(F_OIN, f"OIN {oin} is al in gebruik door {other.name}."))
        if organisation_id is not None:
            current = s.get(m.Organisation, organisation_id)
            if current is not None and current.oin != oin and self._letter_count(s, current.id):
                issues.append(
                    FieldIssue(
                        F_OIN,
                        f"Voor {current.name} zijn al berichten verstuurd met OIN {current.oin} "
                        "als BerichtLeverancierID. Het OIN kan daarom niet meer veranderen; maak "
                        "een nieuwe organisatie aan en deactiveer deze.",
                    )
                )
            if current is not None and current.oin != oin:
                for conn in s.scalars(
                    select(m.Connection).where(
                        or_(
                            m.Connection.owner_organisation_id == current.id,
                            m.Connection.id.in_(
                                select(m.connection_organisations.c.connection_id).where(
                                    m.connection_organisations.c.organisation_id == current.id
                                )
                            ),
                        ),
                        m.Connection.environment == m.Environment.PRODUCTIE,
                    )
                ):
                    if is_test_oin(oin):
                        issues.append(
                            FieldIssue(
                                F_OIN,
                                f"{oin} is een test-OIN (begint met 00000099) en {current.name} "
                                f"zit op productiekoppeling {conn.name}. In productie zijn "
                                "test-OIN's niet toegestaan.",
                            )
                        )
                        break
        return issues

    # -- changes -----------------------------------------------------------------------------

    def create(self, data: OrganisationInput, *, actor: str | None = None) -> OrganisationDetail:
        issues = self._static_issues(data)
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            issues += self._db_issues(s, data, None)
            if any(i.blocking for i in issues):
                raise ConfigRefused("De organisatie", issues)
            org = m.Organisation(
                name=data.name.strip(),
                oin=data.oin.strip(),
                kind=m.OrganisationKind(data.kind),
                active=True,
            )
            s.add(org)
            s.flush()
            profile, contacts = self._write_details(s, org, data, who)
            audit.record(
                s,
                actor=who,
                action=audit.AANGEMAAKT,
                entity=audit.ORGANISATIE,
                key=org.oin,
                label=org.name,
                after=snapshot(org, profile, contacts),
            )
            s.commit()
            return self._detail(s, org)

    def update(
        self, organisation_id: int, data: OrganisationInput, *, actor: str | None = None
    ) -> OrganisationDetail:
        issues = self._static_issues(data)
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            org = self._find(s, organisation_id)
            issues += self._db_issues(s, data, org.id)
            if any(i.blocking for i in issues):
                raise ConfigRefused(f"Organisatie {org.name}", issues)
            before = snapshot(org, s.get(OrganisationProfile, org.id), self._contacts(s, org.id))
            org.name = data.name.strip()
            org.oin = data.oin.strip()
            org.kind = m.OrganisationKind(data.kind)
            profile, contacts = self._write_details(s, org, data, who)
            after = snapshot(org, profile, contacts)
            if after != before:
                audit.record(
                    s,
                    actor=who,
                    action=audit.GEWIJZIGD,
                    entity=audit.ORGANISATIE,
                    key=org.oin,
                    label=org.name,
                    before=before,
                    after=after,
                )
            s.commit()
            return self._detail(s, org)

    @staticmethod
    def _contacts(s: Session, organisation_id: int) -> list[OrganisationContact]:
        return list(
            s.scalars(
                select(OrganisationContact).where(
                    OrganisationContact.organisation_id == organisation_id
                )
            )
        )

    def _write_details(
        self, s: Session, org: m.Organisation, data: OrganisationInput, actor: str
    ) -> tuple[OrganisationProfile | None, list[OrganisationContact]]:
        p = data.profile
        profile = s.get(OrganisationProfile, org.id)
        if profile is None and any(
            (p.display_name, p.description, p.website_url, p.contact_url, p.contact_phone)
        ):
            profile = OrganisationProfile(organisation_id=org.id)
            s.add(profile)
        if profile is not None:
            values = (
                p.display_name.strip(),
                p.description.strip(),
                p.website_url.strip(),
                p.contact_url.strip(),
                p.contact_phone.strip(),
            )
            current = (
                profile.display_name,
                profile.description,
                profile.website_url,
                profile.contact_url,
                profile.contact_phone,
            )
            if values != current:
                (
                    profile.display_name,
                    profile.description,
                    profile.website_url,
                    profile.contact_url,
                    profile.contact_phone,
                ) = values
                profile.updated_by = actor
        existing = {str(c.role): c for c in self._contacts(s, org.id)}
        for c in data.contacts:
            row = existing.get(c.role)
            if c.empty:
                if row is not None:
                    s.delete(row)
                    del existing[c.role]
                continue
            if row is None:
                row = OrganisationContact(organisation_id=org.id, role=ContactRole(c.role))
                s.add(row)
                existing[c.role] = row
            row.name, row.email, row.phone = c.name.strip(), c.email.strip(), c.phone.strip()
        s.flush()
        return profile, list(existing.values())

    def set_active(
        self, organisation_id: int, active: bool, *, actor: str | None = None
    ) -> OrganisationDetail:
        """Deactivate (nothing is sent for it any more; its history stays) or reactivate."""
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            org = self._find(s, organisation_id)
            if org.active != active:
                before = {"actief": org.active}
                org.active = active
                audit.record(
                    s,
                    actor=who,
                    action=audit.GEACTIVEERD if active else audit.GEDEACTIVEERD,
                    entity=audit.ORGANISATIE,
                    key=org.oin,
                    label=org.name,
                    before=before,
                    after={"actief": active},
                )
            s.commit()
            return self._detail(s, org)

    def delete(self, organisation_id: int, *, actor: str | None = None) -> None:
        """Delete an organisation nothing refers to; otherwise say what to do instead."""
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            org = self._find(s, organisation_id)
            letters = self._letter_count(s, org.id)
            if letters:
                raise DeleteRefused(
                    f"Voor {org.name} zijn {letters} bericht(en) opgeslagen; die geschiedenis "
                    "blijft bewaard. Deactiveer de organisatie in plaats van haar te verwijderen."
                )
            owned = list(
                s.scalars(
                    select(m.Connection.name).where(m.Connection.owner_organisation_id == org.id)
                )
            )
            if owned:
                raise DeleteRefused(
                    f"{org.name} is eigenaar van koppeling {', '.join(owned)}. Verwijder of "
                    "deactiveer eerst die koppeling, of deactiveer de organisatie."
                )
            flows = list(s.scalars(select(Flow.name).where(Flow.organisation_id == org.id)))
            if flows:
                raise DeleteRefused(
                    f"{org.name} heeft berichtstroom {', '.join(flows)}. Deactiveer de "
                    "organisatie in plaats van haar te verwijderen."
                )
            before = snapshot(org, s.get(OrganisationProfile, org.id), self._contacts(s, org.id))
            audit.record(
                s,
                actor=who,
                action=audit.VERWIJDERD,
                entity=audit.ORGANISATIE,
                key=org.oin,
                label=org.name,
                before=before,
            )
            s.execute(
                m.connection_organisations.delete().where(
                    m.connection_organisations.c.organisation_id == org.id
                )
            )
            s.delete(org)
            s.commit()
