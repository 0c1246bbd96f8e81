"""Where private keys and passphrases are kept.

Secrets go to the operating system's keyring (Windows Credential Manager, macOS Keychain,
Secret Service / KWallet on Linux) through the ``keyring`` package. When no working keyring
exists the console keeps them in memory for this session only and says so: there is no
plaintext file fallback, ever.

Secret values never appear in exceptions or log lines raised from here: keyring errors are
not chained (their text could echo what was being stored); only their type is named.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Protocol, runtime_checkable

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "berichtenbox-console"


class SecretStoreError(RuntimeError):
    """Storing, reading or deleting a secret failed (message in Dutch, without the secret)."""


@runtime_checkable
class SecretStore(Protocol):
    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...

    @property
    def description(self) -> str:
        """Where secrets are kept, in Dutch, for the settings screen."""
        ...

    @property
    def persistent(self) -> bool:
        """Whether secrets survive a restart of the console."""
        ...


_BACKEND_NAMES = {
    "keyring.backends.Windows": "Windows Referentiebeheer (Credential Manager)",
    "keyring.backends.macOS": "de macOS-sleutelhanger (Keychain)",
    "keyring.backends.SecretService": "de sleutelbos van de desktop (Secret Service, bijv. GNOME Keyring)",
    "keyring.backends.libsecret": "de sleutelbos van de desktop (libsecret, bijv. GNOME Keyring)",
    "keyring.backends.kwallet": "KWallet",
}


def _effective_backend(backend: KeyringBackend) -> KeyringBackend:
    """The backend that really stores: a chainer writes to its first (highest) backend."""
    chained = getattr(backend, "backends", None)
    if type(backend).__module__.startswith("keyring.backends.chainer") and chained:
        return _effective_backend(chained[0])
    return backend


def _backend_label(backend: KeyringBackend) -> str:
    backend = _effective_backend(backend)
    module = type(backend).__module__
    for prefix, label in _BACKEND_NAMES.items():
        if module.startswith(prefix):
            return label
    return f"de sleutelbos van het besturingssysteem ({type(backend).__name__})"


class KeyringStore:
    """Secrets in the OS keyring, under one service name."""

    def __init__(
        self, service: str = DEFAULT_SERVICE, *, backend: KeyringBackend | None = None
    ) -> None:
        self._service = service
        self._backend = backend if backend is not None else keyring.get_keyring()

    @property
    def service(self) -> str:
        return self._service

    @property
    def description(self) -> str:
        return (
            f"Sleutels worden veilig bewaard in {_backend_label(self._backend)}, "
            f"onder de naam '{self._service}'."
        )

    @property
    def persistent(self) -> bool:
        return True

    def get(self, name: str) -> str | None:
        try:
            return self._backend.get_password(self._service, name)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                f"De sleutel '{name}' kon niet uit {_backend_label(self._backend)} worden "
                "gelezen. Controleer of de sleutelbos ontgrendeld is en probeer het opnieuw."
                f" (technisch: {type(exc).__name__})"
            ) from None

    def set(self, name: str, value: str) -> None:
        try:
            self._backend.set_password(self._service, name, value)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                f"De sleutel '{name}' kon niet in {_backend_label(self._backend)} worden "
                "opgeslagen. Controleer of de sleutelbos ontgrendeld is en probeer het opnieuw."
                f" (technisch: {type(exc).__name__})"
            ) from None

    def delete(self, name: str) -> None:
        """Remove *name*; removing a secret that is not there is not an error."""
        try:
            self._backend.delete_password(self._service, name)
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                f"De sleutel '{name}' kon niet uit {_backend_label(self._backend)} worden "
                "verwijderd. Controleer of de sleutelbos ontgrendeld is en probeer het opnieuw."
                f" (technisch: {type(exc).__name__})"
            ) from None


class MemoryStore:
    """Secrets in memory for this session only (no working OS keyring)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return (
            "Er is geen werkende sleutelbos van het besturingssysteem gevonden. Sleutels "
            "worden daarom alleen in het geheugen bewaard, tot u de console afsluit. Bij de "
            "volgende start moet u de sleutel opnieuw importeren."
        )

    @property
    def persistent(self) -> bool:
        return False

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def set(self, name: str, value: str) -> None:
        with self._lock:
            self._values[name] = value

    def delete(self, name: str) -> None:
        with self._lock:
            self._values.pop(name, None)


def keyring_works(backend: KeyringBackend, service: str = DEFAULT_SERVICE) -> bool:
    """Whether *backend* really stores and returns a value (a probe set, get and delete)."""
    try:
        if backend.priority < 1:  # fail.Keyring, null.Keyring, an empty chainer
            return False
        writer = _effective_backend(backend)
        if type(writer).__module__.startswith("keyrings.alt"):
            # keyrings.alt keeps secrets in files (some in plain text): never a key store.
            log.warning("Sleutelbos %s bewaart in bestanden; niet gebruikt", type(writer).__name__)
            return False
        probe_name = f"probe-{uuid.uuid4()}"
        probe_value = uuid.uuid4().hex
        backend.set_password(service, probe_name, probe_value)
        try:
            returned = backend.get_password(service, probe_name)
        finally:
            backend.delete_password(service, probe_name)
        return returned == probe_value
    except Exception as exc:  # any failure means: do not trust this keyring
        log.warning("Sleutelbos %s werkt niet: %s", type(backend).__name__, type(exc).__name__)
        return False


def open_secret_store(service: str = DEFAULT_SERVICE) -> SecretStore:
    """The OS keyring if it works, otherwise a session-only :class:`MemoryStore`."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        log.warning("Geen sleutelbos beschikbaar: %s", type(exc).__name__)
        return MemoryStore()
    if keyring_works(backend, service):
        return KeyringStore(service, backend=backend)
    log.warning(
        "Geen werkende sleutelbos (%s): sleutels worden alleen in het geheugen bewaard.",
        type(backend).__name__,
    )
    return MemoryStore()
