"""Open a workspace: database, secrets, demo data, the local preprod and the engine.

``open_workspace`` is the single way the GUI, the CLI and the tests get a working console.
"""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from console.db import models as m
from console.db.database import Database, open_database, upgrade
from console.db.models_ebms import CpaRecord
from console.db.repositories import SettingsRepository
from console.domain.environment import Environment
from console.domain.letter import FieldIssue
from console.domain.oin import strip_party_prefix
from console.engine.runner import EngineRunner, InboundTls
from console.engine.subscriptions import KEY_ANSWER_ACTION, SubscriptionImporter, answer_action
from console.engine.transport import TransportFactory
from console.secrets.local_pki import LocalPki, issue_client_cert
from console.secrets.store import SecretStore, open_secret_store
from console.services.audit import AuditService
from console.services.batch_import import BatchImportService
from console.services.berichttypes import BerichtTypeService
from console.services.bulk import BulkService
from console.services.certificates import CertificateService
from console.services.config_transfer import ConfigTransferService
from console.services.connection_test import ConnectionTestService
from console.services.connections import ConnectionService
from console.services.cpa import CpaService
from console.services.demo import (
    DEMO_CONNECTION,
    DEMO_CPA_ID,
    DEMO_CPA_PREFIX,
    LOGIUS_OIN,
    create_demo_workspace,
    demo_cpa_document,
    needs_demo,
)
from console.services.dto import EngineSnapshot
from console.services.ebms import EbmsService
from console.services.evidence import EvidenceService
from console.services.export import ExportService
from console.services.flows import FlowService
from console.services.letters import LetterService
from console.services.monitoring import MonitoringService
from console.services.onboarding import OnboardingService
from console.services.organisations import OrganisationService
from console.services.preflight import PreflightService
from console.services.privacy import PrivacyService
from console.services.production_guard import ProductionGuardService
from console.services.results import ResultsService
from console.services.settings import SettingsService
from console.services.subscriptions import SubscriptionService
from console.services.workspace import WorkspaceService
from console.settings import AppPaths, EngineSettings
from console.simulator.server import SimulatorConfig, SimulatorServer
from console.simulator.state import PartyRegistration

log = logging.getLogger(__name__)


class EngineFacade:
    """What the UI sees of the engine: a snapshot to poll and a nudge."""

    def __init__(
        self,
        runner: EngineRunner | None,
        simulator: SimulatorServer | None,
        certificate_days_left: Callable[[], int | None] | None = None,
    ) -> None:
        self._runner = runner
        self._simulator = simulator
        self._certificate_days_left = certificate_days_left

    @property
    def runner(self) -> EngineRunner | None:
        return self._runner

    def snapshot(self) -> EngineSnapshot:
        days = self._certificate_days_left() if self._certificate_days_left else None
        if self._runner is None:
            return EngineSnapshot(
                False, 0, 0, 0, "", "De engine is niet gestart.", certificate_days_left=days
            )
        st = self._runner.snapshot()
        return EngineSnapshot(
            running=st.running,
            queued=st.queued,
            in_flight=st.in_flight,
            awaiting_result=st.awaiting_result,
            inbound_url=st.inbound_url,
            last_error=st.last_error,
            simulator_url=self._simulator.url if self._simulator is not None else None,
            certificate_days_left=days,
        )

    def wake(self) -> None:
        if self._runner is not None:
            self._runner.wake()


