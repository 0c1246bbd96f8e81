from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QApplication, QMessageBox

from console.domain.lifecycle import IllegalTransition
from console.ui.tasks import TaskRunner, is_user_error
from tests.gui.fake_services import LetterRefused

SAFETY = 30  # seconds a worker may wait for a test's signal before giving up (never reached)


class DutchProblem(ValueError):
    """A user error defined outside the standard library, as the services define theirs."""


def test_result_arrives_on_the_gui_thread(task_runner, qtbot):
    got: list[tuple[int, bool]] = []

    def work(a: int, b: int) -> tuple[int, str]:
        return a + b, threading.current_thread().name

    def done(result: tuple[int, str]) -> None:
        got.append((result[0], QThread.currentThread() is QApplication.instance().thread()))
        assert result[1].startswith("console-io")

    task_runner.run(work, 2, 3, on_done=done, lane="io")
    qtbot.waitUntil(lambda: bool(got))
    assert got == [(5, True)]


def test_db_lane_runs_one_task_at_a_time_in_order(task_runner, qtbot):
    active = 0
    most = 0
    order: list[int] = []
    threads: set[str] = set()
    lock = threading.Lock()
    release = threading.Event()

    def write(n: int) -> int:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        if n == 0:
            release.wait(SAFETY)  # the first write holds the lane while the others queue
        with lock:
            order.append(n)
            threads.add(threading.current_thread().name)
            active -= 1
        return n

    done: list[int] = []
    for n in range(6):
        task_runner.run(write, n, on_done=done.append, lane="db")
    assert task_runner.pending == 6
    release.set()
    qtbot.waitUntil(lambda: len(done) == 6)
    assert most == 1
    assert order == list(range(6))
    assert done == list(range(6))
    assert len(threads) == 1 and next(iter(threads)).startswith("console-db")


def test_io_lane_runs_tasks_side_by_side(task_runner, qtbot):
    # Both tasks can only finish when both run at the same time.
    barrier = threading.Barrier(2, timeout=SAFETY)
    done: list[str] = []
    for name in ("a", "b"):
        task_runner.run(lambda n=name: (barrier.wait(), n)[1], on_done=done.append, lane="io")
    qtbot.waitUntil(lambda: len(done) == 2)
    assert sorted(done) == ["a", "b"]


def test_user_error_goes_to_on_error(task_runner, qtbot, crashes):
    errors: list[BaseException] = []

    def refuse() -> None:
        raise DutchProblem("Onderwerp is 51 tekens; maximaal 50.")

    task_runner.run(refuse, on_done=lambda _r: None, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert str(errors[0]) == "Onderwerp is 51 tekens; maximaal 50."
    assert crashes == []


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("kapot"),
        ValueError("een kale ValueError is een bug"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        KeyError("letter"),
    ],
)
def test_unexpected_errors_go_to_the_crash_handler_not_on_error(exc, qtbot):
    crashes: list[BaseException] = []
    runner = TaskRunner(crash_handler=crashes.append)
    errors: list[BaseException] = []

    def boom() -> None:
        raise exc

    runner.run(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(crashes))
    assert crashes == [exc]
    assert errors == []
    runner.shutdown()


def test_a_bug_in_a_callback_reaches_the_crash_handler(qtbot):
    crashes: list[BaseException] = []
    runner = TaskRunner(crash_handler=crashes.append)

    def broken_callback(_result: object) -> None:
        raise AttributeError("callback")

    runner.run(lambda: 1, on_done=broken_callback)
    qtbot.waitUntil(lambda: bool(crashes))
    assert isinstance(crashes[0], AttributeError)
    runner.shutdown()


def test_cancelled_task_does_not_run_and_delivers_nothing(task_runner, qtbot):
    hold = threading.Event()
    ran: list[str] = []
    delivered: list[object] = []
    task_runner.run(hold.wait, SAFETY, lane="db")
    handle = task_runner.run(lambda: ran.append("x"), on_done=delivered.append, lane="db")
    handle.cancel()
    hold.set()
    with qtbot.waitSignal(task_runner.idle):
        pass
    assert ran == []
    assert delivered == []
    assert handle.cancelled


def test_callbacks_of_a_deleted_owner_are_skipped(task_runner, qtbot):
    hold = threading.Event()
    delivered: list[object] = []
    owner = QObject()
    task_runner.run(hold.wait, SAFETY, on_done=delivered.append, owner=owner)
    owner.deleteLater()
    QApplication.processEvents()
    QApplication.sendPostedEvents(None, 0)
    hold.set()
    with qtbot.waitSignal(task_runner.idle):
        pass
    assert delivered == []


def test_user_error_without_handler_is_shown_as_a_message(task_runner, qtbot):
    def refuse() -> None:
        raise DutchProblem("De database is bezet. Probeer het over een minuut opnieuw.")

    task_runner.run(refuse)

    def box() -> QMessageBox | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                return widget
        return None

    qtbot.waitUntil(lambda: box() is not None)
    shown = box()
    assert shown is not None
    assert shown.text() == "De database is bezet. Probeer het over een minuut opnieuw."
    shown.close()


def test_unknown_lane_is_refused(task_runner):
    with pytest.raises(ValueError):
        task_runner.run(lambda: None, lane="gpu")  # type: ignore[arg-type]


def test_is_user_error_recognises_console_errors_only():
    assert is_user_error(DutchProblem("x"))
    assert is_user_error(IllegalTransition("x"))
    assert is_user_error(LetterRefused([]))
    assert not is_user_error(ValueError("x"))
    assert not is_user_error(json.JSONDecodeError("x", "doc", 0))
    assert not is_user_error(RuntimeError("x"))
