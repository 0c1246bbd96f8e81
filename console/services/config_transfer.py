"""De configuratie naar een andere werkplek: export to one JSON file, import with a preview.

The file holds organisations (with profile and contacts), connections (with their CPA document,
endpoints and the organisations they send for), berichttypes with their status per environment,
and berichtstromen with templates and peak days. It holds **no secrets**: no private keys, no
passwords, no key names in the secret store. A connection names its client certificate only by
fingerprint; on the other workstation the certificate is imported separately (Certificaten),
and a Logius connection whose certificate is not there yet is imported as not active.

Import matches by natural key (OIN; connection name; OIN + code; OIN + flow name; template
name) and never deletes anything that is not in the file: history is never lost. The preview
and the import run the same comparison; the import applies it in one unit of work, with an
audit entry per change.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_certificates import Certificate
from console.db.models_ebms import CpaRecord
from console.db.models_flows import (
    BerichtTypeStatusChange,
    ContactRole,
    Flow,
    FlowPeak,
    FlowTemplate,
    OrganisationContact,
    OrganisationProfile,
)
from console.db.repositories import SettingsRepository
from console.digikoppeling.ebms.cpa import CpaError, parse_cpa
from console.domain import environment_guard
from console.domain.environment import Environment
from console.domain.flow import (
    BerichtTypeStatus,
    Cadence,
    DeliveryPolicy,
    berichttype_code_problem,
    flow_name_problem,
    https_url_problem,
    status_change_problem,
)
from console.domain.oin import oin_problem
from console.services import audit
from console.services.connections import Transport
from console.services.cpa import CpaService
from console.services.demo import BB_SERVICE, DEMO_ROLE, LOGIUS_OIN, LOGIUS_ROLE
from console.services.errors import ServiceError
from console.services.organisations import KIND_LABELS
from console.services.subscriptions import KEY_WUS_URL

FORMAT = "berichtenbox-console-configuratie"
VERSION = 1
MAX_FILE_BYTES = 50 * 1024 * 1024

NEW = "nieuw"
CHANGED = "gewijzigd"
UNCHANGED = "ongewijzigd"


class ConfigFileError(ServiceError):
    """The file is not a configuration export this console can read (Dutch, names the spot)."""


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ConfigChange:
    entity: str  # organisatie, koppeling, berichttype, berichtstroom, sjabloon
    key: str  # what the user recognises: a name with its OIN or organisation
    kind: str  # nieuw, gewijzigd, ongewijzigd
    fields: tuple[FieldChange, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportPreview:
    changes: tuple[ConfigChange, ...]
    warnings: tuple[str, ...] = ()
    applied: bool = False
    exported_at: str = ""
    exported_by: str = ""

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def has_changes(self) -> bool:
        return any(c.kind != UNCHANGED for c in self.changes)

    @property
    def summary(self) -> str:
        verb = "Geïmporteerd" if self.applied else "Bij importeren"
        return (
            f"{verb}: {self.count(NEW)} nieuw, {self.count(CHANGED)} gewijzigd, "
            f"{self.count(UNCHANGED)} ongewijzigd."
            + (f" {len(self.warnings)} waarschuwing(en)." if self.warnings else "")
        )


@dataclass
class _Plan:
    """What an import would do, collected while comparing; applied in the same session."""

    changes: list[ConfigChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cpas: list[tuple[str, bytes, str]] = field(default_factory=list)  # (connection, doc, file)


# --- export ---------------------------------------------------------------------------------


def _profile(p: OrganisationProfile | None) -> dict[str, str] | None:
    if p is None:
        return None
    return {
        "display_name": p.display_name,
        "description": p.description,
        "website_url": p.website_url,
        "contact_url": p.contact_url,
        "contact_phone": p.contact_phone,
    }


def _org_entry(s: Session, org: m.Organisation) -> dict[str, Any]:
    contacts = s.scalars(
        select(OrganisationContact)
        .where(OrganisationContact.organisation_id == org.id)
        .order_by(OrganisationContact.role)
    )
    return {
        "oin": org.oin,
        "name": org.name,
        "kind": str(org.kind),
        "active": org.active,
        "profile": _profile(s.get(OrganisationProfile, org.id)),
        "contacts": [
            {"role": str(c.role), "name": c.name, "email": c.email, "phone": c.phone}
            for c in contacts
        ],
    }


def _connection_entry(s: Session, conn: m.Connection, *, with_documents: bool) -> dict[str, Any]:
    cert = s.get(Certificate, conn.certificate_id) if conn.certificate_id else None
    record = s.get(CpaRecord, conn.cpa_record_id) if conn.cpa_record_id else None
    cpa: dict[str, Any] | None = None
    if record is not None:
        cpa = {"cpa_id": record.cpa_id, "filename": record.filename, "sha256": record.sha256}
        if with_documents:
            cpa["document_base64"] = base64.b64encode(record.document).decode("ascii")
    return {
        "name": conn.name,
        "owner_oin": conn.owner.oin,
        "environment": str(conn.environment),
        "transport": conn.transport,
        "active": conn.active,
        "endpoint_url": conn.endpoint_url,
        "endpoint_override": conn.endpoint_override,
        "wus_url": SettingsRepository(s).get(KEY_WUS_URL.format(connection_id=conn.id)) or "",
        "sends_for": sorted(
            o.oin for o in conn.organisations if o.id != conn.owner_organisation_id
        ),
        "certificate": {
            "fingerprint_sha256": cert.fingerprint_sha256,
            "label": cert.label,
            "oin": cert.oin,
        }
        if cert is not None
        else None,
        "cpa": cpa,
    }


def _berichttype_entry(bt: m.BerichtType, org_oin: str) -> dict[str, Any]:
    return {
        "organisation_oin": org_oin,
        "code": bt.code,
        "name": bt.name,
        "description": bt.description,
        "status": {env.value: str(bt.status_for(env)) for env in Environment},
    }


def _flow_entry(s: Session, flow: Flow, org_oin: str) -> dict[str, Any]:
    conn = s.get(m.Connection, flow.connection_id) if flow.connection_id else None
    return {
        "organisation_oin": org_oin,
        "name": flow.name,
        "source_system": flow.source_system,
        "default_berichttype": flow.default_berichttype,
        "connection": conn.name if conn is not None else None,
        "cadence": str(flow.cadence),
        "volume_per_month": flow.volume_per_month,
        "delivery_policy": str(flow.delivery_policy),
        "portal_url": flow.portal_url,
        "payment_url": flow.payment_url,
        "active": flow.active,
        "peaks": [
            {"day": p.day.isoformat(), "expected_letters": p.expected_letters, "note": p.note}
            for p in sorted(flow.peaks, key=lambda p: p.day)
        ],
        "templates": [
            {
                "name": t.name,
                "berichttype": t.berichttype,
                "onderwerp": t.onderwerp,
                "berichttekst": t.berichttekst,
            }
            for t in sorted(flow.templates, key=lambda t: t.name)
        ],
    }


# --- reading a file -------------------------------------------------------------------------


def _need(entry: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in entry:
        raise ConfigFileError(f"{where}: '{key}' ontbreekt.")
    value = entry[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigFileError(f"{where}: '{key}' heeft een onverwachte waarde ({value!r}).")
    return value


def _opt(entry: Mapping[str, Any], key: str, where: str, kind: type, default: Any) -> Any:
    value = entry.get(key, default)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigFileError(f"{where}: '{key}' heeft een onverwachte waarde ({value!r}).")
    return value


def read_file(data: bytes) -> dict[str, Any]:
    """Parse and check the structure; every problem names its place in the file."""
    if len(data) > MAX_FILE_BYTES:
        raise ConfigFileError(
            f"Het bestand is {len(data):,} bytes; maximaal {MAX_FILE_BYTES:,}.".replace(",", ".")
        )
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigFileError(
            "Het bestand is geen UTF-8-tekst; is het een configuratie-export?"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigFileError(
            f"Het bestand is geen geldige JSON (regel {exc.lineno}, kolom {exc.colno})."
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ConfigFileError(
            "Dit is geen configuratie-export van de Berichtenbox console (het veld 'format' "
            f"moet '{FORMAT}' zijn)."
        )
    version = doc.get("version")
    if version != VERSION:
        raise ConfigFileError(
            f"Het bestand heeft versie {version}; deze console leest versie {VERSION}. Gebruik "
            "dezelfde versie van de console om te exporteren en te importeren."
        )
    for section in ("organisations", "connections", "berichttypes", "flows"):
        if not isinstance(doc.get(section, []), list):
            raise ConfigFileError(f"'{section}' moet een lijst zijn.")
    return doc


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "ja" if value else "nee"
    return str(value)


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(k, _text(before.get(k)), _text(after.get(k)))
        for k in sorted(after)
        if before.get(k) != after.get(k)
    )


# --- the service ----------------------------------------------------------------------------


class ConfigTransferService:
    def __init__(self, db: Database, cpa: CpaService | None = None) -> None:
        self._db = db
        self._cpa = cpa or CpaService(db)

    # -- export ------------------------------------------------------------------------------

    def export(self, *, actor: str | None = None) -> bytes:
        """The whole configuration as one JSON document (UTF-8), without secrets."""
        who = actor or audit.current_actor()
        now = datetime.now(UTC)
        with self._db.session() as s:
            doc = self._snapshot(s, with_documents=True)
            audit.record(
                s,
                actor=who,
                action=audit.GEEXPORTEERD,
                entity=audit.CONFIGURATIE,
                key="export",
                label="Configuratie",
                summary=(
                    f"Configuratie geëxporteerd: {len(doc['organisations'])} organisaties, "
                    f"{len(doc['connections'])} koppelingen, {len(doc['berichttypes'])} "
                    f"berichttypes, {len(doc['flows'])} berichtstromen."
                ),
                at=now,
            )
            s.commit()
        out = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": now.isoformat(),
            "exported_by": who,
            "note": "Zonder geheimen: geen sleutels of wachtwoorden. Certificaten staan er "
            "alleen met hun vingerafdruk in; importeer ze op de andere werkplek bij Certificaten.",
            **doc,
        }
        return json.dumps(out, ensure_ascii=False, indent=2).encode("utf-8")

    def _snapshot(self, s: Session, *, with_documents: bool) -> dict[str, Any]:
        orgs = list(s.scalars(select(m.Organisation).order_by(m.Organisation.oin)))
        oin = {o.id: o.oin for o in orgs}
        return {
            "organisations": [_org_entry(s, o) for o in orgs],
            "connections": [
                _connection_entry(s, c, with_documents=with_documents)
                for c in s.scalars(select(m.Connection).order_by(m.Connection.name))
            ],
            "berichttypes": [
                _berichttype_entry(bt, oin[bt.organisation_id])
                for bt in sorted(
                    s.scalars(select(m.BerichtType)),
                    key=lambda b: (oin[b.organisation_id], b.code),
                )
            ],
            "flows": [
                _flow_entry(s, f, oin[f.organisation_id])
                for f in sorted(
                    s.scalars(select(Flow)), key=lambda f: (oin[f.organisation_id], f.name)
                )
            ],
        }

    # -- import ------------------------------------------------------------------------------

    def preview(self, data: bytes) -> ImportPreview:
        """What an import of *data* would change; nothing is stored."""
        doc = read_file(data)
        with self._db.session() as s:
            plan = self._plan(s, doc, apply=False, actor="")
            s.rollback()
        return self._result(doc, plan, applied=False)

    def apply(self, data: bytes, *, actor: str | None = None) -> ImportPreview:
        """Import *data*: everything in one unit of work with its audit entries; then the CPAs."""
        doc = read_file(data)
        who = actor or audit.current_actor()
        with self._db.session(immediate=True) as s:
            plan = self._plan(s, doc, apply=True, actor=who)
            audit.record(
                s,
                actor=who,
                action=audit.GEIMPORTEERD,
                entity=audit.CONFIGURATIE,
                key="import",
                label="Configuratie",
                summary=(
                    f"Configuratie geïmporteerd (export van {doc.get('exported_by', '?')}, "
                    f"{doc.get('exported_at', '?')}): "
                    f"{sum(1 for c in plan.changes if c.kind == NEW)} nieuw, "
                    f"{sum(1 for c in plan.changes if c.kind == CHANGED)} gewijzigd."
                ),
            )
            s.commit()
            conn_ids = {c.name: c.id for c in s.scalars(select(m.Connection))}
        for name, document, filename in plan.cpas:
            try:
                self._cpa.import_bytes(document, filename, connection_id=conn_ids[name], actor=who)
            except ServiceError as exc:
                plan.warnings.append(f"De CPA van koppeling {name} is niet toegepast: {exc}")
        return self._result(doc, plan, applied=True)

    @staticmethod
    def _result(doc: Mapping[str, Any], plan: _Plan, *, applied: bool) -> ImportPreview:
        return ImportPreview(
            tuple(plan.changes),
            tuple(plan.warnings),
            applied=applied,
            exported_at=str(doc.get("exported_at", "")),
            exported_by=str(doc.get("exported_by", "")),
        )

    def _plan(self, s: Session, doc: Mapping[str, Any], *, apply: bool, actor: str) -> _Plan:
        plan = _Plan()
        orgs = self._organisations(s, doc.get("organisations", []), plan, apply, actor)
        self._connections(s, doc.get("connections", []), orgs, plan, apply, actor)
        self._berichttypes(s, doc.get("berichttypes", []), orgs, plan, apply, actor)
        self._flows(s, doc.get("flows", []), orgs, plan, apply, actor)
        return plan

    # organisations ------------------------------------------------------------------------

    def _organisations(
        self, s: Session, entries: list[Any], plan: _Plan, apply: bool, actor: str
    ) -> dict[str, m.Organisation]:
        by_oin = {o.oin: o for o in s.scalars(select(m.Organisation))}
        seen: set[str] = set()
        for n, entry in enumerate(entries, start=1):
            where = f"organisations[{n}]"
            if not isinstance(entry, dict):
                raise ConfigFileError(f"{where} is geen object.")
            oin = _need(entry, "oin", where, str).strip()
            if (problem := oin_problem(oin)) is not None:
                raise ConfigFileError(f"{where} ({entry.get('name', '?')}): {problem}")
            if oin in seen:
                raise ConfigFileError(f"{where}: OIN {oin} staat twee keer in het bestand.")
            seen.add(oin)
            name = _need(entry, "name", where, str).strip()
            if not name:
                raise ConfigFileError(f"{where}: de naam is leeg.")
            kind = _opt(entry, "kind", where, str, "gemeente")
            if kind not in KIND_LABELS:
                raise ConfigFileError(f"{where}: soort '{kind}' bestaat niet.")
            profile = _opt(entry, "profile", where, dict, None)
            contacts = _opt(entry, "contacts", where, list, [])
            roles = {r.value for r in ContactRole}
            for c in contacts:
                if not isinstance(c, dict) or c.get("role") not in roles:
                    raise ConfigFileError(f"{where}: een contactpersoon heeft geen geldige rol.")
            after = {
                "oin": oin,
                "name": name,
                "kind": kind,
                "active": bool(_opt(entry, "active", where, bool, True)),
                "profile": {k: str((profile or {}).get(k, "")) for k in _PROFILE_KEYS}
                if profile
                else None,
                "contacts": sorted(
                    (
                        {
                            "role": str(c["role"]),
                            "name": str(c.get("name", "")),
                            "email": str(c.get("email", "")),
                            "phone": str(c.get("phone", "")),
                        }
                        for c in contacts
                    ),
                    key=lambda c: c["role"],
                ),
            }
            org = by_oin.get(oin)
            before = _org_entry(s, org) if org is not None else None
            label = f"{name} ({oin})"
            if before is not None and before == after:
                plan.changes.append(ConfigChange(audit.ORGANISATIE, label, UNCHANGED))
                continue
            plan.changes.append(
                ConfigChange(
                    audit.ORGANISATIE,
                    label,
                    NEW if before is None else CHANGED,
                    _diff(before or {}, after),
                )
            )
            if not apply:
                if org is None:  # later sections refer to it by OIN
                    by_oin[oin] = m.Organisation(id=-len(by_oin) - 1, oin=oin, name=name)
                continue
            if org is None:
                org = m.Organisation(oin=oin, name=name, kind=m.OrganisationKind(kind))
                s.add(org)
                by_oin[oin] = org
            org.name = name
            org.kind = m.OrganisationKind(kind)
            org.active = after["active"]
            s.flush()
            self._write_profile(s, org, after["profile"], actor)
            existing = {
                str(c.role): c
                for c in s.scalars(
                    select(OrganisationContact).where(OrganisationContact.organisation_id == org.id)
                )
            }
            for c in after["contacts"]:
                row = existing.get(c["role"]) or OrganisationContact(
                    organisation_id=org.id, role=ContactRole(c["role"])
                )
                row.name, row.email, row.phone = c["name"], c["email"], c["phone"]
                s.add(row)
            s.flush()
            audit.record(
                s,
                actor=actor,
                action=audit.AANGEMAAKT if before is None else audit.GEWIJZIGD,
                entity=audit.ORGANISATIE,
                key=oin,
                label=name,
                summary=f"Organisatie {name} {'aangemaakt' if before is None else 'gewijzigd'} "
                "bij het importeren van de configuratie.",
                before=before,
                after=after,
            )
        return by_oin

    @staticmethod
    def _write_profile(
        s: Session, org: m.Organisation, profile: dict[str, str] | None, actor: str
    ) -> None:
        row = s.get(OrganisationProfile, org.id)
        if profile is None:
            if row is not None:
                s.delete(row)
            return
        if row is None:
            row = OrganisationProfile(organisation_id=org.id)
            s.add(row)
        for key in _PROFILE_KEYS:
            setattr(row, key, profile.get(key, ""))
        row.updated_by = actor

    # connections --------------------------------------------------------------------------

    def _connections(
        self,
        s: Session,
        entries: list[Any],
        orgs: dict[str, m.Organisation],
        plan: _Plan,
        apply: bool,
        actor: str,
    ) -> None:
        by_name = {c.name: c for c in s.scalars(select(m.Connection))}
        for n, entry in enumerate(entries, start=1):
            where = f"connections[{n}]"
            if not isinstance(entry, dict):
                raise ConfigFileError(f"{where} is geen object.")
            name = _need(entry, "name", where, str).strip()
            where = f"{where} ({name})"
            owner_oin = _need(entry, "owner_oin", where, str)
            owner = orgs.get(owner_oin)
            if owner is None:
                raise ConfigFileError(
                    f"{where}: eigenaar met OIN {owner_oin} staat niet in het bestand."
                )
            try:
                env = Environment(_need(entry, "environment", where, str))
                transport = Transport(_opt(entry, "transport", where, str, "internet"))
            except ValueError as exc:
                raise ConfigFileError(f"{where}: {exc}") from None
            sends_for = _opt(entry, "sends_for", where, list, [])
            for oin in sends_for:
                if oin not in orgs:
                    raise ConfigFileError(
                        f"{where}: organisatie met OIN {oin} staat niet in het bestand."
                    )
            endpoint = _opt(entry, "endpoint_url", where, str, "")
            wus = _opt(entry, "wus_url", where, str, "")
            for url, what in ((endpoint, "ebMS-adres"), (wus, "WUS-adres")):
                if (problem := https_url_problem(url, what)) is not None:
                    raise ConfigFileError(f"{where}: {problem}")
            guard = environment_guard.oin_issues(
                env,
                connection_name=name,
                owner_name=owner.name,
                owner_oin=owner.oin,
                organisations=[(orgs[o].name, o) for o in sends_for],
            )
            if guard:
                raise ConfigFileError(f"{where}: {guard[0].message}")
            notes: list[str] = []
            cert_ref = _opt(entry, "certificate", where, dict, None)
            cert: Certificate | None = None
            if cert_ref is not None:
                cert = s.scalar(
                    select(Certificate).where(
                        Certificate.fingerprint_sha256
                        == str(cert_ref.get("fingerprint_sha256", ""))
                    )
                )
                if cert is None:
                    notes.append(
                        f"Het certificaat {cert_ref.get('label', '')} (vingerafdruk "
                        f"{str(cert_ref.get('fingerprint_sha256', ''))[:16]}…) staat niet op deze "
                        "werkplek. Importeer het bij Certificaten en koppel het."
                    )
            active = bool(_opt(entry, "active", where, bool, True))
            conn = by_name.get(name)
            cert_id = cert.id if cert is not None else (conn.certificate_id if conn else None)
            if active and env is not Environment.SIMULATOR and cert_id is None:
                active = False
                notes.append("Geïmporteerd als niet actief: er is nog geen clientcertificaat.")
            cpa_entry = _opt(entry, "cpa", where, dict, None)
            cpa_doc: bytes | None = None
            if cpa_entry is not None and cpa_entry.get("document_base64"):
                try:
                    cpa_doc = base64.b64decode(str(cpa_entry["document_base64"]), validate=True)
                except (binascii.Error, ValueError):
                    raise ConfigFileError(f"{where}: het CPA-document is beschadigd.") from None
                try:
                    cpa = parse_cpa(cpa_doc)
                except CpaError as exc:
                    raise ConfigFileError(f"{where}: de CPA is niet te lezen: {exc}") from None
                if cpa.party_by_oin(owner_oin) is None:
                    parties = ", ".join(p.party_id.value for p in cpa.parties)
                    raise ConfigFileError(
                        f"{where}: de partijen in CPA {cpa.cpa_id} zijn {parties}; het OIN van "
                        f"eigenaar {owner.name} ({owner_oin}) staat er niet in."
                    )
            after = {
                "name": name,
                "owner_oin": owner_oin,
                "environment": env.value,
                "transport": transport.value,
                "active": active,
                "endpoint_url": endpoint,
                "endpoint_override": _opt(entry, "endpoint_override", where, str, None),
                "wus_url": wus,
                "sends_for": sorted(sends_for),
                "cpa": (cpa_entry or {}).get("sha256") if cpa_doc is not None else None,
            }
            before: dict[str, Any] | None = None
            if conn is not None:
                b = _connection_entry(s, conn, with_documents=False)
                before = {k: b[k] for k in after if k != "cpa"}
                before["cpa"] = (b["cpa"] or {}).get("sha256") if cpa_doc is not None else None
                if env is not conn.environment:
                    history = s.scalar(
                        select(m.Letter.id).where(m.Letter.connection_id == conn.id).limit(1)
                    )
                    if history is not None:
                        raise ConfigFileError(
                            f"{where}: de koppeling heeft hier al berichten in "
                            f"{conn.environment.label}; de omgeving kan niet veranderen naar "
                            f"{env.label}."
                        )
            cert_changed = cert is not None and conn is not None and conn.certificate_id != cert.id
            if before is not None and before == after and not cert_changed:
                plan.changes.append(
                    ConfigChange(audit.KOPPELING, name, UNCHANGED, notes=tuple(notes))
                )
                continue
            fields = _diff(before or {}, after)
            if cert_changed and cert is not None:
                fields += (FieldChange("certificate", "-", cert.label),)
            plan.changes.append(
                ConfigChange(
                    audit.KOPPELING,
                    name,
                    NEW if before is None else CHANGED,
                    fields,
                    tuple(notes),
                )
            )
            plan.warnings += [f"Koppeling {name}: {note}" for note in notes]
            if cpa_doc is not None and (before is None or before["cpa"] != after["cpa"]):
                plan.cpas.append((name, cpa_doc, str(cpa_entry.get("filename") or "cpa.xml")))
            if not apply:
                continue
            if conn is None:
                conn = m.Connection(
                    name=name,
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
                )
                s.add(conn)
                by_name[name] = conn
            conn.owner_organisation_id = owner.id
            conn.owner = owner
            conn.environment = env
            conn.transport = transport.value
            conn.active = active
            if endpoint:
                conn.endpoint_url = endpoint
            conn.endpoint_override = after["endpoint_override"]
            conn.certificate_id = cert_id
            conn.organisations = [orgs[o] for o in sends_for]
            s.flush()
            settings = SettingsRepository(s)
            key = KEY_WUS_URL.format(connection_id=conn.id)
            if wus:
                settings.set(key, wus)
            else:
                settings.delete(key)
            audit.record(
                s,
                actor=actor,
                action=audit.AANGEMAAKT if before is None else audit.GEWIJZIGD,
                entity=audit.KOPPELING,
                key=conn.id,
                label=name,
                summary=f"Koppeling {name} {'aangemaakt' if before is None else 'gewijzigd'} "
                "bij het importeren van de configuratie.",
                before=before,
                after=after,
            )

    # berichttypes -------------------------------------------------------------------------

    def _berichttypes(
        self,
        s: Session,
        entries: list[Any],
        orgs: dict[str, m.Organisation],
        plan: _Plan,
        apply: bool,
        actor: str,
    ) -> None:
        for n, entry in enumerate(entries, start=1):
            where = f"berichttypes[{n}]"
            if not isinstance(entry, dict):
                raise ConfigFileError(f"{where} is geen object.")
            oin = _need(entry, "organisation_oin", where, str)
            code = _need(entry, "code", where, str)
            where = f"{where} ({code})"
            org = orgs.get(oin)
            if org is None:
                raise ConfigFileError(
                    f"{where}: organisatie met OIN {oin} staat niet in het bestand."
                )
            if (problem := berichttype_code_problem(code)) is not None:
                raise ConfigFileError(f"{where}: {problem}")
            name = _need(entry, "name", where, str)
            raw = _opt(entry, "status", where, dict, {})
            try:
                wanted = {
                    env: BerichtTypeStatus(raw.get(env.value, "concept")) for env in Environment
                }
            except ValueError as exc:
                raise ConfigFileError(f"{where}: {exc}") from None
            bt = (
                s.scalar(
                    select(m.BerichtType).where(
                        m.BerichtType.organisation_id == org.id, m.BerichtType.code == code
                    )
                )
                if org.id is not None and org.id > 0
                else None
            )
            current = (
                {env: BerichtTypeStatus(bt.status_for(env)) for env in Environment}
                if bt is not None
                else dict.fromkeys(Environment, BerichtTypeStatus.CONCEPT)
            )
            notes: list[str] = []
            target = dict(current)
            for env in Environment:  # preprod before productie: the domain's order
                problem = status_change_problem(code, env, wanted[env], target)
                if problem is None:
                    target[env] = wanted[env]
                else:
                    notes.append(
                        f"Status in {env.label} blijft {current[env].label.lower()}: {problem}"
                    )
            after = {
                "name": name,
                "description": _opt(entry, "description", where, str, ""),
                "status": {env.value: target[env].value for env in Environment},
            }
            before = (
                {
                    "name": bt.name,
                    "description": bt.description,
                    "status": {env.value: current[env].value for env in Environment},
                }
                if bt is not None
                else None
            )
            label = f"{code} ({org.name})"
            plan.warnings += [f"Berichttype {label}: {note}" for note in notes]
            if before is not None and before == after:
                plan.changes.append(
                    ConfigChange(audit.BERICHTTYPE, label, UNCHANGED, notes=tuple(notes))
                )
                continue
            plan.changes.append(
                ConfigChange(
                    audit.BERICHTTYPE,
                    label,
                    NEW if before is None else CHANGED,
                    _diff(before or {}, after),
                    tuple(notes),
                )
            )
            if not apply:
                continue
            now = datetime.now(UTC)
            if bt is None:
                bt = m.BerichtType(
                    organisation_id=org.id,
                    code=code,
                    status_simulator=BerichtTypeStatus.CONCEPT,
                    status_preprod=BerichtTypeStatus.CONCEPT,
                    status_productie=BerichtTypeStatus.CONCEPT,
                )
                s.add(bt)
            bt.name = name
            bt.description = after["description"]
            bt.updated_at = now
            bt.updated_by = actor
            s.flush()
            for env in Environment:
                if target[env] is not current[env]:
                    bt.set_status_for(env, target[env])
                    s.add(
                        BerichtTypeStatusChange(
                            berichttype_id=bt.id,
                            environment=env,
                            old_status=current[env],
                            new_status=target[env],
                            at=now,
                            actor=actor,
                        )
                    )
            audit.record(
                s,
                actor=actor,
                action=audit.AANGEMAAKT if before is None else audit.GEWIJZIGD,
                entity=audit.BERICHTTYPE,
                key=f"{oin}/{code}",
                label=label,
                summary=f"Berichttype {label} {'aangemaakt' if before is None else 'gewijzigd'} "
                "bij het importeren van de configuratie.",
                before=before,
                after=after,
            )

    # flows --------------------------------------------------------------------------------

    def _flows(
        self,
        s: Session,
        entries: list[Any],
        orgs: dict[str, m.Organisation],
        plan: _Plan,
        apply: bool,
        actor: str,
    ) -> None:
        conns = {c.name: c for c in s.scalars(select(m.Connection))}
        file_conns = {c["name"] for c in _as_list(plan, "koppeling")}
        for n, entry in enumerate(entries, start=1):
            where = f"flows[{n}]"
            if not isinstance(entry, dict):
                raise ConfigFileError(f"{where} is geen object.")
            oin = _need(entry, "organisation_oin", where, str)
            name = _need(entry, "name", where, str).strip()
            where = f"{where} ({name})"
            org = orgs.get(oin)
            if org is None:
                raise ConfigFileError(
                    f"{where}: organisatie met OIN {oin} staat niet in het bestand."
                )
            if (problem := flow_name_problem(name)) is not None:
                raise ConfigFileError(f"{where}: {problem}")
            conn_name = _opt(entry, "connection", where, str, None)
            if conn_name is not None and conn_name not in conns and conn_name not in file_conns:
                raise ConfigFileError(f"{where}: koppeling {conn_name} bestaat niet.")
            try:
                cadence = Cadence(_opt(entry, "cadence", where, str, Cadence.CONTINU.value))
                policy = DeliveryPolicy(
                    _opt(
                        entry,
                        "delivery_policy",
                        where,
                        str,
                        DeliveryPolicy.DIGITAAL_ANDERS_PAPIER.value,
                    )
                )
            except ValueError as exc:
                raise ConfigFileError(f"{where}: {exc}") from None
            portal = _opt(entry, "portal_url", where, str, "")
            payment = _opt(entry, "payment_url", where, str, "")
            for url, what in ((portal, "portaaladres"), (payment, "betaaladres")):
                if (problem := https_url_problem(url, what)) is not None:
                    raise ConfigFileError(f"{where}: {problem}")
            peaks: list[dict[str, Any]] = []
            for p in _opt(entry, "peaks", where, list, []):
                try:
                    day = date.fromisoformat(str(p["day"]))
                except (KeyError, TypeError, ValueError):
                    raise ConfigFileError(
                        f"{where}: een piekdag heeft geen geldige datum."
                    ) from None
                peaks.append(
                    {
                        "day": day.isoformat(),
                        "expected_letters": p.get("expected_letters"),
                        "note": str(p.get("note", "")),
                    }
                )
            templates: list[dict[str, Any]] = []
            for t in _opt(entry, "templates", where, list, []):
                if not isinstance(t, dict) or not str(t.get("name", "")).strip():
                    raise ConfigFileError(f"{where}: een sjabloon heeft geen naam.")
                templates.append(
                    {
                        "name": str(t["name"]).strip(),
                        "berichttype": t.get("berichttype"),
                        "onderwerp": str(t.get("onderwerp", "")),
                        "berichttekst": str(t.get("berichttekst", "")),
                    }
                )
            after = {
                "organisation_oin": oin,
                "name": name,
                "source_system": _opt(entry, "source_system", where, str, ""),
                "default_berichttype": _opt(entry, "default_berichttype", where, str, None),
                "connection": conn_name,
                "cadence": cadence.value,
                "volume_per_month": _opt(entry, "volume_per_month", where, int, None),
                "delivery_policy": policy.value,
                "portal_url": portal,
                "payment_url": payment,
                "active": bool(_opt(entry, "active", where, bool, True)),
                "peaks": sorted(peaks, key=lambda p: p["day"]),
                "templates": sorted(templates, key=lambda t: t["name"]),
            }
            flow = (
                s.scalar(select(Flow).where(Flow.organisation_id == org.id, Flow.name == name))
                if org.id is not None and org.id > 0
                else None
            )
            before = _flow_entry(s, flow, oin) if flow is not None else None
            if before is not None:
                # Templates are never deleted by an import: compare only those in the file.
                wanted = {t["name"] for t in templates}
                before = {
                    **before,
                    "templates": [t for t in before["templates"] if t["name"] in wanted],
                }
            label = f"{name} ({org.name})"
            if before is not None and before == after:
                plan.changes.append(ConfigChange(audit.BERICHTSTROOM, label, UNCHANGED))
                continue
            plan.changes.append(
                ConfigChange(
                    audit.BERICHTSTROOM,
                    label,
                    NEW if before is None else CHANGED,
                    _diff(before or {}, after),
                )
            )
            if not apply:
                continue
            now = datetime.now(UTC)
            if flow is None:
                flow = Flow(organisation_id=org.id, created_at=now)
                s.add(flow)
            flow.name = name
            flow.source_system = after["source_system"]
            flow.default_berichttype = after["default_berichttype"]
            conn = conns.get(conn_name) if conn_name else None
            if conn_name and conn is None:
                conn = s.scalar(select(m.Connection).where(m.Connection.name == conn_name))
            flow.connection_id = conn.id if conn is not None else None
            flow.cadence = cadence
            flow.volume_per_month = after["volume_per_month"]
            flow.delivery_policy = policy
            flow.portal_url = portal
            flow.payment_url = payment
            flow.active = after["active"]
            flow.updated_at = now
            flow.updated_by = actor
            flow.peaks = [
                FlowPeak(
                    day=date.fromisoformat(p["day"]),
                    expected_letters=p["expected_letters"],
                    note=p["note"],
                )
                for p in after["peaks"]
            ]
            have = {t.name: t for t in flow.templates}
            for t in templates:
                row = have.get(t["name"])
                if row is None:
                    row = FlowTemplate(name=t["name"])
                    flow.templates.append(row)
                row.berichttype = t["berichttype"]
                row.onderwerp = t["onderwerp"]
                row.berichttekst = t["berichttekst"]
                row.updated_at = now
                row.updated_by = actor
            s.flush()
            audit.record(
                s,
                actor=actor,
                action=audit.AANGEMAAKT if before is None else audit.GEWIJZIGD,
                entity=audit.BERICHTSTROOM,
                key=flow.id,
                label=label,
                summary=f"Berichtstroom {label} {'aangemaakt' if before is None else 'gewijzigd'} "
                "bij het importeren van de configuratie.",
                before=before,
                after=after,
            )


_PROFILE_KEYS = ("display_name", "description", "website_url", "contact_url", "contact_phone")


def _as_list(plan: _Plan, entity: str) -> list[dict[str, str]]:
    return [{"name": c.key} for c in plan.changes if c.entity == entity]
