"""Preflight of 100,000 letters through the service (berichttypes, subscription hints, PDF/A).

A mix as a municipality's tax run looks: every letter has a body with a payment link, one
in ten has the same PDF/A attachment (read once, then cached by content hash), one in fifty
has a fault. The service reads the organisation's berichttypes and the subscription
snapshot (100,000 BSNs, imported first) for all letters at once.

Run: ``.venv/bin/python -m tests.benchmarks bench_preflight``
"""

from __future__ import annotations

import io
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

COUNT = 100_000


def _pdfa() -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
        b'pdfaid:part="2" pdfaid:conformance="A"/></rdf:RDF></x:xmpmeta>'
    )
    stream = StreamObject()
    stream.set_data(xmp)
    writer._root_object[NameObject("/Metadata")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> None:
    from console.berichtenbox.abonnement import (
        AanvraagSoort,
        AbonnementRegel,
        AbonnementStatus,
        AntwoordKop,
        build_antwoord,
    )
    from console.db import models_subscriptions as ms
    from console.db.database import open_database, upgrade
    from console.domain.letter import AttachmentDraft, LetterDraft
    from console.engine.subscriptions import SubscriptionImporter
    from console.services.demo import DEMO_OIN, create_demo_workspace
    from console.services.preflight import PreflightService, summarise
    from console.services.workspace import WorkspaceService
    from tests.gui.fake_services import valid_bsns

    with tempfile.TemporaryDirectory(prefix="bench-preflight-") as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        upgrade(db, backup_dir=None)
        create_demo_workspace(db)
        bsns = valid_bsns(COUNT, start=100_000_000)
        answer = build_antwoord(
            AntwoordKop(DEMO_OIN, "bench", AanvraagSoort.BSN_LIJST, datetime.now(UTC)),
            (AbonnementRegel(b, AbonnementStatus.SUBSCRIBED) for b in bsns),
        )
        with db.session() as s:
            s.add(
                ms.SubscriptionAnswer(message_id="bench", payload=answer, payload_bytes=len(answer))
            )
            s.commit()
        SubscriptionImporter(db).import_pending()
        pdf = _pdfa()
        drafts = [
            LetterDraft(
                bsn=bsn if n % 50 else "123456789",
                berichttype="BELAST",
                onderwerp=f"Aanslag gemeentelijke belastingen {n}",
                berichttekst="Beste inwoner,\nBetaal uw aanslag via https://betalen.voorbeeld.nl/"
                f"{n} binnen 30 dagen.\nMet vriendelijke groet,\nGemeente Voorbeeld",
                referentie=f"AANSLAG-{n:07d}",
                attachments=(AttachmentDraft("aanslag.pdf", pdf),) if n % 10 == 0 else (),
            )
            for n, bsn in enumerate(bsns)
        ]
        service = PreflightService(db, WorkspaceService(db))
        t0 = time.perf_counter()
        reports = service.check(drafts, 1)
        seconds = time.perf_counter() - t0
        summary = summarise(reports)
    print(f"Preflight van {COUNT:,} berichten via de service".replace(",", "."))
    print(
        f"  {seconds:.1f} s in totaal, {seconds / COUNT * 1e6:.0f} µs per bericht; {summary.text}"
    )
    print("Opnieuw: .venv/bin/python -m tests.benchmarks bench_preflight")


if __name__ == "__main__":
    main()
