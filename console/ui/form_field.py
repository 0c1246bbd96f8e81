"""Form building blocks for the configuration pages: a field with its message under it, a
validator that asks the service while the user types (debounced, off the GUI thread), what the
forms on those pages share (:class:`ServiceFormMixin`), and the cards, rows and scroll areas they
are laid out with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
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


class ServiceFormMixin:
    """What the configuration forms share: the service checks the form while the user types, the
    save button says why it is disabled, and a save the service refuses says why under the fields.

    Put it before the Qt class (``class FooFormWidget(ServiceFormMixin, QWidget)``): listed after
    it, Qt's own attributes would hide these. The form sets ``rows``, ``general_label``,
    ``reason_label``, ``save_button`` and ``validator``, and ``subject``: what it saves, translated
    ("Het berichttype"). A form that says it is busy saving sets ``_saving`` and ``saving_text``.
    :meth:`_create_or_update` also wants ``runner``, ``detail`` (None for a new item), ``data()``
    and ``_saved()``.
    """

    rows: dict[str, FieldRowWidget]
    general_label: QLabel
    reason_label: QLabel
    save_button: QPushButton
    validator: LiveValidator
    runner: TaskRunner
    detail: Any
    issues: list[FieldIssue]
    subject: str
    saving_text = ""
    _saving = False

    def data(self) -> Any:
        raise NotImplementedError

    def _saved(self, detail: Any) -> None:
        raise NotImplementedError

    def _create_or_update(self, target: Any) -> None:
        """Create the item (a new form) or update it through *target*, in the db lane."""
        args = (self.data(),) if self.detail is None else (self.detail.id, self.data())
        self.runner.run(
            target.create if self.detail is None else target.update,
            *args,
            on_done=self._saved,
            on_error=self._refused,
            lane="db",
            owner=cast(QObject, self),  # the mixin always sits on a Qt class
        )

    def _changed(self, *_args: object) -> None:
        self.general_label.setVisible(False)
        self.validator.request()

    def _show_issues(self, issues: list[FieldIssue]) -> None:
        self.issues = issues
        show_field_issues(self.rows, issues, self.general_label)
        self._update_buttons()

    def _update_buttons(self) -> None:
        reason = describe_disabled(self.issues, self.subject)
        self.save_button.setEnabled(not self._saving and not reason)
        self.save_button.setToolTip(reason)
        self.reason_label.setText(self.saving_text if self._saving else reason)

    def _refused(self, exc: BaseException) -> None:
        """The service refused: say why, and the save button works again."""
        self._saving = False
        self._show_refusal(exc)
        self._update_buttons()

    def _show_refusal(self, exc: BaseException) -> None:
        """The fields the refusal names get their issues; its message goes in the general box."""
        issues = list(getattr(exc, "issues", []) or [])
        if issues:
            self._show_issues(issues)
        self.general_label.setText(str(exc))
        self.general_label.setVisible(True)


def card(title: str, text: str = "") -> tuple[QFrame, QVBoxLayout]:
    """A white card with a heading and an optional muted explanation."""
    frame, layout, _heading = card_with_heading(title, text)
    return frame, layout


def card_with_heading(
    title: str, text: str = "", frame: QFrame | None = None
) -> tuple[QFrame, QVBoxLayout, QLabel]:
    """A white card (a new frame, or *frame* made into one) with a heading and explanation."""
    frame = frame if frame is not None else QFrame()
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


def page_layout(page: QWidget, title: str, intro: str) -> QVBoxLayout:
    """The layout of a configuration page, begun with its title (also the page's accessible
    name) and a muted introduction; the page adds the rest."""
    page.setAccessibleName(title)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(20, 16, 20, 12)
    layout.setSpacing(8)
    layout.addWidget(theme.page_heading(page, title))
    layout.addWidget(muted(QLabel(intro)))
    return layout


def scroll_area(content: QWidget, *, horizontal: bool = True) -> QScrollArea:
    """*content* in a scroll area without a frame, resized to fill it; with ``horizontal=False``
    the content is fitted to the width and never scrolls sideways."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    if not horizontal:
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(content)
    return scroll


def line_edit(name: str, placeholder: str = "", max_length: int = 0) -> QLineEdit:
    """A text field with an accessible name, and an example and a length limit when given."""
    edit = QLineEdit()
    edit.setAccessibleName(name)
    if placeholder:
        edit.setPlaceholderText(placeholder)
    if max_length:
        edit.setMaxLength(max_length)
    return edit


def short_combo() -> QComboBox:
    """A drop-down about 16 characters wide, however long its items are."""
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(16)
    return combo


def add_field_row(form: QFormLayout, text: str, buddy: QWidget, row: QWidget) -> None:
    """*row* in *form* beside a label whose shortcut (the letter after ``&``) focuses *buddy*."""
    label = QLabel(text)
    label.setBuddy(buddy)
    form.addRow(label, row)


def field_form(
    rows: dict[str, FieldRowWidget], fields: Iterable[tuple[str, str, QWidget]]
) -> QFormLayout:
    """A form with, for each ``(key, label text, buddy)``, the label and ``rows[key]``; the fields
    grow with the width."""
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    for key, text, buddy in fields:
        add_field_row(form, text, buddy, rows[key])
    return form


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
