"""One letter's story from a real exchange with the simulator: the timeline and the evidence pack."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pypdf import PdfReader

from console.db import models as m
from console.services.bootstrap import ConsoleServices
from console.services.errors import ServiceError
from tests.integration.conftest import submit, wait_for

SUBSCRIBED = "999990019"
NO_BOX = "999990044"


def _pdf_text(path: Path) -> str:
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def test_timeline_of_a_real_exchange(workspace: ConsoleServices) -> None:
    letter_id = submit(workspace, SUBSCRIBED, referentie="ZK-2025-0001")
    detail = wait_for(workspace, letter_id)
    steps = [e.kind for e in detail.timeline]
    # created -> queued -> batched -> HTTP attempt -> accepted -> acknowledged -> result, in time order
    for earlier, later in [
        ("created", "queued"),
        ("queued", "batched"),
        ("batched", "attempt"),
        ("attempt", "acknowledged"),
        ("acknowledged", "result"),
    ]:
        assert steps.index(earlier) < steps.index(later), steps
    assert [e.at for e in detail.timeline] == sorted(e.at for e in detail.timeline)

    batched = next(e for e in detail.timeline if e.kind == "batched")
    assert detail.row.batch_id in batched.detail and batched.raw_ref is not None
    attempt = next(e for e in detail.timeline if e.kind == "attempt")
    assert re.search(r"https://127\.0\.0\.1:\d+/ebms: HTTP 200, \d+ ms", attempt.detail)
    ack = next(e for e in detail.timeline if e.kind == "acknowledged")
    assert ack.raw_ref is not None
    result = next(e for e in detail.timeline if e.kind == "result")
    assert result.title == "Resultaat van MijnOverheid: Verwerkt"
    assert result.code == "Verwerkt"
    assert result.detail.startswith("Het bericht staat in de Berichtenbox van de burger.")
    assert "Telling van Logius voor de hele batch: 1 ontvangen, 1 verwerkt" in result.detail
    assert result.raw_ref is not None
    created = next(e for e in detail.timeline if e.kind == "created")
    assert created.actor == "gebruiker"

    # Every exchange is one click away, pretty-printed.
    raw = workspace.letters.raw_exchange(result.raw_ref)
    assert "<VerwerkingsCode>Verwerkt</VerwerkingsCode>" in raw.replace(" ", "")
    assert detail.row.bericht_id in workspace.letters.raw_exchange(batched.raw_ref)


def test_not_subscribed_explains_the_next_step(workspace: ConsoleServices) -> None:
    letter_id = submit(workspace, NO_BOX)
    detail = wait_for(workspace, letter_id)
    result = next(e for e in detail.timeline if e.kind == "result")
    assert result.code == "NietActiefOfGeabonneerd"
    assert "Verstuur het bericht per post." in result.detail
    assert detail.next_step == "Verstuur het bericht per post."


def test_evidence_pack_pdf_and_zip(workspace: ConsoleServices, tmp_path: Path) -> None:
    letter_id = submit(workspace, SUBSCRIBED, referentie="BEZWAAR-77")
    detail = wait_for(workspace, letter_id)
    assert workspace.evidence is not None and workspace.privacy is not None
    pack = workspace.evidence.build(letter_id, tmp_path)

    text = _pdf_text(pack.pdf_path)
    row = detail.row
    for expected in (
        "Bewijsstuk",
        row.bericht_id,
        str(row.batch_id),
        "BEZWAAR-77",
        "*****0019",
        "Verwerkt",
        "Het bericht staat in de Berichtenbox van de burger.",
        "Resultaat van MijnOverheid: Verwerkt",
        "Gemeente Voorbeeld",
        *detail.message_ids[:2],
    ):
        assert expected in text, expected
    assert SUBSCRIBED not in text  # masked unless asked for with a reason

    # The client certificate's SHA-256 fingerprint, as the connection holds it.
    with workspace.db.session() as s:
        conn = s.get(m.Connection, s.get(m.Letter, letter_id).connection_id)  # type: ignore[union-attr]
        pem = conn.client_cert_pem  # type: ignore[union-attr]
    cert = x509.load_pem_x509_certificates(pem.encode())[0]
    assert cert.fingerprint(hashes.SHA256()).hex(":").upper() in text

    # The zip holds every raw exchange byte for byte; the PDF lists their SHA-256.
    with zipfile.ZipFile(pack.zip_path) as z:
        names = z.namelist()
        assert "MANIFEST.txt" in names
        raws = [n for n in names if n.endswith(".raw")]
        assert len(raws) == len(pack.raw_files) >= 3
        for f in pack.raw_files:
            data = z.read(f.name)
            assert hashlib.sha256(data).hexdigest() == f.sha256
            assert f.sha256 in text
        assert any(
            b"GLOBE-R-BV-Result" in z.read(n) or b"BerichtVerwerkResponse" in z.read(n)
            for n in raws
        )
    assert hashlib.sha256(pack.pdf_path.read_bytes()).hexdigest() == pack.pdf_sha256


def test_evidence_with_full_bsn_needs_a_reason_and_is_logged(
    workspace: ConsoleServices, tmp_path: Path
) -> None:
    letter_id = submit(workspace, SUBSCRIBED)
    wait_for(workspace, letter_id)
    assert workspace.evidence is not None and workspace.privacy is not None
    with pytest.raises(ServiceError, match="reden"):
        workspace.evidence.build(letter_id, tmp_path, full_bsn=True)
    pack = workspace.evidence.build(letter_id, tmp_path, full_bsn=True, reason="beroepszaak 2026-4")
    assert SUBSCRIBED in _pdf_text(pack.pdf_path)
    lookup = workspace.privacy.lookups()[0]
    assert (lookup.kind, lookup.bsn, lookup.letter_id) == ("evidence", SUBSCRIBED, letter_id)
