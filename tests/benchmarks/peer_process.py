"""The other party of a benchmark, in a process of its own (as Logius is another machine).

``python -m tests.benchmarks.peer_process simulator DATA_DIR PUSH_URL``
    the workspace's GLOBE simulator (its test PKI, its CPA, its party registration with
    *PUSH_URL* as the console's inbound endpoint), acknowledging and keeping every payload;
``python -m tests.benchmarks.peer_process sink PEM_DIR``
    a two-way TLS server that reads each POST body and answers 200 (the ceiling).

Each prints its URL on the first line of stdout and runs until its stdin closes.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
from pathlib import Path

from console.digikoppeling import tls


class Sink(http.server.BaseHTTPRequestHandler):
    """Reads the body and answers 200: nothing else (the raw wire)."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _sink(pem_dir: Path) -> None:
    ctx = tls.server_context(
        (pem_dir / "server.pem").read_bytes(),
        (pem_dir / "server.key").read_bytes(),
        (pem_dir / "trust.pem").read_bytes(),
    )
    with tls.TlsServer(ctx, Sink) as server:
        print(server.url + "/ebms", flush=True)
        sys.stdin.read()


def _simulator(data_dir: Path, push_url: str) -> None:
    from console.db.database import open_database
    from console.secrets.local_pki import LocalPki
    from console.services.bootstrap import (
        LOGIUS_OIN,
        _active_connection,
        register_with_simulator,
        simulator_config,
    )
    from console.settings import resolve_paths
    from console.simulator.server import SimulatorServer

    paths = resolve_paths(data_dir)
    db = open_database(paths.db_url)
    conn_id, _ = _active_connection(db)
    assert conn_id is not None
    from console.db import models as m
    from console.domain.oin import strip_party_prefix

    with db.session() as s:
        conn = s.get(m.Connection, conn_id)
        assert conn is not None
        client_oin, owner = strip_party_prefix(conn.from_party_id), conn.owner.name
    pki = LocalPki.ensure(paths.pki_dir, client_oin, owner, simulator_oin=LOGIUS_OIN)
    # Results are not part of the MSH round trip: GLOBE's processing waits an hour.
    config = simulator_config(paths, pki, port=0, result_delay_seconds=3600.0)
    simulator = SimulatorServer(config).start()
    try:
        register_with_simulator(db, simulator, conn_id, push_url=push_url)
        print(simulator.url, flush=True)
        sys.stdin.read()
    finally:
        simulator.stop()
        db.dispose()


class Peer:
    """Start a peer process; ``url`` is where it listens; ``close()`` ends it."""

    def __init__(self, *args: str) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.peer_process", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url:
            self._proc.wait(10)
            raise RuntimeError(f"peer {args[0]} kwam niet op (exit {self._proc.returncode})")

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(30)

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main() -> None:
    mode = sys.argv[1]
    if mode == "sink":
        _sink(Path(sys.argv[2]))
    elif mode == "simulator":
        _simulator(Path(sys.argv[2]), sys.argv[3])
    else:
        raise SystemExit(f"onbekende rol {mode}")


if __name__ == "__main__":
    main()
