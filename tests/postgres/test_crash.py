"""Crash safety on PostgreSQL: SIGKILL the engine process while a batch is in flight.

The scenario of ``tests/integration/test_ebms_crash.py``, with the engine's database on the
PostgreSQL server: the killed process leaves its connection and its claim ("sending", one
attempt without an answer) behind; after a restart the same ebMS message is sent again, the
simulator eliminates the duplicate and the letter ends in exactly one final state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_ebms_crash import Engine, Scene, crash_scene
from tests.integration.test_ebms_crash import (
    test_sigkill_mid_request_then_restart_gives_one_final_state as sigkill_scenario,
)
from tests.postgres.support import require_server

require_server()


@pytest.fixture
def pg_scene(tmp_path: Path, pg_url: str) -> Iterator[Scene]:
    """The crash test's scene, with the database on PostgreSQL (its engine process too)."""

    def on_postgresql(engine: Engine) -> None:
        module = engine.args.index("tests.engine_headless")
        engine.args[module : module + 1] = [
            "tests.postgres.engine_process",
            "--database-url",
            pg_url,
        ]

    with crash_scene(tmp_path, pg_url, on_postgresql) as made:
        yield made


def test_sigkill_mid_request_then_restart_gives_one_final_state_on_postgresql(
    pg_scene: Scene,
) -> None:
    data, _db, _simulator, _engine = pg_scene
    sigkill_scenario(pg_scene)
    assert not (data / "console.sqlite3").exists()  # it all happened on PostgreSQL
