"""``subscriptions check|request|status`` and the simulator's state from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import run_cli


def test_check_asks_the_validation_service(tmp_path: Path) -> None:
    proc = run_cli(
        tmp_path / "data",
        "subscriptions",
        "check",
        "--bsn",
        "999990019",
        "--bsn",
        "999990068",
        "--berichttype",
        "BELAST",
        "--json",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [(r["bsn"], r["digitaal"]) for r in json.loads(proc.stdout)] == [
        ("999990019", True),
        ("999990068", False),
    ]
    text = run_cli(
        tmp_path / "data", "subscriptions", "check", "--bsn", "999990044", "--berichttype", "BELAST"
    )
    assert "*****0044  Krijgt het bericht niet digitaal: verstuur per post" in text.stdout


def test_check_refuses_bad_input_and_reports_faults(tmp_path: Path) -> None:
    bad = run_cli(
        tmp_path / "data", "subscriptions", "check", "--bsn", "999990018", "--berichttype", "BELAST"
    )
    assert bad.returncode == 2 and "elfproef" in bad.stdout
    fault = run_cli(
        tmp_path / "data", "subscriptions", "check", "--bsn", "999990019", "--berichttype", "NIEUW"
    )
    assert fault.returncode == 1 and "(ApplicationFault)" in fault.stdout


def test_request_lijst_waits_for_the_answer_and_status_shows_it(tmp_path: Path) -> None:
    run_cli(tmp_path / "data", "simulator", "instellingen", "--abs-vertraging", "0")
    bsns = tmp_path / "bsns.txt"
    bsns.write_text("bsn\n999990019\n999990044\n# commentaar\n\n999990068\n")
    proc = run_cli(
        tmp_path / "data", "subscriptions", "request", "lijst", str(bsns), "--wait", "--json"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = json.loads(proc.stdout)
    assert info["status"] == "answered" and info["bsn_count"] == 3
    status = run_cli(tmp_path / "data", "subscriptions", "status")
    assert "BSN-lijst 3 BSN's, 1 geabonneerd" in status.stdout
    assert "GLOBE-R-A-Result" in status.stdout  # the unconfirmed answer action is shown


def test_simulator_state_and_its_editable_lists(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # The first start with the engine registers the demo organisation with the simulator.
    run_cli(data, "subscriptions", "check", "--bsn", "999990019", "--berichttype", "BELAST")
    assert run_cli(data, "simulator", "berichttypes", "--inactief", "BELAST").returncode == 0
    assert (
        run_cli(
            data, "simulator", "burger", "--bsn", "999990044", "--toestand", "subscribed"
        ).returncode
        == 0
    )
    state = json.loads(run_cli(data, "simulator", "state", "--json").stdout)
    (codes,) = state["berichttypes"].values()
    assert "BELAST" not in codes and "WOZ" in codes
    assert [(b["bsn"], b["state"]) for b in state["burgers"]] == [("999990044", "subscribed")]
    check = run_cli(
        data, "subscriptions", "check", "--bsn", "999990044", "--berichttype", "WOZ", "--json"
    )
    assert json.loads(check.stdout)[0]["digitaal"] is True
    # The console does not overwrite the simulator's list on the next start.
    state = json.loads(run_cli(data, "simulator", "state", "--json").stdout)
    assert "BELAST" not in next(iter(state["berichttypes"].values()))
