"""Fixtures for the GUI tests.

Every services object comes from the ONE fixture ``services``. Today it is the in-memory fake in
``fake_services.py``; it can be switched to the real ``ConsoleServices`` on a temporary data dir
with the simulator, as long as the two helpers below (``submit_letters`` and ``move_letter``)
are switched with it.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl, qInstallMessageHandler
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from console.domain.letter import LetterDraft
from console.domain.lifecycle import LetterStatus
from console.domain.verwerkingscode import VerwerkingsCode
from console.ui.tasks import TaskRunner
from console.ui.theme import apply_application_style
from tests.gui.fake_services import FakeServices, valid_bsns

MoveLetter = Callable[[int, LetterStatus, VerwerkingsCode | None], None]


REAL = os.environ.get("CONSOLE_GUI_SERVICES") == "real"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Any]:
    """The services the GUI talks to (see the module docstring before changing this).

    ``CONSOLE_GUI_SERVICES=real`` runs the GUI tests against the real services on a temporary
    data dir, with the engine stopped so letters stay where the test put them.
    """
    if not REAL:
        yield FakeServices()
        return
    from console.secrets.store import MemoryStore
    from console.services.bootstrap import open_workspace
    from console.settings import resolve_paths

    real = open_workspace(
        resolve_paths(tmp_path / "data"), start_engine=False, secrets=MemoryStore()
    )
    try:
        yield real
    finally:
        real.close()


@pytest.fixture
def move_letter(services: Any) -> MoveLetter:
    """Bring a letter to a status, as the engine and Logius (or the simulator) would."""
    if REAL:
        pytest.skip("met de echte services bepaalt de simulator de status, niet de test")

    def move(letter_id: int, status: LetterStatus, code: VerwerkingsCode | None = None) -> None:
        services.letters.advance(letter_id, status, code)

    return move


def submit_letters(services: Any, count: int, *, organisation_id: int | None = None) -> list[int]:
    """Store *count* valid letters through the public service API; returns their ids."""
    if organisation_id is None:
        organisation_id = services.workspace.status().organisation_id
    berichttype = next(b.code for b in services.workspace.berichttypes(organisation_id) if b.active)
    ids: list[int] = []
    for n, bsn in enumerate(valid_bsns(count)):
        draft = LetterDraft(
            bsn=bsn,
            berichttype=berichttype,
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


class CallRecorder:
    """Stands in for a service object and records every method call on it (thread-safe)."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self._lock = threading.Lock()
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def recorded(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls.append((name, args, kwargs))
            return attr(*args, **kwargs)

        return recorded

    def args_of(self, name: str) -> list[tuple[Any, ...]]:
        with self._lock:
            return [args for call, args, _kw in self.calls if call == name]

    def first_args(self, name: str) -> list[Any]:
        return [args[0] for args in self.args_of(name)]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()


@pytest.fixture
def letter_calls(services: Any, monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    """Replace ``services.letters`` by a recorder around it (before building any widget)."""
    recorder = CallRecorder(services.letters)
    monkeypatch.setattr(services, "letters", recorder)
    return recorder


@pytest.fixture
def engine_calls(services: Any, monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    recorder = CallRecorder(services.engine)
    monkeypatch.setattr(services, "engine", recorder)
    return recorder


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Any]:
    """The real console (engine, inbound endpoint, simulator) on a temporary data dir."""
    from tests.integration.conftest import open_test_workspace

    services = open_test_workspace(tmp_path / "data")
    try:
        yield services
    finally:
        services.close()


def drop(widget: Any, path: Path) -> None:
    """Drop *path* on *widget* as the file manager would (a copy action with one URL)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(event)
