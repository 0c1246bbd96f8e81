"""Crash safety on PostgreSQL: SIGKILL the engine process while a batch is in flight.

The scenario of ``tests/integration/test_ebms_crash.py``, with the engine's database on the
PostgreSQL server: the killed process leaves its connection and its claim ("sending", one
attempt without an answer) behind; after a restart the same ebMS message is sent again, the
simulator eliminates the duplicate and the letter ends in exactly one final state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from console.db import models as m
from console.db.database import Database, open_database
from console.secrets.local_pki import LocalPki, issue_client_cert
from console.secrets.store import MemoryStore
from console.services.bootstrap import open_workspace, register_with_simulator
from console.services.cpa import CpaService
from console.services.demo import DEMO_CONNECTION, DEMO_OIN, LOGIUS_OIN, demo_cpa_document
from console.settings import resolve_paths
from console.simulator.server import SimulatorConfig, SimulatorServer
from tests.integration.test_ebms_crash import Engine, _free_port
from tests.integration.test_ebms_crash import (
    test_sigkill_mid_request_then_restart_gives_one_final_state as sigkill_scenario,
)
from tests.postgres.support import require_server

require_server()


@pytest.fixture
def pg_scene(
    tmp_path: Path, pg_url: str
) -> Iterator[tuple[Path, Database, SimulatorServer, Engine]]:
    """The crash test's scene (see its ``scene`` fixture), with the database on PostgreSQL."""
    data = tmp_path / "data"
    paths = resolve_paths(data, database_url=pg_url)
    secrets = MemoryStore()
    open_workspace(paths, start_engine=False, secrets=secrets).close()
    db = open_database(pg_url)
    CpaService(db).import_bytes(
        demo_cpa_document(
            client_cert_pem=None,
            inbound_cert_pem=None,
            simulator_cert_pem=None,
            sync_reply_mode="mshSignalsOnly",  # the ack comes only with the (resent) request
        ),
        "sync.xml",
    )
    with db.session() as s:
        # By name: PostgreSQL returns rows in no particular order without ORDER BY.
        conn = s.scalar(select(m.Connection).where(m.Connection.name == DEMO_CONNECTION))
        assert conn is not None and conn.client_key_ref
        key_ref, conn_id = conn.client_key_ref, conn.id
    key = secrets.get(key_ref)
    assert key is not None
    key_file = tmp_path / "client-key.pem"
    key_file.write_text(key, encoding="ascii")
    key_file.chmod(0o600)
    pki = LocalPki.ensure(
        paths.pki_dir,
        client_oin=DEMO_OIN,
        organisation="Gemeente Voorbeeld",
        simulator_oin=LOGIUS_OIN,
        client_key_available=True,
    )
    push = issue_client_cert(pki.ca, oin=LOGIUS_OIN, organisation="Logius", common_name="sim")
    simulator = SimulatorServer(
        SimulatorConfig(
            data_dir=tmp_path / "logius",
            server_cert_pem=pki.simulator_chain_pem,
            server_key_pem=pki.simulator.key_pem,
            client_trust_pem=pki.trust_pem,
            push_cert_pem=push.cert_pem + pki.ca.cert_pem,
            push_key_pem=push.key_pem,
            push_trust_pem=pki.trust_pem,
            result_delay_seconds=0.0,
            push_retry_seconds=0.5,
            push_max_attempts=200,
            response_delay_seconds=3.0,  # the kill lands while the request is open
        )
    ).start()
    engine = Engine(
        data,
        simulator.url,
        _free_port(),
        key_file,
        key_ref,
        lambda url: register_with_simulator(db, simulator, conn_id, push_url=url),
    )
    module = engine.args.index("tests.engine_headless")
    engine.args[module : module + 1] = ["tests.postgres.engine_process", "--database-url", pg_url]
    try:
        yield data, db, simulator, engine
    finally:
        engine.stop()
        simulator.stop()
        db.dispose()


def test_sigkill_mid_request_then_restart_gives_one_final_state_on_postgresql(
    pg_scene: tuple[Path, Database, SimulatorServer, Engine],
) -> None:
    data, db, simulator, engine = pg_scene
    sigkill_scenario((data, db, simulator, engine))
    assert not (data / "console.sqlite3").exists()  # it all happened on PostgreSQL
