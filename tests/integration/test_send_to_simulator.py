"""Engine and simulator over real two-way TLS on loopback, one VerwerkingsCode per case."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from console.db import models as m
from console.domain.ids import NIL_GUID, is_guid
from console.domain.lifecycle import LetterStatus
from console.services.bootstrap import ConsoleServices

from .conftest import submit, wait_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_subscribed_citizen_gets_verwerkt(workspace: ConsoleServices) -> None:
    from console.domain.letter import AttachmentDraft

    letter_id = submit(
        workspace,
        "999990019",
        berichttekst="Beste inwoner,\nBetaal via https://betalen.voorbeeld.nl/?ref=1 alstublieft.",
        attachments=(AttachmentDraft("aanslag.pdf", PDF),),
    )
    # The acknowledgment and the result race each other (as at Logius): wait for both.
    detail = wait_for(
        workspace,
        letter_id,
        lambda d: (
            d.row.status.value == "delivered"
            and any(t.kind == "acknowledged" and t.raw_ref is not None for t in d.timeline)
        ),
    )
    row = detail.row
    assert row.status is LetterStatus.DELIVERED
    assert row.verwerkings_code == "Verwerkt"
    assert row.explanation == "Het bericht staat in de Berichtenbox van de burger."
    assert is_guid(row.batch_id or "") and is_guid(row.bericht_id)
    kinds = [t.kind for t in detail.timeline]
    for expected in ("created", "batched", "attempt", "acknowledged", "result"):
        assert expected in kinds
    # The Acknowledgment is part of its step (issue 6: the raw exchange one click away).
    assert next(t for t in detail.timeline if t.kind == "acknowledged").raw_ref is not None
    # The whole story is on disk: request, acknowledgment and result, each with its raw bytes.
    with workspace.db.session() as s:
        exchanges = list(
            s.scalars(select(m.EbmsMessage).where(m.EbmsMessage.batch_id == row.batch_id))
        )
        assert {(x.direction, x.kind) for x in exchanges} >= {
            (m.EbmsDirection.OUT, m.EbmsKind.USER),
            (m.EbmsDirection.IN, m.EbmsKind.ACK),
            (m.EbmsDirection.IN, m.EbmsKind.USER),
        }
        out = next(x for x in exchanges if x.direction is m.EbmsDirection.OUT)
        assert out.status is m.EbmsStatus.DELIVERED
        assert b'"ebXML"' not in out.raw  # SOAPAction is an HTTP header, not part of the body
        assert b"GLOBE-R-BV-Request" in out.raw
        assert out.delivery_attempts[0].http_status == 200
        batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == row.batch_id))
        assert batch is not None and batch.status is m.BatchStatus.RESULT
        assert (batch.totaal_ontvangen, batch.aantal_verwerkt) == (1, 1)
    # The simulator kept the payload it received, with the body text encoded as Logius wants it.
    (received,) = workspace.simulator.store.batches()  # type: ignore[union-attr]
    payload = Path(received.path).read_bytes()
    assert row.batch_id.encode() in payload  # type: ignore[union-attr]
    assert b"Beste inwoner,\\r\\nBetaal via" in payload
    # The raw XML of every exchange is one call away, pretty-printed.
    raw = workspace.letters.raw_exchange(out.id)
    assert "GLOBE-R-BV-Request" in raw and "\n  " in raw


@pytest.mark.parametrize(
    ("bsn", "code", "status"),
    [
        (
            "999990044",
            "NietActiefOfGeabonneerd",
            LetterStatus.NOT_SUBSCRIBED,
        ),  # active box, not subscribed
        ("999990068", "NietActiefOfGeabonneerd", LetterStatus.NOT_SUBSCRIBED),  # no active box
        ("999990093", "TechnischProbleem", LetterStatus.REJECTED),  # fault injection
    ],
)
def test_citizen_states(
    workspace: ConsoleServices, bsn: str, code: str, status: LetterStatus
) -> None:
    detail = wait_for(workspace, submit(workspace, bsn))
    assert (detail.row.status, detail.row.verwerkings_code) == (status, code)
    assert detail.next_step


def test_unknown_berichttype_is_refused_by_the_simulator(workspace: ConsoleServices) -> None:
    # NIEUW exists in the console as a concept: the console warns but lets it go; GLOBE refuses.
    detail = wait_for(workspace, submit(workspace, "999990019", berichttype="NIEUW"))
    assert detail.row.verwerkings_code == "BerichtTypeNietOndersteund"
    assert detail.row.status is LetterStatus.REJECTED
    assert "Leveranciersportaal" in detail.next_step


def test_invalid_batch_gets_xml_validation_with_nil_bericht_id(
    workspace: ConsoleServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A builder bug is simulated by a letter that bypassed the service: a BerichtType of 11
    # characters, and a preflight that (by the same bug) lets it through when packing.
    from console.berichtenbox.preflight import PreflightReport
    from console.engine import outbox

    monkeypatch.setattr(outbox, "preflight_letter", lambda *a, **k: PreflightReport("bug"))
    runner = workspace.engine.runner
    assert runner is not None
    runner.pause()
    letter_id = submit(workspace, "999990019")
    with workspace.db.session() as s:
        letter = s.get(m.Letter, letter_id)
        assert letter is not None
        letter.berichttype = "BERICHTTYPE"
        s.commit()
    runner.resume()
    detail = wait_for(workspace, letter_id)
    assert detail.row.verwerkings_code == "XmlValidatieTegenXsdValtNegatiefUit"
    assert detail.row.status is LetterStatus.REJECTED
    (received,) = workspace.simulator.store.batches()  # type: ignore[union-attr]
    assert not received.valid and received.batch_id == detail.row.batch_id
    with workspace.db.session() as s:
        result = s.scalar(
            select(m.EbmsMessage).where(
                m.EbmsMessage.batch_id == detail.row.batch_id,
                m.EbmsMessage.action == "GLOBE-R-BV-Result",
            )
        )
        assert result is not None and NIL_GUID.encode() in result.raw


def test_three_letters_share_one_batch_and_each_gets_its_own_result(
    workspace: ConsoleServices,
) -> None:
    runner = workspace.engine.runner
    assert runner is not None
    runner.pause()  # queue first, then let one engine pass pack them together
    ids = [submit(workspace, b) for b in ("999990019", "999990044", "999990020")]
    runner.resume()
    details = [wait_for(workspace, i) for i in ids]
    assert len({d.row.batch_id for d in details}) == 1
    assert [d.row.verwerkings_code for d in details] == [
        "Verwerkt",
        "NietActiefOfGeabonneerd",
        "Verwerkt",
    ]


# --- the remaining VerwerkingsCodes, each end to end (issue 4) ---------------------------


def _pause(workspace: ConsoleServices):  # type: ignore[no-untyped-def]
    runner = workspace.engine.runner
    assert runner is not None
    runner.pause()
    return runner


def test_publicatiedatum_too_far_is_refused_by_the_simulator(
    workspace: ConsoleServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another supplier's software (no preflight) offers a letter to publish in 20 days.
    from datetime import UTC, datetime, timedelta

    from console.berichtenbox.preflight import PreflightReport
    from console.engine import outbox

    runner = _pause(workspace)
    letter_id = submit(workspace, "999990019")
    with workspace.db.session() as s:
        letter = s.get(m.Letter, letter_id)
        assert letter is not None
        letter.publicatie_datum = datetime.now(UTC) + timedelta(days=20)
        s.commit()
    monkeypatch.setattr(outbox, "preflight_letter", lambda *a, **k: PreflightReport("zonder"))
    runner.resume()
    detail = wait_for(workspace, letter_id)
    assert detail.row.verwerkings_code == "PublicatieDatumLigtTeVerInDeToekomst"
    assert detail.row.status is LetterStatus.REJECTED
    with workspace.db.session() as s:
        batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == detail.row.batch_id))
        assert batch is not None and batch.aantal_publicatiedatum_niet_correct == 1


def test_publicatiedatum_too_far_never_leaves_the_console(workspace: ConsoleServices) -> None:
    # The same letter through the console: the preflight refuses it when packing.
    from datetime import UTC, datetime, timedelta

    runner = _pause(workspace)
    letter_id = submit(
        workspace, "999990019", publicatie_datum=datetime.now(UTC) + timedelta(days=12)
    )
    with workspace.db.session() as s:
        letter = s.get(m.Letter, letter_id)
        assert letter is not None
        letter.publicatie_datum = datetime.now(UTC) + timedelta(days=20)
        s.commit()
    runner.resume()
    detail = wait_for(workspace, letter_id)
    assert detail.row.status is LetterStatus.FAILED and detail.row.batch_id is None
    assert "meer dan 13 dagen na het versturen" in detail.row.explanation
    assert workspace.simulator is not None and workspace.simulator.store.batches() == []


def test_aanmaakdatum_too_old_is_refused_by_the_simulator(
    workspace: ConsoleServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Software that dates the batch when its letters were made, and sends it 14 days later
    # in a fresh ebMS message (an old ebMS message would expire by its TimeToLive first).
    from datetime import timedelta

    from console.engine import outbox

    original = outbox._build
    monkeypatch.setattr(
        outbox, "_build", lambda b, now, oin, rows: original(b, now - timedelta(days=14), oin, rows)
    )
    detail = wait_for(workspace, submit(workspace, "999990019"))
    assert detail.row.verwerkings_code == "AanmaakDatumLigtTeVerInHetVerleden"
    assert detail.row.status is LetterStatus.REJECTED
    with workspace.db.session() as s:
        batch = s.scalar(select(m.Batch).where(m.Batch.batch_id == detail.row.batch_id))
        assert batch is not None and batch.aantal_aanmaakdatum_niet_correct == 1


def test_attachment_over_globes_limit_gets_bijlage_te_groot(workspace: ConsoleServices) -> None:
    # The console allows 500,000 bytes; this GLOBE counts less (the kB question): BijlageTeGroot.
    from console.domain.letter import AttachmentDraft
    from tests.unit.test_preflight import padded_pdf

    assert workspace.simulator is not None
    workspace.simulator.store.set_setting("bijlagen_max_bytes", 5_000)
    letter_id = submit(
        workspace, "999990019", attachments=(AttachmentDraft("a.pdf", padded_pdf(6_000)),)
    )
    detail = wait_for(workspace, letter_id)
    assert (detail.row.status, detail.row.verwerkings_code) == (
        LetterStatus.REJECTED,
        "BijlageTeGroot",
    )


def test_organisation_not_in_the_cpa_gets_oin_mismatch(workspace: ConsoleServices) -> None:
    # The console may send for a second organisation; Logius was never told (no machtiging).
    with workspace.db.session() as s:
        conn = s.scalar(select(m.Connection))
        assert conn is not None
        other = m.Organisation(name="Waterschap Proef", oin="00000099000000002000")
        conn.organisations.append(other)
        s.commit()
        other_id = other.id
    from console.domain.letter import LetterDraft

    letter_id = workspace.letters.submit(
        LetterDraft(bsn="999990019", berichttype="BELAST", onderwerp="Aanslag"), other_id
    ).letter_id
    detail = wait_for(workspace, letter_id)
    assert detail.row.verwerkings_code == "OinInCPAKomtNietOvereenMetOinInBericht"
    assert detail.row.status is LetterStatus.REJECTED
    with workspace.db.session() as s:
        result = s.scalar(
            select(m.EbmsMessage).where(
                m.EbmsMessage.batch_id == detail.row.batch_id,
                m.EbmsMessage.action == "GLOBE-R-BV-Result",
            )
        )
        assert result is not None and NIL_GUID.encode() in result.raw  # matched by BatchID


def test_same_bericht_id_again_is_a_duplicate_not_a_failure(workspace: ConsoleServices) -> None:
    first = wait_for(workspace, submit(workspace, "999990019"))
    assert first.row.verwerkings_code == "Verwerkt"
    runner = _pause(workspace)
    second_id = submit(workspace, "999990019")
    from console.domain.ids import new_guid

    with workspace.db.session() as s:
        a = s.get(m.Letter, first.row.id)
        b = s.get(m.Letter, second_id)
        assert a is not None and b is not None
        reused = a.bericht_id
        a.bericht_id = new_guid()
        s.flush()
        b.bericht_id = reused  # e.g. a restore from backup that offers it again
        s.commit()
    runner.resume()
    detail = wait_for(workspace, second_id)
    assert detail.row.verwerkings_code == "BerichtBestaatAl"
    assert detail.row.status is LetterStatus.DUPLICATE
    assert detail.row.status_label == "Al eerder aangeboden" and detail.row.status_tone == "amber"
    assert "geen nieuwe fout" in detail.next_step


def test_berichttype_dropped_in_the_portal_but_active_in_the_console(
    workspace: ConsoleServices,
) -> None:
    # The two lists drift: the simulator (the Leveranciersportaal) no longer has BELAST.
    assert workspace.simulator is not None
    store = workspace.simulator.store
    oin = workspace.workspace.status().organisation_oin
    store.set_berichttypes(oin, sorted(store.berichttypes(oin) - {"BELAST"}))
    detail = wait_for(workspace, submit(workspace, "999990019"))
    assert detail.row.verwerkings_code == "BerichtTypeNietOndersteund"
