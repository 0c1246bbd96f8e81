"""``berichtenbox-console onboarding``: status, answer, tick and report, as text and --json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console.cli import main
from tests.certificate_factory import MemoryKeyring, installed_memory_keyring

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    yield from installed_memory_keyring()


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring) -> Run:
    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--data-dir", str(tmp_path / "data"), "onboarding", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_status_json_for_a_fresh_workspace(cli: Run) -> None:
    code, out, _err = cli("status", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["organisation"]["name"] == "Gemeente Voorbeeld"
    assert data["answers"]["saved"] is False
    assert data["answers"]["digital_share_percent"] == "25"
    steps = {s["key"]: s for s in data["checklist"]["steps"]}
    assert steps["impactanalyse"]["state"] == "open"
    assert steps["berichttypes_preprod"]["state"] == "done"
    assert steps["testbericht_simulator"]["page"] == "verzenden"
    assert data["estimate"]["gross_saving_per_year"] is None


def test_answer_then_status_shows_the_estimate(cli: Run) -> None:
    code, out, _err = cli(
        "answer",
        "--brief",
        "Aanslag gemeentelijke belastingen=40.000",
        "--brief",
        "WOZ-beschikking=12345",
        "--kosten-per-brief",
        "0,85",
        "--eenmalig",
        "aanvraag=1.500",
    )
    assert code == 0
    assert "De impactanalyse van Gemeente Voorbeeld is opgeslagen." in out
    assert (
        "Naar de Berichtenbox: 13.086 van 52.345 brieven per jaar; netto besparing per jaar: "
        "€ 11.123,10." in out
    )

    code, out, _err = cli("answer", "--variant", "intermediair", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["answers"]["variant"] == "intermediair"
    assert data["answers"]["cost_per_letter"] == "0.85"  # kept: only the variant changed
    assert data["estimate"]["digital_per_year"] == 13_086
    assert data["estimate"]["one_off_total"] == "1500.00"

    code, out, _err = cli("status")
    assert code == 0
    assert out.startswith("Verslag: aansluiten op de MijnOverheid Berichtenbox")
    assert "  Aansluitvariant: Via een intermediair" in out
    assert "[Gedaan] Impactanalyse ingevuld en aansluitvariant gekozen" in out


def test_bad_answers_are_refused_with_exit_code_2_and_nothing_changes(cli: Run) -> None:
    code, _out, err = cli("answer", "--kosten-per-brief", "0,855", "--aandeel", "120")
    assert code == 2
    assert "Kosten per brief heeft te veel cijfers achter de komma; maximaal 2 cijfers." in err
    assert "Aandeel digitaal is 120 %; maximaal 100 %." in err
    code, out, _err = cli("answer", "--brief", "Aanslag", "--json")
    assert code == 2
    refused = json.loads(out)
    assert refused["refused"] is True
    assert "schrijf NAAM=AANTAL" in refused["issues"][0]["message"]
    code, out, _err = cli("status", "--json")
    assert json.loads(out)["answers"]["saved"] is False


def test_tick_a_manual_step_and_refuse_a_derived_one(cli: Run) -> None:
    code, out, _err = cli("tick", "intentieverklaring", "--notitie", "kenmerk 2026-12", "--json")
    assert code == 0
    steps = {s["key"]: s for s in json.loads(out)["steps"]}
    assert steps["intentieverklaring"]["state"] == "done"
    assert steps["intentieverklaring"]["ticked_by"]

    code, out, _err = cli("tick", "oin", "--json")
    assert code == 2
    assert "leidt hem af uit zijn eigen gegevens" in json.loads(out)["message"]

    code, out, _err = cli("tick", "intentieverklaring", "--ongedaan")
    assert code == 0 and "is niet meer afgevinkt" in out


def test_report_is_written(cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "verslag.pdf"
    code, out, _err = cli("report", "--bestand", str(target), "--json")
    assert code == 0 and json.loads(out) == {"path": str(target)}
    assert target.read_bytes().startswith(b"%PDF")
    code, _out, err = cli("report", "--bestand", str(tmp_path / "nergens" / "v.txt"))
    assert code == 2 and "bestaat niet" in err


def test_unknown_organisation_is_refused(cli: Run) -> None:
    code, _out, err = cli("status", "--organisatie", "Nergenshuizen")
    assert code == 2 and "Organisatie 'Nergenshuizen' bestaat niet" in err
    code, out, _err = cli("status", "--organisatie", "Gemeente Oostdam", "--json")
    assert code == 0 and json.loads(out)["organisation"]["name"] == "Gemeente Oostdam"
