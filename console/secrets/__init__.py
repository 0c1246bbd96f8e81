"""Secrets (private keys, passphrases): the OS keyring, or memory for this session only."""

from __future__ import annotations

from console.secrets.store import (
    DEFAULT_SERVICE,
    KeyringStore,
    MemoryStore,
    SecretStore,
    SecretStoreError,
    open_secret_store,
)

__all__ = [
    "DEFAULT_SERVICE",
    "KeyringStore",
    "MemoryStore",
    "SecretStore",
    "SecretStoreError",
    "open_secret_store",
]
