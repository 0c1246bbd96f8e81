"""``cpa`` and ``ebms`` on the command line, as support staff use them: a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.digikoppeling.ebms import envelope as env
from console.digikoppeling.ebms.model import Party
from console.services.demo import DEMO_CPA_ID, DEMO_OIN, LOGIUS_OIN

REFERENCE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "reference").resolve()
STUB = REFERENCE / "ebms-core" / "cpas" / "cpaStubEBF.rm.https.signed.xml"


def run_cli(data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env_vars = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run(
        [sys.executable, "-m", "console.cli", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env_vars,
        check=False,
    )


@pytest.mark.slow
def test_cpa_and_ebms_commands(tmp_path: Path) -> None:
    if not STUB.is_file():
        pytest.skip("referentiebestanden ontbreken")
    data = tmp_path / "data"
    # A ping opens the demo workspace (with its generated CPA) and talks to the simulator.
    ping = run_cli(data, "ebms", "ping", "Demo-simulator", "--json")
    assert ping.returncode == 0, ping.stderr + ping.stdout
    result = json.loads(ping.stdout)
    assert result["ok"] is True and result["pong_message_id"]

    listed = json.loads(run_cli(data, "cpa", "list", "--json").stdout)
    assert [r["cpa_id"] for r in listed] == [DEMO_CPA_ID]
    assert listed[0]["connection_name"] == "Demo-simulator" and listed[0]["profile"] == "osb-rm"

    imported = run_cli(data, "cpa", "import", str(STUB), "--json")
    assert imported.returncode == 0, imported.stderr
    out = json.loads(imported.stdout)
    assert out["imported"] is True and out["connection"] is None
    assert out["cpa"]["profile"] == "osb-rm-s" and out["cpa"]["sending_supported"] is False
    record_id = out["cpa"]["id"]

    shown = run_cli(data, "cpa", "show", str(record_id))
    assert shown.returncode == 0
    for text in (
        "cpaStubEBF.rm.https.signed",
        "DIGIPOORT",
        "PersistDuration",
        "GEWEIGERD",
        "SHA-256",
    ):
        assert text in shown.stdout
    as_json = json.loads(run_cli(data, "cpa", "show", str(record_id), "--json").stdout)
    assert [p["name"] for p in as_json["parties"]] == ["Logius", "Overheid"]
    assert as_json["parties"][0]["certificates"][0]["fingerprint_sha256"].count(":") == 31
    xml = run_cli(data, "cpa", "show", str(record_id), "--xml")
    assert xml.stdout.startswith("<?xml") and 'cpaid="cpaStubEBF.rm.https.signed"' in xml.stdout

    refused = run_cli(data, "cpa", "import", str(STUB), "--koppeling", "Demo-simulator")
    assert refused.returncode == 2 and "past niet bij koppeling" in refused.stderr
    broken = tmp_path / "kapot.xml"
    broken.write_text("<geen/>")
    assert run_cli(data, "cpa", "import", str(broken)).returncode == 2

    endpoint = run_cli(data, "cpa", "endpoint", "Demo-simulator", "https://proxy.example/ebms")
    assert "https://proxy.example/ebms" in endpoint.stdout
    assert run_cli(data, "cpa", "endpoint", "Demo-simulator", "http://x").returncode == 2
    assert (
        "Afwijkend endpoint:   -"
        in run_cli(data, "cpa", "endpoint", "Demo-simulator", "--reset").stdout
    )

    status = run_cli(data, "ebms", "status", "Demo-simulator", "iets@ergens", "--timeout", "1")
    assert status.returncode == 0 and "Logius beantwoordt" in status.stdout


def test_ebms_inspect_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # A workspace with the demo CPA, without starting anything long-running.
    from console.secrets.store import MemoryStore
    from console.services.bootstrap import open_workspace
    from console.settings import resolve_paths

    open_workspace(resolve_paths(data), start_engine=False, secrets=MemoryStore()).close()

    good = env.ping(DEMO_CPA_ID, Party(LOGIUS_OIN, None), Party(DEMO_OIN, None))
    good_file = tmp_path / "ping.xml"
    good_file.write_bytes(env.build_envelope(good))
    ok = run_cli(data, "ebms", "inspect", str(good_file), "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"valid": True, "errors": []}

    bad = env.ping("onbekende-cpa", Party(LOGIUS_OIN, None), Party(DEMO_OIN, None))
    bad_file = tmp_path / "fout.xml"
    bad_file.write_bytes(env.build_envelope(bad))
    refused = run_cli(data, "ebms", "inspect", str(bad_file), "--json")
    assert refused.returncode == 2
    report = json.loads(refused.stdout)
    assert report["valid"] is False
    assert report["errors"] == [
        {
            "code": "ValueNotRecognized",
            "location": "//Header/MessageHeader/CPAId",
            "description": "CPA onbekende-cpa is hier niet bekend.",
        }
    ]
    text = run_cli(data, "ebms", "inspect", str(bad_file))
    assert "ValueNotRecognized" in text.stdout and "Uitleg:" in text.stdout

    # With the certificate's OIN given, that check runs too.
    wrong = run_cli(data, "ebms", "inspect", str(good_file), "--client-oin", DEMO_OIN, "--json")
    assert json.loads(wrong.stdout)["errors"][0]["code"] == "SecurityFailure"

    # A saved HTTP request (headers, blank line, body) is understood as well.
    saved = tmp_path / "verzoek.txt"
    saved.write_bytes(
        b"POST /ebms HTTP/1.1\r\nContent-Type: text/xml; charset=UTF-8\r\n"
        b'SOAPAction: "ebXML"\r\n\r\n' + env.build_envelope(good)
    )
    assert json.loads(run_cli(data, "ebms", "inspect", str(saved), "--json").stdout)["valid"]