@dataclass
class ConsoleServices:
    paths: AppPaths
    db: Database
    secrets: SecretStore
    workspace: WorkspaceService
    letters: LetterService
    engine: EngineFacade
    certificates: CertificateService
    connection_test: ConnectionTestService
    simulator: SimulatorServer | None = None
    preflight: PreflightService | None = None  # issue 4
    subscriptions: SubscriptionService | None = None  # issue 4
    results: ResultsService | None = None  # issue 4
    subscription_importer: SubscriptionImporter | None = None  # issue 4
    cpa: CpaService | None = None  # issue 3
    ebms: EbmsService | None = None  # issue 3
    monitoring: MonitoringService | None = None  # issue 6
    privacy: PrivacyService | None = None  # issue 6
    exports: ExportService | None = None  # issue 6
    evidence: EvidenceService | None = None  # issue 6
    bulk: BulkService | None = None  # issue 6
    organisations: OrganisationService | None = None  # issue 5
    connections: ConnectionService | None = None  # issue 5
    berichttypes: BerichtTypeService | None = None  # issue 5
    flows: FlowService | None = None  # issue 5
    audit: AuditService | None = None  # issue 5
    production_guard: ProductionGuardService | None = None  # issue 5
    config_transfer: ConfigTransferService | None = None  # issue 5
    onboarding: OnboardingService | None = None  # the Aansluiten page
    settings: SettingsService | None = None  # the Instellingen page
    batch_import: BatchImportService | None = None  # Verzenden: a whole file of letters
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.engine.runner is not None:
            self.engine.runner.stop()
        if self.subscription_importer is not None:
            self.subscription_importer.stop()
        if self.simulator is not None:
            self.simulator.stop()
        self.db.dispose()


def open_workspace(
    paths: AppPaths,
    *,
    start_engine: bool = True,
    start_simulator: bool = True,
    secrets: SecretStore | None = None,
    engine_settings: EngineSettings | None = None,
    simulator_result_delay: float = 1.0,
) -> ConsoleServices:
    paths.ensure()
    db = open_database(paths.db_url)
    upgrade(db, backup_dir=paths.backups_dir)
    secrets = secrets or open_secret_store()
    settings = engine_settings or EngineSettings()
    if needs_demo(db):
        create_demo_workspace(db)
        log.info("Demo-werkruimte aangemaakt in %s", paths.data_dir)
    workspace = WorkspaceService(db)
    runner: EngineRunner | None = None
    simulator: SimulatorServer | None = None
    overrides: dict[int, str] = {}
    wus_overrides: dict[int, str] = {}
    importer: SubscriptionImporter | None = None
    transport = TransportFactory(db, secrets, timeout=settings.http_timeout_seconds)
    certificates = CertificateService(db, secrets, on_connection_changed=transport.forget)
    cpas = CpaService(db, on_applied=transport.forget)
    try:
        conn_id, env = _active_connection(db)
        inbound_tls = None
        pki = None
        if conn_id is not None and env is Environment.SIMULATOR:
            pki = _prepare_simulator_connection(db, secrets, paths, conn_id)
            certificates.register_local_test_pki(conn_id, pki.client_chain_pem, pki.trust_pem)
            _ensure_demo_cpa(db, cpas, pki, conn_id, settings)
            inbound_tls = InboundTls(pki.inbound_chain_pem, pki.inbound.key_pem, pki.trust_pem)
        if start_engine:
            runner = EngineRunner(
                db,
                transport,
                inbound_tls,
                settings=settings,
                endpoint_overrides=overrides,
            )
            importer = SubscriptionImporter(db)
            with db.session() as s:
                action = answer_action(SettingsRepository(s).all())
            runner.signals.action_handlers[action] = importer.handle
            runner.start()
            importer.start()
            if pki is not None and conn_id is not None and start_simulator:
                simulator = _start_simulator(
                    db, paths, pki, conn_id, runner, settings, simulator_result_delay
                )
                overrides[conn_id] = simulator.url
                cpas.on_applied = _after_cpa_applied(
                    transport, db, simulator, conn_id, runner.inbound_url or ""
                )
                wus_overrides[conn_id] = simulator.wus_url
    except Exception:
        if runner is not None:
            runner.stop()
        if importer is not None:
            importer.stop()
        if simulator is not None:
            simulator.stop()
        db.dispose()
        raise
    engine = EngineFacade(runner, simulator, certificates.days_left_active)
    preflight = PreflightService(db, workspace)
    guard = ProductionGuardService(db, workspace)  # issue 5

    def send_checks(connection_id: int, organisation_id: int) -> list[FieldIssue]:
        return [
            *certificates.send_issues(connection_id, organisation_id),
            *cpas.send_issues(connection_id, organisation_id),
        ]

    letters = LetterService(
        db,
        workspace,
        on_submitted=engine.wake,
        send_checks=send_checks,
        preflight=preflight,
        guard=guard.send_check,
    )
    subscriptions = SubscriptionService(
        db,
        workspace,
        http_client_for=transport.client_for,
        wus_overrides=wus_overrides,
        on_request=engine.wake,
    )
    results = ResultsService(db, workspace, preflight, on_resend=engine.wake)
    privacy = PrivacyService(db)  # issue 6
    settings_service = SettingsService(  # the Instellingen page
        db,
        paths=paths,
        secrets=secrets,
        privacy=privacy,
        on_changed=_settings_changed(db, preflight, runner, importer),
    )
    connection_test = ConnectionTestService(db, transport, certificates, endpoint_for=overrides.get)
    flow_services = _flow_services(db, cpas, transport, simulator, conn_id, runner)  # issue 5
    return ConsoleServices(
        paths,
        db,
        secrets,
        workspace,
        letters,
        engine,
        certificates=certificates,
        connection_test=connection_test,
        simulator=simulator,
        preflight=preflight,
        subscriptions=subscriptions,
        results=results,
        subscription_importer=importer,
        cpa=cpas,
        ebms=EbmsService(db, runner, max_inbound_bytes=settings.max_inbound_bytes),
        monitoring=MonitoringService(
            db, missing_hours=results.missing_hours, engine_snapshot=engine.snapshot
        ),
        privacy=privacy,
        exports=ExportService(db, privacy),
        evidence=EvidenceService(db, privacy),
        bulk=BulkService(db, results, on_change=engine.wake),
        production_guard=guard,
        onboarding=OnboardingService(  # the Aansluiten page
            db, certificates=certificates, connection_test=connection_test
        ),
        settings=settings_service,
        batch_import=BatchImportService(  # Verzenden: the same checks as one letter, once
            db, workspace, preflight, guard=guard, send_checks=send_checks, on_queued=engine.wake
        ),
        **flow_services,
    )


