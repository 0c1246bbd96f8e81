"""A real console on a temp data dir: SQLite file, engine, inbound endpoint and simulator on loopback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console.domain.letter import LetterDraft
from console.secrets.store import MemoryStore
from console.services.bootstrap import ConsoleServices, open_workspace
from console.services.dto import LetterDetail
from console.settings import EngineSettings, resolve_paths

FINAL = {"delivered", "not_subscribed", "rejected", "duplicate", "failed", "expired", "paper"}

FAST = EngineSettings(tick_seconds=0.05, inbound_port=0, simulator_port=0, http_timeout_seconds=10)


def open_test_workspace(data_dir: Path, **kw: object) -> ConsoleServices:
    return open_workspace(
        resolve_paths(data_dir),
        secrets=kw.pop("secrets", None) or MemoryStore(),  # type: ignore[arg-type]
        engine_settings=kw.pop("engine_settings", FAST),  # type: ignore[arg-type]
        simulator_result_delay=kw.pop("simulator_result_delay", 0.0),  # type: ignore[arg-type]
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[ConsoleServices]:
    services = open_test_workspace(tmp_path / "data")
    try:
        yield services
    finally:
        services.close()


def wait_for(
    services: ConsoleServices,
    letter_id: int,
    done: Callable[[LetterDetail], bool] | None = None,
    timeout: float = 30,
) -> LetterDetail:
    """Poll until the letter is final (or *done* says so); the deadline only guards a hang."""
    done = done or (lambda d: d.row.status.value in FINAL)
    deadline = time.monotonic() + timeout
    while True:
        detail = services.letters.detail(letter_id)
        if done(detail) or time.monotonic() > deadline:
            return detail
        time.sleep(0.05)


def submit(services: ConsoleServices, bsn: str, berichttype: str = "BELAST", **kw: object) -> int:
    status = services.workspace.status()
    assert status.organisation_id is not None
    draft = LetterDraft(
        bsn=bsn, berichttype=berichttype, onderwerp=str(kw.pop("onderwerp", "Uw aanslag")), **kw
    )  # type: ignore[arg-type]
    return services.letters.submit(draft, status.organisation_id).letter_id
