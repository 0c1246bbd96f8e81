"""Open a workspace: database, secrets, demo data, the local preprod and the engine.

``open_workspace`` is the single way the GUI, the CLI and the tests get a working console.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field

from sqlalchemy import select

from console.db import models as m
from console.db.database import Database, open_database, upgrade
from console.domain.environment import Environment
from console.domain.oin import strip_party_prefix
from console.engine.runner import EngineRunner, InboundTls
from console.engine.transport import TransportFactory
from console.secrets.local_pki import LocalPki, issue_client_cert
from console.secrets.store import SecretStore, open_secret_store
from console.services.demo import LOGIUS_OIN, create_demo_workspace, needs_demo
from console.services.dto import EngineSnapshot
from console.services.letters import LetterService
from console.services.workspace import WorkspaceService
from console.settings import AppPaths, EngineSettings
from console.simulator.server import SimulatorConfig, SimulatorServer
from console.simulator.state import PartyRegistration

log = logging.getLogger(__name__)


class EngineFacade:
    """What the UI sees of the engine: a snapshot to poll and a nudge."""

    def __init__(self, runner: EngineRunner | None, simulator: SimulatorServer | None) -> None:
        self._runner = runner
        self._simulator = simulator

    @property
    def runner(self) -> EngineRunner | None:
        return self._runner

    def snapshot(self) -> EngineSnapshot:
        if self._runner is None:
            return EngineSnapshot(False, 0, 0, 0, "", "De engine is niet gestart.")
        st = self._runner.snapshot()
        return EngineSnapshot(
            running=st.running,
            queued=st.queued,
            in_flight=st.in_flight,
            awaiting_result=st.awaiting_result,
            inbound_url=st.inbound_url,
            last_error=st.last_error,
            simulator_url=self._simulator.url if self._simulator is not None else None,
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
    simulator: SimulatorServer | None = None
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.engine.runner is not None:
            self.engine.runner.stop()
        if self.simulator is not None:
            self.simulator.stop()
        self.db.dispose()


def open_workspace(
    paths: AppPaths,
    *,
    start_engine: bool = True,
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
    try:
        conn_id, env = _active_connection(db)
        inbound_tls = None
        pki = None
        if conn_id is not None and env is Environment.SIMULATOR:
            pki = _prepare_simulator_connection(db, secrets, paths, conn_id)
            inbound_tls = InboundTls(pki.inbound_chain_pem, pki.inbound.key_pem, pki.trust_pem)
        if start_engine:
            runner = EngineRunner(
                db,
                TransportFactory(db, secrets, timeout=settings.http_timeout_seconds),
                inbound_tls,
                settings=settings,
                endpoint_overrides=overrides,
            )
            runner.start()
            if pki is not None and conn_id is not None:
                simulator = _start_simulator(
                    db, paths, pki, conn_id, runner, settings, simulator_result_delay
                )
                overrides[conn_id] = simulator.url
    except Exception:
        if runner is not None:
            runner.stop()
        if simulator is not None:
            simulator.stop()
        db.dispose()
        raise
    engine = EngineFacade(runner, simulator)
    letters = LetterService(db, workspace, on_submitted=engine.wake)
    return ConsoleServices(paths, db, secrets, workspace, letters, engine, simulator)


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
        key_ref = conn.client_key_ref or f"connection-{conn.id}-client-key"
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
    push = issue_client_cert(
        pki.ca, oin=LOGIUS_OIN, organisation="Logius (simulator)", common_name="GLOBE simulator"
    )
    config = SimulatorConfig(
        data_dir=paths.simulator_dir,
        server_cert_pem=pki.simulator_chain_pem,
        server_key_pem=pki.simulator.key_pem,
        client_trust_pem=pki.trust_pem,
        push_cert_pem=push.cert_pem + pki.ca.cert_pem,
        push_key_pem=push.key_pem,
        push_trust_pem=pki.trust_pem,
        port=settings.simulator_port,
        result_delay_seconds=result_delay,
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


def register_with_simulator(
    db: Database, simulator: SimulatorServer, conn_id: int, *, push_url: str
) -> None:
    """Tell the simulator what the CPA and the Leveranciersportaal would tell Logius."""
    with db.session() as s:
        conn = s.get(m.Connection, conn_id)
        assert conn is not None
        orgs = {conn.owner, *conn.organisations}
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
    push = issue_client_cert(
        pki.ca, oin=LOGIUS_OIN, organisation="Logius (simulator)", common_name="GLOBE simulator"
    )
    config = SimulatorConfig(
        data_dir=paths.simulator_dir,
        server_cert_pem=pki.simulator_chain_pem,
        server_key_pem=pki.simulator.key_pem,
        client_trust_pem=pki.trust_pem,
        push_cert_pem=push.cert_pem + pki.ca.cert_pem,
        push_key_pem=push.key_pem,
        push_trust_pem=pki.trust_pem,
        port=EngineSettings().simulator_port if port is None else port,
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