def _flow_services(
    db: Database,
    cpas: CpaService,
    transport: TransportFactory,
    simulator: SimulatorServer | None,
    sim_conn_id: int | None,
    runner: EngineRunner | None,
) -> dict[str, Any]:
    """Organisations, connections, berichttypes, flows, audit log, config transfer (issue 5).

    A change to the simulator's connection (which organisations it may send for) or to a
    berichttype's status in the simulator reaches the running simulator at once, as the
    Leveranciersportaal would tell Logius.
    """

    def connection_changed(conn_id: int) -> None:
        transport.forget(conn_id)
        if simulator is not None and conn_id == sim_conn_id:
            push_url = runner.inbound_url if runner is not None else ""
            register_with_simulator(db, simulator, conn_id, push_url=push_url or "")

    def simulator_berichttypes(oin: str, codes: list[str]) -> None:
        if simulator is not None:
            simulator.set_berichttypes(oin, codes)

    return {
        "organisations": OrganisationService(db),
        "connections": ConnectionService(db, cpas, on_changed=connection_changed),
        "berichttypes": BerichtTypeService(db, on_simulator_change=simulator_berichttypes),
        "flows": FlowService(db),
        "audit": AuditService(db),
        "config_transfer": ConfigTransferService(db, cpas),
    }


def _settings_changed(
    db: Database,
    preflight: PreflightService,
    runner: EngineRunner | None,
    importer: SubscriptionImporter | None,
) -> Callable[[frozenset[str]], None]:
    """After a change on the Instellingen page: what the running console reads only once.

    The outbox reads the batch and preflight settings at every pass by itself. The preflight
    service keeps them cached (forgotten here), and the engine learns the action of the ABS
    answer at start (the new action is registered now; the old one stays until a restart).
    """

    def changed(keys: frozenset[str]) -> None:
        if any(key.startswith("preflight.") for key in keys):
            preflight.forget_settings()
        if KEY_ANSWER_ACTION in keys and runner is not None and importer is not None:
            with db.session() as s:
                action = answer_action(SettingsRepository(s).all())
            runner.signals.action_handlers[action] = importer.handle

    return changed


