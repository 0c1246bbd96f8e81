"""The full round trip on PostgreSQL: console, engine and the local simulator over two-way TLS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from console.db import models as m
from console.domain.letter import AttachmentDraft
from console.domain.lifecycle import LetterStatus
from console.engine.sender import outbound_body
from console.services.bootstrap import ConsoleServices
from tests.integration.conftest import FINAL, submit, wait_for
from tests.postgres.support import require_server

require_server()

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# BSN -> (VerwerkingsCode, final status) in the simulator (see the README's table).
CITIZENS = {
    "999990019": ("Verwerkt", LetterStatus.DELIVERED),
    "999990020": ("Verwerkt", LetterStatus.DELIVERED),
    "999990032": ("Verwerkt", LetterStatus.DELIVERED),
    "999990044": ("NietActiefOfGeabonneerd", LetterStatus.NOT_SUBSCRIBED),
    "999990068": ("NietActiefOfGeabonneerd", LetterStatus.NOT_SUBSCRIBED),
    "999990093": ("TechnischProbleem", LetterStatus.REJECTED),
}


def _exchanges(ws: ConsoleServices, batch_id: str) -> list[m.EbmsMessage]:
    with ws.db.session() as s:
        rows = list(
            s.scalars(
                select(m.EbmsMessage)
                .where(m.EbmsMessage.batch_id == batch_id)
                .order_by(m.EbmsMessage.id)
            )
        )
        for row in rows:
            _ = row.raw, list(row.delivery_attempts)  # loaded while the session is open
        return rows


def _streamed(ws: ConsoleServices, ebms_pk: int) -> bytes:
    """The body as the sender reads it while sending (not SQLite's blob branch here)."""
    with outbound_body(ws.db, ebms_pk) as (size, chunks):
        data = b"".join(chunks)
    assert size == len(data)
    return data


def test_a_test_letter_goes_all_the_way_on_postgresql(pg_workspace: ConsoleServices) -> None:
    ws = pg_workspace
    assert ws.db.engine.dialect.name == "postgresql" and not ws.db.is_sqlite
    letter_id = submit(
        ws,
        "999990019",
        referentie="PG-1",
        berichttekst="Beste inwoner,\nZie de bijlage.",
        attachments=(AttachmentDraft("aanslag.pdf", PDF),),
    )
    detail = wait_for(
        ws,
        letter_id,
        lambda d: (
            d.row.status is LetterStatus.DELIVERED
            and any(t.kind == "acknowledged" and t.raw_ref is not None for t in d.timeline)
        ),
    )
    row = detail.row
    assert (row.status, row.verwerkings_code) == (LetterStatus.DELIVERED, "Verwerkt")
    assert row.referentie == "PG-1" and row.batch_id is not None
    kinds = [t.kind for t in detail.timeline]
    for expected in ("created", "queued", "batched", "attempt", "acknowledged", "result"):
        assert expected in kinds, kinds
    assert kinds.count("result") == 1
    assert [t.at for t in detail.timeline] == sorted(t.at for t in detail.timeline)
    assert all(t.at.tzinfo is not None for t in detail.timeline)

    exchanges = _exchanges(ws, row.batch_id)
    assert {(x.direction, x.kind) for x in exchanges} >= {
        (m.EbmsDirection.OUT, m.EbmsKind.USER),
        (m.EbmsDirection.IN, m.EbmsKind.ACK),
        (m.EbmsDirection.IN, m.EbmsKind.USER),
    }
    out = next(x for x in exchanges if x.direction is m.EbmsDirection.OUT)
    assert out.status is m.EbmsStatus.DELIVERED
    assert [a.outcome for a in out.delivery_attempts] == ["accepted"]
    assert out.delivery_attempts[0].http_status == 200
    assert all(x.raw for x in exchanges)  # every exchange keeps its body
    assert _streamed(ws, out.id) == out.raw
    assert b"GLOBE-R-BV-Request" in out.raw and row.bericht_id.encode() in out.raw
    assert "GLOBE-R-BV-Request" in ws.letters.raw_exchange(out.id)
    with ws.db.session() as s:
        batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == row.batch_id))
        assert batch is not None and batch.status is m.BatchStatus.RESULT
        assert (batch.letter_count, batch.totaal_ontvangen, batch.aantal_verwerkt) == (1, 1, 1)
        assert batch.result_at is not None and batch.result_at.tzinfo is not None
        attachment = s.scalar(select(m.Attachment).where(m.Attachment.letter_id == letter_id))
        assert attachment is not None and attachment.content == PDF
    # What the simulator received is what the console stored and sent.
    assert ws.simulator is not None
    (received,) = ws.simulator.store.batches()
    payload = Path(received.path).read_bytes()
    assert received.batch_id == row.batch_id
    assert b"Beste inwoner,\\r\\nZie de bijlage." in payload


