"""Fixtures for tests against the external reference files in ``../shared/reference/``.

The files are test oracles only: they are read in place (variants are made in memory or
in a temp dir) and never copied into the product.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from console.xml.schemas import SchemaRegistry, default_registry

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT / ".." / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``<repo>/../shared/reference``; the test is skipped when it is not there."""
    path = REFERENCE_DIR.resolve()
    if not (path / "README.md").is_file():
        pytest.skip(
            f"Referentiebestanden ontbreken: {path} bestaat niet. Zet de map shared/reference "
            "naast de repository (in CI is die er altijd)."
        )
    return path


@pytest.fixture(scope="session")
def official_bvs_registry(reference_dir: Path) -> SchemaRegistry:
    """Logius' official BerichtVerwerkService schemas (Request/ and Response/)."""
    return SchemaRegistry(reference_dir / "logius" / "BerichtVerwerkService")


@pytest.fixture(scope="session")
def own_registry() -> SchemaRegistry:
    """The project's own schemas in ``schemas/``."""
    return default_registry()
