"""The secret store: OS keyring when it works, otherwise memory for this session only."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from console.secrets.store import (
    DEFAULT_SERVICE,
    KeyringStore,
    MemoryStore,
    SecretStore,
    SecretStoreError,
    open_secret_store,
)

SECRET = "-----BEGIN PRIVATE KEY-----\nMIIEvQ...geheim\n-----END PRIVATE KEY-----\n"


class DictKeyring(KeyringBackend):
    """A working in-memory keyring backend."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.calls: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append("get")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append("set")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append("delete")
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.entries[(service, username)]


class LockedKeyring(DictKeyring):
    """Claims to be usable but refuses every write (e.g. the user cancelled the unlock)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"refused to store {password}")


class ForgetfulKeyring(DictKeyring):
    """Accepts writes but returns nothing: must not be trusted."""

    def get_password(self, service: str, username: str) -> str | None:
        return None


class LowPriorityKeyring(DictKeyring):
    priority = 0.5  # type: ignore[assignment]


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def dict_keyring(restore_keyring: None) -> DictKeyring:
    backend = DictKeyring()
    keyring.set_keyring(backend)
    return backend


def test_working_keyring_is_used_and_the_probe_leaves_nothing_behind(
    dict_keyring: DictKeyring,
) -> None:
    store = open_secret_store()

    assert isinstance(store, KeyringStore)
    assert isinstance(store, SecretStore)
    assert store.persistent is True
    assert dict_keyring.calls == ["set", "get", "delete"]  # the probe really round-tripped
    assert dict_keyring.entries == {}
    assert DEFAULT_SERVICE in store.description


def test_keyring_store_round_trip(dict_keyring: DictKeyring) -> None:
    store = open_secret_store()
    assert store.get("pki-key-1") is None

    store.set("pki-key-1", SECRET)

    assert dict_keyring.entries == {(DEFAULT_SERVICE, "pki-key-1"): SECRET}
    assert store.get("pki-key-1") == SECRET
    store.delete("pki-key-1")
    assert store.get("pki-key-1") is None
    store.delete("pki-key-1")  # deleting what is not there is fine


def test_keyring_store_uses_its_own_service_name(dict_keyring: DictKeyring) -> None:
    store = KeyringStore("andere-dienst")
    store.set("x", "1")
    assert dict_keyring.entries == {("andere-dienst", "x"): "1"}
    assert "andere-dienst" in store.description


@pytest.mark.parametrize(
    "backend",
    [fail.Keyring(), null.Keyring(), LowPriorityKeyring(), LockedKeyring(), ForgetfulKeyring()],
    ids=["fail", "null", "low-priority", "locked", "forgetful"],
)
def test_without_a_working_keyring_secrets_stay_in_memory(
    restore_keyring: None, backend: KeyringBackend
) -> None:
    keyring.set_keyring(backend)

    store = open_secret_store()

    assert isinstance(store, MemoryStore)
    assert store.persistent is False
    assert "opnieuw importeren" in store.description
    assert "geheugen" in store.description
    if isinstance(backend, DictKeyring):
        assert backend.entries == {}  # nothing half-written into the untrusted backend


def test_memory_store_is_per_session() -> None:
    store = MemoryStore()
    store.set("k", SECRET)
    assert store.get("k") == SECRET
    assert MemoryStore().get("k") is None  # a new start knows nothing
    store.delete("k")
    store.delete("k")
    assert store.get("k") is None


def test_keyring_failure_is_reported_in_dutch_without_the_secret() -> None:
    store = KeyringStore(backend=LockedKeyring())

    with pytest.raises(SecretStoreError) as caught:
        store.set("pki-key-1", SECRET)

    message = str(caught.value)
    assert "pki-key-1" in message and "opgeslagen" in message
    assert "PasswordSetError" in message
    assert "geheim" not in message
    # The backend's own error (which here echoes the secret) is not chained into tracebacks.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True
