"""After importing a certificate, no key material or passphrase is anywhere it should not be.

The test imports a password-protected PKCS#12 through the CLI (password on standard input),
makes every export the certificate commands offer, lets the engine build its TLS context
with the key, and then searches the database files, the logs, every export, the console
output and the temp directories (also ``/dev/shm``, where TLS material is staged for a
moment) for PEM key headers, the key's bytes and the passphrase.
"""

from __future__ import annotations

import base64
import io
import logging
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.cli import main
from console.domain.environment import Environment
from console.engine.transport import TransportFactory
from console.secrets.store import KeyringStore
from console.services.bootstrap import open_workspace
from console.settings import AppPaths
from tests.certificate_factory import (
    OIN,
    Made,
    MemoryKeyring,
    installed_memory_keyring,
    make_ca,
    make_leaf,
    p12,
)

PASSPHRASE = "Gehe1m-Wachtw00rd-voor-p12"
PEM_KEY_MARKER = b"PRIVATE KEY-----"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    yield from installed_memory_keyring()


def _needles(made: Made) -> dict[str, bytes]:
    der = made.key_der
    body = base64.b64encode(der)
    return {
        "sleutel (DER)": der,
        "sleutel (PEM)": made.key_pem,
        "sleutel (base64-fragment)": body[len(body) // 2 : len(body) // 2 + 40],
        "geheim getal van de sleutel": made.raw_private_bytes(),
        "wachtwoord": PASSPHRASE.encode(),
        "wachtwoord (UTF-16)": PASSPHRASE.encode("utf-16-le"),
    }


def _files(*roots: Path) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        if root.is_file():
            out.append(root)
        elif root.is_dir():
            out += [p for p in root.rglob("*") if p.is_file()]
    return out


def _scan(paths: list[Path], needles: dict[str, bytes], *, headers: bool) -> list[str]:
    found: list[str] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for name, needle in needles.items():
            if needle in data:
                found.append(f"{name} in {path}")
        if headers and PEM_KEY_MARKER in data:
            found.append(f"PEM-sleutelkop in {path}")
    return found


def test_no_key_material_or_passphrase_outside_the_keyring(
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    shm_before = set(Path("/dev/shm").iterdir()) if Path("/dev/shm").is_dir() else set()
    data_dir = tmp_path / "data"
    exports = tmp_path / "exports"
    exports.mkdir()
    inbox = tmp_path / "invoer"  # the user's own certificate file: not scanned
    inbox.mkdir()
    ca = make_ca("PKIoverheid Test Private Services CA")
    leaf = make_leaf(ca, oin=OIN)
    p12_file = inbox / "gemeente.p12"
    p12_file.write_bytes(p12(leaf, [ca], PASSPHRASE.encode()))
    root_logger = logging.getLogger()
    handlers_before = list(root_logger.handlers)
    base = ["--data-dir", str(data_dir), "-v"]

    def cli(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return main([*base, *args])

    try:
        # A wrong passphrase first: the refusal must not echo it.
        assert cli("cert", "import", str(p12_file), "--wachtwoord-stdin", stdin="fout-123\n") == 2
        assert "fout-123" not in capsys.readouterr().err
        assert (
            cli(
                "cert",
                "import",
                str(p12_file),
                "--wachtwoord-stdin",
                "--naam",
                "Gemeente 2026",
                stdin=PASSPHRASE + "\n",
            )
            == 0
        )
        exported: dict[str, list[str]] = {
            "cert-list.json": ["cert", "list", "--json"],
            "cert-show.json": ["cert", "show", "Gemeente 2026", "--json"],
            "cert-show.pem": ["cert", "show", "Gemeente 2026", "--pem"],
            "cert-check.json": ["cert", "check", "--json"],
            "trust-list.json": ["trust", "list", "--json"],
        }
        for name, args in exported.items():
            capsys.readouterr()
            assert cli(*args) in (0, 2)
            (exports / name).write_text(capsys.readouterr().out)
        assert (
            cli(
                "cert",
                "csr",
                "--oin",
                OIN,
                "--organisatie",
                "Gemeente Voorbeeld",
                "--naam",
                "bb.voorbeeld.nl",
                "--sleutel",
                "ec256",
                "--uit",
                str(exports / "aanvraag.csr"),
            )
            == 0
        )
        assert b"BEGIN CERTIFICATE REQUEST" in (exports / "aanvraag.csr").read_bytes()
        output = capsys.readouterr()

        # The engine builds a TLS context with the imported key (staged in a private temp dir).
        services = open_workspace(AppPaths(data_dir), start_engine=False)
        try:
            (imported,) = [
                c for c in services.certificates.certificates() if c.label == "Gemeente 2026"
            ]
            services.certificates.attach(imported.id, "Demo-simulator")
            services.certificates.trust_import(Environment.SIMULATOR, ca.cert_pem)
            TransportFactory(services.db, KeyringStore(backend=memory_keyring)).context_for(1)
        finally:
            services.close()
    finally:
        for handler in root_logger.handlers[:]:
            if handler not in handlers_before:
                root_logger.removeHandler(handler)
                handler.close()

    needles = _needles(leaf)
    # Positive control: the key is in the keyring, so the scanner would have found a copy.
    assert any(leaf.key_pem.decode() == v for v in memory_keyring.entries.values())
    control = tmp_path / "control.bin"
    control.write_bytes(b"xx" + needles["sleutel (DER)"] + b"yy")
    assert f"sleutel (DER) in {control}" in _scan([control], needles, headers=True)
    control.unlink()

    database_files = list(data_dir.glob("console.sqlite3*"))
    assert database_files, "de database hoort in de datamap te staan"
    logs = _files(data_dir / "logs")
    assert logs and any(p.stat().st_size > 0 for p in logs), "er hoort een logbestand te zijn"
    assert any("Certificaat" in p.read_text(errors="replace") for p in logs)
    simulator_pki = data_dir / "simulator" / "pki"
    our_files = [p for p in _files(data_dir) if simulator_pki not in p.parents]
    shm = Path("/dev/shm")
    leftovers = [p for p in shm.iterdir() if p not in shm_before] if shm.is_dir() else []

    problems = _scan(our_files + _files(exports, temp, *leftovers), needles, headers=True)
    # The simulator's own test material (its CA and server keys) is by design in its PKI
    # folder; our organisation's key and passphrase must not be there either.
    problems += _scan(_files(simulator_pki), needles, headers=False)
    assert problems == []
    assert [p for p in leftovers if p.name.startswith("bbc-tls-")] == []

    printed = (output.out + output.err).encode()
    log_text = "\n".join(r.getMessage() for r in caplog.records).encode()
    for name, needle in needles.items():
        assert needle not in printed, f"{name} in de uitvoer"
        assert needle not in log_text, f"{name} in een logregel"
    assert PEM_KEY_MARKER not in printed and PEM_KEY_MARKER not in log_text
