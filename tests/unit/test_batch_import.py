"""Batch import on a real SQLite workspace (no engine): preview, import, the rejected file,
the same file twice, one transaction, the production guard once, the log filter, 10.000 rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from console.db import models as m
from console.domain.environment import Environment
from console.domain.letter import FieldIssue, LetterDraft
from console.services import letters as letters_module
from console.services.batch_import import (
    REASON_COLUMN,
    AlreadyImported,
    BatchImportService,
    ImportRefused,
    RowOutcome,
    default_rejected_path,
    import_tag,
    write_template,
)
from console.services.dto import LetterQuery
from console.services.letters import LetterService
from console.services.preflight import LetterFileError, PreflightService, read_letters_file
from console.services.production_guard import ProductionGuardService
from console.services.workspace import WorkspaceService
from tests.gui.fake_services import valid_bsns
from tests.letter_factory import Workspace, workspace_db
from tests.unit.test_preflight import make_pdf

HEADER = "bsn;berichttype;onderwerp;berichttekst;referentie;bijlage;omschrijving"


class Counting:
    """Counts calls of one method of a real object (the rest passes through)."""

    def __init__(self, target: Any, name: str) -> None:
        self._target = target
        self._name = name
        self.calls = 0

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        if attr != self._name:
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return value(*args, **kwargs)

        return counted


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = workspace_db(tmp_path)
    yield workspace
    workspace.db.dispose()


@pytest.fixture
def queued() -> list[int]:
    return []


@pytest.fixture
def service(ws: Workspace, queued: list[int]) -> BatchImportService:
    workspace = WorkspaceService(ws.db)
    return BatchImportService(
        ws.db,
        workspace,
        PreflightService(ws.db, workspace),
        guard=ProductionGuardService(ws.db, workspace),
        on_queued=lambda: queued.append(1),
        user="j.jansen",
    )


def letters_in(ws: Workspace) -> list[m.Letter]:
    with ws.db.session() as s:
        return list(s.scalars(select(m.Letter).order_by(m.Letter.id)))


def count(ws: Workspace, model: Any) -> int:
    with ws.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def mixed_file(folder: Path) -> Path:
    """Two ok, two warnings, three refused: every kind of outcome, with real PDFs."""
    (folder / "pdf").mkdir()
    (folder / "pdf" / "a1a.pdf").write_bytes(make_pdf("1", "A"))
    (folder / "pdf" / "a1b.pdf").write_bytes(make_pdf("1", "B"))
    rows = [
        "999990019;BELAST;Aanslag 2026;Beste inwoner,\\nZie de bijlage.;ZK-1;pdf/a1a.pdf;Aanslag",
        "999990020;WOZ;WOZ-beschikking 2026;;ZK-2;;",
        "999990032;BELAST;Aanslag 2026;;ZK-3;pdf/a1b.pdf;",  # PDF/A-1b: a warning
        "999990044;NIEUW;Nieuwe brief;;ZK-4;;",  # inactive berichttype: a warning
        "123456789;BELAST;Aanslag 2026;;ZK-5;;",  # elfproef
        "999990056;BELAST;" + "x" * 51 + ";;ZK-6;;",  # onderwerp too long
        "999990068;BELAST;Aanslag 2026;;ZK-7;pdf/ontbreekt.pdf;",  # unreadable row
    ]
    path = folder / "brieven.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def bulk_file(folder: Path, n: int, name: str = "bulk.csv") -> Path:
    lines = [HEADER] + [
        f"{bsn};BELAST;Aanslag {i};Beste inwoner,\\nUw aanslag.;REF-{i};;"
        for i, bsn in enumerate(valid_bsns(n))
    ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- preview --------------------------------------------------------------------------------


def test_preview_shows_every_row_with_its_outcome_and_stores_nothing(
    ws: Workspace, service: BatchImportService, tmp_path: Path
) -> None:
    preview = service.preview(mixed_file(tmp_path))

    assert (preview.total, preview.count(RowOutcome.OK)) == (7, 2)
    assert (preview.count(RowOutcome.WARNING), preview.count(RowOutcome.REFUSED)) == (2, 3)
    assert preview.to_send(True) == 4 and preview.to_send(False) == 2
    assert [r.number for r in preview.rows] == [2, 3, 4, 5, 6, 7, 8]  # CSV line numbers
    assert [r.outcome for r in preview.rows] == [
        RowOutcome.OK,
        RowOutcome.OK,
        RowOutcome.WARNING,
        RowOutcome.WARNING,
        RowOutcome.REFUSED,
        RowOutcome.REFUSED,
        RowOutcome.REFUSED,
    ]
    first = preview.rows[0]
    assert (first.bsn_masked, first.berichttype, first.attachments) == (
        "*****0019",
        "BELAST",
        ("a1a.pdf",),
    )
    assert "PDF/A-1b" in preview.rows[2].reasons
    assert "niet actief" in preview.rows[3].reasons
    assert "elfproef" in preview.rows[4].reasons and preview.rows[4].bsn_masked == "*****6789"
    assert "Onderwerp is 51 tekens; maximaal 50." in preview.rows[5].reasons
    assert "ontbreekt.pdf bestaat niet" in preview.rows[6].reasons
    assert preview.rows[6].bsn_masked == "*****0068"  # masked from the raw row too
    assert preview.organisation_id == ws.organisation_id and preview.previous is None
    assert preview.general == ()
    assert count(ws, m.Letter) == 0


def test_an_empty_or_unreadable_file_is_refused_in_dutch(
    service: BatchImportService, tmp_path: Path
) -> None:
    empty = tmp_path / "leeg.csv"
    empty.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="bevat geen brieven"):
        service.preview(empty)
    broken = tmp_path / "kapot.json"
    broken.write_text("{niet: json", encoding="utf-8")
    with pytest.raises(LetterFileError, match="geen geldige JSON"):
        service.preview(broken)
    with pytest.raises(LetterFileError, match="bestaat niet"):
        service.preview(tmp_path / "weg.csv")


def test_the_same_letter_twice_in_one_file_gets_a_warning(
    service: BatchImportService, tmp_path: Path
) -> None:
    path = tmp_path / "dubbel.csv"
    path.write_text(
        HEADER + "\n999990019;BELAST;Aanslag;Tekst;R1;;\n999990019;BELAST;Aanslag;Tekst;R1;;\n",
        encoding="utf-8",
    )
    preview = service.preview(path)
    assert [r.outcome for r in preview.rows] == [RowOutcome.OK, RowOutcome.WARNING]
    assert "ook op regel 2" in preview.rows[1].reasons


def test_the_organisation_can_be_chosen(
    ws: Workspace, service: BatchImportService, tmp_path: Path
) -> None:
    path = tmp_path / "waterschap.csv"
    path.write_text(HEADER + "\n999990019;WSBEL;Waterschapsbelasting;;;;\n", encoding="utf-8")
    assert service.preview(path).rows[0].outcome is RowOutcome.WARNING  # unknown for the default
    other = service.preview(path, ws.second_organisation_id)
    assert other.rows[0].outcome is RowOutcome.OK
    assert other.organisation_name == "Waterschap Proef"
    result = service.import_letters(other)
    (letter,) = letters_in(ws)
    assert letter.organisation_id == ws.second_organisation_id
    assert result.organisation_id == ws.second_organisation_id


# -- import ---------------------------------------------------------------------------------


def test_import_queues_exactly_the_passing_rows_and_keeps_the_refused_ones(
    ws: Workspace, service: BatchImportService, tmp_path: Path, queued: list[int]
) -> None:
    path = mixed_file(tmp_path)
    preview = service.preview(path)
    result = service.import_letters(preview)

    stored = letters_in(ws)
    assert [x.referentie for x in stored] == ["ZK-1", "ZK-2", "ZK-3", "ZK-4"]
    assert {x.status.value for x in stored} == {"queued"}
    assert {x.created_by for x in stored} == {result.tag}
    assert result.tag == import_tag(preview.fingerprint, "brieven.csv")
    assert result.tag.startswith(f"import:{preview.fingerprint[:12]}:")
    assert stored[0].berichttekst == "Beste inwoner,\\r\\nZie de bijlage."
    with ws.db.session() as s:
        attachment, warned = s.scalars(select(m.Attachment).order_by(m.Attachment.id))
        assert (attachment.letter_id, warned.letter_id) == (stored[0].id, stored[2].id)
        assert attachment.content == (tmp_path / "pdf" / "a1a.pdf").read_bytes()
        assert attachment.omschrijving == "Aanslag"
        events = list(
            s.scalars(
                select(m.LetterEventRecord)
                .where(m.LetterEventRecord.letter_id == stored[2].id)
                .order_by(m.LetterEventRecord.id)
            )
        )
    assert [e.kind for e in events] == ["created", "queued"]
    assert events[0].actor == "j.jansen"
    assert "Geïmporteerd uit brieven.csv, regel 4, door j.jansen." in events[0].detail
    assert "PDF/A-1b" in events[0].detail  # the warning travels with the letter
    assert queued == [1]  # the engine is woken once, not per letter

    assert (result.queued, result.with_warnings, result.refused, result.held_back) == (4, 2, 3, 0)
    assert result.rejected_path == default_rejected_path(path.resolve())
    assert result.summary == (
        f"4 brieven in de wachtrij, 3 afgekeurd (opgeslagen als {result.rejected_path}), "
        "2 met waarschuwing."
    )
    raw = result.rejected_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == [*HEADER.split(";"), REASON_COLUMN]
    assert [r[0] for r in table[1:]] == ["123456789", "999990056", "999990068"]
    assert table[3][5] == "pdf/ontbreekt.pdf"  # the original value, as typed
    assert "elfproef" in table[1][-1] and "maximaal 50" in table[2][-1]
    # Fixed and imported again: the rejected file is a letters file (reden is ignored).
    again = read_letters_file(result.rejected_path)
    assert [x.key for x in again] == ["regel 2", "regel 3", "regel 4"]


def test_rows_with_a_warning_can_be_held_back(
    ws: Workspace, service: BatchImportService, tmp_path: Path
) -> None:
    preview = service.preview(mixed_file(tmp_path))
    target = tmp_path / "elders" / "afgekeurd.csv"
    target.parent.mkdir()
    result = service.import_letters(preview, include_warnings=False, rejected_path=target)

    assert [x.referentie for x in letters_in(ws)] == ["ZK-1", "ZK-2"]
    assert (result.queued, result.refused, result.held_back, result.with_warnings) == (2, 3, 2, 0)
    assert result.rejected_path == target
    table = list(csv.DictReader(io.StringIO(target.read_text("utf-8-sig")), delimiter=";"))
    assert [r["referentie"] for r in table] == ["ZK-3", "ZK-4", "ZK-5", "ZK-6", "ZK-7"]
    assert table[0][REASON_COLUMN].startswith("Niet verstuurd (waarschuwing): ")
    # In another folder, relative PDF paths are made absolute so they still work.
    assert table[0]["bijlage"] == str(tmp_path.resolve() / "pdf" / "a1b.pdf")


def test_a_json_file_imports_too(
    ws: Workspace, service: BatchImportService, tmp_path: Path
) -> None:
    (tmp_path / "a.pdf").write_bytes(make_pdf("2", "A"))
    path = tmp_path / "brieven.json"
    path.write_text(
        json.dumps(
            [
                {
                    "bsn": "999990019",
                    "berichttype": "BELAST",
                    "onderwerp": "A",
                    "bijlage": ["a.pdf"],
                },
                {"bsn": "12", "berichttype": "BELAST", "onderwerp": "B", "referentie": "R2"},
            ]
        ),
        encoding="utf-8",
    )
    preview = service.preview(path)
    assert [(r.key, r.outcome) for r in preview.rows] == [
        ("bericht 1", RowOutcome.OK),
        ("bericht 2", RowOutcome.REFUSED),
    ]
    result = service.import_letters(preview)
    assert result.queued == 1 and count(ws, m.Attachment) == 1
    assert result.rejected_path is not None
    table = list(
        csv.DictReader(io.StringIO(result.rejected_path.read_text("utf-8-sig")), delimiter=";")
    )
    assert list(table[0]) == ["bsn", "berichttype", "onderwerp", "bijlage", "referentie", "reden"]
    assert (table[0]["bsn"], table[0]["referentie"], table[0]["bijlage"]) == ("12", "R2", "")


def test_nothing_to_send_is_refused_and_stores_nothing(
    ws: Workspace, service: BatchImportService, tmp_path: Path
) -> None:
    path = tmp_path / "fout.csv"
    path.write_text(HEADER + "\n123456789;BELAST;A;;;;\n", encoding="utf-8")
    preview = service.preview(path)
    with pytest.raises(ImportRefused, match="Geen enkele brief"):
        service.import_letters(preview)
    assert count(ws, m.Letter) == 0
    written = service.write_rejected(preview, tmp_path / "afgekeurd.csv")
    assert "elfproef" in written.read_text("utf-8-sig")


# -- safety ---------------------------------------------------------------------------------


def test_the_same_file_twice_is_refused_with_the_date_and_can_be_resent_on_purpose(
    ws: Workspace, service: BatchImportService, tmp_path: Path
) -> None:
    path = bulk_file(tmp_path, 3)
    first = service.import_letters(service.preview(path))
    second_preview = service.preview(path)
    assert second_preview.previous is not None
    assert second_preview.previous.letters == 3 and second_preview.previous.tag == first.tag

    with pytest.raises(AlreadyImported) as refused:
        service.import_letters(second_preview)
    day = first.imported_at.astimezone().strftime("%d-%m-%Y")
    assert f"bulk.csv is al geïmporteerd op {day} om " in str(refused.value)
    assert "3 brieven staan al in de console" in str(refused.value)
    assert count(ws, m.Letter) == 3

    # The same bytes under another name are the same file.
    copy = tmp_path / "kopie.csv"
    copy.write_bytes(path.read_bytes())
    with pytest.raises(AlreadyImported):
        service.import_letters(service.preview(copy))

    again = service.import_letters(second_preview, resend=True)
    assert again.resent and again.queued == 3 and again.tag != first.tag
    assert again.tag.startswith(f"import:{second_preview.fingerprint[:12]}-2:")
    assert count(ws, m.Letter) == 6
    third = service.preview(path).previous
    assert third is not None and (third.imports, third.letters) == (2, 6)
    assert "(en daarna nog 1 keer)" in third.message("bulk.csv")


def test_each_import_is_on_record_and_found_without_reading_the_letters(
    ws: Workspace, service: BatchImportService, tmp_path: Path
) -> None:
    """Looking up an earlier import reads ``letter_imports`` by its index, never the letters
    table (before migration 0009 that was a scan of every letter, on every import)."""
    from sqlalchemy import event

    path = bulk_file(tmp_path, 3)
    preview = service.preview(path)
    done = service.import_letters(preview)
    with ws.db.session() as s:
        (record,) = s.scalars(select(m.LetterImport))
        assert (record.tag, record.file_name, record.letters) == (done.tag, "bulk.csv", 3)
        assert record.fingerprint == preview.fingerprint[:12]
        assert record.imported_by == service.user != ""

    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: Any) -> None:
        seen.append((statement, params))

    event.listen(ws.db.engine, "before_cursor_execute", capture)
    try:
        found = service.previous_import(preview.fingerprint)
    finally:
        event.remove(ws.db.engine, "before_cursor_execute", capture)
    assert found is not None and found.tag == done.tag
    (statement, params), *_ = [q for q in seen if q[0].lstrip().upper().startswith("SELECT")]
    with ws.db.engine.connect() as conn:
        plan = [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
    assert any("ix_letter_imports_fingerprint" in line for line in plan), plan
    assert not any("letters" in line.split() for line in plan), plan

    # With its letters gone, the file is still recognised: the import itself is on record.
    with ws.db.session() as s:
        s.execute(m.Letter.__table__.delete())
    assert service.preview(path).previous is not None


def test_a_file_changed_after_the_preview_is_not_imported(
    ws: Workspace, service: BatchImportService, tmp_path: Path
) -> None:
    path = bulk_file(tmp_path, 2)
    preview = service.preview(path)
    path.write_text(path.read_text("utf-8") + "999990019;BELAST;Extra;;;;\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="gewijzigd sinds de controle"):
        service.import_letters(preview)
    assert count(ws, m.Letter) == 0


def test_a_failure_halfway_leaves_nothing_half_imported(
    ws: Workspace, service: BatchImportService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = 2500  # three INSERT rounds of 1000: the failure comes after the first went in
    preview = service.preview(bulk_file(tmp_path, rows))
    real_guid = letters_module.new_guid
    made: list[str] = []

    def guid() -> str:
        value = real_guid()
        made.append(value)
        return made[0] if len(made) == 1500 else value  # a BerichtID taken twice

    monkeypatch.setattr(letters_module, "new_guid", guid)
    with pytest.raises(IntegrityError):
        service.import_letters(preview)
    assert len(made) >= 1500
    for model in (m.Letter, m.LetterText, m.LetterEventRecord):
        assert count(ws, model) == 0
    assert service.previous_import(preview.fingerprint) is None  # not marked as imported

    monkeypatch.setattr(letters_module, "new_guid", real_guid)
    assert service.import_letters(preview).queued == rows
    assert count(ws, m.LetterEventRecord) == 2 * rows


def test_production_guard_runs_once_for_the_whole_import(ws: Workspace, tmp_path: Path) -> None:
    workspace = WorkspaceService(ws.db)
    guard = Counting(ProductionGuardService(ws.db, workspace), "issues")
    service = BatchImportService(
        ws.db,
        workspace,
        PreflightService(ws.db, workspace),
        guard=guard,  # type: ignore[arg-type]
        user="t",
    )
    path = bulk_file(tmp_path, 50)
    preview = service.preview(path)
    assert guard.calls == 1 and preview.general == ()
    service.import_letters(preview)
    assert guard.calls == 2  # once more at the import: time has passed since the preview

    with ws.db.session() as s:
        conn = s.get(m.Connection, ws.connection_id)
        assert conn is not None
        conn.environment = Environment.PRODUCTIE
        s.commit()
    other = bulk_file(tmp_path, 50, name="productie.csv")
    preview = service.preview(other)
    assert guard.calls == 3
    blocking = " ".join(i.message for i in preview.blocking)
    assert "test-OIN" in blocking  # the demo's OIN may not send in production
    with pytest.raises(ImportRefused):
        service.import_letters(preview)
    assert count(ws, m.Letter) == 50  # only the first import


class _ConfirmingGuard:
    """A guard that only asks for the production confirmation."""

    def __init__(self) -> None:
        self.confirmed = False

    def issues(self, bsns: list[str], connection_id: int, organisation_id: int) -> list[Any]:
        return []

    def needs_confirmation(self, organisation_id: int) -> bool:
        return not self.confirmed


def test_production_needs_the_confirmation_before_anything_is_stored(
    ws: Workspace, tmp_path: Path
) -> None:
    workspace = WorkspaceService(ws.db)
    guard = _ConfirmingGuard()
    service = BatchImportService(
        ws.db,
        workspace,
        PreflightService(ws.db, workspace),
        guard=guard,  # type: ignore[arg-type]
        user="t",
    )
    preview = service.preview(bulk_file(tmp_path, 2))
    with pytest.raises(ImportRefused) as refused:
        service.import_letters(preview)
    assert refused.value.issues[0].field == "Bevestiging"
    assert count(ws, m.Letter) == 0
    guard.confirmed = True
    assert service.import_letters(preview).queued == 2


def test_send_checks_block_the_whole_import(ws: Workspace, tmp_path: Path) -> None:
    workspace = WorkspaceService(ws.db)
    calls: list[tuple[int, int]] = []

    def expired(connection_id: int, organisation_id: int) -> list[FieldIssue]:
        calls.append((connection_id, organisation_id))
        return [FieldIssue("Certificaat", "Het certificaat is verlopen.")]

    service = BatchImportService(
        ws.db, workspace, PreflightService(ws.db, workspace), send_checks=expired, user="t"
    )
    preview = service.preview(bulk_file(tmp_path, 20))
    assert calls == [(ws.connection_id, ws.organisation_id)]
    assert [i.message for i in preview.blocking] == ["Het certificaat is verlopen."]
    with pytest.raises(ImportRefused, match="verlopen"):
        service.import_letters(preview)
    assert count(ws, m.Letter) == 0


# -- the message log ------------------------------------------------------------------------


def test_the_log_filter_shows_exactly_one_import(
    ws: Workspace, service: BatchImportService, tmp_path: Path
) -> None:
    workspace = WorkspaceService(ws.db)
    letters = LetterService(ws.db, workspace)
    letters.submit(LetterDraft("999990019", "BELAST", "Los bericht"), ws.organisation_id)
    first = service.import_letters(service.preview(bulk_file(tmp_path, 4, "a.csv")))
    other = service.import_letters(service.preview(bulk_file(tmp_path, 6, "b.csv")))
    resent = service.import_letters(service.preview(tmp_path / "a.csv"), resend=True)

    assert letters.count(first.query) == 4
    assert letters.count(other.query) == 6
    assert letters.count(resent.query) == 4
    tagged = {x.id for x in letters_in(ws) if x.created_by == first.tag}
    assert set(letters.ids(first.query)) == tagged
    # Typed in the search box: the fingerprint finds the import and its deliberate resend.
    assert letters.count(LetterQuery(search=first.tag.split(":")[0] + ":" + first.tag[7:19])) == 8
    assert letters.count(LetterQuery(search=first.tag)) == 4
    assert letters.count(replace(first.query, organisation_id=ws.second_organisation_id)) == 0


# -- scale ----------------------------------------------------------------------------------


def test_ten_thousand_rows_are_checked_once_and_stored_in_one_go(
    ws: Workspace, tmp_path: Path
) -> None:
    workspace = WorkspaceService(ws.db)
    preflight = Counting(PreflightService(ws.db, workspace), "check")
    service = BatchImportService(ws.db, workspace, preflight, user="t")  # type: ignore[arg-type]
    preview = service.preview(bulk_file(tmp_path, 10_000))
    assert preflight.calls == 1
    assert preview.count(RowOutcome.OK) == 10_000
    result = service.import_letters(preview)
    assert result.queued == 10_000 and result.rejected_path is None
    assert result.summary == "10.000 brieven in de wachtrij."
    assert count(ws, m.Letter) == 10_000 and count(ws, m.LetterText) == 10_000
    assert preflight.calls == 1  # the import does not check again


def test_the_template_is_a_file_that_imports(service: BatchImportService, tmp_path: Path) -> None:
    path = write_template(tmp_path / "voorbeeld.csv")
    preview = service.preview(path)
    assert [r.outcome for r in preview.rows] == [RowOutcome.OK]
    assert preview.rows[0].onderwerp == "Uw aanslag gemeentelijke belastingen"