def _after_cpa_applied(
    transport: TransportFactory,
    db: Database,
    simulator: SimulatorServer,
    sim_conn_id: int,
    push_url: str,
) -> Callable[[int], None]:
    """After a CPA change: fresh TLS clients, and the simulator learns the new CPA."""

    def applied(conn_id: int) -> None:
        transport.forget(conn_id)
        if conn_id == sim_conn_id:
            register_with_simulator(db, simulator, conn_id, push_url=push_url)

    return applied


def _ensure_demo_cpa(
    db: Database, cpas: CpaService, pki: LocalPki, conn_id: int, settings: EngineSettings
) -> None:
    """The demo connection gets a real CPA, generated for the demo parties and imported
    like any other (also for a demo workspace made before CPAs were stored)."""
    with db.session() as s:
        conn = s.get(m.Connection, conn_id)
        if (
            conn is None
            or conn.cpa_record_id is not None
            or conn.environment is not Environment.SIMULATOR
        ):
            return
        # Every simulator connection without a CPA (the demo's set-ups too, issue 5) gets one
        # for its owner; the demo connection keeps its well-known CPAId.
        owner_name, owner_oin = conn.owner.name, conn.owner.oin
        cpa_id = (
            DEMO_CPA_ID
            if conn.name == DEMO_CONNECTION
            else conn.cpa_id or f"{DEMO_CPA_PREFIX}{conn.id}"
        )
    document = demo_cpa_document(
        organisation_name=owner_name,
        organisation_oin=owner_oin,
        cpa_id=cpa_id,
        client_cert_pem=pki.client_cert_pem,
        inbound_cert_pem=pki.inbound.cert_pem,
        simulator_cert_pem=pki.simulator.cert_pem,
        inbound_url=f"https://127.0.0.1:{settings.inbound_port or 8443}/ebms",
        simulator_url=f"https://127.0.0.1:{settings.simulator_port or 8444}/ebms",
    )
    cpas.import_bytes(document, "demo-cpa.xml", connection_id=conn_id, actor="demo")


def _active_connection(db: Database) -> tuple[int | None, Environment | None]:
    ws = WorkspaceService(db)
    with db.session() as s:
        conn = ws.active_connection(s)
        return (conn.id, conn.environment) if conn is not None else (None, None)


def _prepare_simulator_connection(
    db: Database, secrets: SecretStore, paths: AppPaths, conn_id: int
) -> LocalPki:
    """The local test PKI for a simulator connection; the client key goes to the secret store."""
    with db.session() as s:
        conn = s.get(m.Connection, conn_id)
        assert conn is not None
        owner = conn.owner
        # Unique per workspace: every data folder on this PC shares the OS keyring, and each
        # has a connection 1 (a plain "connection-1-client-key" was overwritten by the next one).
        key_ref = conn.client_key_ref or f"connection-{conn.id}-client-key-{uuid.uuid4().hex}"
        key_available = secrets.get(key_ref) is not None
        pki = LocalPki.ensure(
            paths.pki_dir,
            client_oin=strip_party_prefix(conn.from_party_id),
            organisation=owner.name,
            simulator_oin=LOGIUS_OIN,
            client_key_available=key_available,
        )
        if pki.new_client_key_pem is not None:
            secrets.set(key_ref, pki.new_client_key_pem.decode())
        conn.client_cert_pem = pki.client_chain_pem.decode()
        conn.client_key_ref = key_ref
        conn.trust_pem = pki.trust_pem.decode()
        s.commit()
    return pki