def test_a_batch_of_thirty_letters_gets_every_result(pg_workspace: ConsoleServices) -> None:
    ws = pg_workspace
    runner = ws.engine.runner
    assert runner is not None
    runner.pause()  # queue all thirty, then one engine pass packs them together
    bsns = [list(CITIZENS)[n % len(CITIZENS)] for n in range(30)]
    ids = [submit(ws, bsn, referentie=f"PG-B-{n:02d}") for n, bsn in enumerate(bsns)]
    runner.resume()

    details = [wait_for(ws, letter_id, timeout=120) for letter_id in ids]
    assert all(d.row.status.value in FINAL for d in details)
    for bsn, d in zip(bsns, details, strict=True):
        assert (d.row.verwerkings_code, d.row.status) == CITIZENS[bsn], d.row.referentie
        kinds = [t.kind for t in d.timeline]
        assert kinds.count("result") == 1 and "batched" in kinds
    (batch_id,) = {d.row.batch_id for d in details}
    assert batch_id is not None

    with ws.db.session() as s:
        batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == batch_id))
        assert batch is not None and batch.status is m.BatchStatus.RESULT
        assert (batch.letter_count, batch.totaal_ontvangen) == (30, 30)
        assert batch.aantal_verwerkt == 15 and batch.aantal_niet_geabonneerd == 10
        assert batch.aantal_technisch_probleem == 5
        letters_in_batch = s.scalar(
            select(func.count()).select_from(m.Letter).where(m.Letter.batch_id == batch_id)
        )
        assert letters_in_batch == 30
    exchanges = _exchanges(ws, batch_id)
    (out,) = [
        x for x in exchanges if x.direction is m.EbmsDirection.OUT and x.kind is m.EbmsKind.USER
    ]
    assert out.status is m.EbmsStatus.DELIVERED and out.attempts == 1
    body = _streamed(ws, out.id)
    assert body == out.raw
    assert all(d.row.bericht_id.encode() in body for d in details)
    result = next(
        x for x in exchanges if x.direction is m.EbmsDirection.IN and x.kind is m.EbmsKind.USER
    )
    assert b"BerichtVerwerkResponse" in result.raw
    assert all(d.row.bericht_id.encode() in result.raw for d in details)
    # The dashboard counts them per hour in SQL (to_char on PostgreSQL, substr on SQLite).
    assert ws.monitoring is not None
    period = ws.monitoring.dashboard().period
    assert (period.offered, period.delivered, period.not_subscribed) == (30, 15, 10)
    assert (period.failed, period.in_transit) == (5, 0)


def test_send_test_on_the_command_line_with_database_url(tmp_path: Path, pg_url: str) -> None:
    """The README's ``send-test --wait`` against a database URL, as a real process."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    proc = subprocess.run(
        [
            sys.executable, "-m", "console.cli", "--data-dir", str(tmp_path / "data"),
            "--database-url", pg_url, "send-test", "--bsn", "999990019", "--berichttype",
            "BELAST", "--onderwerp", "Test", "--wait", "--json",
        ],
        capture_output=True, text=True, env=env, check=False, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["status"], out["verwerkings_code"]) == ("delivered", "Verwerkt")
    # The letters live in PostgreSQL, not in a SQLite file in the data dir.
    assert not (tmp_path / "data" / "console.sqlite3").exists()
