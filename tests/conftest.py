"""Test configuration shared by every suite."""

from __future__ import annotations

import os
from pathlib import Path

# pytest must not abort when no display is set: Qt runs offscreen unless a display is given.
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = (REPO_ROOT / ".." / "shared" / "reference").resolve()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def reference_root() -> Path:
    """The external oracles in ../shared/reference (never copied into the product)."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"referentiebestanden ontbreken: {REFERENCE_DIR}")
    return REFERENCE_DIR
