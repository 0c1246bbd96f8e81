"""The way the UI never blocks: work runs on worker threads, results come back on the GUI thread.

Two lanes, as in Anki's task manager:

``db``  one worker thread, so database writes never compete with each other and happen in the
        order the user asked for them;
``io``  a small pool for queries, file reads and network work that may run side by side.

``TaskRunner.run`` returns at once. When the work is done, ``on_done(result)`` is called on the
GUI thread. When it fails with a *user error* (a ``ValueError`` subclass defined by the console,
carrying a Dutch message) ``on_error(exc)`` is called; anything else is a bug and goes to the
crash handler, which by default shows :class:`~console.ui.crash_dialog.CrashDialog` with a report
to copy. A callback that belongs to a Qt object that no longer exists is skipped silently.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

Lane = Literal["db", "io"]
DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]
CrashHandler = Callable[[BaseException], None]

IO_WORKERS = 4


def is_user_error(exc: BaseException) -> bool:
    """A problem the user can fix, with a Dutch message: a ValueError subclass of our own.

    A bare ``ValueError`` or one from the standard library (``UnicodeDecodeError``,
    ``json.JSONDecodeError``) is a bug in our code, not something to show as advice.
    """
    if not isinstance(exc, ValueError) or type(exc) is ValueError:
        return False
    top = type(exc).__module__.split(".", 1)[0]
    return top != "builtins" and top not in sys.stdlib_module_names


class TaskHandle:
    """What ``run`` returns: the task's id, and a way to say the result is no longer wanted."""

    __slots__ = ("_cancelled", "id", "lane")

    def __init__(self, task_id: int, lane: Lane) -> None:
        self.id = task_id
        self.lane = lane
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Drop the callbacks; a task that has not started yet does not run at all."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


@dataclass(frozen=True, slots=True)
class _Outcome:
    handle: TaskHandle
    result: Any
    error: BaseException | None
    on_done: DoneCallback | None
    on_error: ErrorCallback | None
    owner: QObject | None


def _alive(obj: object) -> bool:
    """False for a Qt object whose C++ side has been deleted (a closed dialog, a removed view)."""
    return not isinstance(obj, QObject) or shiboken6.isValid(obj)


def _callback_alive(callback: Callable[..., Any] | None) -> bool:
    return callback is None or _alive(getattr(callback, "__self__", None))


class TaskRunner(QObject):
    """Runs functions off the GUI thread and delivers their outcome back on it."""

    # Emitted from a worker thread; the queued connection moves it to the GUI thread.
    _finished = Signal(object)
    #: A task's callbacks have run (or were skipped); carries the number of tasks still pending.
    taskFinished = Signal(int)
    #: No task is pending any more.
    idle = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        crash_handler: CrashHandler | None = None,
        io_workers: int = IO_WORKERS,
    ) -> None:
        super().__init__(parent)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-db")
        self._io = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="console-io")
        self._ids = itertools.count(1)
        self._pending: dict[int, TaskHandle] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._crash_handler = crash_handler
        self._message_boxes: list[QObject] = []
        self._finished.connect(self._deliver)

    # -- public API --------------------------------------------------------------------------

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: DoneCallback | None = None,
        on_error: ErrorCallback | None = None,
        lane: Lane = "io",
        owner: QObject | None = None,
        **kwargs: Any,
    ) -> TaskHandle:
        """Run ``fn(*args, **kwargs)`` on *lane*; call *on_done* or *on_error* on the GUI thread.

        *owner*: when given, the callbacks are skipped if this Qt object was deleted meanwhile.
        Without *on_error*, a user error is shown as a message box.
        """
        if lane not in ("db", "io"):
            raise ValueError(f"unknown lane {lane!r}")  # a programming error, not user input
        if self._closed:
            raise RuntimeError("TaskRunner is shut down")
        handle = TaskHandle(next(self._ids), lane)
        with self._lock:
            self._pending[handle.id] = handle
        executor = self._db if lane == "db" else self._io

        def work() -> None:
            if handle.cancelled:
                outcome = _Outcome(handle, None, None, None, None, owner)
            else:
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:
                    outcome = _Outcome(handle, None, exc, on_done, on_error, owner)
                else:
                    outcome = _Outcome(handle, result, None, on_done, on_error, owner)
            if not self._closed and shiboken6.isValid(self):
                self._finished.emit(outcome)

        future: Future[None] = executor.submit(work)
        future.add_done_callback(_log_unexpected)
        return handle

    @property
    def pending(self) -> int:
        """How many tasks have not yet delivered their outcome."""
        with self._lock:
            return len(self._pending)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop accepting work; optionally wait for running tasks. Their callbacks are dropped."""
        self._closed = True
        self._db.shutdown(wait=wait, cancel_futures=True)
        self._io.shutdown(wait=wait, cancel_futures=True)
        with self._lock:
            self._pending.clear()

    def set_crash_handler(self, handler: CrashHandler | None) -> None:
        self._crash_handler = handler

    # -- delivery on the GUI thread ----------------------------------------------------------

    @Slot(object)
    def _deliver(self, outcome: _Outcome) -> None:
        with self._lock:
            self._pending.pop(outcome.handle.id, None)
            remaining = len(self._pending)
        try:
            self._dispatch(outcome)
        finally:
            self.taskFinished.emit(remaining)
            if remaining == 0:
                self.idle.emit()

    def _dispatch(self, outcome: _Outcome) -> None:
        if outcome.handle.cancelled:
            return
        if outcome.owner is not None and not _alive(outcome.owner):
            return
        exc = outcome.error
        try:
            if exc is None:
                if outcome.on_done is not None and _callback_alive(outcome.on_done):
                    outcome.on_done(outcome.result)
                return
            if is_user_error(exc):
                if outcome.on_error is None:
                    self._show_user_error(exc)
                elif _callback_alive(outcome.on_error):
                    outcome.on_error(exc)
                return
            self.report_crash(exc)
        except Exception as callback_exc:  # a bug in a callback: still no traceback in the face
            self.report_crash(callback_exc)

    def report_crash(self, exc: BaseException) -> None:
        """Hand an unexpected exception to the crash handler (default: the crash dialog)."""
        log.error("Onverwachte fout", exc_info=(type(exc), exc, exc.__traceback__))
        if self._crash_handler is not None:
            self._crash_handler(exc)
            return
        from console.ui.crash_dialog import show_crash_dialog

        show_crash_dialog(exc)

    def _show_user_error(self, exc: BaseException) -> None:
        from PySide6.QtWidgets import QApplication, QMessageBox

        parent = QApplication.activeWindow()
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(QCoreApplication.translate("TaskRunner", "Dat lukte niet"))
        box.setText(str(exc))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # Without a parent window, Python owns the box: keep it alive until it is closed.
        self._message_boxes.append(box)
        box.finished.connect(lambda _r, b=box: self._message_boxes.remove(b))
        box.open()


def _log_unexpected(future: Future[None]) -> None:
    # ``work`` catches everything; this only fires if emitting itself failed.
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.error("Taak kon zijn resultaat niet afleveren", exc_info=exc)
