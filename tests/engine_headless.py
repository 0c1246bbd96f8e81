"""Test-only entry point: the console's engine alone, headless, until it is killed.

Used by the crash-safety test, which kills this process with SIGKILL while a batch is in
flight and starts it again. No simulator runs here: the receiving side lives in the test
process, so it survives the kill like a real Logius would.

    python -m tests.engine_headless --data-dir D --endpoint URL --inbound-port P --key-file K

``--key-file`` holds the connection's client key (PEM) for the in-memory secret store (the
test has no OS keyring). Prints ``READY <inbound url>`` once the engine runs.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from console.db.database import open_database, upgrade
from console.engine.runner import EngineRunner, InboundTls
from console.engine.transport import TransportFactory
from console.secrets.store import MemoryStore
from console.services.bootstrap import _active_connection, _prepare_simulator_connection
from console.settings import EngineSettings, resolve_paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="engine_headless")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--endpoint", required=True, help="where to send (the receiver)")
    parser.add_argument("--inbound-port", type=int, required=True)
    parser.add_argument("--key-file", type=Path, required=True)
    parser.add_argument("--key-ref", required=True)
    args = parser.parse_args(argv)

    paths = resolve_paths(args.data_dir)
    db = open_database(paths.db_url)
    upgrade(db, backup_dir=None)
    secrets = MemoryStore()
    secrets.set(args.key_ref, args.key_file.read_text(encoding="ascii"))
    conn_id, _env = _active_connection(db)
    assert conn_id is not None
    pki = _prepare_simulator_connection(db, secrets, paths, conn_id)
    settings = EngineSettings(
        tick_seconds=0.05, inbound_port=args.inbound_port, http_timeout_seconds=30
    )
    runner = EngineRunner(
        db,
        TransportFactory(db, secrets, timeout=settings.http_timeout_seconds),
        InboundTls(pki.inbound_chain_pem, pki.inbound.key_pem, pki.trust_pem),
        settings=settings,
        endpoint_overrides={conn_id: args.endpoint},
    ).start()
    print("READY", runner.inbound_url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    runner.stop()
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
