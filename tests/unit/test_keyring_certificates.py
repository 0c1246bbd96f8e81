"""Where certificate keys live: the OS keyring, or this session's memory with a banner.

Unit tests install an in-memory keyring backend with ``keyring.set_keyring``. One test
(marked ``secret_service``) runs against a real Secret Service: gnome-keyring in its own
D-Bus session, started by the test itself, so plain ``make test`` covers it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backends import fail

from console.secrets.store import DEFAULT_SERVICE, KeyringStore, MemoryStore, open_secret_store
from console.services.bootstrap import open_workspace
from console.services.demo import DEMO_CONNECTION
from console.settings import AppPaths
from tests.certificate_factory import (
    MemoryKeyring,
    installed_memory_keyring,
    make_ca,
    make_leaf,
    p12,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    yield from installed_memory_keyring()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_workspace_keeps_certificate_keys_in_the_os_keyring(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    services = open_workspace(AppPaths(tmp_path / "data"), start_engine=False)
    try:
        assert isinstance(services.secrets, KeyringStore)
        assert services.certificates.keys_persistent is True
        before = set(memory_keyring.entries)
        ca = make_ca()
        services.certificates.import_file(p12(make_leaf(ca), [ca], b"pw"), password="pw")
        (added,) = set(memory_keyring.entries) - before
        assert added[0] == DEFAULT_SERVICE
        assert memory_keyring.entries[added].startswith("-----BEGIN PRIVATE KEY-----")
    finally:
        services.close()

    # A restart finds the key again: nothing to re-import.
    again = open_workspace(AppPaths(tmp_path / "data"), start_engine=False)
    try:
        assert all(c.key_available for c in again.certificates.certificates())
    finally:
        again.close()


def test_without_a_keyring_keys_live_for_this_session_and_say_so(
    no_keyring: None, tmp_path: Path
) -> None:
    services = open_workspace(AppPaths(tmp_path / "data"), start_engine=False)
    try:
        assert isinstance(services.secrets, MemoryStore)
        assert services.certificates.keys_persistent is False
        assert "opnieuw importeren" in services.certificates.key_store_description
        ca = make_ca()
        leaf = make_leaf(ca)
        result = services.certificates.import_file(p12(leaf, [ca], None))
        assert result.certificate.key_available
    finally:
        services.close()

    # Next start: a new memory store, the imported key is gone and the console says so.
    again = open_workspace(AppPaths(tmp_path / "data"), start_engine=False)
    try:
        imported = next(c for c in again.certificates.certificates() if c.source == "import")
        assert imported.key_available is False and imported.status == "Sleutel ontbreekt"
        again.certificates.attach(imported.id, DEMO_CONNECTION)
        report = again.certificates.check_connection(DEMO_CONNECTION)
        assert [i.code for i in report.blocking] == ["key_missing"]
        assert "opnieuw" in report.blocking[0].message
    finally:
        again.close()
    assert not any(tmp_path.rglob("*.key")) or all(
        "pki" in p.parts for p in tmp_path.rglob("*.key")
    )  # only the simulator's own test material; no key file of ours


def test_file_backends_of_keyrings_alt_are_never_used(tmp_path: Path) -> None:
    class PlaintextKeyring(MemoryKeyring):
        """Stands in for keyrings.alt.file.PlaintextKeyring, which writes secrets to a file."""

        priority = 5  # type: ignore[assignment]

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        assert isinstance(open_secret_store(), MemoryStore)
    finally:
        keyring.set_keyring(previous)
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    everything = " ".join(
        dependencies["dependencies"]
        + [d for ds in dependencies.get("optional-dependencies", {}).values() for d in ds]
    )
    assert "keyrings.alt" not in everything and "keyrings-alt" not in everything


# --- a real Secret Service ------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import keyring
    from console.secrets.store import KeyringStore, open_secret_store
    from console.services.bootstrap import open_workspace
    from console.settings import AppPaths
    from tests.certificate_factory import make_ca, make_leaf, p12

    backend = keyring.get_keyring()
    chained = getattr(backend, "backends", None) or [backend]
    assert type(chained[0]).__module__.startswith("keyring.backends.SecretService"), chained
    data_dir = Path(sys.argv[1])
    services = open_workspace(AppPaths(data_dir), start_engine=False)
    try:
        assert isinstance(services.secrets, KeyringStore), services.secrets
        ca = make_ca()
        leaf = make_leaf(ca)
        result = services.certificates.import_file(p12(leaf, [ca], b"pw"), password="pw")
        cert_id = result.certificate.id
    finally:
        services.close()
    # A second process start: the key comes back from gnome-keyring, not from memory.
    store = open_secret_store()
    services = open_workspace(AppPaths(data_dir), start_engine=False, secrets=store)
    try:
        (summary,) = [c for c in services.certificates.certificates() if c.id == cert_id]
        assert summary.key_available, summary
        services.certificates.attach(cert_id, "Demo-simulator")
        services.certificates.trust_import("simulator", ca.cert_pem)
        report = services.certificates.check_connection("Demo-simulator")
        assert report.ok, report
        from console.engine.transport import TransportFactory
        TransportFactory(services.db, store).context_for(report.connection_id)
    finally:
        services.close()
    print("SECRET-SERVICE-OK", store.description)
    """
)


