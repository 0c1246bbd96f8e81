"""The demo workspace a fresh data dir gets: a municipality on the built-in simulator."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_flows import (
    AuditEntry,
    BerichtTypeStatusChange,
    ContactRole,
    Flow,
    FlowPeak,
    FlowTemplate,
    OrganisationContact,
    OrganisationProfile,
)
from console.digikoppeling.ebms.cpa import CpaPartySpec, CpaSpec, build_cpa
from console.domain.environment import Environment
from console.domain.flow import Cadence, DeliveryPolicy
from console.services.workspace import ACTIVE_CONNECTION, ACTIVE_ORGANISATION, DEMO_FLAG

DEMO_ORGANISATION = "Gemeente Voorbeeld"
DEMO_OIN = "00000099123456789000"  # test-OIN (prefix 00000099)
DEMO_CONNECTION = "Demo-simulator"
LOGIUS_OIN = "00000004003214345001"
DEMO_CPA_PREFIX = "MIJNOVERHEID-EBMS-BB-2-0_"
DEMO_CPA_ID = f"{DEMO_CPA_PREFIX}demo-simulator"
BB_SERVICE = "urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0"

# (code, name, active on the simulator)
DEMO_BERICHTTYPES = (
    ("BELAST", "Aanslag gemeentelijke belastingen", True),
    ("WOZ", "WOZ-beschikking", True),
    ("REISDOC", "Uw reisdocument verloopt", True),
    ("NIEUW", "Nieuw berichttype (nog niet geactiveerd)", False),
)


def needs_demo(db: Database) -> bool:
    with db.session() as s:
        return s.query(m.Connection).count() == 0


def create_demo_workspace(
    db: Database, *, simulator_url: str = "https://127.0.0.1:8444/ebms"
) -> int:
    """Create the demo organisation, connection and berichttypes; return the connection id."""
    now = datetime.now(UTC)
    with db.session() as s:
        org = m.Organisation(
            name=DEMO_ORGANISATION, oin=DEMO_OIN, kind=m.OrganisationKind.GEMEENTE, created_at=now
        )
        s.add(org)
        s.flush()
        conn = m.Connection(
            name=DEMO_CONNECTION,
            owner_organisation_id=org.id,
            environment=Environment.SIMULATOR,
            cpa_id=DEMO_CPA_ID,
            from_party_id=DEMO_OIN,
            from_role="SR",
            to_party_id=LOGIUS_OIN,
            to_role="SP",
            service=BB_SERVICE,
            service_type=None,
            action="GLOBE-R-BV-Request",
            endpoint_url=simulator_url,
            retries=5,
            retry_interval_seconds=10,
            persist_duration_seconds=24 * 3600,
            sync_reply=False,
            active=True,
            created_at=now,
        )
        s.add(conn)
        for code, name, active in DEMO_BERICHTTYPES:
            status = m.BerichtTypeStatus.ACTIEF if active else m.BerichtTypeStatus.CONCEPT
            s.add(
                m.BerichtType(
                    organisation_id=org.id,
                    code=code,
                    name=name,
                    description="",
                    status_simulator=status,
                    status_preprod=m.BerichtTypeStatus.CONCEPT,
                    status_productie=m.BerichtTypeStatus.CONCEPT,
                    updated_at=now,
                    updated_by="demo",
                )
            )
        s.flush()
        add_demo_setups(s, org, conn, simulator_url=simulator_url, now=now)  # issue 5
        for key, value in (
            (ACTIVE_CONNECTION, conn.id),
            (ACTIVE_ORGANISATION, org.id),
            (DEMO_FLAG, True),
        ):
            s.merge(m.Setting(key=key, value=json.dumps(value)))
        s.commit()
        return conn.id


# --- the demo CPA (issue 3) -----------------------------------------------------------------

DEMO_ROLE = "SR"  # the sender of letters
LOGIUS_ROLE = "SP"  # the Berichtenbox service provider
DEMO_SENDS = ("GLOBE-R-BV-Request", "GLOBE-R-A-Request")
DEMO_RECEIVES = ("GLOBE-R-BV-Result", "GLOBE-R-A-Result")


def demo_cpa_document(
    *,
    client_cert_pem: bytes | None,
    inbound_cert_pem: bytes | None,
    simulator_cert_pem: bytes | None,
    inbound_url: str = "https://127.0.0.1:8443/ebms",
    simulator_url: str = "https://127.0.0.1:8444/ebms",
    sync_reply_mode: str = "none",
    now: datetime | None = None,
    organisation_name: str = DEMO_ORGANISATION,
    organisation_oin: str = DEMO_OIN,
    cpa_id: str = DEMO_CPA_ID,
    retries: int = 5,
    retry_interval: timedelta = timedelta(seconds=10),
) -> bytes:
    """A real CPPA 2.0 CPA between the demo municipality and "Logius" (the simulator).

    osb-rm, end-to-end acknowledgments, duplicate elimination, 5 retries 10 seconds apart
    (so the demo shows retries without waiting hours), persist one day, valid for a year.
    The certificates are those of the local test PKI.
    """
    start = (now or datetime.now(UTC)).replace(microsecond=0)
    spec = CpaSpec(
        cpa_id=cpa_id,
        service=BB_SERVICE,
        service_type=None,
        parties=(
            CpaPartySpec(
                name=organisation_name,
                oin=organisation_oin,
                role=DEMO_ROLE,
                endpoint=inbound_url,
                sends=DEMO_SENDS,
                receives=DEMO_RECEIVES,
                client_cert_pem=client_cert_pem,
                server_cert_pem=inbound_cert_pem,
            ),
            CpaPartySpec(
                name="Logius (simulator)",
                oin=LOGIUS_OIN,
                role=LOGIUS_ROLE,
                endpoint=simulator_url,
                sends=DEMO_RECEIVES,
                receives=DEMO_SENDS,
                server_cert_pem=simulator_cert_pem,
            ),
        ),
        start=start - timedelta(days=1),
        end=start + timedelta(days=365),
        retries=retries,
        retry_interval=retry_interval,
        persist_duration=timedelta(days=1),
        sync_reply_mode=sync_reply_mode,
    )
    return build_cpa(spec)


# --- the set-ups from the Logius training material (issue 5) ----------------------------------
#
# Besides the municipality above (its first flow, then more flows), the demo shows how the
# console is set up for: a tax cooperation sending for municipalities and a water board over one
# connection; a municipality sending on behalf of a neighbour; a SaaS supplier for customer
# municipalities; a pension administrator for several funds; one municipality with two
# technical connections. They are further simulator connections; only the one above is the
# workspace's connection (``connection use`` or "Gebruik deze koppeling" switches, then restart).
# Every OIN is a test OIN (prefix 00000099).


@dataclass(frozen=True, slots=True)
class DemoOrganisation:
    name: str
    oin: str
    kind: m.OrganisationKind
    berichttypes: tuple[tuple[str, str], ...] = ()  # (code, name), active on the simulator
    flows: tuple[tuple[str, str, str], ...] = ()  # (name, source system, berichttype)


@dataclass(frozen=True, slots=True)
class DemoSetup:
    connection: str
    owner: DemoOrganisation
    sends_for: tuple[DemoOrganisation, ...] = ()
    transport: str = "internet"


def _org(
    name: str,
    oin: str,
    kind: m.OrganisationKind,
    berichttypes: tuple[tuple[str, str], ...] = (),
    flows: tuple[tuple[str, str, str], ...] = (),
) -> DemoOrganisation:
    return DemoOrganisation(name, oin, kind, berichttypes, flows)


_AANSLAG = (("AANSLAG", "Aanslag gemeentelijke belastingen"),)
_K = m.OrganisationKind
TWEESTROMEN = _org(
    "Gemeente Tweestromen",
    "00000099700000000001",
    _K.GEMEENTE,
    (("AANSLAG", "Aanslag gemeentelijke belastingen"), ("REISDOC", "Uw reisdocument verloopt")),
)

DEMO_SETUPS: tuple[DemoSetup, ...] = (
    DemoSetup(
        "Belastingsamenwerking-simulator",
        _org("Belastingsamenwerking Lage Landen", "00000099300000000001", _K.BELASTINGSAMENWERKING),
        (
            _org(
                "Gemeente Oostdam",
                "00000099300000000002",
                _K.GEMEENTE,
                _AANSLAG,
                (
                    (
                        "Aanslag gemeentelijke belastingen",
                        "Belastingsysteem samenwerking",
                        "AANSLAG",
                    ),
                ),
            ),
            _org(
                "Gemeente Westdam",
                "00000099300000000003",
                _K.GEMEENTE,
                _AANSLAG,
                (
                    (
                        "Aanslag gemeentelijke belastingen",
                        "Belastingsysteem samenwerking",
                        "AANSLAG",
                    ),
                ),
            ),
            _org(
                "Waterschap Lage Weiden",
                "00000099300000000004",
                _K.WATERSCHAP,
                (("WSAANSL", "Aanslag waterschapsbelasting"),),
                (("Aanslag waterschapsbelasting", "Belastingsysteem samenwerking", "WSAANSL"),),
            ),
        ),
        transport="diginetwerk",
    ),
    DemoSetup(
        "Grensdorp-simulator",
        _org(
            "Gemeente Grensdorp",
            "00000099400000000001",
            _K.GEMEENTE,
            _AANSLAG,
            (("Aanslag gemeentelijke belastingen", "Belastingapplicatie Grensdorp", "AANSLAG"),),
        ),
        (
            _org(
                "Gemeente Buurdorp",
                "00000099400000000002",
                _K.GEMEENTE,
                _AANSLAG,
                (
                    (
                        "Aanslag (uitgevoerd door Grensdorp)",
                        "Belastingapplicatie Grensdorp",
                        "AANSLAG",
                    ),
                ),
            ),
        ),
    ),
    DemoSetup(
        "Zaakwijs-SaaS-simulator",
        _org("Zaakwijs BV", "00000099500000000001", _K.LEVERANCIER),
        (
            _org(
                "Gemeente Heidedorp",
                "00000099500000000002",
                _K.GEMEENTE,
                (("VERGUN", "Besluit op uw vergunningaanvraag"),),
                (("Vergunningen", "Zaakwijs (SaaS)", "VERGUN"),),
            ),
            _org(
                "Gemeente Duinstad",
                "00000099500000000003",
                _K.GEMEENTE,
                (("VERGUN", "Besluit op uw vergunningaanvraag"),),
                (("Vergunningen", "Zaakwijs (SaaS)", "VERGUN"),),
            ),
        ),
    ),
    DemoSetup(
        "Pensioenuitvoering-simulator",
        _org("Pensioenuitvoerder Zekerheid", "00000099600000000001", _K.PENSIOENUITVOERDER),
        (
            _org(
                "Pensioenfonds Zorgzaam",
                "00000099600000000002",
                _K.PENSIOENFONDS,
                (("UPO", "Uniform Pensioenoverzicht"),),
                (("Uniform Pensioenoverzicht", "Pensioenadministratie", "UPO"),),
            ),
            _org(
                "Pensioenfonds Bouwvast",
                "00000099600000000003",
                _K.PENSIOENFONDS,
                (("UPO", "Uniform Pensioenoverzicht"),),
                (("Uniform Pensioenoverzicht", "Pensioenadministratie", "UPO"),),
            ),
        ),
    ),
    DemoSetup("Tweestromen-belastingen", TWEESTROMEN),
    DemoSetup("Tweestromen-burgerzaken", TWEESTROMEN),
)

# The first municipality's flows: the first one, then the next (name, source, berichttype).
VOORBEELD_FLOWS = (
    ("Aanslag gemeentelijke belastingen", "Belastingapplicatie", "BELAST"),
    ("WOZ-beschikking", "Belastingapplicatie", "WOZ"),
    ("Reisdocument verloopt", "Burgerzaken (BRP)", "REISDOC"),
    ("Parkeervergunning", "Parkeerapplicatie", "NIEUW"),  # shows the drift check
)

AANSLAG_TEMPLATE = (
    "Geachte {{naam}},\n\nUw aanslag gemeentelijke belastingen {{jaar}} staat klaar. U betaalt "
    "{{bedrag}} euro voor {{vervaldatum}}.\n\nBetalen kan direct via {{betaallink}}\n\n"
    "Uw aanslag en de toelichting vindt u ook op {{portaallink}}\n\nMet vriendelijke groet,\n"
    "Team Belastingen"
)
REISDOC_TEMPLATE = (
    "Geachte {{naam}},\n\nUw {{document}} verloopt op {{vervaldatum}}. Maak op tijd een "
    "afspraak via {{portaallink}}\n\nMet vriendelijke groet,\nTeam Burgerzaken"
)


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def add_demo_setups(
    s: Session,
    voorbeeld: m.Organisation,
    voorbeeld_connection: m.Connection,
    *,
    simulator_url: str,
    now: datetime,
) -> None:
    """The six set-ups of the issue (the first one is Gemeente Voorbeeld itself)."""
    _voorbeeld_details(s, voorbeeld, voorbeeld_connection, now)
    orgs: dict[str, m.Organisation] = {}

    def organisation(spec: DemoOrganisation) -> m.Organisation:
        found = orgs.get(spec.oin)
        if found is not None:
            return found
        org = m.Organisation(name=spec.name, oin=spec.oin, kind=spec.kind, created_at=now)
        s.add(org)
        s.flush()
        for code, name in spec.berichttypes:
            _berichttype(s, org, code, name, now, simulator=True)
        orgs[spec.oin] = org
        return org

    for setup in DEMO_SETUPS:
        owner = organisation(setup.owner)
        members = [organisation(o) for o in setup.sends_for]
        conn = m.Connection(
            name=setup.connection,
            owner_organisation_id=owner.id,
            environment=Environment.SIMULATOR,
            cpa_id=f"{DEMO_CPA_PREFIX}{_slug(setup.connection)}",
            from_party_id=owner.oin,
            from_role=DEMO_ROLE,
            to_party_id=LOGIUS_OIN,
            to_role=LOGIUS_ROLE,
            service=BB_SERVICE,
            service_type=None,
            action="GLOBE-R-BV-Request",
            endpoint_url=simulator_url,
            retries=5,
            retry_interval_seconds=10,
            persist_duration_seconds=24 * 3600,
            sync_reply=False,
            transport=setup.transport,
            active=True,
            created_at=now,
        )
        conn.organisations = members
        s.add(conn)
        s.flush()
        for spec in (setup.owner, *setup.sends_for):
            org = orgs[spec.oin]
            for flow_name, source, code in spec.flows:
                _flow(s, org, conn, flow_name, source, code, now)
    # Tweestromen: taxes over one connection, civil affairs over the other.
    tweestromen = orgs[TWEESTROMEN.oin]
    by_name = {
        c.name: c for c in s.query(m.Connection).filter_by(owner_organisation_id=tweestromen.id)
    }
    _flow(
        s,
        tweestromen,
        by_name["Tweestromen-belastingen"],
        "Aanslag gemeentelijke belastingen",
        "Belastingapplicatie",
        "AANSLAG",
        now,
    )
    _flow(
        s,
        tweestromen,
        by_name["Tweestromen-burgerzaken"],
        "Reisdocument verloopt",
        "Burgerzaken (BRP)",
        "REISDOC",
        now,
    )
    s.add(
        AuditEntry(
            at=now,
            actor="demo",
            action="aangemaakt",
            entity="configuratie",
            entity_key="demo",
            entity_label="Demo-werkruimte",
            summary=f"Demo-werkruimte aangemaakt: {len(orgs) + 1} organisaties, "
            f"{len(DEMO_SETUPS) + 1} koppelingen op de simulator.",
        )
    )
    s.flush()


def _berichttype(
    s: Session, org: m.Organisation, code: str, name: str, now: datetime, *, simulator: bool
) -> m.BerichtType:
    bt = m.BerichtType(
        organisation_id=org.id,
        code=code,
        name=name,
        description="",
        status_simulator=m.BerichtTypeStatus.ACTIEF if simulator else m.BerichtTypeStatus.CONCEPT,
        status_preprod=m.BerichtTypeStatus.CONCEPT,
        status_productie=m.BerichtTypeStatus.CONCEPT,
        updated_at=now,
        updated_by="demo",
    )
    s.add(bt)
    s.flush()
    if simulator:
        s.add(
            BerichtTypeStatusChange(
                berichttype_id=bt.id,
                environment=Environment.SIMULATOR,
                old_status=m.BerichtTypeStatus.CONCEPT,
                new_status=m.BerichtTypeStatus.ACTIEF,
                at=now,
                actor="demo",
            )
        )
    return bt


def _flow(
    s: Session,
    org: m.Organisation,
    conn: m.Connection | None,
    name: str,
    source: str,
    code: str,
    now: datetime,
    **extra: object,
) -> Flow:
    flow = Flow(
        organisation_id=org.id,
        connection_id=conn.id if conn is not None else None,
        name=name,
        source_system=source,
        default_berichttype=code,
        cadence=extra.pop("cadence", Cadence.BATCHES),
        volume_per_month=extra.pop("volume", 1000),
        delivery_policy=DeliveryPolicy.DIGITAAL_ANDERS_PAPIER,
        portal_url=str(extra.pop("portal_url", "")),
        payment_url=str(extra.pop("payment_url", "")),
        active=True,
        created_at=now,
        updated_at=now,
        updated_by="demo",
    )
    s.add(flow)
    s.flush()
    return flow


def _voorbeeld_details(s: Session, org: m.Organisation, conn: m.Connection, now: datetime) -> None:
    """Gemeente Voorbeeld: profile, contacts, its first flow with templates, then more flows."""
    s.add(
        OrganisationProfile(
            organisation_id=org.id,
            display_name="Gemeente Voorbeeld",
            description="Post van de gemeente over belastingen, WOZ en burgerzaken.",
            website_url="https://www.voorbeeld.nl/",
            contact_url="https://www.voorbeeld.nl/contact",
            contact_phone="14 0123",
            updated_at=now,
            updated_by="demo",
        )
    )
    for role, name, email, phone in (
        (ContactRole.ALGEMEEN, "Team Informatievoorziening", "info@voorbeeld.nl", "14 0123"),
        (ContactRole.TECHNISCH, "Applicatiebeheer", "applicatiebeheer@voorbeeld.nl", ""),
        (ContactRole.COMMUNICATIE, "Team Communicatie", "communicatie@voorbeeld.nl", ""),
    ):
        s.add(
            OrganisationContact(
                organisation_id=org.id, role=role, name=name, email=email, phone=phone
            )
        )
    belast = s.query(m.BerichtType).filter_by(organisation_id=org.id, code="BELAST").one()
    belast.status_preprod = m.BerichtTypeStatus.ACTIEF  # tested in preprod, not yet in production
    for bt in s.query(m.BerichtType).filter_by(organisation_id=org.id):
        if bt.status_simulator == m.BerichtTypeStatus.ACTIEF:
            s.add(
                BerichtTypeStatusChange(
                    berichttype_id=bt.id,
                    environment=Environment.SIMULATOR,
                    old_status=m.BerichtTypeStatus.CONCEPT,
                    new_status=m.BerichtTypeStatus.ACTIEF,
                    at=now,
                    actor="demo",
                )
            )
    s.add(
        BerichtTypeStatusChange(
            berichttype_id=belast.id,
            environment=Environment.PREPROD,
            old_status=m.BerichtTypeStatus.CONCEPT,
            new_status=m.BerichtTypeStatus.ACTIEF,
            at=now,
            actor="demo",
        )
    )
    first = _flow(
        s,
        org,
        conn,
        *VOORBEELD_FLOWS[0],
        now,
        volume=4000,
        portal_url="https://mijn.voorbeeld.nl/belastingen",
        payment_url="https://betalen.voorbeeld.nl/aanslag",
    )
    year = now.year + 1
    first.peaks.append(
        FlowPeak(day=date(year, 2, 28), expected_letters=38_000, note=f"Aanslagen {year}")
    )
    first.templates.append(
        FlowTemplate(
            name="Aanslagbiljet",
            berichttype=None,
            onderwerp="Uw aanslag gemeentelijke belastingen {{jaar}}",
            berichttekst=AANSLAG_TEMPLATE,
            updated_at=now,
            updated_by="demo",
        )
    )
    _flow(s, org, conn, *VOORBEELD_FLOWS[1], now, volume=4000)
    reisdoc = _flow(
        s,
        org,
        conn,
        *VOORBEELD_FLOWS[2],
        now,
        cadence=Cadence.CONTINU,
        volume=300,
        portal_url="https://www.voorbeeld.nl/afspraak",
    )
    reisdoc.templates.append(
        FlowTemplate(
            name="Herinnering",
            berichttype=None,
            onderwerp="Uw {{document}} verloopt binnenkort",
            berichttekst=REISDOC_TEMPLATE,
            updated_at=now,
            updated_by="demo",
        )
    )
    _flow(s, org, conn, *VOORBEELD_FLOWS[3], now, cadence=Cadence.CONTINU, volume=150)
