"""Form building blocks for the configuration pages: a field with its message under it, and a
validator that asks the service while the user types (debounced, off the GUI thread).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.domain.letter import FieldIssue
from console.ui import theme
from console.ui.tasks import TaskRunner

VALIDATE_DELAY_MS = 150


class FieldRowWidget(QWidget):
    """A field with the line under it that says what is wrong (or right)."""

    def __init__(self, field: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.message.setFont(theme.small_font(self.font(), scale=0.95))
        self.message.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        layout.addWidget(self.message)

    def show_message(self, text: str, tone: str = "error") -> None:
        colour = {
            "error": theme.ERROR_TEXT,
            "warning": theme.WARNING_TEXT,
            "ok": theme.OK_TEXT,
        }.get(tone, theme.MUTED_TEXT)
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setVisible(bool(text))
        self.field.setAccessibleDescription(text)

    def show_issues(self, issues: Sequence[FieldIssue]) -> None:
        blocking = [i for i in issues if i.blocking]
        shown = blocking or list(issues)
        self.show_message("\n".join(i.message for i in shown), "error" if blocking else "warning")


class LiveValidator(QObject):
    """Runs ``validate()`` shortly after the last change; hands the issues to ``show``.

    Only the newest answer is shown: an answer to an older question is dropped.
    """

    def __init__(
        self,
        runner: TaskRunner,
        validate: Callable[[], list[FieldIssue]],
        show: Callable[[list[FieldIssue]], None],
        parent: QObject | None = None,
        *,
        delay_ms: int = VALIDATE_DELAY_MS,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._validate = validate
        self._show = show
        self._asked = 0
        self.answered = 0  # the number of the question last shown (tests wait for it)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.run_now)

    def request(self) -> None:
        self._timer.start()

    def run_now(self) -> None:
        self._timer.stop()
        self._asked += 1
        number = self._asked

        def done(issues: list[FieldIssue]) -> None:
            self._answer(number, issues)

        def failed(exc: BaseException) -> None:
            self._answer(number, [FieldIssue("", str(exc))])

        self._runner.run(self._validate, on_done=done, on_error=failed, lane="io", owner=self)

    @property
    def settled(self) -> bool:
        return not self._timer.isActive() and self.answered == self._asked

    def _answer(self, number: int, issues: list[FieldIssue]) -> None:
        if number != self._asked:
            return
        self.answered = number
        self._show(list(issues))


def card(title: str, text: str = "") -> tuple[QFrame, QVBoxLayout]:
    """A white card with a heading and an optional muted explanation."""
    frame, layout, _heading = card_with_heading(title, text)
    return frame, layout


def card_with_heading(title: str, text: str = "") -> tuple[QFrame, QVBoxLayout, QLabel]:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(16, 12, 16, 14)
    layout.setSpacing(8)
    heading = QLabel(title)
    heading.setFont(theme.heading_font(heading.font(), scale=1.1))
    layout.addWidget(heading)
    if text:
        layout.addWidget(muted(QLabel(text)))
    return frame, layout, heading


def muted(label: QLabel, *, small: bool = False) -> QLabel:
    label.setStyleSheet(f"color: {theme.MUTED_TEXT};")
    label.setWordWrap(True)
    if small:
        label.setFont(theme.small_font(label.font()))
    return label


def notice_box(tone: str) -> QLabel:
    """A tinted box for a warning or a refusal (word and colour)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    colours = theme.tone(tone)
    label.setStyleSheet(
        f"background: {colours.background}; color: {colours.text};"
        f" border: 1px solid {colours.border}; border-radius: 4px; padding: 6px 8px;"
    )
    label.setVisible(False)
    return label


def button_row(*widgets: QWidget, stretch_first: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(8)
    if stretch_first:
        row.addStretch(1)
    for w in widgets:
        row.addWidget(w)
    if not stretch_first:
        row.addStretch(1)
    return row


def issues_by_field(issues: Sequence[FieldIssue]) -> dict[str, list[FieldIssue]]:
    out: dict[str, list[FieldIssue]] = {}
    for i in issues:
        out.setdefault(i.field, []).append(i)
    return out


def show_field_issues(
    rows: dict[str, FieldRowWidget], issues: Sequence[FieldIssue], general: QLabel | None = None
) -> None:
    """Each issue under its field; issues of unknown fields in *general*."""
    grouped = issues_by_field(issues)
    for name, row in rows.items():
        row.show_issues(grouped.pop(name, []))
    if general is not None:
        rest = [i for items in grouped.values() for i in items]
        general.setText("\n".join(i.message for i in rest))
        general.setVisible(bool(rest))


def first_blocking(issues: Sequence[FieldIssue]) -> FieldIssue | None:
    return next((i for i in issues if i.blocking), None)


def describe_disabled(issues: Sequence[FieldIssue], what: str) -> str:
    """Why the save button is disabled, in one line."""
    blocking = [i for i in issues if i.blocking]
    if not blocking:
        return ""
    text = f"{what} kan nog niet worden opgeslagen: {blocking[0].message}"
    if len(blocking) > 1:
        text += f" (en nog {len(blocking) - 1} punt{'en' if len(blocking) > 2 else ''})"
    return text


def service(services: Any, name: str) -> Any:
    """A configuration service, or None when this set of services has none (e.g. a test fake)."""
    return getattr(services, name, None)
