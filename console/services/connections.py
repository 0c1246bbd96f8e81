"""Koppelingen: owner (its OIN is the ebMS PartyId), environment, CPA, endpoints, transport,
certificate, and the organisations the connection may send for (the intermediary model).

Each letter's BerichtLeverancierID is the OIN of the organisation it is sent for; the ebMS
From PartyId is the owner's. Refused with a Dutch message naming the problem: an invalid or
unknown organisation, an active Logius connection without a certificate or CPA, a CPA whose
parties do not include the owner's OIN, test OINs on a production connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_certificates import Certificate
from console.db.models_ebms import CpaRecord
from console.db.models_flows import Flow
from console.db.repositories import SettingsRepository
from console.digikoppeling.ebms.cpa import Cpa, CpaError, parse_cpa
from console.domain import environment_guard
from console.domain.environment import Environment
from console.domain.flow import https_url_problem
from console.domain.letter import FieldIssue
from console.domain.oin import strip_party_prefix
from console.services import audit
from console.services.cpa import CpaService
from console.services.demo import BB_SERVICE, DEMO_ROLE, LOGIUS_OIN, LOGIUS_ROLE
from console.services.errors import ConfigRefused, DeleteRefused, NotFound, ServiceError
from console.services.subscriptions import KEY_WUS_URL
from console.services.workspace import ACTIVE_CONNECTION, ACTIVE_ORGANISATION

NAME_MAX = 100

F_NAAM = "Naam"
F_EIGENAAR = "Eigenaar"
F_OMGEVING = "Omgeving"
F_TRANSPORT = "Transport"
F_ENDPOINT = "ebMS-adres"
F_WUS = "WUS-adres"
F_CERTIFICAAT = "Certificaat"
F_CPA = "CPA"
F_ORGANISATIES = "Organisaties"


class Transport(StrEnum):
    INTERNET = "internet"
    DIGINETWERK = "diginetwerk"

    @property
    def label(self) -> str:
        return {"internet": "Internet", "diginetwerk": "Diginetwerk"}[self.value]


@dataclass(frozen=True, slots=True)
class OrganisationRef:
    id: int
    name: str
    oin: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class ConnectionInput:
    name: str
    owner_organisation_id: int
    environment: str  # Environment value
    transport: str = Transport.INTERNET.value
    endpoint_url: str = ""  # Logius' ebMS endpoint; a CPA fills it in
    wus_url: str = ""
    certificate_id: int | None = None
    organisation_ids: tuple[int, ...] = ()  # organisations it may send for besides the owner
    active: bool = True
    cpa_document: bytes | None = field(default=None, repr=False)
    cpa_filename: str = ""


@dataclass(frozen=True, slots=True)
class CpaPreview:
    cpa_id: str
    parties: tuple[tuple[str, str], ...]  # (name, OIN)
    end: datetime | None
    issues: tuple[FieldIssue, ...]


@dataclass(frozen=True, slots=True)
class ConnectionDetail:
    id: int
    name: str
    environment: Environment
    owner: OrganisationRef
    organisations: tuple[OrganisationRef, ...]  # sends for these besides the owner
    active: bool
    is_current: bool  # the connection the workspace sends over
    transport: str
    endpoint_url: str
    endpoint_override: str | None
    wus_url: str
    inbound_url: str | None
    cpa_id: str
    cpa_record_id: int | None
    from_party_id: str
    to_party_id: str
    certificate_id: int | None
    certificate_label: str
    certificate_oin: str | None
    certificate_not_after: datetime | None
    letter_count: int
    flow_names: tuple[str, ...]

    @property
    def party_oin(self) -> str:
        return strip_party_prefix(self.from_party_id)

    @property
    def is_intermediary(self) -> bool:
        return bool(self.organisations)

    @property
    def transport_label(self) -> str:
        try:
            return Transport(self.transport).label
        except ValueError:
            return self.transport

    def input(self) -> ConnectionInput:
        return ConnectionInput(
            name=self.name,
            owner_organisation_id=self.owner.id,
            environment=self.environment.value,
            transport=self.transport,
            endpoint_url=self.endpoint_url,
            wus_url=self.wus_url,
            certificate_id=self.certificate_id,
            organisation_ids=tuple(o.id for o in self.organisations),
            active=self.active,
        )


@dataclass(frozen=True, slots=True)
class CurrentConnection:
    detail: ConnectionDetail
    restart_needed: bool
    message: str


def intermediary_lines(d: ConnectionDetail) -> list[str]:
    """In plain Dutch: who the connection sends for, and which OIN goes where on the wire."""
    lines = [
        f"Koppeling {d.name} is van {d.owner.name}. In de ebMS-header staat als afzender "
        f"(From PartyId) altijd het OIN van {d.owner.name}: {d.party_oin or d.owner.oin}."
    ]
    if d.organisations:
        names = ", ".join(f"{o.name} ({o.oin})" for o in d.organisations)
        lines.append(f"Deze koppeling verstuurt als intermediair ook voor: {names}.")
        lines.append(
            "In elk bericht staat als BerichtLeverancierID het OIN van de organisatie waarvoor "
            "het bericht is, niet dat van de eigenaar. Logius moet de intermediairfunctie voor "
            "deze organisaties hebben ingericht in het Leveranciersportaal."
        )
    else:
        lines.append(
            f"De koppeling verstuurt alleen voor {d.owner.name}: BerichtLeverancierID en From "
            "PartyId zijn hetzelfde OIN."
        )
    return lines


def snapshot(conn: m.Connection, wus_url: str, cert: Certificate | None) -> dict[str, Any]:
    return {
        "naam": conn.name,
        "eigenaar": conn.owner.oin if conn.owner is not None else None,
        "omgeving": str(conn.environment),
        "transport": conn.transport,
        "ebms_adres": conn.endpoint_url,
        "ebms_adres_override": conn.endpoint_override,
        "wus_adres": wus_url,
        "cpa_id": conn.cpa_id,
        "certificaat": cert.fingerprint_sha256 if cert is not None else None,
        "verstuurt_voor": sorted(o.oin for o in conn.organisations),
        "actief": conn.active,
    }


class ConnectionService:
    def __init__(
        self,
        db: Database,
        cpa: CpaService | None = None,
        *,
        on_changed: Callable[[int], None] | None = None,
        default_simulator_url: str = "https://127.0.0.1:8444/ebms",
    ) -> None:
        self._db = db
        self._cpa = cpa or CpaService(db)
        # Called with the connection id after a change (drop cached TLS clients, tell the
        # simulator which organisations the connection may send for).
        self.on_changed = on_changed
        self._simulator_url = default_simulator_url

    # -- reading -----------------------------------------------------------------------------

    def list_all(self) -> list[ConnectionDetail]:
        with self._db.session() as s:
            return [
                self._detail(s, c)
                for c in s.scalars(select(m.Connection).order_by(m.Connection.name))
            ]

    def get(self, ref: int | str) -> ConnectionDetail:
        with self._db.session() as s:
            return self._detail(s, self._find(s, ref))

    @staticmethod
    def _find(s: Session, ref: int | str) -> m.Connection:
        conn: m.Connection | None = None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            conn = s.get(m.Connection, int(ref))
        if conn is None and isinstance(ref, str):
            conn = s.scalar(select(m.Connection).where(m.Connection.name == ref.strip()))
        if conn is None:
            raise NotFound(
                f"Koppeling '{ref}' bestaat niet. Zoek met het nummer of de naam (zie "
                "'connection list')."
            )
        return conn

    @staticmethod
    def _current_id(s: Session) -> int | None:
        value = SettingsRepository(s).get(ACTIVE_CONNECTION)
        if value is not None and s.get(m.Connection, value) is not None:
            return int(value)
        return s.scalar(
            select(m.Connection.id).where(m.Connection.active.is_(True)).order_by(m.Connection.id)
        )

    def _detail(self, s: Session, conn: m.Connection) -> ConnectionDetail:
        cert = s.get(Certificate, conn.certificate_id) if conn.certificate_id else None
        owner = conn.owner
        return ConnectionDetail(
            id=conn.id,
            name=conn.name,
            environment=conn.environment,
            owner=OrganisationRef(owner.id, owner.name, owner.oin, owner.active),
            organisations=tuple(
                OrganisationRef(o.id, o.name, o.oin, o.active)
                for o in conn.organisations
                if o.id != owner.id
            ),
            active=conn.active,
            is_current=self._current_id(s) == conn.id,
            transport=conn.transport,
            endpoint_url=conn.endpoint_url,
            endpoint_override=conn.endpoint_override,
            wus_url=str(SettingsRepository(s).get(KEY_WUS_URL.format(connection_id=conn.id)) or ""),
            inbound_url=conn.inbound_url,
            cpa_id=conn.cpa_id,
            cpa_record_id=conn.cpa_record_id,
            from_party_id=conn.from_party_id,
            to_party_id=conn.to_party_id,
            certificate_id=conn.certificate_id,
            certificate_label=cert.label if cert is not None else "",
            certificate_oin=cert.oin if cert is not None else None,
            certificate_not_after=cert.not_after if cert is not None else None,
            letter_count=int(
                s.scalar(select(func.count(m.Letter.id)).where(m.Letter.connection_id == conn.id))
                or 0
            ),
            flow_names=tuple(
                name if org_id == owner.id else f"{name} ({org_name})"
                for name, org_id, org_name in s.execute(
                    select(Flow.name, Flow.organisation_id, m.Organisation.name)
                    .join(m.Organisation, m.Organisation.id == Flow.organisation_id)
                    .where(Flow.connection_id == conn.id)
                    .order_by(m.Organisation.name, Flow.name)
                ).tuples()
            ),
        )

    # -- the CPA -----------------------------------------------------------------------------

    def check_cpa(self, data: bytes, owner_organisation_id: int) -> CpaPreview:
        """Read a CPA for a connection of this owner: its id, parties and what is wrong."""
        with self._db.session() as s:
            owner = s.get(m.Organisation, owner_organisation_id)
            if owner is None:
                raise NotFound(f"Organisatie {owner_organisation_id} bestaat niet.")
            try:
                cpa = parse_cpa(data)
            except CpaError as exc:
                return CpaPreview(
                    "", (), None, (FieldIssue(F_CPA, f"De CPA is niet te lezen: {exc}"),)
                )
            return CpaPreview(
                cpa.cpa_id,
                tuple((p.name, strip_party_prefix(p.party_id.value)) for p in cpa.parties),
                cpa.end,
                tuple(self._cpa_issues(cpa, owner)),
            )

    @staticmethod
    def _cpa_issues(cpa: Cpa, owner: m.Organisation) -> list[FieldIssue]:
        party = cpa.party_by_oin(owner.oin)
        if party is None:
            parties = ", ".join(
                f"{p.name} ({strip_party_prefix(p.party_id.value)})" for p in cpa.parties
            )
            return [
                FieldIssue(
                    F_CPA,
                    f"De partijen in CPA {cpa.cpa_id} zijn {parties}; het OIN van eigenaar "
                    f"{owner.name} ({owner.oin}) staat er niet in. Vraag Logius om de CPA voor "
                    "dit OIN, of kies de juiste eigenaar.",
                )
            ]
        if not party.can_send:
            return [
                FieldIssue(
                    F_CPA,
                    f"Volgens CPA {cpa.cpa_id} mag {party.name} niets versturen; met deze CPA "
                    "kan de koppeling geen berichten versturen.",
                )
            ]
        return []

    # -- validation --------------------------------------------------------------------------

    def validate(self, data: ConnectionInput, connection_id: int | None = None) -> list[FieldIssue]:
        with self._db.session() as s:
            return self._issues(s, data, connection_id)

    def _issues(
        self, s: Session, data: ConnectionInput, connection_id: int | None
    ) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        name = data.name.strip()
        if not name:
            issues.append(FieldIssue(F_NAAM, "Vul een naam in voor de koppeling."))
        elif len(name) > NAME_MAX:
            issues.append(
                FieldIssue(F_NAAM, f"De naam is {len(name)} tekens; maximaal {NAME_MAX}.")
            )
        else:
            other = s.scalar(
                select(m.Connection.id).where(
                    m.Connection.name == name, m.Connection.id != (connection_id or -1)
                )
            )
            if other is not None:
                issues.append(FieldIssue(F_NAAM, f"Er is al een koppeling met de naam {name}."))
        try:
            env = Environment(data.environment)
        except ValueError:
            issues.append(
                FieldIssue(
                    F_OMGEVING,
                    f"Omgeving '{data.environment}' bestaat niet; kies simulator, preprod of "
                    "productie.",
                )
            )
            env = None
        try:
            Transport(data.transport)
        except ValueError:
            issues.append(
                FieldIssue(
                    F_TRANSPORT,
                    f"Transport '{data.transport}' bestaat niet; kies internet of diginetwerk.",
                )
            )
        owner = s.get(m.Organisation, data.owner_organisation_id)
        if owner is None:
            issues.append(FieldIssue(F_EIGENAAR, "Kies de organisatie die eigenaar is."))
        elif not owner.active and data.active:
            issues.append(
                FieldIssue(
                    F_EIGENAAR,
                    f"{owner.name} is gedeactiveerd; een actieve koppeling heeft een actieve "
                    "eigenaar nodig.",
                )
            )
        for fld, url, what in (
            (F_ENDPOINT, data.endpoint_url.strip(), "ebMS-adres"),
            (F_WUS, data.wus_url.strip(), "WUS-adres"),
        ):
            if (problem := https_url_problem(url, what)) is not None:
                issues.append(FieldIssue(fld, problem))

        members: list[m.Organisation] = []
        for oid in dict.fromkeys(data.organisation_ids):
            org = s.get(m.Organisation, oid)
            if org is None:
                issues.append(FieldIssue(F_ORGANISATIES, f"Organisatie {oid} bestaat niet."))
            elif owner is None or org.id != owner.id:
                members.append(org)
        existing = s.get(m.Connection, connection_id) if connection_id is not None else None
        logius = env is not None and env is not Environment.SIMULATOR

        cert: Certificate | None = None
        if data.certificate_id is not None:
            cert = s.get(Certificate, data.certificate_id)
            if cert is None:
                issues.append(
                    FieldIssue(F_CERTIFICAAT, f"Certificaat {data.certificate_id} bestaat niet.")
                )
            elif owner is not None and cert.oin is not None and cert.oin != owner.oin:
                issues.append(
                    FieldIssue(
                        F_CERTIFICAAT,
                        f"Het certificaat {cert.label} hoort bij OIN {cert.oin}; eigenaar "
                        f"{owner.name} heeft OIN {owner.oin}. Logius weigert dan elk bericht. "
                        "Kies het certificaat van de eigenaar.",
                    )
                )
        elif logius and data.active:
            issues.append(
                FieldIssue(
                    F_CERTIFICAAT,
                    "Een actieve koppeling met Logius heeft een clientcertificaat nodig. "
                    "Importeer het PKIoverheid-certificaat bij Certificaten en kies het hier, of "
                    "sla de koppeling op als niet actief.",
                )
            )

        if data.cpa_document is not None:
            if owner is not None:
                try:
                    cpa = parse_cpa(data.cpa_document)
                except CpaError as exc:
                    issues.append(FieldIssue(F_CPA, f"De CPA is niet te lezen: {exc}"))
                else:
                    issues += self._cpa_issues(cpa, owner)
        elif logius and data.active and (existing is None or existing.cpa_record_id is None):
            issues.append(
                FieldIssue(
                    F_CPA,
                    "Een actieve koppeling met Logius heeft de CPA van Logius nodig. Kies het "
                    "CPA-bestand, of sla de koppeling op als niet actief.",
                )
            )
        elif (
            existing is not None
            and owner is not None
            and existing.owner_organisation_id != owner.id
            and existing.cpa_record_id is not None
        ):
            record = s.get(CpaRecord, existing.cpa_record_id)
            if record is not None:
                with contextlib.suppress(CpaError):
                    issues += self._cpa_issues(parse_cpa(record.document), owner)

        if (
            not data.endpoint_url.strip()
            and data.cpa_document is None
            and logius
            and (existing is None or not existing.endpoint_url)
        ):
            issues.append(
                FieldIssue(
                    F_ENDPOINT,
                    "Vul het ebMS-adres van Logius in, of kies de CPA (daar staat het in).",
                    blocking=False,
                )
            )

        if env is not None and owner is not None:
            guarded = environment_guard.oin_issues(
                env,
                connection_name=name or "(nieuw)",
                owner_name=owner.name,
                owner_oin=owner.oin,
                organisations=[(o.name, o.oin) for o in members],
            )
            owner_part = environment_guard.oin_issues(
                env,
                connection_name=name or "(nieuw)",
                owner_name=owner.name,
                owner_oin=owner.oin,
            )
            # Under the field the user can change: the owner, or the ticked organisations.
            issues += [
                replace(i, field=F_EIGENAAR if i in owner_part else F_ORGANISATIES) for i in guarded
            ]
        return issues

    # -- changes -----------------------------------------------------------------------------

    def create(self, data: ConnectionInput, *, actor: str | None = None) -> ConnectionDetail:
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            issues = self._issues(s, data, None)
            if any(i.blocking for i in issues):
                raise ConfigRefused("De koppeling", issues)
            owner = s.get_one(m.Organisation, data.owner_organisation_id)
            env = Environment(data.environment)
            endpoint = data.endpoint_url.strip()
            if not endpoint and env is Environment.SIMULATOR:
                endpoint = self._simulator_url
            conn = m.Connection(
                name=data.name.strip(),
                owner_organisation_id=owner.id,
                environment=env,
                cpa_id="",
                from_party_id=owner.oin,
                from_role=DEMO_ROLE,
                to_party_id=LOGIUS_OIN,
                to_role=LOGIUS_ROLE,
                service=BB_SERVICE,
                service_type=None,
                action=m.DEFAULT_ACTION,
                endpoint_url=endpoint,
                transport=Transport(data.transport).value,
                certificate_id=data.certificate_id,
                active=data.active,
            )
            conn.organisations = self._members(s, data, owner.id)
            s.add(conn)
            s.flush()
            self._set_wus(s, conn.id, data.wus_url)
            cert = s.get(Certificate, conn.certificate_id) if conn.certificate_id else None
            audit.record(
                s,
                actor=who,
                action=audit.AANGEMAAKT,
                entity=audit.KOPPELING,
                key=conn.id,
                label=conn.name,
                after=snapshot(conn, data.wus_url.strip(), cert),
            )
            s.commit()
            conn_id = conn.id
        if data.cpa_document is not None:
            self._apply_cpa(conn_id, data.cpa_document, data.cpa_filename, who)
        self._changed(conn_id)
        return self.get(conn_id)

    def update(
        self, connection_id: int, data: ConnectionInput, *, actor: str | None = None
    ) -> ConnectionDetail:
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            conn = self._find(s, connection_id)
            issues = self._issues(s, data, conn.id)
            if any(i.blocking for i in issues):
                raise ConfigRefused(f"Koppeling {conn.name}", issues)
            env = Environment(data.environment)
            if conn.environment is not env and self._history(s, conn.id):
                raise ConfigRefused(
                    f"Koppeling {conn.name}",
                    [
                        FieldIssue(
                            F_OMGEVING,
                            f"Over koppeling {conn.name} zijn al berichten verstuurd in "
                            f"{conn.environment.label}. De omgeving kan daarom niet meer "
                            "veranderen; maak een nieuwe koppeling voor "
                            f"{env.label}.",
                        )
                    ],
                )
            old_wus = str(
                SettingsRepository(s).get(KEY_WUS_URL.format(connection_id=conn.id)) or ""
            )
            old_cert = s.get(Certificate, conn.certificate_id) if conn.certificate_id else None
            before = snapshot(conn, old_wus, old_cert)
            owner = s.get_one(m.Organisation, data.owner_organisation_id)
            if owner.id != conn.owner_organisation_id:
                conn.owner_organisation_id = owner.id
                conn.owner = owner
                conn.from_party_id = owner.oin
            conn.name = data.name.strip()
            conn.environment = env
            conn.transport = Transport(data.transport).value
            if data.endpoint_url.strip():
                conn.endpoint_url = data.endpoint_url.strip()
            conn.certificate_id = data.certificate_id
            conn.active = data.active
            conn.organisations = self._members(s, data, owner.id)
            self._set_wus(s, conn.id, data.wus_url)
            s.flush()
            cert = s.get(Certificate, conn.certificate_id) if conn.certificate_id else None
            after = snapshot(conn, data.wus_url.strip(), cert)
            if after != before:
                audit.record(
                    s,
                    actor=who,
                    action=audit.GEWIJZIGD,
                    entity=audit.KOPPELING,
                    key=conn.id,
                    label=conn.name,
                    before=before,
                    after=after,
                )
            s.commit()
            conn_id = conn.id
        if data.cpa_document is not None:
            self._apply_cpa(conn_id, data.cpa_document, data.cpa_filename, who)
        self._changed(conn_id)
        return self.get(conn_id)

    @staticmethod
    def _members(s: Session, data: ConnectionInput, owner_id: int) -> list[m.Organisation]:
        out: list[m.Organisation] = []
        for oid in dict.fromkeys(data.organisation_ids):
            if oid == owner_id:
                continue
            org = s.get(m.Organisation, oid)
            if org is not None:
                out.append(org)
        return out

    @staticmethod
    def _set_wus(s: Session, connection_id: int, url: str) -> None:
        repo = SettingsRepository(s)
        key = KEY_WUS_URL.format(connection_id=connection_id)
        if url.strip():
            repo.set(key, url.strip())
        else:
            repo.delete(key)

    def _apply_cpa(self, connection_id: int, document: bytes, filename: str, actor: str) -> None:
        result = self._cpa.import_bytes(
            document, filename or "cpa.xml", connection_id=connection_id, actor=actor
        )
        with self._db.session() as s:
            conn = s.get_one(m.Connection, connection_id)
            audit.record(
                s,
                actor=actor,
                action=audit.GEWIJZIGD,
                entity=audit.KOPPELING,
                key=conn.id,
                label=conn.name,
                summary=f"CPA {result.details.cpa_id} toegepast op koppeling {conn.name}"
                + (f" (bestand {filename})" if filename else "")
                + ".",
                after={"cpa_id": result.details.cpa_id},
            )
            s.commit()

    @staticmethod
    def _history(s: Session, connection_id: int) -> int:
        letters = s.scalar(
            select(func.count(m.Letter.id)).where(m.Letter.connection_id == connection_id)
        )
        batches = s.scalar(
            select(func.count(m.Batch.id)).where(m.Batch.connection_id == connection_id)
        )
        return int(letters or 0) + int(batches or 0)

    def set_active(
        self, connection_id: int, active: bool, *, actor: str | None = None
    ) -> ConnectionDetail:
        who = actor or audit.current_actor()
        detail = self.get(connection_id)
        if active and not detail.active:
            data = replace(detail.input(), active=True)
            issues = [i for i in self.validate(data, connection_id) if i.blocking]
            if issues:
                raise ConfigRefused(f"Koppeling {detail.name}", issues)
        with self._db.session(immediate=True) as s:
            conn = self._find(s, connection_id)
            if conn.active != active:
                conn.active = active
                audit.record(
                    s,
                    actor=who,
                    action=audit.GEACTIVEERD if active else audit.GEDEACTIVEERD,
                    entity=audit.KOPPELING,
                    key=conn.id,
                    label=conn.name,
                    before={"actief": not active},
                    after={"actief": active},
                )
            s.commit()
        self._changed(connection_id)
        return self.get(connection_id)

    def delete(self, connection_id: int, *, actor: str | None = None) -> None:
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            conn = self._find(s, connection_id)
            used = self._history(s, conn.id)
            if used:
                raise DeleteRefused(
                    f"Over koppeling {conn.name} zijn berichten verstuurd; die geschiedenis "
                    "blijft bewaard. Deactiveer de koppeling in plaats van haar te verwijderen."
                )
            wus = str(SettingsRepository(s).get(KEY_WUS_URL.format(connection_id=conn.id)) or "")
            cert = s.get(Certificate, conn.certificate_id) if conn.certificate_id else None
            audit.record(
                s,
                actor=who,
                action=audit.VERWIJDERD,
                entity=audit.KOPPELING,
                key=conn.id,
                label=conn.name,
                before=snapshot(conn, wus, cert),
            )
            SettingsRepository(s).delete(KEY_WUS_URL.format(connection_id=conn.id))
            if SettingsRepository(s).get(ACTIVE_CONNECTION) == conn.id:
                SettingsRepository(s).delete(ACTIVE_CONNECTION)
            s.delete(conn)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                raise DeleteRefused(
                    f"Koppeling {conn.name} heeft nog geschiedenis (abonnementen, CPA's of "
                    "berichten). Deactiveer de koppeling in plaats van haar te verwijderen."
                ) from None

    def make_current(self, connection_id: int, *, actor: str | None = None) -> CurrentConnection:
        """Send over this connection from now on (the banner shows it)."""
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            conn = self._find(s, connection_id)
            if not conn.active:
                raise ServiceError(f"Koppeling {conn.name} is niet actief. Activeer haar eerst.")
            settings = SettingsRepository(s)
            previous = settings.get(ACTIVE_CONNECTION)
            settings.set(ACTIVE_CONNECTION, conn.id)
            settings.set(ACTIVE_ORGANISATION, conn.owner_organisation_id)
            if previous != conn.id:
                audit.record(
                    s,
                    actor=who,
                    action=audit.GEWIJZIGD,
                    entity=audit.KOPPELING,
                    key=conn.id,
                    label=conn.name,
                    summary=f"Werkkoppeling is nu {conn.name} ({conn.environment.label}).",
                    before={"werkkoppeling": previous},
                    after={"werkkoppeling": conn.id},
                )
            s.commit()
            restart = conn.environment is Environment.SIMULATOR and previous != conn.id
        detail = self.get(connection_id)
        message = f"U verstuurt nu via koppeling {detail.name} ({detail.environment.label})."
        if restart:
            message += (
                " Start de console opnieuw: de simulator en het testcertificaat worden bij het "
                "starten voor deze koppeling ingericht."
            )
        self._changed(connection_id)
        return CurrentConnection(detail, restart, message)

    def _changed(self, connection_id: int) -> None:
        if self.on_changed is not None:
            self.on_changed(connection_id)
