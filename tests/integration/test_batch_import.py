"""Batch import end to end: letters from a file reach the simulator and get their results, and
``letters import`` works as a support script would use it (a real process, a real data dir)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from console.domain.lifecycle import LetterStatus
from console.services.bootstrap import ConsoleServices
from console.services.dto import LetterQuery
from tests.integration.conftest import wait_for
from tests.integration.test_cli import letter_count, run_cli
from tests.unit.test_preflight import make_pdf

HEADER = "bsn;berichttype;onderwerp;berichttekst;referentie;bijlage"


def test_imported_letters_reach_the_simulator_and_get_results(
    workspace: ConsoleServices, tmp_path: Path
) -> None:
    (tmp_path / "aanslag.pdf").write_bytes(make_pdf("1", "A"))
    path = tmp_path / "aanslagen.csv"
    path.write_text(
        HEADER + "\n"
        "999990019;BELAST;Uw aanslag 2026;Beste inwoner,\\nZie de bijlage.;ZK-1;aanslag.pdf\n"
        "999990044;BELAST;Uw aanslag 2026;Beste inwoner;ZK-2;\n"
        "999990020;WOZ;WOZ-beschikking;Beste inwoner;ZK-3;\n"
        "123456789;BELAST;Uw aanslag 2026;;ZK-4;\n",
        encoding="utf-8",
    )
    batch = workspace.batch_import
    assert batch is not None
    result = batch.import_letters(batch.preview(path))
    assert (result.queued, result.refused) == (3, 1)

    ids = list(workspace.letters.ids(replace_sort(result.query)))
    assert len(ids) == 3
    details = {wait_for(workspace, i).row.referentie: wait_for(workspace, i).row for i in ids}
    assert details["ZK-1"].verwerkings_code == "Verwerkt"
    assert details["ZK-1"].status is LetterStatus.DELIVERED
    assert details["ZK-2"].verwerkings_code == "NietActiefOfGeabonneerd"
    assert details["ZK-3"].verwerkings_code == "Verwerkt"
    # One import, one batch: the engine packs the queued letters together.
    assert len({d.batch_id for d in details.values()}) == 1

    assert workspace.simulator is not None
    (received,) = workspace.simulator.store.batches()
    assert received.batch_id == details["ZK-1"].batch_id
    body = Path(received.path).read_bytes()
    for row in details.values():
        assert row.bericht_id.encode() in body
    assert b"Beste inwoner,\\r\\nZie de bijlage." in body

    timeline = workspace.letters.detail(ids[0]).timeline
    assert any("Geïmporteerd uit aanslagen.csv" in entry.detail for entry in timeline)


def replace_sort(query: LetterQuery) -> LetterQuery:
    from dataclasses import replace

    return replace(query, sort_key="created_at", descending=False)


def test_cli_import_as_json_refuses_the_same_file_twice_and_resends_on_purpose(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    path = tmp_path / "brieven.csv"
    path.write_text(
        HEADER + "\n999990019;BELAST;Aanslag;;R1;\n999990020;NIEUW;Aanslag;;R2;\n"
        "123456789;BELAST;Aanslag;;R3;\n",
        encoding="utf-8",
    )
    rejected = tmp_path / "terug" / "afgekeurd.csv"
    rejected.parent.mkdir()
    proc = run_cli(
        data, "letters", "import", str(path), "--json", "--wachttijd", "0",
        "--afgekeurd", str(rejected),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["geimporteerd"] is True
    assert (out["in_wachtrij"], out["afgekeurd"], out["niet_verstuurd_waarschuwing"]) == (1, 1, 1)
    assert out["afgekeurd_bestand"] == str(rejected)
    assert out["import"].startswith("import:") and out["import"].endswith(":brieven.csv")
    assert [r["uitkomst"] for r in out["controle"]["regels"]] == ["ok", "let op", "afgekeurd"]
    assert out["controle"]["regels"][2]["bsn"] == "*****6789"
    table = list(csv.DictReader(io.StringIO(rejected.read_text("utf-8-sig")), delimiter=";"))
    assert [r["referentie"] for r in table] == ["R2", "R3"]
    assert "niet actief" in table[0]["reden"] and "elfproef" in table[1]["reden"]
    assert letter_count(data) == 1

    again = run_cli(data, "letters", "import", str(path), "--json", "--wachttijd", "0")
    assert again.returncode == 2
    refused = json.loads(again.stdout)
    assert refused["geimporteerd"] is False
    assert "brieven.csv is al geïmporteerd op" in refused["redenen"][0]
    assert letter_count(data) == 1

    resent = run_cli(
        data, "letters", "import", str(path), "--opnieuw", "--ook-waarschuwingen",
        "--wachttijd", "0", "--json",
    )  # fmt: skip
    assert resent.returncode == 0, resent.stderr
    out = json.loads(resent.stdout)
    assert out["opnieuw"] is True and out["in_wachtrij"] == 2
    assert letter_count(data) == 3

    found = run_cli(data, "letters", "search", "--zoek", out["import"], "--json")
    assert json.loads(found.stdout)["total"] == 2


def test_cli_refuses_a_file_that_is_refused_entirely(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = tmp_path / "fout.csv"
    path.write_text(HEADER + "\n123456789;BELAST;Aanslag;;R1;\n", encoding="utf-8")
    proc = run_cli(data, "letters", "import", str(path), "--wachttijd", "0")
    assert proc.returncode == 2
    assert "Er is niets geïmporteerd" in proc.stderr
    assert "Geen enkele brief in fout.csv kan worden verstuurd" in proc.stderr
    written = tmp_path / "fout-afgekeurd.csv"
    assert "elfproef" in written.read_text("utf-8-sig")  # kept, to fix and import again
    assert letter_count(data) == 0

    missing = run_cli(data, "letters", "import", str(tmp_path / "weg.csv"), "--json")
    assert missing.returncode == 2
    assert "bestaat niet" in json.loads(missing.stdout)["redenen"][0]


def test_cli_lets_the_engine_send_the_import(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = tmp_path / "brieven.csv"
    path.write_text(
        HEADER + "\n999990019;BELAST;Aanslag;;R1;\n999990032;BELAST;Aanslag;;R2;\n",
        encoding="utf-8",
    )
    proc = run_cli(data, "letters", "import", str(path), "--json", "--wachttijd", "60")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["in_wachtrij"] == 2 and out["nog_niet_bevestigd"] == 0
    found = json.loads(run_cli(data, "letters", "search", "--zoek", out["import"], "--json").stdout)
    rows = found["letters"]
    assert len(rows) == 2
    # The simulator confirmed receipt of both (its Acknowledgment), in one batch.
    assert {r["status"] for r in rows} <= {"acknowledged", "delivered"}
    assert len({r["batch_id"] for r in rows}) == 1