def _start_simulator(
    db: Database,
    paths: AppPaths,
    pki: LocalPki,
    conn_id: int,
    runner: EngineRunner,
    settings: EngineSettings,
    result_delay: float,
) -> SimulatorServer:
    config = simulator_config(
        paths, pki, port=settings.simulator_port, result_delay_seconds=result_delay
    )
    try:
        simulator = SimulatorServer(config).start()
    except OSError:
        log.warning(
            "Poort %d voor de simulator is bezet; een vrije poort wordt gekozen", config.port
        )
        from dataclasses import replace

        simulator = SimulatorServer(replace(config, port=0)).start()
    register_with_simulator(db, simulator, conn_id, push_url=runner.inbound_url or "")
    return simulator


def simulator_config(
    paths: AppPaths, pki: LocalPki, *, port: int, result_delay_seconds: float = 1.0
) -> SimulatorConfig:
    """The simulator of this workspace: the local test PKI, its own folder, *port*."""
    push = issue_client_cert(
        pki.ca, oin=LOGIUS_OIN, organisation="Logius (simulator)", common_name="GLOBE simulator"
    )
    return SimulatorConfig(
        data_dir=paths.simulator_dir,
        server_cert_pem=pki.simulator_chain_pem,
        server_key_pem=pki.simulator.key_pem,
        client_trust_pem=pki.trust_pem,
        push_cert_pem=push.cert_pem + pki.ca.cert_pem,
        push_key_pem=push.key_pem,
        push_trust_pem=pki.trust_pem,
        port=port,
        result_delay_seconds=result_delay_seconds,
    )


def register_with_simulator(
    db: Database, simulator: SimulatorServer, conn_id: int, *, push_url: str
) -> None:
    """Tell the simulator what the CPA and the Leveranciersportaal would tell Logius."""
    with db.session() as s:
        conn = s.get(m.Connection, conn_id)
        assert conn is not None
        orgs = {conn.owner, *conn.organisations}
        if conn.cpa_record_id is not None:  # the simulator checks messages against the CPA
            record = s.get(CpaRecord, conn.cpa_record_id)
            if record is not None:
                simulator.register_cpa(record.document)
        simulator.register_party(
            PartyRegistration(
                party_oin=strip_party_prefix(conn.from_party_id),
                cpa_id=conn.cpa_id,
                role=conn.from_role,
                push_url=push_url,
                sync_reply=conn.sync_reply,
                allowed_oins=tuple(sorted(o.oin for o in orgs)),
            )
        )
        for org in orgs:
            if simulator.store.berichttypes(org.oin):
                # Seeded once; after that the simulator keeps its own list, editable like
                # the Leveranciersportaal (``simulator berichttypes``), so the two can drift.
                continue
            codes = s.scalars(
                select(m.BerichtType.code).where(
                    m.BerichtType.organisation_id == org.id,
                    m.BerichtType.status_simulator == m.BerichtTypeStatus.ACTIEF,
                )
            )
            simulator.set_berichttypes(org.oin, list(codes))


def serve_simulator_standalone(paths: AppPaths, *, port: int | None = None) -> int:
    """``simulator serve``: the simulator alone, in the foreground, until Ctrl+C."""
    db = open_database(paths.db_url)
    upgrade(db, backup_dir=paths.backups_dir)
    secrets = open_secret_store()
    if needs_demo(db):
        create_demo_workspace(db)
    conn_id, env = _active_connection(db)
    if conn_id is None or env is not Environment.SIMULATOR:
        print("De actieve koppeling gebruikt de simulator niet; er is niets te simuleren.")
        return 1
    pki = _prepare_simulator_connection(db, secrets, paths, conn_id)
    config = simulator_config(
        paths, pki, port=EngineSettings().simulator_port if port is None else port
    )
    simulator = SimulatorServer(config).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"Simulator (lokale preprod) luistert op {simulator.url}. Stoppen met Ctrl+C.")
    print(f"Ontvangen berichten worden bewaard in {simulator.received_dir}")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
        db.dispose()
    return 0
