"""The workspace: which connection and organisation the user works with, and what they offer."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.domain.environment import Environment
from console.services.dto import BerichtTypeInfo, OrganisationInfo, WorkspaceStatus
from console.services.errors import NoActiveConnection, NotFound

ACTIVE_CONNECTION = "workspace.active_connection_id"
ACTIVE_ORGANISATION = "workspace.active_organisation_id"
DEMO_FLAG = "workspace.demo"


def _status_column(env: Environment) -> str:
    return {
        Environment.SIMULATOR: "status_simulator",
        Environment.PREPROD: "status_preprod",
        Environment.PRODUCTIE: "status_productie",
    }[env]


class WorkspaceService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _setting(self, s: Session, key: str) -> Any:
        row = s.get(m.Setting, key)
        return json.loads(row.value) if row is not None else None

    def _set(self, s: Session, key: str, value: object) -> None:
        row = s.get(m.Setting, key)
        if row is None:
            s.add(m.Setting(key=key, value=json.dumps(value)))
        else:
            row.value = json.dumps(value)

    def active_connection(self, s: Session) -> m.Connection | None:
        cid = self._setting(s, ACTIVE_CONNECTION)
        conn = s.get(m.Connection, cid) if cid is not None else None
        if conn is None:
            conn = s.scalar(
                select(m.Connection).where(m.Connection.active.is_(True)).order_by(m.Connection.id)
            )
        return conn

    def status(self) -> WorkspaceStatus:
        with self._db.session() as s:
            conn = self.active_connection(s)
            if conn is None:
                return WorkspaceStatus(
                    environment=Environment.SIMULATOR,
                    connection_id=None,
                    connection_name="(geen koppeling)",
                    organisation_id=None,
                    organisation_name="(geen organisatie)",
                    organisation_oin="",
                    is_demo=False,
                )
            orgs = sorted(
                {conn.owner, *conn.organisations},
                key=lambda o: (o.id != conn.owner_organisation_id, o.name),
            )
            oid = self._setting(s, ACTIVE_ORGANISATION)
            org = next((o for o in orgs if o.id == oid), orgs[0])
            return WorkspaceStatus(
                environment=conn.environment,
                connection_id=conn.id,
                connection_name=conn.name,
                organisation_id=org.id,
                organisation_name=org.name,
                organisation_oin=org.oin,
                is_demo=bool(self._setting(s, DEMO_FLAG)),
                organisations=tuple(
                    OrganisationInfo(o.id, o.name, o.oin, str(o.kind)) for o in orgs
                ),
            )

    def set_active_organisation(self, organisation_id: int) -> WorkspaceStatus:
        with self._db.session() as s:
            if s.get(m.Organisation, organisation_id) is None:
                raise NotFound(f"Organisatie {organisation_id} bestaat niet.")
            self._set(s, ACTIVE_ORGANISATION, organisation_id)
            s.commit()
        return self.status()

    def berichttypes(self, organisation_id: int) -> list[BerichtTypeInfo]:
        with self._db.session() as s:
            conn = self.active_connection(s)
            env = conn.environment if conn is not None else Environment.SIMULATOR
            column = _status_column(env)
            rows = s.scalars(
                select(m.BerichtType)
                .where(m.BerichtType.organisation_id == organisation_id)
                .order_by(m.BerichtType.code)
            )
            return [
                BerichtTypeInfo(
                    b.id,
                    b.organisation_id,
                    b.code,
                    b.name,
                    getattr(b, column) == m.BerichtTypeStatus.ACTIEF,
                )
                for b in rows
            ]

    def connection_id_for(self, organisation_id: int) -> int:
        """The active connection, when it may send for this organisation."""
        with self._db.session() as s:
            conn = self.active_connection(s)
            if conn is None:
                raise NoActiveConnection()
            allowed = {conn.owner_organisation_id, *(o.id for o in conn.organisations)}
            if organisation_id not in allowed:
                org = s.get(m.Organisation, organisation_id)
                name = org.name if org else str(organisation_id)
                raise NotFound(f"Koppeling {conn.name} mag niet versturen voor {name}.")
            return conn.id
