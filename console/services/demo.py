"""The demo workspace a fresh data dir gets: a municipality on the built-in simulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from console.db import models as m
from console.db.database import Database
from console.domain.environment import Environment
from console.services.workspace import ACTIVE_CONNECTION, ACTIVE_ORGANISATION, DEMO_FLAG

DEMO_ORGANISATION = "Gemeente Voorbeeld"
DEMO_OIN = "00000099123456789000"  # test-OIN (prefix 00000099)
DEMO_CONNECTION = "Demo-simulator"
LOGIUS_OIN = "00000004003214345001"
DEMO_CPA_ID = "MIJNOVERHEID-EBMS-BB-2-0_demo-simulator"
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
        for key, value in (
            (ACTIVE_CONNECTION, conn.id),
            (ACTIVE_ORGANISATION, org.id),
            (DEMO_FLAG, True),
        ):
            s.merge(m.Setting(key=key, value=json.dumps(value)))
        s.commit()
        return conn.id
