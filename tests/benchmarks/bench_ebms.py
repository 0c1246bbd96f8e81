"""ebMS round trip: batches of 1000 letters to the simulator over two-way TLS on loopback.

Two workloads, each a few batches of 1000 letters:

- ``2 kB``: letters of about 2 kB each (a 2 MB ebMS message per batch);
- ``60 kB PDF``: one 60 kB PDF attachment per letter (about 80 MB per batch, base64).

Two clocks per workload:

- *pack*: the outbox turns the queued letters into ``Berichten`` batches and stored ebMS
  messages (preflight, XML, MIME, one transaction per batch);
- *MSH round trip*: from the packed messages until every letter is *acknowledged and
  recorded*: the sender POSTs each message over two-way TLS, the simulator checks it
  (size, MIME, hardened XML, the CPA, the client certificate, duplicates), keeps the
  payload and answers with an ebMS Acknowledgment, and the console records that
  acknowledgment for every letter of the batch. GLOBE's business processing and the
  ``GLOBE-R-BV-Result`` come later (as at Logius) and are held back during the run.

letters/s is over both clocks; MB/s is the ebMS bytes over the MSH round trip.

Topology: the simulator runs in a process of its own (it stands for Logius, another
machine), started with the workspace's test PKI and CPA; the console (engine, inbound
endpoint, SQLite in WAL mode) runs in this process with its default settings, so
``parallel_sends`` (messages in flight at once, each on its own keep-alive connection) is 2.

In the same run, the *ceiling*: the very same HTTP bodies (taken from the database) POSTed
raw, one after the other, over one keep-alive two-way TLS connection to a server in a
process of its own that reads the body and answers 200 (same TLS stack, same certificates,
same loopback). The ratio is ceiling seconds over MSH seconds, i.e. MSH MB/s over ceiling
MB/s (and, for reference, the same with packing included).

Run: ``.venv/bin/python -m tests.benchmarks bench_ebms`` (or ``make bench``). Optional
environment: ``BENCH_EBMS_BATCHES`` (default 10), ``BENCH_EBMS_PDF_BATCHES`` (default 3)
and ``BENCH_EBMS_PARALLEL`` (messages in flight; default: the engine's default).

``BENCH_EBMS_WITHOUT_LETTERS=1`` is an experiment, not the product: the engine's *sent* and
*acknowledged* steps leave the letters alone (only the message and batch rows move), to
show what the round trip costs without any per-letter bookkeeping.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from console.db import models as m
from console.digikoppeling import tls
from console.domain.ids import new_guid
from console.domain.lifecycle import LetterEvent, LetterStatus
from console.secrets.local_pki import LocalPki, issue_client_cert
from console.secrets.store import MemoryStore
from console.services.bootstrap import ConsoleServices, open_workspace
from console.services.demo import demo_cpa_document
from console.settings import EngineSettings, resolve_paths
from tests.benchmarks.peer_process import Peer

LETTERS = 1000
TEXT_BYTES = 1_700  # with the XML around it, about 2 kB a letter
PDF_BYTES = 60_000
SETTINGS = EngineSettings(
    tick_seconds=0.02,
    inbound_port=0,
    simulator_port=0,
    http_timeout_seconds=600,
    parallel_sends=int(os.environ.get("BENCH_EBMS_PARALLEL", EngineSettings().parallel_sends)),
)
REPRO = ".venv/bin/python -m tests.benchmarks bench_ebms"
WITHOUT_LETTERS = os.environ.get("BENCH_EBMS_WITHOUT_LETTERS") == "1"


def _without_letter_steps() -> None:
    """The experiment: the transport steps do not touch the letters (see the docstring)."""
    from console.engine import letters, sender, signals

    real = letters.apply_batch_event

    def transport_steps_skipped(
        s: Any, batch_id: str, event: LetterEvent, *a: Any, **k: Any
    ) -> int:
        if event in (LetterEvent.HTTP_ACCEPTED, LetterEvent.ACKNOWLEDGED):
            return 0
        return real(s, batch_id, event, *a, **k)

    sender.apply_batch_event = transport_steps_skipped
    signals.apply_batch_event = transport_steps_skipped


@dataclass(frozen=True, slots=True)
class Figures:
    name: str
    batches: int
    letters: int
    pack_seconds: float
    msh_seconds: float
    bytes_sent: int
    ceiling_seconds: float

    @property
    def letters_per_second(self) -> float:
        return self.letters / (self.pack_seconds + self.msh_seconds)

    @property
    def mb_per_second(self) -> float:
        return self.bytes_sent / self.msh_seconds / 1e6

    @property
    def ceiling_mb_per_second(self) -> float:
        return self.bytes_sent / self.ceiling_seconds / 1e6

    @property
    def ratio(self) -> float:
        """MSH round trip against the raw POSTs of the same bytes."""
        return self.ceiling_seconds / self.msh_seconds

    @property
    def ratio_with_pack(self) -> float:
        return self.ceiling_seconds / (self.pack_seconds + self.msh_seconds)


def _pdf(size: int, seed: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj<<>>endobj\n"
    tail = b"\ntrailer<<>>\n%%EOF\n"
    filler = hashlib.sha256(str(seed).encode()).hexdigest().encode() * (size // 64 + 1)
    return head + filler[: size - len(head) - len(tail)] + tail


def _valid_bsns(count: int) -> list[str]:
    from console.domain.bsn import is_valid_bsn

    out: list[str] = []
    n = 100_000_000
    while len(out) < count:
        n += 1
        text = f"{n:09d}"
        if is_valid_bsn(text):
            out.append(text)
    return out


def _insert_letters(services: ConsoleServices, batches: int, *, pdf: bool) -> list[int]:
    """Queue the letters directly in the outbox (setup, not measured)."""
    status = services.workspace.status()
    assert status.organisation_id is not None and status.connection_id is not None
    now = datetime.now(UTC)
    text = ("Beste inwoner, dit is een benchmarkbericht. " * 60)[:TEXT_BYTES]
    bsns = _valid_bsns(LETTERS)
    ids: list[int] = []
    with services.db.session() as s:
        for b in range(batches):
            for n in range(LETTERS):
                letter = m.Letter(
                    organisation_id=status.organisation_id,
                    connection_id=status.connection_id,
                    berichttype="BELAST",
                    bsn=bsns[n],
                    onderwerp=f"Benchmark {b}-{n}",
                    berichttekst="" if pdf else text,
                    referentie=f"B{b}-{n}",
                    bericht_id=new_guid(),
                    status=LetterStatus.QUEUED,
                    created_at=now,
                    created_by="bench",
                    updated_at=now,
                )
                if pdf:
                    content = _pdf(PDF_BYTES, b * LETTERS + n)
                    letter.attachments.append(
                        m.Attachment(
                            volgorde=1,
                            filename="aanslag.pdf",
                            omschrijving="Aanslag",
                            content=content,
                            size_bytes=len(content),
                            sha256=hashlib.sha256(content).hexdigest(),
                        )
                    )
                s.add(letter)
            s.flush()
        s.commit()
        ids = list(s.scalars(select(m.Letter.id).where(m.Letter.created_by == "bench")))
    return ids


def _wait_acknowledged(services: ConsoleServices, messages: int, timeout: float) -> None:
    """Until every outbound batch message is acknowledged (polls the small message table).

    The acknowledgment moves the message and all its letters in one transaction, so this
    is the moment every letter is acknowledged and recorded (checked again afterwards).
    The poll is one compiled query on a raw connection every 2 ms, so that the clock does
    not take the GIL from the engine it measures.
    """
    deadline = time.monotonic() + timeout
    query = str(
        select(func.count())
        .select_from(m.EbmsMessage)
        .where(
            m.EbmsMessage.direction == m.EbmsDirection.OUT,
            m.EbmsMessage.kind == m.EbmsKind.USER,
            m.EbmsMessage.status == m.EbmsStatus.DELIVERED,
        )
        .compile(services.db.engine, compile_kwargs={"literal_binds": True})
    )
    raw = services.db.engine.raw_connection()
    try:
        while time.monotonic() < deadline:
            cursor = raw.cursor()
            (done,) = cursor.execute(query).fetchone()
            cursor.close()
            raw.rollback()  # no snapshot kept between polls
            if done >= messages:
                return
            time.sleep(0.002)
    finally:
        raw.close()
    raise TimeoutError(f"niet alle {messages} batches bevestigd binnen {timeout} s")


def _acknowledged_letters(services: ConsoleServices) -> int:
    with services.db.session() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(m.Letter)
                .where(
                    m.Letter.created_by == "bench",
                    m.Letter.status == LetterStatus.ACKNOWLEDGED,
                    m.Letter.acknowledged_at.is_not(None),
                )
            )
            or 0
        )


def _ceiling(pki: LocalPki, bodies: list[tuple[str, bytes]], folder: Path) -> float:
    """Seconds to POST *bodies* raw over one keep-alive two-way TLS connection.

    The server runs in a process of its own, like the simulator in the round trip.
    """
    pem_dir = folder / "sink-pki"
    pem_dir.mkdir()
    (pem_dir / "server.pem").write_bytes(pki.simulator_chain_pem)
    (pem_dir / "server.key").write_bytes(pki.simulator.key_pem)
    (pem_dir / "trust.pem").write_bytes(pki.trust_pem)
    client = issue_client_cert(
        pki.ca, oin="00000099123456789000", organisation="bench", common_name="bench"
    )
    client_ctx = tls.client_context(
        client.cert_pem + pki.ca.cert_pem, client.key_pem, pki.trust_pem
    )
    with Peer("sink", str(pem_dir)) as sink, tls.http_client(client_ctx, timeout=600) as c:
        c.post(sink.url, content=b"warm-up", headers={"Content-Type": "text/plain"})
        t0 = time.perf_counter()
        for content_type, body in bodies:
            r = c.post(sink.url, content=body, headers={"Content-Type": content_type})
            assert r.status_code == 200
        return time.perf_counter() - t0


def run(name: str, batches: int, *, pdf: bool) -> Figures:
    folder = Path(tempfile.mkdtemp(prefix="bench-ebms-"))
    try:
        return _run(name, batches, pdf=pdf, folder=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(name: str, batches: int, *, pdf: bool, folder: Path) -> Figures:
    services = open_workspace(
        resolve_paths(folder / "data"),
        secrets=MemoryStore(),
        engine_settings=SETTINGS,
        start_simulator=False,  # the simulator runs in its own process, below
    )
    try:
        runner = services.engine.runner
        status = services.workspace.status()
        assert runner is not None and services.cpa is not None
        assert status.connection_id is not None and runner.inbound_url is not None
        # The Digikoppeling best-practice schedule (8 retries, 3 hours apart) instead of the
        # demo's 10 seconds: a resend of an 80 MB message before its acknowledgment is
        # processed would be measured as throughput.
        services.cpa.import_bytes(
            demo_cpa_document(
                client_cert_pem=None,
                inbound_cert_pem=None,
                simulator_cert_pem=None,
                retries=8,
                retry_interval=timedelta(hours=3),
            ),
            "bench-cpa.xml",
        )
        runner.pause()
        ids = _insert_letters(services, batches, pdf=pdf)
        t0 = time.perf_counter()
        packed = runner.outbox.pack(datetime.now(UTC))
        pack_seconds = time.perf_counter() - t0
        assert packed.letters == len(ids), packed
        with Peer("simulator", str(folder / "data"), runner.inbound_url) as simulator:
            runner.sender.endpoint_overrides[status.connection_id] = simulator.url
            t0 = time.perf_counter()
            runner.resume()
            _wait_acknowledged(services, packed.batches, timeout=600)
            msh_seconds = time.perf_counter() - t0
        if not WITHOUT_LETTERS:
            assert _acknowledged_letters(services) == len(ids)
        with services.db.session() as s:
            attempts = s.scalar(select(func.count()).select_from(m.DeliveryAttempt)) or 0
            bodies = [
                (ct, bytes(raw))
                for ct, raw in s.execute(
                    select(m.EbmsMessage.content_type, m.EbmsMessageBody.raw)
                    .join(m.EbmsMessageBody)
                    .where(
                        m.EbmsMessage.direction == m.EbmsDirection.OUT,
                        m.EbmsMessage.kind == m.EbmsKind.USER,
                    )
                    .order_by(m.EbmsMessage.id)
                ).tuples()
            ]
        pki = LocalPki.ensure(
            services.paths.pki_dir,
            client_oin="00000099123456789000",
            organisation="bench",
            simulator_oin="00000004003214345001",
            client_key_available=True,
        )
    finally:
        services.close()
    ceiling = _ceiling(pki, bodies, folder)
    assert attempts == len(bodies), f"{attempts} pogingen voor {len(bodies)} berichten"
    return Figures(
        name,
        len(bodies),
        len(ids),
        pack_seconds,
        msh_seconds,
        sum(len(b) for _, b in bodies),
        ceiling,
    )


def main() -> None:
    if WITHOUT_LETTERS:
        _without_letter_steps()
        print("EXPERIMENT: de stappen verzonden/bevestigd laten de berichten zelf ongemoeid")
    batches = int(os.environ.get("BENCH_EBMS_BATCHES", "10"))
    pdf_batches = int(os.environ.get("BENCH_EBMS_PDF_BATCHES", "3"))
    print(
        f"ebMS round trip, {LETTERS} berichten per batch, tot en met de ontvangstbevestiging; "
        f"simulator en plafondserver elk in een eigen proces; "
        f"{SETTINGS.parallel_sends} berichten tegelijk onderweg"
    )
    rows = [
        run("2 kB per bericht", batches, pdf=False),
        run("60 kB PDF per bericht", pdf_batches, pdf=True),
    ]
    for f in rows:
        print(
            f"{f.name}: {f.batches} batches, {f.letters} berichten, {f.bytes_sent / 1e6:.1f} MB\n"
            f"  inpakken {f.pack_seconds:.2f} s, MSH-rondreis {f.msh_seconds:.2f} s: "
            f"{f.letters_per_second:.0f} berichten/s (inpakken + rondreis), "
            f"{f.mb_per_second:.1f} MB/s (rondreis)\n"
            f"  plafond, dezelfde bytes als ruwe POSTs over 1 keep-alive TLS-verbinding: "
            f"{f.ceiling_seconds:.2f} s, {f.ceiling_mb_per_second:.1f} MB/s\n"
            f"  verhouding rondreis/plafond {f.ratio:.2f} "
            f"(met inpakken erbij {f.ratio_with_pack:.2f}); doel >= 0.5"
        )
    print(f"Opnieuw meten: {REPRO}")


if __name__ == "__main__":
    main()