@pytest.mark.secret_service
def test_real_secret_service_keeps_the_key_across_processes(tmp_path: Path) -> None:
    missing = [
        tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None
    ]
    if missing:
        pytest.skip(
            f"{' en '.join(missing)} niet geïnstalleerd; installeer gnome-keyring en dbus-x11 "
            "(apt-get install gnome-keyring dbus-x11), zoals .ci/run doet"
        )
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBUS_", "GNOME_KEYRING", "XDG_RUNTIME"))
    }
    env["HOME"] = str(tmp_path / "home")  # a fresh login keyring, never the developer's
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / ".local" / "share")
    env["PYTHONPATH"] = str(REPO)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    command = (
        "echo pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "
        f'exec "{sys.executable}" "{script}" "{tmp_path / "data"}"'
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SECRET-SERVICE-OK" in done.stdout
    assert "Secret Service" in done.stdout  # the store says where the keys are


def test_a_keyring_that_refuses_to_store_stops_the_import_cleanly(tmp_path: Path) -> None:
    class LockedKeyring(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.PasswordSetError(f"weigert {password}")

    from console.db.database import open_database, upgrade
    from console.services.certificates import CertificateRefused, CertificateService

    db = open_database(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    upgrade(db, backup_dir=None)
    try:
        service = CertificateService(db, KeyringStore(backend=LockedKeyring()))
        ca = make_ca()
        leaf = make_leaf(ca)
        with pytest.raises(CertificateRefused) as caught:
            service.import_file(p12(leaf, [ca], None))
        assert "ontgrendeld" in str(caught.value)
        assert "PRIVATE" not in str(caught.value) and caught.value.__cause__ is None
        assert service.certificates() == []
    finally:
        db.dispose()


def test_two_data_folders_on_one_pc_keep_their_own_demo_key(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """Every data folder has a connection 1, and they share the OS keyring: the second must
    not overwrite the first one's simulator key (its certificate would no longer match)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509 import load_pem_x509_certificate

    from console.db import models as m

    def key_matches_certificate(folder: Path) -> bool:
        services = open_workspace(AppPaths(folder), start_engine=False)
        try:
            conn_id = services.workspace.status().connection_id
            with services.db.session() as s:
                conn = s.get_one(m.Connection, conn_id)
                ref, chain = conn.client_key_ref, conn.client_cert_pem
            assert ref is not None and chain is not None
            secret = services.secrets.get(ref)
            assert secret is not None
            key = serialization.load_pem_private_key(secret.encode(), password=None)
            cert = load_pem_x509_certificate(chain.encode())
            raw = serialization.PublicFormat.SubjectPublicKeyInfo
            pem = serialization.Encoding.PEM
            return bool(
                key.public_key().public_bytes(pem, raw) == cert.public_key().public_bytes(pem, raw)
            )
        finally:
            services.close()

    assert key_matches_certificate(tmp_path / "eerste")
    assert key_matches_certificate(tmp_path / "tweede")
    assert key_matches_certificate(tmp_path / "eerste")  # still its own key
