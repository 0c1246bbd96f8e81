"""``letters search``, ``letters show``, ``letters export`` (and friends) with ``--json``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from console.cli import main
from console.domain.lifecycle import LetterStatus
from tests.integration.conftest import open_test_workspace, submit, wait_for

SUBSCRIBED = "999990019"
NO_BOX = "999990044"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with two letters that went through the simulator."""
    data = tmp_path_factory.mktemp("cli") / "data"
    services = open_test_workspace(data)
    try:
        for bsn, ref in ((SUBSCRIBED, "ZK-2025-0001"), (NO_BOX, "ZK-2025-0002")):
            wait_for(services, submit(services, bsn, referentie=ref))
    finally:
        services.close()
    return data


def run(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["--data-dir", str(data), *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_search_by_bsn_referentie_status_code(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, found = run(capsys, data_dir, "letters", "search", "--bsn", SUBSCRIBED)
    assert code == 0 and found["total"] == 1
    [letter] = found["letters"]
    assert letter["bsn"] == "*****0019" and letter["status"] == "delivered"
    assert SUBSCRIBED not in json.dumps(found)

    _, by_ref = run(capsys, data_dir, "letters", "search", "--referentie", "zk-2025-0002")
    assert [x["verwerkings_code"] for x in by_ref["letters"]] == ["NietActiefOfGeabonneerd"]
    _, by_status = run(capsys, data_dir, "letters", "search", "--status", "not_subscribed")
    assert by_status["total"] == 1
    _, by_code = run(
        capsys, data_dir, "letters", "search", "--code", "Verwerkt", "--van", "2020-01-01"
    )
    assert by_code["total"] == 1
    _, none = run(capsys, data_dir, "letters", "search", "--tot", "2020-01-01")
    assert none["total"] == 0
    _, lookups = run(capsys, data_dir, "letters", "bsn-log")
    assert lookups["lookups"][0]["kind"] == "search" and lookups["lookups"][0]["bsn"] == SUBSCRIBED


def test_show_gives_the_timeline_and_raw_xml(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    _, found = run(capsys, data_dir, "letters", "search", "--referentie", "ZK-2025-0001")
    letter_id = found["letters"][0]["id"]
    code, shown = run(capsys, data_dir, "letters", "show", str(letter_id), "--xml")
    assert code == 0
    kinds = [e["kind"] for e in shown["timeline"]]
    assert "batched" in kinds and "result" in kinds
    assert any("BerichtVerwerkResponse" in text for text in shown["raw"].values())
    code, missing = run(capsys, data_dir, "letters", "show", "999999")
    assert code == 2 and "bestaat niet" in missing["message"]


def test_export_and_bulk_preview(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "berichten.csv"
    code, result = run(capsys, data_dir, "letters", "export", "--bestand", str(target))
    assert code == 0 and result["rows"] == 2 and result["full_bsn"] is False
    with target.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert len(rows) == 3 and {r[4] for r in rows[1:]} == {"*****0019", "*****0044"}

    code, refused = run(
        capsys,
        data_dir,
        "letters",
        "export",
        "--bestand",
        str(tmp_path / "x.csv"),
        "--volledig-bsn",
    )
    assert code == 2 and "reden" in refused["message"]

    code, preview = run(
        capsys, data_dir, "letters", "bulk-paper", "--status", LetterStatus.NOT_SUBSCRIBED.value
    )
    assert code == 0 and preview["allowed"] == 1 and preview["executed"] is False
    code, resend = run(capsys, data_dir, "letters", "bulk-resend")
    assert resend["allowed"] == 0 and resend["total"] == 2
