"""Crash safety, for real: SIGKILL the engine process while a batch is in flight.

The engine runs in a subprocess (tests/engine_headless.py); the receiving side (the
simulator, standing in for Logius) runs here and survives the kill. The simulator is told to
wait before it answers, so the kill lands while the HTTP request is open: the simulator has
the batch, the engine has no answer. After a restart the engine must send the same ebMS
message again (same MessageId), the simulator must eliminate the duplicate (acknowledge it,
not process it again), and the letter must end in exactly one final state. The CPA asks for
synchronous acknowledgments, so the acknowledgment of the batch can only come with a resend
(asynchronously it could also arrive on its own after the restart, and then no resend is
needed at all, which is right too, but proves less).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.db import models as m
from console.db.database import Database, open_database
from console.domain.letter import LetterDraft
from console.domain.lifecycle import LetterStatus
from console.secrets.local_pki import LocalPki, issue_client_cert
from console.secrets.store import MemoryStore
from console.services.bootstrap import open_workspace, register_with_simulator
from console.services.cpa import CpaService
from console.services.demo import DEMO_CONNECTION, DEMO_OIN, LOGIUS_OIN, demo_cpa_document
from console.services.letters import LetterService
from console.services.workspace import WorkspaceService
from console.settings import resolve_paths
from console.simulator.server import SimulatorConfig, SimulatorServer

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(check: Callable[[], object], what: str, timeout: float = 120.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"wachten op {what} duurde te lang")
        time.sleep(0.05)


class Engine:
    """The headless engine as a child process."""

    def __init__(
        self,
        data: Path,
        endpoint: str,
        port: int,
        key_file: Path,
        key_ref: str,
        on_ready: Callable[[str], None],
    ) -> None:
        self.log = data.parent / "engine.log"
        self.on_ready = on_ready
        self.args = [
            sys.executable, "-m", "tests.engine_headless", "--data-dir", str(data),
            "--endpoint", endpoint, "--inbound-port", str(port), "--key-file", str(key_file),
            "--key-ref", key_ref,
        ]  # fmt: skip
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                self.args, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True, env=env
            )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("READY"):
                # The port asked for may have been taken meanwhile: tell the receiver the real one.
                self.on_ready(line.split()[1])
                return
        raise AssertionError(f"engine startte niet:\n{self.log.read_text()}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


Scene = tuple[Path, Database, SimulatorServer, Engine]


@contextmanager
def crash_scene(
    tmp_path: Path,
    database_url: str | None = None,
    adapt_engine: Callable[[Engine], None] | None = None,
) -> Iterator[Scene]:
    """The demo workspace (in SQLite, or at *database_url*), a slow simulator, and the engine
    process to kill; *adapt_engine* may change the engine's command line."""
    data = tmp_path / "data"
    paths = resolve_paths(data, database_url=database_url)
    secrets = MemoryStore()
    # The demo workspace (organisation, connection, generated CPA, local test PKI).
    open_workspace(paths, start_engine=False, secrets=secrets).close()
    db = open_database(paths.db_url)
    # Synchronous acknowledgments (mshSignalsOnly): the acknowledgment of the batch travels
    # only in the HTTP response the kill cuts off, so the engine must resend to get it.
    CpaService(db).import_bytes(
        demo_cpa_document(
            client_cert_pem=None,
            inbound_cert_pem=None,
            simulator_cert_pem=None,
            sync_reply_mode="mshSignalsOnly",
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
    port = _free_port()
    engine = Engine(
        data,
        simulator.url,
        port,
        key_file,
        key_ref,
        lambda url: register_with_simulator(db, simulator, conn_id, push_url=url),
    )
    if adapt_engine is not None:
        adapt_engine(engine)
    try:
        yield data, db, simulator, engine
    finally:
        engine.stop()
        simulator.stop()
        db.dispose()


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    with crash_scene(tmp_path) as made:
        yield made


@pytest.mark.slow
def test_sigkill_mid_request_then_restart_gives_one_final_state(
    scene: tuple[Path, Database, SimulatorServer, Engine],
) -> None:
    _data, db, simulator, engine = scene
    workspace = WorkspaceService(db)
    org_id = workspace.status().organisation_id
    assert org_id is not None
    letter_id = (
        LetterService(db, workspace)
        .submit(LetterDraft(bsn="999990019", berichttype="BELAST", onderwerp="Uw aanslag"), org_id)
        .letter_id
    )

    engine.start()
    # The simulator has the batch and is holding its answer back: now kill the engine.
    first = _until(lambda: list(simulator.received_ids), "de batch bij de simulator")
    assert isinstance(first, list)
    message_id = first[0]
    engine.kill()
    with db.session() as s:
        out = s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.message_id == message_id))
        assert out is not None and out.status is m.EbmsStatus.SENDING  # in flight at the kill
        (attempt,) = out.delivery_attempts
        assert attempt.outcome == "sending" and attempt.http_status is None

    simulator.config = replace(simulator.config, response_delay_seconds=0.0)
    engine.start()

    def final() -> bool:
        with db.session() as s:
            letter = s.get(m.Letter, letter_id)
            out = s.scalar(select(m.EbmsMessage).where(m.EbmsMessage.message_id == message_id))
            return (
                letter is not None
                and letter.status is LetterStatus.DELIVERED
                and out is not None
                and out.status is m.EbmsStatus.DELIVERED  # acknowledged: only by the resend
            )

    _until(final, "het resultaat na de herstart")

    # Sent again with the same MessageId, and the receiver eliminated the duplicate.
    assert simulator.received_ids.count(message_id) >= 2
    assert [b.message_id for b in simulator.store.batches()] == [message_id]
    with db.session() as s:
        outs = list(
            s.scalars(
                select(m.EbmsMessage).where(
                    m.EbmsMessage.direction == m.EbmsDirection.OUT,
                    m.EbmsMessage.kind == m.EbmsKind.USER,
                )
            )
        )
        assert [o.message_id for o in outs] == [message_id]  # one message, never rebuilt
        attempts = outs[0].delivery_attempts
        assert attempts[0].outcome == "interrupted" and "herstart" in (attempts[0].error or "")
        assert attempts[-1].outcome == "accepted"
        letter = s.get(m.Letter, letter_id)
        assert letter is not None
        assert letter.status is LetterStatus.DELIVERED and letter.verwerkings_code == "Verwerkt"
        finals = s.scalar(
            select(func.count())
            .select_from(m.LetterEventRecord)
            .where(m.LetterEventRecord.letter_id == letter_id, m.LetterEventRecord.kind == "result")
        )
        assert finals == 1
        batches = s.scalar(select(func.count()).select_from(m.Batch))
        assert batches == 1
