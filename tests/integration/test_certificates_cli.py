"""``cert``, ``trust`` and ``connection test`` on the command line, in-process."""

from __future__ import annotations

import getpass
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from cryptography.hazmat.primitives import serialization
from keyring.backends import fail

from console.cli import main
from tests.certificate_factory import (
    OIN,
    OTHER_OIN,
    Made,
    MemoryKeyring,
    installed_memory_keyring,
    make_ca,
    make_leaf,
    p12,
    sign_csr,
)

PASSWORD = "cli-Wachtwoord-42"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    yield from installed_memory_keyring()


@pytest.fixture
def ca() -> Made:
    return make_ca("CLI-CA")


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[object]:
    import logging

    root = logging.getLogger()
    before = list(root.handlers)

    def run(*args: str, stdin: str = "", tty: bool = False) -> tuple[int, str, str]:
        stream = io.StringIO(stdin)
        stream.isatty = lambda: tty  # type: ignore[method-assign]
        monkeypatch.setattr(sys, "stdin", stream)
        capsys.readouterr()
        code = main(["--data-dir", str(tmp_path / "data"), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


def test_import_with_password_from_stdin_then_list_and_show(
    memory_keyring: MemoryKeyring, cli: object, tmp_path: Path, ca: Made
) -> None:
    run = cli  # type: ignore[assignment]
    path = tmp_path / "gemeente.p12"
    path.write_bytes(p12(make_leaf(ca), [ca], PASSWORD.encode()))

    code, out, err = run(
        "cert", "import", str(path), "--wachtwoord-stdin", "--naam", "Gemeente 2026",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0, err
    assert "Certificaat geïmporteerd" in out and OIN in out and "niet in de database" in out

    code, out, _ = run("cert", "list", "--json")
    data = json.loads(out)
    labels = {c["label"]: c for c in data["certificates"]}
    assert labels["Gemeente 2026"]["oin"] == OIN and labels["Gemeente 2026"]["key_available"]

    code, out, _ = run("cert", "show", "Gemeente 2026")
    assert code == 0 and "clientAuth" in out and "Keten:" in out and "CLI-CA" in out
    code, out, _ = run("cert", "show", "Gemeente 2026", "--pem")
    assert out.count("BEGIN CERTIFICATE") == 2 and "PRIVATE" not in out


def test_password_is_prompted_hidden_on_a_terminal(
    memory_keyring: MemoryKeyring,
    cli: object,
    tmp_path: Path,
    ca: Made,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = cli  # type: ignore[assignment]
    asked: list[str] = []
    answers = iter(["eerst-fout", PASSWORD])

    def fake_getpass(prompt: str = "") -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    path = tmp_path / "gemeente.pfx"
    path.write_bytes(p12(make_leaf(ca), [ca], PASSWORD.encode()))
    code, out, err = run("cert", "import", str(path), tty=True)
    assert code == 0, err
    assert len(asked) == 2 and "Wachtwoord" in asked[0]
    assert "klopt niet" in err and "eerst-fout" not in out + err


def test_password_is_never_a_command_line_option(
    memory_keyring: MemoryKeyring, cli: object, tmp_path: Path, ca: Made
) -> None:
    run = cli  # type: ignore[assignment]
    path = tmp_path / "gemeente.p12"
    path.write_bytes(p12(make_leaf(ca), [ca], PASSWORD.encode()))
    with pytest.raises(SystemExit):
        run("cert", "import", str(path), "--password", PASSWORD)
    code, _, err = run("cert", "import", str(path))  # not a terminal, no --wachtwoord-stdin
    assert code == 2 and "--wachtwoord-stdin" in err


def test_without_a_keyring_the_cli_refuses_to_store_a_key(
    cli: object, tmp_path: Path, ca: Made
) -> None:
    run = cli  # type: ignore[assignment]
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        path = tmp_path / "gemeente.p12"
        path.write_bytes(p12(make_leaf(ca), [ca], None))
        code, _, err = run("cert", "import", str(path))
        assert code == 2 and "sleutelbos" in err and "verloren" in err
        code, _, err = run("cert", "csr", "--oin", OIN, "--organisatie", "G", "--naam", "x")
        assert code == 2 and "sleutelbos" in err
    finally:
        keyring.set_keyring(previous)


def test_check_exits_2_on_an_oin_mismatch(
    memory_keyring: MemoryKeyring, cli: object, tmp_path: Path, ca: Made
) -> None:
    run = cli  # type: ignore[assignment]
    path = tmp_path / "ander.p12"
    path.write_bytes(p12(make_leaf(ca, oin=OTHER_OIN), [ca], None))
    code, out, _ = run("cert", "import", str(path), "--naam", "Ander OIN")
    assert code == 0
    code, out, _ = run("cert", "attach", "Ander OIN", "--koppeling", "Demo-simulator")
    assert code == 2 and "OinInCPAKomtNietOvereenMetOinInBericht" in out
    code, out, _ = run("cert", "check", "Demo-simulator", "--json")
    (report,) = json.loads(out)
    assert code == 2 and report["ok"] is False  # the user's choice survives a restart
    assert {i["code"] for i in report["issues"]} == {"oin_owner", "oin_cpa"}
    assert {i["logius_code"] for i in report["issues"]} == {
        "OinInCPAKomtNietOvereenMetOinInBericht"
    }


def test_renewal_on_the_command_line(
    memory_keyring: MemoryKeyring, cli: object, tmp_path: Path, ca: Made
) -> None:
    run = cli  # type: ignore[assignment]
    csr_path = tmp_path / "aanvraag.csr"
    code, out, err = run(
        "cert", "csr", "--oin", OIN, "--organisatie", "Gemeente Voorbeeld",
        "--naam", "bb.voorbeeld.nl", "--sleutel", "ec256", "--uit", str(csr_path),
    )  # fmt: skip
    assert code == 0, err
    assert "in de sleutelbos" in out and str(csr_path) in out
    code, out, _ = run("cert", "list")
    assert "Openstaande aanvragen" in out and f"serialNumber={OIN}" in out

    issued = sign_csr(ca, csr_path.read_text())
    cer = tmp_path / "uitgegeven.cer"
    cer.write_bytes(issued.public_bytes(serialization.Encoding.DER))
    code, out, err = run("cert", "import", str(cer))
    assert code == 0, err
    assert "Hoort bij aanvraag (CSR) 1" in out
    code, out, _ = run("cert", "list")
    assert "Openstaande aanvragen" not in out and "bb.voorbeeld.nl" in out


def test_trust_store_commands(memory_keyring: MemoryKeyring, cli: object, tmp_path: Path) -> None:
    run = cli  # type: ignore[assignment]
    root = make_ca("Logius Test Root")
    path = tmp_path / "logius.pem"
    path.write_bytes(root.cert_pem)
    code, out, _ = run("trust", "import", str(path), "--omgeving", "preprod")
    assert code == 0 and "(toegevoegd)" in out and "PREPROD" in out
    code, out, _ = run("trust", "import", str(path), "--omgeving", "preprod")
    assert "(stond er al)" in out
    code, out, _ = run("trust", "list", "--omgeving", "preprod", "--json")
    (anchor,) = json.loads(out)
    assert anchor["label"] == "Logius Test Root" and anchor["environment"] == "preprod"
    code, out, _ = run("trust", "remove", str(anchor["id"]))
    assert code == 0 and "verwijderd" in out
    code, out, _ = run("trust", "list", "--omgeving", "preprod")
    assert "leeg" in out


def test_connection_test_command_reports_each_step(
    memory_keyring: MemoryKeyring, cli: object
) -> None:
    run = cli  # type: ignore[assignment]
    code, out, err = run("connection", "test", "Demo-simulator")
    assert code == 0, out + err
    for title in ("Clientcertificaat", "Naam opzoeken", "TCP-verbinding", "TLS-handshake",
                  "Servercertificaat", "ebMS Ping"):  # fmt: skip
        assert title in out
    assert "Pong ontvangen" in out and "alle stappen zijn geslaagd" in out

    code, out, _ = run("connection", "test", "Demo-simulator", "--json")
    data = json.loads(out)
    assert data["ok"] is True and [s["status"] for s in data["steps"]] == ["ok"] * 6

    code, _, err = run("connection", "test", "bestaat-niet")
    assert code == 2 and "bestaat niet" in err
