"""The configuration services (issue 5) on a real SQLite database, for the GUI tests.

No engine, simulator or keyring: the pages under test only configure. The services are the
real ones, so what the widgets show is what the database holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console.db.database import Database
from console.services.audit import AuditService
from console.services.berichttypes import BerichtTypeService
from console.services.config_transfer import ConfigTransferService
from console.services.connections import ConnectionService
from console.services.cpa import CpaService
from console.services.flows import FlowService
from console.services.organisations import OrganisationService
from console.services.production_guard import ProductionGuardService
from console.services.workspace import WorkspaceService
from tests.unit.flow_support import demo_db, empty_db


@dataclass
class ConfigServices:
    db: Database
    workspace: WorkspaceService
    organisations: OrganisationService
    connections: ConnectionService
    berichttypes: BerichtTypeService
    flows: FlowService
    audit: AuditService
    config_transfer: ConfigTransferService
    production_guard: ProductionGuardService
    cpa: CpaService
    certificates: None = None


def config_services(path: Path, *, demo: bool = True) -> ConfigServices:
    db = demo_db(path) if demo else empty_db(path)
    workspace = WorkspaceService(db)
    cpa = CpaService(db)
    return ConfigServices(
        db=db,
        workspace=workspace,
        organisations=OrganisationService(db),
        connections=ConnectionService(db, cpa),
        berichttypes=BerichtTypeService(db),
        flows=FlowService(db),
        audit=AuditService(db),
        config_transfer=ConfigTransferService(db, cpa),
        production_guard=ProductionGuardService(db, workspace),
        cpa=cpa,
    )
