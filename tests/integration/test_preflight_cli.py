"""``letters preflight`` as a support script uses it: one report per letter, exit 0 or 2."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import letter_count, run_cli
from tests.unit.test_preflight import make_pdf


def test_one_letter_on_the_command_line(tmp_path: Path) -> None:
    ok = run_cli(
        tmp_path / "data",
        "letters",
        "preflight",
        "--bsn",
        "999990019",
        "--berichttype",
        "BELAST",
        "--onderwerp",
        "Uw aanslag",
    )
    assert ok.returncode == 0, ok.stderr
    assert "bericht: Goedgekeurd" in ok.stdout
    bad = run_cli(
        tmp_path / "data",
        "letters",
        "preflight",
        "--bsn",
        "999990019",
        "--berichttype",
        "BELAST",
        "--onderwerp",
        "x" * 51,
        "--json",
    )
    assert bad.returncode == 2
    (report,) = json.loads(bad.stdout)["berichten"]
    assert report["goedgekeurd"] is False
    assert {
        "veld": "Onderwerp",
        "melding": "Onderwerp is 51 tekens; maximaal 50.",
        "blokkeert": True,
    } in report["punten"]
    assert letter_count(tmp_path / "data") == 0  # a preflight stores nothing


def test_a_csv_file_gets_one_report_per_row(tmp_path: Path) -> None:
    (tmp_path / "brief.pdf").write_bytes(make_pdf("1", "B"))
    (tmp_path / "nep.pdf").write_bytes(b"geen pdf")
    csv = tmp_path / "brieven.csv"
    csv.write_text(
        "bsn;berichttype;onderwerp;berichttekst;referentie;bijlage\n"
        "999990019;BELAST;Aanslag 2026;Beste inwoner,\\nZie https://voorbeeld.nl/betalen ;REF-1;brief.pdf\n"
        "123456789;BELAST;Aanslag 2026;;;\n"
        "999990044;NIEUW;Aanslag 2026;;;nep.pdf\n"
        "999990020;BELAST;Aanslag;;;ontbreekt.pdf\n",
        encoding="utf-8",
    )
    proc = run_cli(tmp_path / "data", "letters", "preflight", "--bestand", str(csv), "--json")
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    rows = {r["bericht"]: r for r in out["berichten"]}
    assert list(rows) == ["regel 2", "regel 3", "regel 4", "regel 5"]
    assert rows["regel 2"]["goedgekeurd"] is True  # PDF/A-1b only warns (default setting)
    assert any("PDF/A-1b" in p["melding"] and not p["blokkeert"] for p in rows["regel 2"]["punten"])
    assert any("elfproef" in p["melding"] for p in rows["regel 3"]["punten"])
    assert any("niet actief" in p["melding"] for p in rows["regel 4"]["punten"])
    assert any("geen PDF" in p["melding"] for p in rows["regel 4"]["punten"])
    assert any("ontbreekt.pdf bestaat niet" in p["melding"] for p in rows["regel 5"]["punten"])
    assert out["samenvatting"].startswith(
        "4 bericht(en) gecontroleerd: 0 goedgekeurd, 1 goedgekeurd met"
    )


def test_a_json_file_that_passes_exits_0(tmp_path: Path) -> None:
    data = tmp_path / "brieven.json"
    data.write_text(
        json.dumps([{"bsn": "999990019", "berichttype": "WOZ", "onderwerp": "WOZ-beschikking"}])
    )
    proc = run_cli(tmp_path / "data", "letters", "preflight", "--bestand", str(data))
    assert proc.returncode == 0, proc.stdout
    assert "1 bericht(en) gecontroleerd: 1 goedgekeurd" in proc.stdout
