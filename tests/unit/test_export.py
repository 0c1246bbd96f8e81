"""Export of the filtered log to CSV and XLSX: masked BSNs, progress, cancel, formula-safe."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from console.domain.lifecycle import LetterStatus
from console.services.dto import LetterQuery
from console.services.errors import ServiceError
from console.services.export import COLUMNS, ExportFormat, ExportRequest, ExportService, format_for
from console.services.privacy import PrivacyService
from tests.letter_factory import Workspace, add_letter, workspace_db

BSN = "999990019"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = workspace_db(tmp_path)
    yield workspace
    workspace.db.dispose()


@pytest.fixture
def exports(ws: Workspace) -> ExportService:
    return ExportService(ws.db, PrivacyService(ws.db, user="jan"))


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def test_csv_has_the_filtered_view_in_its_order_with_masked_bsns(
    ws: Workspace, exports: ExportService, tmp_path: Path
) -> None:
    a = add_letter(ws, bsn=BSN, status=LetterStatus.DELIVERED, code="Verwerkt", onderwerp="Aanslag")
    b = add_letter(ws, bsn=BSN, status=LetterStatus.FAILED, onderwerp='=HYPERLINK("x")')
    add_letter(ws, status=LetterStatus.DELIVERED, code="Verwerkt")  # another citizen
    path = tmp_path / "uit.csv"
    result = exports.export(ExportRequest(path, ExportFormat.CSV, query=LetterQuery(search=BSN)))
    rows = _read_csv(path)
    assert rows[0] == list(COLUMNS)
    assert [int(r[0]) for r in rows[1:]] == [b, a]  # newest first, as the log shows
    assert {r[4] for r in rows[1:]} == {"*****0019"}
    assert BSN not in path.read_text(encoding="utf-8-sig")
    assert rows[1][5] == '\'=HYPERLINK("x")'  # never a formula
    assert rows[2][8] == "Verwerkt" and rows[2][9].startswith("Het bericht staat")
    assert result.rows == 2 and not result.cancelled
    assert PrivacyService(ws.db, user="jan").lookups() == []  # masked: nothing to record


def test_xlsx_with_full_bsns_needs_a_reason_and_is_recorded(
    ws: Workspace, exports: ExportService, tmp_path: Path
) -> None:
    ids = [add_letter(ws, bsn=BSN) for _ in range(3)]
    path = tmp_path / "uit.xlsx"
    with pytest.raises(ServiceError, match="reden"):
        exports.export(ExportRequest(path, ExportFormat.XLSX, letter_ids=tuple(ids), full_bsn=True))
    assert not path.exists()
    exports.export(
        ExportRequest(
            path, ExportFormat.XLSX, letter_ids=tuple(ids), full_bsn=True, reason="bezwaarzaak 12"
        )
    )
    sheet = load_workbook(path, read_only=True)["Berichten"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == list(COLUMNS)
    assert [v[0] for v in values[1:]] == ids  # exactly the chosen letters, in that order
    assert {v[4] for v in values[1:]} == {BSN}
    [lookup] = PrivacyService(ws.db, user="jan").lookups()
    assert (lookup.kind, lookup.letter_count, lookup.reason) == ("export", 3, "bezwaarzaak 12")


def test_progress_is_reported_and_cancel_leaves_no_file(
    ws: Workspace, exports: ExportService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import console.services.export as export_module

    monkeypatch.setattr(export_module, "BLOCK", 10)
    for _ in range(35):
        add_letter(ws)
    seen: list[tuple[int, int]] = []
    path = tmp_path / "alles.csv"
    exports.export(ExportRequest(path, ExportFormat.CSV), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(10, 35), (20, 35), (30, 35), (35, 35)]
    assert len(_read_csv(path)) == 36

    cancel = threading.Event()
    target = tmp_path / "afgebroken.xlsx"

    def stop_after_first(done: int, total: int) -> None:
        cancel.set()

    result = exports.export(
        ExportRequest(target, ExportFormat.XLSX), progress=stop_after_first, cancel=cancel
    )
    assert result.cancelled and result.rows == 10
    assert not target.exists()
    assert not list(tmp_path.glob(".*.deel"))
    assert "afgebroken" in result.text


def test_file_name_decides_the_format_and_bad_folders_are_refused(
    exports: ExportService, tmp_path: Path
) -> None:
    assert format_for(Path("x.XLSX")) is ExportFormat.XLSX
    with pytest.raises(ServiceError, match=r"\.csv of \.xlsx"):
        format_for(Path("x.txt"))
    with pytest.raises(ServiceError, match="bestaat niet"):
        exports.export(ExportRequest(tmp_path / "nergens" / "x.csv", ExportFormat.CSV))
