"""The configuration commands as a script would use them: org, connection, berichttype, flow,
config export|import and audit, on a real data dir, with --json and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from console.cli import main

DEMO_OIN = "00000099123456789000"
REAL_OIN = "00000001001234567000"


class Cli:
    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--data-dir", str(self.data_dir), *args])
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def json(self, *args: str) -> Any:
        code, out, err = self(*args, "--json")
        assert code == 0, err or out
        return json.loads(out)


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path / "data", capsys)


def test_org_add_show_edit_and_refusals(cli: Cli) -> None:
    created = cli.json(
        "org", "add", "--naam", "Gemeente Echt", "--oin", REAL_OIN,
        "--website", "https://www.echt.nl/", "--contact-technisch", "Beheer;beheer@echt.nl;",
    )  # fmt: skip
    assert (
        created["oin"] == REAL_OIN and created["profile"]["website_url"] == "https://www.echt.nl/"
    )
    code, out, err = cli("org", "show", "Gemeente Echt")
    assert code == 0 and "Contact technisch: Beheer (beheer@echt.nl)" in out
    edited = cli.json("org", "edit", REAL_OIN, "--soort", "waterschap")
    assert edited["kind"] == "waterschap" and edited["contacts"][1]["name"] == "Beheer"
    code, out, err = cli("org", "add", "--naam", "X", "--oin", "123")
    assert code == 2 and "Een OIN heeft 20 cijfers; dit zijn er 3." in err
    code, out, _ = cli("org", "add", "--naam", "X", "--oin", DEMO_OIN, "--json")
    refusal = json.loads(out)
    assert code == 2 and refusal["refused"] is True
    assert refusal["issues"][0]["field"] == "OIN"
    assert "al in gebruik door Gemeente Voorbeeld" in refusal["issues"][0]["message"]
    code, _out, err = cli("org", "delete", "Gemeente Voorbeeld")
    assert code == 2 and "eigenaar van koppeling Demo-simulator" in err
    assert cli.json("org", "deactivate", REAL_OIN)["active"] is False


def test_connection_commands_beside_connection_test(cli: Cli) -> None:
    listed = cli.json("connection", "list")
    assert len(listed) == 7 and sum(c["is_current"] for c in listed) == 1
    code, out, _ = cli("connection", "show", "Belastingsamenwerking-simulator")
    assert code == 0
    assert "BerichtLeverancierID het OIN van de organisatie waarvoor het bericht is" in out
    assert "Waterschap Lage Weiden (00000099300000000004)" in out
    code, _out, err = cli(
        "connection", "add", "--naam", "Preprod", "--eigenaar", DEMO_OIN, "--omgeving", "preprod"
    )
    assert code == 2 and "clientcertificaat" in err and "CPA van Logius" in err
    added = cli.json(
        "connection", "add", "--naam", "Preprod", "--eigenaar", DEMO_OIN, "--omgeving", "preprod",
        "--niet-actief", "--voor", "Gemeente Buurdorp",
    )  # fmt: skip
    assert added["active"] is False and added["organisations"][0]["name"] == "Gemeente Buurdorp"
    used = cli.json("connection", "use", "Grensdorp-simulator")
    assert used["restart_needed"] is True and used["detail"]["is_current"] is True
    code, _out, err = cli("connection", "use", "Preprod")
    assert code == 2 and "is niet actief" in err
    code, _out, err = cli("connection", "delete", "Bestaat-niet")
    assert code == 2 and "bestaat niet" in err
    # The issue-7 command still lives under the same group.
    with pytest.raises(SystemExit) as shown:
        cli("connection", "--help")
    text = cli.capsys.readouterr().out
    assert shown.value.code == 0 and "ebMS Ping" in text
    assert all(name in text for name in ("test", "list", "show", "add", "edit", "use", "delete"))


def test_berichttype_lifecycle_and_drift(cli: Cli) -> None:
    code, out, _ = cli("berichttype", "drift")
    assert code == 1 and "Berichttype NIEUW van Gemeente Voorbeeld is concept" in out
    code, _out, err = cli(
        "berichttype", "add", "--organisatie", DEMO_OIN, "--code", "woz", "--naam", "x"
    )
    assert code == 2 and "verschilt alleen in hoofdletters" in err
    status = cli.json(
        "berichttype", "status", "--organisatie", "Gemeente Voorbeeld", "--code", "NIEUW",
        "--omgeving", "simulator", "--status", "actief",
    )  # fmt: skip
    assert status["status_simulator"] == "actief" and status["history"][-1]["new"] == "actief"
    assert cli.json("berichttype", "drift") == []
    code, _out, err = cli(
        "berichttype", "status", "--organisatie", DEMO_OIN, "--code", "WOZ",
        "--omgeving", "productie", "--status", "actief",
    )  # fmt: skip
    assert code == 2 and "eerst in preprod" in err


def test_flow_add_template_and_render(cli: Cli, tmp_path: Path) -> None:
    flow = cli.json(
        "flow", "add", "--organisatie", DEMO_OIN, "--naam", "Hondenbelasting",
        "--berichttype", "BELAST", "--cadans", "batches", "--volume", "400",
        "--betaal", "https://betalen.voorbeeld.nl/hond", "--piek", "2027-03-31=900:Aanslagen",
    )  # fmt: skip
    assert flow["peaks"] == [{"day": "2027-03-31", "expected_letters": 900, "note": "Aanslagen"}]
    text = tmp_path / "tekst.txt"
    text.write_text("Beste {{naam}},\nBetaal via{{betaallink}}\n", encoding="utf-8")
    code, _out, err = cli(
        "flow", "template", "Hondenbelasting", "--sjabloon", "Aanslag",
        "--onderwerp", "Hondenbelasting {{jaar}}", "--tekst-bestand", str(text),
    )  # fmt: skip
    assert code == 2 and "Zet een spatie voor en na {{betaallink}}" in err
    text.write_text("Beste {{naam}},\nBetaal via {{betaallink}}\n", encoding="utf-8")
    cli.json(
        "flow", "template", "Hondenbelasting", "--sjabloon", "Aanslag",
        "--onderwerp", "Hondenbelasting {{jaar}}", "--tekst-bestand", str(text),
    )  # fmt: skip
    rendered = cli.json(
        "flow", "render", "Hondenbelasting", "--sjabloon", "Aanslag",
        "--veld", "naam=J. de Vries", "jaar=2027", "referentie=H-1", "bedrag=97,50",
    )  # fmt: skip
    assert rendered["letter"]["onderwerp"] == "Hondenbelasting 2027"
    assert (
        "via https://betalen.voorbeeld.nl/hond?referentie=H-1&bedrag=97.50 \n"
        in rendered["letter"]["berichttekst"]
    )
    code, out, _ = cli("flow", "show", "Hondenbelasting")
    assert code == 0 and "Piekdag:        31-03-2027 (900 brieven) Aanslagen" in out


def test_config_export_import_and_the_audit_log(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "configuratie.json"
    assert cli.json("config", "export", str(export))["bytes"] == export.stat().st_size
    other = Cli(tmp_path / "andere-werkplek", cli.capsys)
    other.json("org", "add", "--naam", "Gemeente Echt", "--oin", REAL_OIN)
    other.json("org", "edit", "Gemeente Voorbeeld", "--soort", "overig")
    code, out, _ = other("config", "import", str(export))
    assert code == 0 and "gewijzigd  organisatie: Gemeente Voorbeeld" in out
    assert "kind: overig → gemeente" in out and "Importeer met --toepassen" in out
    assert other.json("org", "show", DEMO_OIN)["kind"] == "overig"  # only a preview
    applied = other.json("config", "import", str(export), "--toepassen")
    assert applied["applied"] is True
    assert other.json("org", "show", DEMO_OIN)["kind"] == "gemeente"
    assert other.json("org", "show", REAL_OIN)["name"] == "Gemeente Echt"  # never deleted
    log = other.json("audit", "list", "--onderdeel", "configuratie")
    assert log[0]["action"] == "geïmporteerd"
    csv_file = tmp_path / "audit.csv"
    other.json("audit", "export", str(csv_file))
    assert "organisatie" in csv_file.read_text(encoding="utf-8-sig")
    bad = tmp_path / "kapot.json"
    bad.write_text("{", encoding="utf-8")
    code, _out, err = other("config", "import", str(bad))
    assert code == 2 and "geen geldige JSON" in err


def test_an_import_into_a_fresh_data_dir_brings_only_the_file(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "configuratie.json"
    cli.json("config", "export", str(export))
    fresh = Cli(tmp_path / "nieuwe-werkplek", cli.capsys)
    preview = fresh.json("config", "import", str(export))
    assert preview["changes"] and all(c["kind"] == "nieuw" for c in preview["changes"])
    fresh.json("config", "import", str(export), "--toepassen")
    assert len(fresh.json("connection", "list")) == 7  # the file's, no demo on top
