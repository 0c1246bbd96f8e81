"""The batch import on PostgreSQL: a CSV file to results, and the same file never twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import func, select

from console.db import models as m
from console.db.database import open_database
from console.domain.lifecycle import LetterStatus
from console.services.batch_import import NAME_CHARS, AlreadyImported, ImportResult
from console.services.bootstrap import ConsoleServices
from console.services.dto import LetterQuery
from tests.integration.conftest import wait_for
from tests.postgres.support import require_server
from tests.unit.test_preflight import make_pdf

require_server()

HEADER = "bsn;berichttype;onderwerp;berichttekst;referentie;bijlage"
ROWS = (
    "999990019;BELAST;Uw aanslag 2026;Beste inwoner,\\nZie de bijlage.;ZK-1;aanslag.pdf\n"
    "999990044;BELAST;Uw aanslag 2026;Beste inwoner;ZK-2;\n"
    "999990020;WOZ;WOZ-beschikking;Beste inwoner;ZK-3;\n"
    "123456789;BELAST;Uw aanslag 2026;;ZK-4;\n"
)


def _csv(folder: Path, name: str = "aanslagen.csv", rows: str = ROWS) -> Path:
    (folder / "aanslag.pdf").write_bytes(make_pdf("1", "A"))
    path = folder / name
    path.write_text(HEADER + "\n" + rows, encoding="utf-8")
    return path


def _letters(ws: ConsoleServices) -> int:
    with ws.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(m.Letter)) or 0)


def test_an_imported_file_reaches_the_simulator_and_gets_results(
    pg_workspace: ConsoleServices, tmp_path: Path
) -> None:
    ws = pg_workspace
    batch = ws.batch_import
    assert batch is not None
    result = batch.import_letters(batch.preview(_csv(tmp_path)))
    assert (result.queued, result.refused) == (3, 1)
    assert result.rejected_path is not None and "elfproef" in result.rejected_path.read_text(
        "utf-8-sig"
    )

    ids = list(ws.letters.ids(result.query))  # found by the import's tag, as in the log
    assert len(ids) == 3
    rows = {d.row.referentie: d.row for d in (wait_for(ws, i) for i in ids)}
    assert (rows["ZK-1"].status, rows["ZK-1"].verwerkings_code) == (
        LetterStatus.DELIVERED,
        "Verwerkt",
    )
    assert rows["ZK-2"].verwerkings_code == "NietActiefOfGeabonneerd"
    assert rows["ZK-3"].verwerkings_code == "Verwerkt"
    assert len({r.batch_id for r in rows.values()}) == 1  # one import, one batch
    timeline = ws.letters.detail(ids[0]).timeline
    assert any("Geïmporteerd uit aanslagen.csv" in t.detail for t in timeline)
    with ws.db.session() as s:
        (record,) = s.scalars(select(m.LetterImport))
        assert (record.tag, record.file_name, record.letters) == (result.tag, "aanslagen.csv", 3)
        assert record.imported_at == result.imported_at and record.imported_at.tzinfo is not None


def test_a_long_file_name_is_cut_in_the_tag_not_refused(
    pg_workspace: ConsoleServices, tmp_path: Path
) -> None:
    """The tag keeps NAME_CHARS of the file name (created_by holds 100 characters); SQLite
    never enforced that length, PostgreSQL does."""
    ws = pg_workspace
    batch = ws.batch_import
    assert batch is not None
    name = "aanslagen-" + "belastingjaar-2026-" * 12 + ".csv"
    assert 200 < len(name) <= 255
    result = batch.import_letters(batch.preview(_csv(tmp_path, name, ROWS.splitlines()[0])))
    assert result.queued == 1
    assert result.tag.endswith(":" + name[:NAME_CHARS]) and len(result.tag) <= 100
    with ws.db.session() as s:
        record = s.scalars(select(m.LetterImport)).one()
        assert record.file_name == name
        letter = s.scalars(select(m.Letter)).one()
        assert letter.created_by == result.tag
    assert list(ws.letters.ids(LetterQuery(search=result.tag))) == [letter.id]
    again = batch.preview(_csv(tmp_path, "kort.csv", ROWS.splitlines()[0]))
    try:
        batch.import_letters(again)
    except AlreadyImported as refused:
        assert refused.previous.tag == result.tag
    else:
        raise AssertionError("the same bytes under another name were imported again")


def test_two_imports_of_one_file_at_the_same_moment_send_it_once(
    pg_workspace: ConsoleServices, tmp_path: Path
) -> None:
    """Two workstations import the same file (here under two names) at the same moment: the
    check for an earlier import and the import itself are one unit, so one of them wins."""
    ws = pg_workspace
    batch = ws.batch_import
    assert batch is not None
    first = batch.preview(_csv(tmp_path, "aanslagen.csv"))
    second = batch.preview(_csv(tmp_path, "aanslagen (kopie).csv"))
    assert first.fingerprint == second.fingerprint
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def run(preview: object) -> None:
        start.wait()
        try:
            outcomes.append(batch.import_letters(preview))  # type: ignore[arg-type]
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    imported = [o for o in outcomes if isinstance(o, ImportResult)]
    refused = [o for o in outcomes if isinstance(o, AlreadyImported)]
    assert (len(imported), len(refused)) == (1, 1), outcomes
    assert _letters(ws) == 3
    with ws.db.session() as s:
        assert s.scalar(select(func.count()).select_from(m.LetterImport)) == 1


def _cli(data: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run(
        [sys.executable, "-m", "console.cli", "--data-dir", str(data), "--database-url", url,
         *args],
        capture_output=True, text=True, env=env, check=False, timeout=180,
    )  # fmt: skip


def test_letters_import_on_the_command_line_refuses_the_same_file_twice(
    tmp_path: Path, pg_url: str
) -> None:
    data = tmp_path / "data"
    path = _csv(tmp_path, "brieven.csv")

    first = _cli(data, pg_url, "letters", "import", str(path), "--json", "--wachttijd", "60")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert (out["in_wachtrij"], out["afgekeurd"], out["nog_niet_bevestigd"]) == (3, 1, 0)
    tag = out["import"]

    again = _cli(data, pg_url, "letters", "import", str(path), "--json", "--wachttijd", "0")
    assert again.returncode == 2, again.stderr
    refused = json.loads(again.stdout)
    assert refused["geimporteerd"] is False
    assert "brieven.csv is al geïmporteerd op" in refused["redenen"][0]

    resent = _cli(
        data, pg_url, "letters", "import", str(path), "--opnieuw", "--wachttijd", "0", "--json"
    )
    assert resent.returncode == 0, resent.stderr
    assert json.loads(resent.stdout)["opnieuw"] is True

    found = _cli(data, pg_url, "letters", "search", "--zoek", tag, "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] == 3
    db = open_database(pg_url)
    try:
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(m.Letter)) == 6
            assert s.scalar(select(func.count()).select_from(m.LetterImport)) == 2
    finally:
        db.dispose()
    assert not (data / "console.sqlite3").exists()
