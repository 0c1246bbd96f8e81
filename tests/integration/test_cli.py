"""The command line as a support script would use it: a real process, a real data dir."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def run_cli(data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run(
        [sys.executable, "-m", "console.cli", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def letter_count(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "console.sqlite3") as conn:
        return int(conn.execute("SELECT count(*) FROM letters").fetchone()[0])


def test_send_test_waits_for_the_result(tmp_path: Path) -> None:
    pdf = tmp_path / "aanslag.pdf"
    pdf.write_bytes(PDF)
    proc = run_cli(
        tmp_path / "data",
        "send-test", "--bsn", "999990019", "--berichttype", "BELAST", "--onderwerp", "Uw aanslag",
        "--tekst", "Beste inwoner,\\nZie de bijlage.", "--bijlage", str(pdf), "--wait", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "delivered" and out["verwerkings_code"] == "Verwerkt"
    assert len(out["batch_id"]) == 36 and len(out["bericht_id"]) == 36

    received = run_cli(tmp_path / "data", "simulator", "received", "--json")
    (batch,) = json.loads(received.stdout)
    assert batch["batch_id"] == out["batch_id"]
    payload = Path(batch["path"]).read_bytes()
    assert out["bericht_id"].encode() in payload
    assert b"Beste inwoner,\\r\\nZie de bijlage." in payload


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--bsn", "123456789"], "elfproef"),
        (["--bsn", "999990019", "--onderwerp", "x" * 51], "Onderwerp is 51 tekens; maximaal 50"),
    ],
)
def test_refused_input_stores_nothing_and_exits_2(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    base = {"--bsn": "999990019", "--berichttype": "BELAST", "--onderwerp": "Test"}
    for key, value in zip(args[::2], args[1::2], strict=True):
        base[key] = value
    flat = [x for kv in base.items() for x in kv]
    proc = run_cli(tmp_path / "data", "send-test", *flat)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert letter_count(tmp_path / "data") == 0


def test_non_pdf_attachment_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "brief.pdf"
    fake.write_bytes(b"dit is tekst")
    proc = run_cli(
        tmp_path / "data", "send-test", "--bsn", "999990019", "--berichttype", "BELAST",
        "--onderwerp", "Test", "--bijlage", str(fake), "--json",
    )  # fmt: skip
    assert proc.returncode == 2
    issues = json.loads(proc.stdout)["issues"]
    assert any("geen PDF" in i for i in issues)


def test_simulator_citizens_lists_valid_test_bsns(tmp_path: Path) -> None:
    from console.domain.bsn import is_valid_bsn

    proc = run_cli(tmp_path / "data", "simulator", "citizens", "--json")
    citizens = json.loads(proc.stdout)
    assert {c["toestand"] for c in citizens} >= {"subscribed", "not_subscribed", "no_box"}
    assert all(is_valid_bsn(c["bsn"]) for c in citizens)
