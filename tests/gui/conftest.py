"""Fixtures for the GUI tests.

Every services object comes from the ONE fixture ``services``. Today it is the in-memory fake in
``fake_services.py``; it can be switched to the real ``ConsoleServices`` on a temporary data dir
with the simulator, as long as the two helpers below (``submit_letters`` and ``move_letter``)
are switched with it.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from console.domain.letter import LetterDraft
from console.domain.lifecycle import LetterStatus
from console.domain.verwerkingscode import VerwerkingsCode
from console.ui.tasks import TaskRunner
from console.ui.theme import apply_application_style
from tests.gui.fake_services import FakeServices, valid_bsns

MoveLetter = Callable[[int, LetterStatus, VerwerkingsCode | None], None]


@pytest.fixture
def services() -> FakeServices:
    """The services the GUI talks to (see the module docstring before changing this)."""
    return FakeServices()


@pytest.fixture
def move_letter(services: FakeServices) -> MoveLetter:
    """Bring a letter to a status, as the engine and Logius (or the simulator) would."""

    def move(letter_id: int, status: LetterStatus, code: VerwerkingsCode | None = None) -> None:
        services.letters.advance(letter_id, status, code)

    return move


def submit_letters(services: FakeServices, count: int, *, organisation_id: int = 1) -> list[int]:
    """Store *count* valid letters through the public service API; returns their ids."""
    ids: list[int] = []
    for n, bsn in enumerate(valid_bsns(count)):
        draft = LetterDraft(
            bsn=bsn,
            berichttype="WOZBESCH",
            onderwerp=f"Testbericht {n + 1:04d}",
            berichttekst="Dit is een testbericht.",
            referentie=f"REF-{n + 1:05d}",
        )
        ids.append(services.letters.submit(draft, organisation_id).letter_id)
    return ids


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, qapp: QApplication) -> Iterator[Path]:
    """QSettings write to a temporary folder, never to the developer's registry or home."""
    path = tmp_path / "settings"
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(path))
    yield path


@pytest.fixture(scope="session", autouse=True)
def application_style(qapp: QApplication) -> None:
    apply_application_style(qapp)


@pytest.fixture
def crashes() -> list[BaseException]:
    """Unexpected exceptions the task runner caught; a GUI test must end with none."""
    return []


@pytest.fixture
def task_runner(qapp: QApplication, crashes: list[BaseException]) -> Iterator[TaskRunner]:
    runner = TaskRunner(crash_handler=crashes.append)
    yield runner
    runner.shutdown(wait=True)
    QApplication.processEvents()
    assert not crashes, f"onverwachte fouten in taken: {crashes!r}"


@pytest.fixture
def model_test_failures(qapp: QApplication) -> Iterator[list[str]]:
    """Messages of Qt's QAbstractItemModelTester ("FAIL! ...").

    pytest-qt's ``qtmodeltester`` with the C++ tester only *warns*; this collects the warnings
    so a test can assert there were none.
    """
    failures: list[str] = []

    def handler(_mode: object, context: object, message: str) -> None:
        if getattr(context, "category", "") == "qt.modeltest" and "FAIL" in message:
            failures.append(message)

    previous = qInstallMessageHandler(handler)
    yield failures
    qInstallMessageHandler(previous)
