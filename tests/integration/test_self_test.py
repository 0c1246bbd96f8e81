"""``self-test``: the command as a support person runs it, and a broken installation."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.services.self_test import (
    MARKER_FILE,
    CheckResult,
    check_migrations,
    format_check,
    run_self_test,
)
from tests.certificate_factory import MemoryKeyring, installed_memory_keyring

GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # No OS keyring in the child: the session-only store must be reported, not failed.
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    yield from installed_memory_keyring()


def test_self_test_passes_and_prints_one_line_per_check(tmp_path: Path) -> None:
    data = tmp_path / "selftest"
    proc = run_cli("--data-dir", str(data), "self-test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Self-test van de Berichtenbox console")
    checks = lines[1:5]
    assert [line.split(":", 1)[0] for line in checks] == [
        "OK   Schema's",
        "OK   Database",
        "OK   Sleutelbos",
        "OK   Testbericht",
    ]
    assert re.search(r"\d+ XSD's gevonden en gecompileerd", checks[0])
    assert "nieuwe SQLite-database tot versie" in checks[1]
    assert "alleen in het geheugen" in checks[2] and "fail.Keyring" in checks[2]
    found = re.search(rf"BerichtID ({GUID}), status Verwerkt \(Verwerkt\)", checks[3])
    assert found, checks[3]
    assert "tweezijdig TLS" in checks[3]
    assert lines[5] == "Alle 4 controles zijn in orde. De testgegevens staan in " + str(data) + "."

    # The letter really crossed the wire: the simulator kept the payload with that BerichtID.
    (payload,) = (data / "simulator" / "received").rglob("*.xml")
    assert found.group(1).encode() in payload.read_bytes()
    assert (data / MARKER_FILE).is_file()

    # A folder made by a self-test may be used again; --json gives the same verdicts.
    again = run_cli("--data-dir", str(data), "self-test", "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    out = json.loads(again.stdout)
    assert out["ok"] is True and out["data_dir_kept"] is True
    assert [(c["name"], c["ok"]) for c in out["checks"]] == [
        ("Schema's", True),
        ("Database", True),
        ("Sleutelbos", True),
        ("Testbericht", True),
    ]


def test_a_folder_with_console_data_is_refused_and_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "gegevens"
    made = run_cli("--data-dir", str(data), "db", "upgrade")
    assert made.returncode == 0, made.stderr
    before = (data / "console.sqlite3").read_bytes()

    proc = run_cli("--data-dir", str(data), "self-test")

    assert proc.returncode == 2
    assert "bevat al gegevens van de console" in proc.stderr
    assert "OK" not in proc.stdout and "FOUT" not in proc.stdout
    assert (data / "console.sqlite3").read_bytes() == before
    assert not (data / MARKER_FILE).exists()
    assert not (data / "simulator" / "pki").exists()  # no workspace was opened


def test_missing_schemas_fail_with_a_dutch_reason_and_the_rest_still_runs(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    seen: list[CheckResult] = []
    report = run_self_test(
        tmp_path / "data", schema_dir=tmp_path / "bestaat-niet", on_check=seen.append
    )

    assert not report.ok
    assert list(report.checks) == seen
    schemas, database, secrets, letter = report.checks
    line = format_check(schemas)
    assert line.startswith("FOUT Schema's: ")
    assert "bestaat-niet is niet gevonden" in line
    assert database.ok and letter.ok, (database, letter)
    # A working OS keyring is named; the self-test left nothing in it (the test PKI's key
    # stayed in memory, the probe was removed).
    assert secrets.ok and "veilig bewaard" in secrets.detail and "MemoryKeyring" in secrets.detail
    assert memory_keyring.entries == {}


def test_migrations_that_are_not_there_fail(tmp_path: Path) -> None:
    result = check_migrations(tmp_path, migrations_dir=tmp_path / "geen-migraties")
    assert not result.ok
    assert format_check(result).startswith("FOUT Database: De databasemigraties zijn niet gevonden")


def test_broken_migrations_fail_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "migraties"
    (broken / "versions").mkdir(parents=True)
    (broken / "env.py").write_text("raise RuntimeError('kapotte omgeving')\n", encoding="utf-8")
    (broken / "versions" / "0001_x.py").write_text(
        'revision = "0001"\ndown_revision = None\n'
        "def upgrade():\n    pass\ndef downgrade():\n    pass\n",
        encoding="utf-8",
    )
    result = check_migrations(tmp_path, migrations_dir=broken)
    assert not result.ok
    assert "De databasemigraties konden niet worden uitgevoerd: kapotte omgeving" in result.detail


def test_the_frozen_build_finds_the_schemas_in_its_bundle(
    tmp_path: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.xml import schemas

    assert schemas._locate_schema_dir() == repo_root / "schemas"  # the source layout
    bundle = tmp_path / "_internal"
    (bundle / "schemas").mkdir(parents=True)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert schemas._locate_schema_dir() == repo_root / "schemas"  # not frozen: ignored
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert schemas._locate_schema_dir() == bundle / "schemas"
